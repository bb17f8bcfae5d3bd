"""What an answer gets wrong, as opposed to what it leaves out: a statement whose scope names
segments we do not play in as ours, or that claims an advantage on price when ours is not price;
and, in a tasks answer, a concession (a fee waived, months given free, a discount) that works
against the strategy's pricing objective however the reader filed it.

One reading for the places that need it - the rep's feedback, what the coaching line is about,
and (for statements) the manager's digest - so a statement told "wrong scope" in chat is not
"missing scope" in the digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bot.evaluation.result import Against, Evaluation, Evidence, TasksResult
from bot.evaluation.text import _FOLDS_TO_ASCII
from bot.strategy.schema import Strategy

_PRICE = re.compile(r"\b(?:cheap\w*|lowest price\w*|low[- ]cost|lower prices?|price leader\w*|"
                    r"best prices?|undercut\w*|günstig\w*|billig\w*|barato\w*|más barato\w*|"
                    r"moins cher|goedkoop\w*)\b", re.I)


def claims_price(text: str) -> bool:
    """Winning on price: the advantage most strategies are built to avoid."""
    return bool(_PRICE.search(text or ""))


@dataclass(frozen=True)
class StatementFaults:
    wrong_scope: tuple[str, ...] = ()  # ids of out-of-scope segments stated as where we play
    wrong_advantage: bool = False

    @property
    def components(self) -> tuple[str, ...]:
        """The statement components that are wrong, in the statement's order."""
        return (*(("scope",) if self.wrong_scope else ()),
                *(("advantage",) if self.wrong_advantage else ()))


def stated_out_of_scope(evaluation: Evaluation) -> tuple[str, ...]:
    """Segments the answer states as where we play that our strategy does not play in."""
    scope = evaluation.scope.segments if evaluation.scope else []
    return tuple(dict.fromkeys(m.segment_id for m in scope if m.stated_as_played and not m.in_scope))


def faults_of(out_of_scope: Iterable[str], price: bool, strategy: Strategy) -> StatementFaults:
    """The faults from what a statement says (kept with a stored answer, so the digest need not
    read the whole evaluation again): claiming price is wrong only where ours is not price."""
    return StatementFaults(tuple(out_of_scope),
                           price and not claims_price(strategy.strategy.advantage))


def statement_faults(evaluation: Evaluation, strategy: Strategy) -> StatementFaults:
    return faults_of(stated_out_of_scope(evaluation), claims_price(evaluation.statement_text),
                     strategy)


# --- concessions in a tasks answer ----------------------------------------------------------

_CONCESSION = re.compile(r"""\b(?:
    discount\w*|\d+\s?(?:%|percent|per\s?cent)\s?off\b|off\s+(?:the\s+)?list\b|waiv(?:e|ed|es|ing)\b|
    thr(?:ew|ow|owing|own)\s+in|for\s+free|free\s+of\s+charge|
    (?:gave|given|giving|offered|offering)\s+(?:[\w'&.-]+\s+){0,3}(?:an?\s+)?(?:extra|additional|another)\s+\d+\s?(?:%|percent)|
    free\s+(?:months?|years?|weeks?|hosting|training|implementation|set-?up|onboarding|seats?|
             licen[cs]es?|support|upgrades?|add-?ons?|modules?|services?)\b|
    (?:months?|years?|weeks?)\s+(?:for\s+)?free\b|
    (?:match|matched|matching)\s+(?:[\w']+\s+){0,2}prices?\b|price-match\w*|
    (?:cut|dropped|lowered|reduced|slashed)\s+(?:our\s+|the\s+|my\s+)?price|price\s+cuts?\b|
    rabatt\w*|preisnachlass\w*|nachlass\w*|erlassen|gratis|kostenlos\w*|umsonst|
    preis\w*\s+(?:gesenkt|reduziert)|
    descuento\w*|dc?tos?\b|rebaj\w+|regal(?:é|e|amos|ó|aron|ar)\b|sin\s+(?:coste|costo|cargo)|
    igual\w*\s+(?:el\s+)?precio|baj(?:é|e|amos|ó)\s+(?:el\s+)?precio|
    remise\w*|rabais|gratuit\w*|sans\s+frais|korting\w*|zonder\s+kosten
)""", re.I | re.X)
"""Giving value away to get a signature, in the five languages the rules read. A free *trial*
is not here: strategies rule that out as a proof-of-value matter, not a price one. "Waiver" (a
form a member signs) is no fee waived; "dto"/"dcto" is how Spanish reps write descuento."""

