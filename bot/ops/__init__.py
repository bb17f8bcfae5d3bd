"""Operations: logs, metrics, health and readiness, the scheduler's heartbeat, status, alerts
and the reference pages generated from the code."""
