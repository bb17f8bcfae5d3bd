"""What a strategy statement gets wrong, as opposed to what it leaves out: a scope that names
segments we do not play in as ours, an advantage claimed on price when ours is not price.

One reading for the three places that need it - the rep's feedback, what the coaching line is
about, and the manager's digest - so a statement told "wrong scope" in chat is not "missing
scope" in the digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.evaluation.result import Evaluation
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