_CONCESSION_WORDS = ("discount", "off", "waiv", "thr", "free", "%", "percent", "price", "rabatt",
                     "nachlass", "erlassen", "gratis", "kosten", "umsonst", "preis", "descuento",
                     "dto", "dcto", "rebaj", "regal", "cost", "cargo", "precio", "remise",
                     "rabais", "gratuit", "frais", "korting")
"""Every match of `_CONCESSION` contains one of these, in lower case: each of its alternatives
spells one out (keep them in step; a test reads the pattern's alternatives). Text without any
names no concession, and the pattern - tried with all its alternatives at every word of every
quote - is not run over it."""


def _may_concede(text: str) -> bool:
    """Whether `_CONCESSION` can match in `text` (see `_CONCESSION_WORDS`); text with a
    character that `re.IGNORECASE` matches to an ASCII letter and `str.lower` does not turn
    into it ("ſ") is always searched."""
    lowered = text.lower()
    for word in _CONCESSION_WORDS:
        if word in lowered:
            return True
    return not _FOLDS_TO_ASCII.isdisjoint(text)


_REFUSED = r"""
    no|not|never|without|didn'?t|did\s+not|don'?t|won'?t|wouldn'?t|avoid\w*|refus\w*|declin\w*|
    instead\s+of|rather\s+than|kein\w*|ohne|nicht|nie|sin|nunca|evit\w+|
    pas|sans|aucun\w*|jamais|geen|zonder|niet|nooit|
    held|hold(?:ing|s)?|push(?:ed|ing)?\s+back(?:\s+on)?|resist\w*|fought|talked\s+\w+\s+out\s+of|
    abgelehnt|abgewehrt|gehalten|rechaz\w*|mantuv\w*|refusé\w*|weiger\w*|afgewezen|
    competitors?|competition|rivals?|konkurren\w*|wettbewerb\w*|mitbewerb\w*|competencia|
    competidor\w*|concurren\w*|concurrent\w*"""
_ASKED = r"""
    asked|asking|asks|wanted|wants?|push(?:ed|ing)?\s+for|request\w*|demand\w*|insist\w*|
    wollt?en?|verlang\w*|ped\w+|pidi\w+|quer\w+|quier\w+|exig\w+|
    veulent|voulai\w+|vroeg\w*|wil(?:len|den|de)?"""
_NOT_GIVEN = re.compile(rf"\b(?:{_REFUSED}|{_ASKED})\b", re.I | re.X)
"""Before a concession in its clause: it was not given ("avoided a discount", "no di
descuento", "held firm on the discount"), the buyer asked for it ("they asked for 20% off",
"pedían un descuento"), or someone else gives it ("the competitor offers 3 months free")."""
_NOT_GIVEN_AFTER = re.compile(r"""\b(?:
    request\w*|declin\w*|refus\w*|reject\w*|denied|turned\s+down|off\s+the\s+table|
    abgelehnt|abgewehrt|gefordert|gewünscht|verlangt|rechaz\w*|denegad\w*|pedid\w*|solicit\w*|
    demand\w*|exig\w*|geweigerd|afgewezen|gevraagd)\b""", re.I | re.X)
"""After a concession in its clause: the same, said the other way round ("20% off request
declined", "Rabatt abgelehnt", "descuento solicitado")."""
_ASKED_FOR = re.compile(rf"\b(?:{_ASKED})\b", re.I | re.X)

