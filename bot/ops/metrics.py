"""The bot's Prometheus metrics, one set per running core, served at GET /metrics.

Each `Metrics` owns its own `CollectorRegistry` instead of the process-wide default one: tests
(and a console demo) build many cores in one process, and registering the same metric names twice
in one registry is an error. A deployment runs one core per process, so nothing is lost.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

NUDGE_KIND = "nudge"  # the outbox kind of a lead follow-up nudge (bot.leads.nudges.NUDGE_KIND)
CONTENT_TYPE = CONTENT_TYPE_LATEST
_SCHEDULER_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class Metrics:
    """Counters and histograms for what operators watch: delivery, check-ins, evaluation,
    the scheduler and the leads webhook."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages_sent = Counter(
            "alignbot_messages_sent", "Messages the platform accepted", ["platform", "kind"], registry=r)
        self.messages_failed = Counter(
            "alignbot_messages_failed", "Sends that failed (permanent: given up, else retried later)",
            ["platform", "kind", "permanent"], registry=r)
        self.nudges_sent = Counter(
            "alignbot_nudges_sent", "Lead follow-up nudges delivered", ["platform"], registry=r)
        self.checkins_asked = Counter(
            "alignbot_checkins_asked", "Check-in invitations delivered", ["audience"], registry=r)
        self.checkins_answered = Counter(
            "alignbot_checkins_answered", "Check-ins with every question answered", ["audience"],
            registry=r)
        self.evaluation_seconds = Histogram(
            "alignbot_evaluation_seconds", "Time to evaluate one answer", ["evaluator", "question"],
            registry=r)
        self.evaluation_fallbacks = Counter(
            "alignbot_evaluation_fallbacks", "Answers the LLM could not judge, judged by the fallback",
            ["evaluator"], registry=r)
        self.scheduler_lag = Histogram(
            "alignbot_scheduler_lag_seconds", "How late a tick started after it was due",
            buckets=_SCHEDULER_BUCKETS, registry=r)
        self.tick_seconds = Histogram(
            "alignbot_tick_duration_seconds", "How long one scheduler tick took",
            buckets=_SCHEDULER_BUCKETS, registry=r)
        self.tick_failures = Counter(
            "alignbot_tick_failures", "Scheduler ticks that failed (retried on the next)", registry=r)
        self.inputs_refused = Counter(
            "alignbot_inputs_refused", "Inputs not processed because the database was unavailable"
            " (the person was told to try again)", ["platform", "event"], registry=r)
        self.webhook_requests = Counter(
            "alignbot_webhook_requests", "Leads webhook requests by response status", ["status"],
            registry=r)

    def sent(self, platform: str, kind: str) -> None:
        self.messages_sent.labels(platform, kind).inc()
        if kind == NUDGE_KIND:
            self.nudges_sent.labels(platform).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)

    def value(self, name: str, **labels: str) -> float:
        """One sample's current value (0 if never observed): for tests and the docs."""
        found = self.registry.get_sample_value(name, labels)
        return 0.0 if found is None else found
