"""The rules judge on several threads at once (answers are judged on the database's threads, see
`bot.checkins.answering`) exactly as on one: no state shared between threads (the stemmers)."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

from bot.config import REPO_ROOT
from bot.evaluation import text
from bot.evaluation.rules import RulesEvaluator
from bot.strategy.loader import load_strategy

ANSWERS = [
    ("tasks", "Mapped the buying committee at Ledgerly, sent the SOC 2 report, ran discovery calls"
              " and built an ROI model with their CFO."),
    ("scope", "Mid-market fintech and regional banks; buyers are the compliance officer and the CFO."
              " Not tier-1 banks or government."),
    ("strategy", "We make mid-market fintechs audit-ready in half the time with continuous control"
                 " monitoring, to grow ARR 35% at 75% margin."),
]


def test_answers_judged_on_eight_threads_at_once_read_as_on_one() -> None:
    strategy = load_strategy(REPO_ROOT / "examples" / "strategy.yaml")
    rules = RulesEvaluator()
    text._stem.cache_clear()  # every stem computed again, by the threads at once
    work = [(q, f"{a} Round {n}: {'running ' * (n % 5)}reviewing audits{n}.") for n in range(40)
            for q, a in ANSWERS]

    def judge(item: tuple[str, str]) -> str:
        return rules.evaluate_sync(item[0], item[1], strategy).model_dump_json()  # type: ignore[arg-type]
    alone = [judge(item) for item in work]
    text._stem.cache_clear()
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as they can: any shared state shows
    try:
        with ThreadPoolExecutor(8) as pool:
            together = list(pool.map(judge, work))
    finally:
        sys.setswitchinterval(switching)
    assert together == alone


def test_words_stemmed_on_eight_threads_at_once_stem_as_on_one() -> None:
    words = [f"{stem}{n}{suffix}" for n in range(2500) for stem in ("audit", "map", "review")
             for suffix in ("ing", "ations", "ed")]
    text._stem.cache_clear()
    alone = [text.stem(w) for w in words]
    text._stem.cache_clear()
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(8) as pool:
            parts = list(pool.map(lambda k: [text.stem(w) for w in words[k::8]], range(8)))
    finally:
        sys.setswitchinterval(switching)
    together = [parts[i % 8][i // 8] for i in range(len(words))]
    assert together == alone