_CLAUSE = re.compile(r"[,;:.!?()]|\b(?:and|but|then|so|y|pero|und|aber|dann|et|mais|maar)\b", re.I)

_PRICING = re.compile(r"\b(?:discount\w*|margin\w*|descuento\w*|margen\w*|rabatt\w*|marge\w*|"
                      r"remise\w*|korting\w*)\b", re.I)
_PRICE_WORDS = r"(?:price|prices|pricing|precios?|preise?|prix|prijs\w*)"
_HOLDS_PRICE = re.compile(rf"""
    \b(?:defend\w*|hold\w*|held|keep|protect\w*|sosten\w*|defender|manten\w*|halt\w*|verteidig\w*|
       défend\w*|tenir|verdedig\w*|vasthoud\w*)\s+(?:[\w'’]+\s+){{0,2}}{_PRICE_WORDS}\b|
    \b{_PRICE_WORDS}\s+(?:[\w'’]+\s+){{0,2}}(?:halten|gehalten|verteidigen|verteidigt|defended|held|
       vasthouden|verdedigen|tenir|défendre|defender|sostener|mantener)\b""", re.I | re.X)
"""A task or objective about holding price: "Defend price with value, not discounts", "Keep
gross margin at or above 75%", "Defender precio con valor", "Preis über Nutzen verteidigen".
Not "price" alone: "Piloto de precios" is a pricing pilot."""


def asked_for(text: str) -> bool:
    """Whether `text` names a concession as the buyer's ask ("Der Kunde wollte 15% Rabatt"):
    never the quote for a price the rep defended."""
    return any(_ASKED_FOR.search(_CLAUSE.split(text[:m.start()])[-1])
               for m in _CONCESSION.finditer(text))


@lru_cache(maxsize=4096)  # a quote is asked about more than once per answer (matches, given)
def concedes(text: str) -> bool | None:
    """Whether `text` gives a concession: True ("waived the setup fee", "3 Monate gratis"), False
    when it names one only as not given, held, refused, asked about or as the buyer's or a
    competitor's ("avoided a discount", "they asked for 20% off, held the price", "discount
    request declined", "Clubfinder offers 3 months free"), None when it names none."""
    if not _may_concede(text):
        return None  # most quotes: no word a concession is written with
    found = False
    for match in _CONCESSION.finditer(text):
        found = True
        before = _CLAUSE.split(text[:match.start()])[-1]
        rest = text[match.end():]
        end = _CLAUSE.search(rest)
        after = rest[:end.start()] if end else rest
        asked = end is not None and end.group() == "?"  # "should we give 10% off?": a question
        if not (_NOT_GIVEN.search(before) or _NOT_GIVEN_AFTER.search(after) or asked):
            return True
    return False if found else None


Target = tuple[Literal["task", "objective"], str, str]
"""(kind, target id, name) as an `Against` names them."""


def names_price(text: str) -> bool:
    """The text's own words are about price: a discount, margin, or holding the price ("Defend
    price with value", "keine Rabattschlachten") - not a task that is about price only through a
    counter-example ("kostenlos zum Ausprobieren ohne Ende" under a four-week trial)."""
    return bool(_PRICING.search(text) or _HOLDS_PRICE.search(text))


def pricing_targets(strategy: Strategy) -> list[Target]:
    """The tasks and objectives a concession works against, tasks first as the rules list them;
    [] when the strategy says nothing about price."""
    tasks: list[Target] = [("task", t.id, t.name) for t in strategy.sales_tasks
                           if _PRICING.search(f"{t.name} {t.description}")
                           or _HOLDS_PRICE.search(f"{t.name} {t.description}")
                           or _concessions_against(tuple(t.counter_examples))]
    objectives: list[Target] = [("objective", o.id or str(number), o.text)
                  for number, o in enumerate(strategy.strategy.objectives, start=1)
                  if _PRICING.search(o.text) or _concessions_against(tuple(o.counter_examples))]
    return tasks + objectives


_TARGETS: dict[int, tuple[Strategy, list[Target]]] = {}
_TARGETS_KEPT = 64


def _pricing_targets_of(strategy: Strategy) -> list[Target]:
    """`pricing_targets`, worked out once per strategy (a frozen model, kept by identity): its
    two patterns over every task's name and description cost more than reading the rest of a
    tasks answer's concessions, and the evaluator asked them again for every answer. Callers
    only read the list."""
    found = _TARGETS.get(id(strategy))
    if found is not None and found[0] is strategy:  # the strategy is kept: its id is its own
        return found[1]
    targets = pricing_targets(strategy)
    if len(_TARGETS) >= _TARGETS_KEPT:
        _TARGETS.clear()
    _TARGETS[id(strategy)] = (strategy, targets)
    return targets


@lru_cache(maxsize=1024)
def _concessions_against(counter_examples: tuple[str, ...]) -> bool:
    """The strategy's own counter-examples give concessions ("waived the install fee", "20%
    off the first year"): the objective is about price whatever its words ("Hold hardware at
    list - no free terminals" says neither margin nor discount)."""
    return any(concedes(str(example)) for example in counter_examples)


def _conceded_after(answer: str, end: int) -> Evidence | None:
    """The first clause after `end`, in the same sentence of `answer`, that gives a concession:
    where a reader quoted the buyer's ask for what the rep then gave."""
    sentence = re.split(r"[.!?\n]", answer[end:], maxsplit=1)[0]
    start = end
    for piece in _CLAUSE.split(sentence):
        at = answer.index(piece, start) if piece else start
        start = at + len(piece)
        text = piece.strip()
        if text and concedes(text):
            first = at + piece.index(text)
            return Evidence(text=text, start=first, end=first + len(text))
    return None


_COORDINATED = re.compile(r"(?:\+|&|\band\b|,)\s*$", re.I)
_OWN_VERB = re.compile(r"\w+(?:ed|ran|did|met|sent|got|had|held|took|made|spoke|wrote)\b", re.I)


def _given_too(answer: str, evidence: Evidence) -> bool:
    """The evidence is one more item of what a concession just before it gives, joined to it by
    "+", "&", "and" or a comma and with no verb of its own: "waived the setup + migration fee
    ... to get it signed" gives the migration fee away too - it does no task."""
    before = answer[:evidence.start]
    if not _COORDINATED.search(before):
        return False
    head = before[:_COORDINATED.search(before).start()]  # type: ignore[union-attr]
    piece = re.split(r"[.!?\n;:()]", head)[-1]
    first = evidence.text.split(maxsplit=1)[0] if evidence.text.split() else ""
    return bool(concedes(piece.strip())) and not _OWN_VERB.fullmatch(first)


def _sentence_of(answer: str, at: int) -> tuple[int, int]:
    """The span of the sentence of `answer` that position `at` is in (split at . ! ? and lines,
    as `_conceded_after` reads a sentence)."""
    start = max((m.end() for m in _SENTENCE_END.finditer(answer, 0, at)), default=0)
    end = _SENTENCE_END.search(answer, at)
    return start, end.start() if end else len(answer)


_SENTENCE_END = re.compile(r"[.!?\n]")


def with_concessions(tasks: TasksResult, strategy: Strategy, answer: str | None = None, *,
                     per_sentence: bool = False) -> TasksResult:
    """`tasks` with what it says about concessions told the way a sales leader reads it: a
    concession the reader left as off-strategy effort, or credited as a task ("Free onboarding
    for Helix Health if they sign" as the onboarding handoff), works against the pricing
    objective and earns no credit; a buyer's ask or a discount refused ("they asked for 20%
    off", "avoided a discount") works against nothing - unless the rest of its sentence in
    `answer` gives one after all ("they wanted 30% off, we gave 10% off"), which is then the
    quote. Unchanged when the strategy says nothing about price.

    A concession undoes the price defended in the whole answer (the feedback's week), or with
    `per_sentence` (the evaluator's verdict) only in its own sentence of `answer`: "cerré con
    dcto del 30%, la suscripción a precio lista" holds no price, while another deal's price
    held in another sentence stays done."""
    targets = _pricing_targets_of(strategy)
    if not targets:
        return tasks
    pricing = {(kind, target) for kind, target, _ in targets}
    # a match that concedes ("10% off for a 3-year term") is no task done, pricing included,
    # nor is one that only lists more of what was given ("waived the setup + migration fee")
    matches = [m for m in tasks.matches if not concedes(m.evidence.text)
               and not (answer and _given_too(answer, m.evidence))]
    unmapped = [u for u in tasks.unmapped if not concedes(u.text)]
    given = sorted([*(m.evidence for m in tasks.matches if concedes(m.evidence.text)),
                    *(u for u in tasks.unmapped if concedes(u.text))], key=lambda e: e.start)
    against: list[Against] = []
    for item in tasks.against:
        if (item.kind, item.target) in pricing:
            said = concedes(item.evidence.text)
            if said is False:  # asked for or refused ...
                after = _conceded_after(answer, item.evidence.end) if answer else None
                if after is None:
                    continue
                item = item.model_copy(update={"evidence": after})  # ... and then given anyway
            if said is None and given:  # "damit er unterschreibt" quoted for "20% Rabatt gegeben"
                item = item.model_copy(update={"evidence": given[0]})
        against.append(item)
    if given or any((a.kind, a.target) in pricing and concedes(a.evidence.text) for a in against):
        # a week with a discount given is no week of price defended: "negotiated on scope
        # instead of price" is not ticked above "we gave 10% off" - the ⛔ says what happened
        spans = None
        if per_sentence and answer:
            quotes = [*given, *(a.evidence for a in against if (a.kind, a.target) in pricing
                                and concedes(a.evidence.text))]
            spans = [_sentence_of(answer, e.start) for e in quotes]
        matches = [m for m in matches if ("task", m.task_id) not in pricing or m.state != "done"
                   or (spans is not None and not any(a <= m.evidence.start < b
                                                     for a, b in spans))]
    flagged = {(a.kind, a.target) for a in against}
    quoted = {(a.evidence.start, a.evidence.end) for a in against}
    for evidence in given:
        if (evidence.start, evidence.end) in quoted:
            continue
        # each concession is quoted: a second one against the first pricing target only
        fresh = [t for t in targets if (t[0], t[1]) not in flagged] or targets[:1]
        for kind, target, name in fresh:
            against.append(Against(kind=kind, target=target, name=name, evidence=evidence))
            flagged.add((kind, target))
        quoted.add((evidence.start, evidence.end))
    conceded = [a.evidence for a in against if (a.kind, a.target) in pricing
                and concedes(a.evidence.text)]
    for kind, target, name in targets if conceded else ():
        # a discount a counter-example caught against the margin objective works against the
        # price-holding task too ("dcto del 30%" is no "Defender precio con valor")
        if (kind, target) not in flagged:
            against.append(Against(kind=kind, target=target, name=name, evidence=conceded[0]))
            flagged.add((kind, target))
    if against == tasks.against and matches == tasks.matches and not given:
        return tasks
    done = {m.task_id for m in matches if m.state == "done"}
    lost = [m.task_id for m in tasks.matches if m not in matches
            and strategy.task(m.task_id).critical and m.task_id not in done]
    critical_missing = list(dict.fromkeys([*tasks.critical_missing, *lost]))
    ordered = [t.id for t in strategy.sales_tasks if t.id in critical_missing]
    return tasks.model_copy(update={"against": against, "matches": matches, "unmapped": unmapped,
                                    "critical_missing": ordered})
