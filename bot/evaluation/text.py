"""Generic English handling of a rep's free text, shared by every strategy.

Owns what does not depend on the company: the tokeniser and which characters separate activities,
a small table of common sales shorthand ("disco", "POC", "f/u", "mtg", "w/"), stemming
(snowballstemmer), stop words, and the words that negate or reject. Anything built from a
strategy's own wording lives in `index.py`, so this module can stay the same for every customer.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import snowballstemmer
import yaml

MAX_ANSWER_CHARS = 5000
"""Only this many characters of an answer are analysed; the rest is ignored (work is capped)."""

WORD, CONJ, CLAUSE, SENT = 0, 1, 2, 3
"""Token kinds: a word, then separators from weakest ("and", "+") to strongest (line, ".")."""


class Tok(NamedTuple):
    """One token with its span in the original answer."""

    word: str
    """Normalised lower-case word (shorthand expanded); for separators, the separator text."""
    start: int
    end: int
    kind: int
    upper: bool = False
    """Written in capitals as in an acronym ("CU"); lets acronyms match without false hits."""


_new_tok: Callable[[type[Tok], tuple[str, int, int, int, bool]], Tok] = (
    tuple.__new__)
"""`Tok` built straight from its five fields: what `Tok(...)` makes, without the Python-level
`__new__` a NamedTuple adds (tokens are made for every word of every answer)."""


def wordset(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string (for readable word lists)."""
    return frozenset(text.split())


# `snake`'s repeats are possessive: what they give back could never be the "_" or the word's
# end that comes next, so they give nothing back (each word was scanned once more for nothing)
_TOKEN_PARTS: tuple[tuple[str, str], ...] = (
    ("bullet", r"^[ \t]*(?:[-*•·▪‣◦>]|\d{1,2}[.)])(?=\s)"),
    ("abbr", r"\b(?:w/o|f/u|b/c|n/a|re:)(?!\w)|\bw/"),
    ("amp", r"\b[^\W\d_]{1,2}&[^\W\d_]{1,2}\b"),
    ("prefixed", r"\b[^\W\d_]-(?=[^\W\d_]{3,})"),
    ("snake", r"\b[^\W\d_][^\W_]*+(?:_[^\W_]++)+\b"),
    ("alnum", r"\d+[^\W\d_][^\W_]*"),
    ("num", r"\d+(?:[.,:/]\d+)*%?"),
    ("word", r"[^\W\d_][^\W_]*(?:['’][^\W_]+)*"),
    ("ident", r"\w+"),
    ("sent", r"\n|[.!?;]+"),
    ("open", r"\("),
    ("close", r"\)"),
    ("clause", r"[,—–|→]|\s-+>?(?=\s)|->|=>"),
    ("colon", r":"),
    # "/yr", "/wk", "/site": per a unit, not a second activity ("3.9m/yr", "$22k/hr")
    ("per", r"(?<=[^\W_])/(?=(?i:yrs?|years?|wks?|weeks?|mos?|months?|mth|hrs?|hours?|days?|d|h"
            r"|ea|unit|site|store|seat|user|jahr|monat|woche|año|mes|semana|an|mois|jaar|maand)"
            r"\b)"),
    ("conj", r"[+&/]"),
)
_NEEDS = (("abbr", "/:"), ("amp", "&"), ("prefixed", "-"), ("snake", "_"), ("per", "/"))
"""Alternatives that can only match where one of these characters is: a text without them is
read with a pattern without those alternatives - the same tokens (every other alternative is
tried in the same order), without trying them at every word (most answers have none)."""


def _token_pattern(skip: frozenset[str] = frozenset()) -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<{name}>{part})" for name, part in _TOKEN_PARTS
                               if name not in skip), re.M)


_TOKEN_RE = _token_pattern()
_TOKEN_RES: dict[tuple[bool, ...], re.Pattern[str]] = {}


def _token_re(text: str) -> re.Pattern[str]:
    """`_TOKEN_RE`, without the alternatives no character of `text` allows (see `_NEEDS`)."""
    key = ("/" not in text and ":" not in text, "&" not in text, "-" not in text,
           "_" not in text, "/" not in text)  # _NEEDS, spelled out: asked for every answer
    found = _TOKEN_RES.get(key)
    if found is None:
        found = _TOKEN_RES[key] = _token_pattern(
            frozenset(name for (name, _), skip in zip(_NEEDS, key, strict=True) if skip))
    return found


_CLAUSE_WORDS = frozenset({"but", "though", "although", "however", "while", "whereas", "tho",
                           "because", "coz"})
_CONJ_WORDS = frozenset({"and", "then", "also", "plus", "n", "or", "nor"})

def _prompts_dir() -> Path:
    """Where the vocabulary files are: the checkout's prompts/, or - for an installed package
    with no checkout beside it, such as the container image - ALIGNBOT_PROMPTS_DIR. Read once,
    at import: the language data is the same for every bot."""
    beside = Path(__file__).resolve().parent.parent.parent / "prompts"
    configured = os.environ.get("ALIGNBOT_PROMPTS_DIR")
    if not beside.is_dir() and configured and Path(configured).is_dir():
        return Path(configured)
    return beside


SHORTHAND_FILE = _prompts_dir() / "shorthand.yaml"
SECTORS_FILE = _prompts_dir() / "sectors.yaml"


def _shorthand(path: Path) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """prompts/shorthand.yaml: (any case, capitals only) shorthand -> plain words."""
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: the rules evaluator needs the prompts folder"
                           " (set ALIGNBOT_PROMPTS_DIR to where it is)")
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))

    def table(key: str) -> dict[str, tuple[str, ...]]:
        return {str(k).lower(): tuple(str(v or "").lower().split())
                for k, v in (data.get(key) or {}).items()}

    return table("shorthand"), table("upper_only")


SHORTHAND, UPPER_SHORTHAND = _shorthand(SHORTHAND_FILE)
_LOWER_ONLY = frozenset({"ent"})
"""Shorthand that is another acronym when written in capitals ("ENT" clinics)."""

_PHRASES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("follow", "up"), ("followup",)), (("followed", "up"), ("followup",)),
    (("following", "up"), ("followup",)), (("follows", "up"), ("followup",)),
    (("follow", "ups"), ("followup",)), (("kick", "off"), ("kickoff",)),
    (("kicked", "off"), ("kickoff",)), (("kicking", "off"), ("kickoff",)),
    (("kicks", "off"), ("kickoff",)), (("proof", "of", "concept"), ("pilot",)),
    (("proof", "of", "value"), ("pilot",)), (("proofs", "of", "concept"), ("pilot",)),
    (("return", "on", "investment"), ("roi",)), (("qualify", "out"), ("disqualify",)),
    (("qualified", "out"), ("disqualify",)), (("passed", "on"), ("disqualify",)),
    (("pass", "on"), ("disqualify",)), (("passing", "on"), ("disqualify",)),
    (("turned", "down"), ("disqualify",)), (("turn", "down"), ("disqualify",)),
    (("turning", "down"), ("disqualify",)), (("said", "no", "to"), ("disqualify",)),
    (("say", "no", "to"), ("disqualify",)), (("walked", "away", "from"), ("disqualify",)),
    (("walk", "away", "from"), ("disqualify",)), (("no", "bid"), ("disqualify",)),
    (("in", "half"), ("halve",)), (("no", "show"), ("noshow",)), (("no", "shows"), ("noshows",)),
    (("out", "of", "scope"), ("outofscope",)),
    (("in", "scope"), ("inscope",)), (("roll", "out"), ("rollout",)),
    (("rolled", "out"), ("rollout",)), (("rolling", "out"), ("rollout",)),
    (("rolls", "out"), ("rollout",)), (("hook", "into"), ("integrate", "into")),
    (("hooked", "into"), ("integrate", "into")), (("hooking", "into"), ("integrate", "into")),
    (("plug", "into"), ("integrate", "into")), (("plugging", "into"), ("integrate", "into")),
    (("plugs", "into"), ("integrate", "into")), (("hook", "up"), ("integrate",)),
)
_PHRASE_FIRST = {p[0][0] for p in _PHRASES}
_PHRASES_BY_FIRST = {first: [p for p in _PHRASES if p[0][0] == first] for first in _PHRASE_FIRST}
"""`_PHRASES` by first word, each in `_PHRASES`' order (the first that matches wins): a word is
tried only against the phrases it can start ("in" of a German answer starts two, not fifty)."""
_PHRASE_MAX = max(len(p[0]) for p in _PHRASES)

COMMON_ACRONYMS = wordset(
    """po pos pr hr it pm vp se ae sdr bdr cs qa ok ps rfp rfi rfq nda sow msa sla kpi okr roi
    arr mrr ceo cfo coo cto cio cmo cro crm erp api ai ml us uk eu na tbd eta eod eow ooo pto
    fyi asap gm gc md dm svp evp avp bd bdm"""
)
"""Business abbreviations people use every day; never read as a segment's initials."""

STOP_WORDS = wordset(
    """a an the and or nor but if then than so to of in on at by for with without from into onto
    over under about as is are was were be been being am do does did done doing have has had
    having i me my mine we our ours us you your they them their he him his she her it its this
    that these those there here who whom whose which what when where why how all any both each
    few more most other some such only own same too very can could will would should shall may
    might must just also still yet already not no now again ever lol tbh btw fyi pls plz thx
    ok okay yeah yes hey hi really mostly mainly basically got get gets getting n via per
    i'm i've we're we've they're it's that's there's let's 's don't didn't esp etc
    out up off down away back
    """
)

_NEGATION_WORDS = wordset(
    """not no never nothing none nobody without cannot nope neither nor zero avoid avoided
    avoiding avoids skip skipped skipping missed cancelled canceled postponed unable
    didnt dont doesnt havent hasnt hadnt wasnt werent couldnt wouldnt cant wont isnt arent
    shouldnt wouldn't"""
)
_NEGATION_PHRASES: tuple[tuple[str, ...], ...] = (
    ("instead", "of"), ("rather", "than"), ("failed", "to"), ("pushed", "back"),
    ("push", "back"), ("stay", "away"), ("stayed", "away"), ("stays", "away"),
    ("steer", "clear"), ("waiting", "on"), ("waiting", "for"),
    # what would or could have happened and did not: "would've done the ROI model but ..."
    ("would've",), ("wouldve",), ("woulda",), ("would", "have"), ("could've",), ("couldve",),
    ("coulda",), ("could", "have"), ("awaiting",),
)
_WEEKDAYS = wordset(
    """monday mon tuesday tue tues wednesday wed thursday thu thur thurs friday fri saturday sat
    sunday sun"""
)
_FUTURE_PHRASES: tuple[tuple[str, ...], ...] = (
    ("will",), ("going", "to"), ("plan", "to"), ("planning", "to"), ("next", "step"),
    ("next", "steps"), ("next", "week"), ("tomorrow",), ("later",), ("planned",),
    ("want",), ("wants",), ("wanted", "to"), ("hope", "to"), ("hoping", "to"),
    ("hoped", "to"), ("meant", "to"), ("supposed", "to"), ("intend", "to"), ("intended", "to"),
    ("tried", "to"), ("try", "to"), ("trying", "to"), ("attempted",), ("attempting",),
    ("need", "to"), ("needs", "to"), ("have", "to"), ("has", "to"), ("should",), ("should've",), ("shoulda",),
    ("rescheduled",), ("pushed", "to"), ("pushed", "out"), ("got", "pushed"),
    ("was", "pushed"), ("were", "pushed"), ("moved", "to", "next"), ("fell", "through"),
    ("no", "reply"), ("no", "replies"), ("no", "response"), ("no", "responses"),
    ("no", "answer"), ("ghosted",), ("todo",), ("to", "do"),
    ("booked",), ("scheduled",), ("lined", "up"), ("teed", "up"), ("pushing", "for"),
    ("push", "for"), ("set", "a", "call"), ("set", "up", "a", "call"),
    ("asked", "me", "to"), ("asked", "us", "to"), ("agreed", "to", "a"), ("agreed", "to", "an"),
    ("agreed", "to", "the"), ("aim", "to"), ("aiming", "to"), ("aims", "to"), ("to", "start"),
    ("to", "begin"), ("due", "to"), ("pencilled", "in"), ("penciled", "in"), ("slated",),
    ("set", "for"), ("targeting",), ("hopefully",), ("fingers", "crossed"), ("tbc",), ("tbd",),
    ("tentatively",), ("provisionally",), ("if", "they"), ("if", "we"), ("if", "she"),
    ("if", "he"), ("unless",), ("as", "soon", "as"), ("once", "they"),
    *(("for", day) for day in sorted(_WEEKDAYS)),
    *(("next", day) for day in sorted(_WEEKDAYS)),
)
"""Plans, attempts and postponements: the activity after them has not happened (yet)."""
ENGLISH_FILE = _prompts_dir() / "english.yaml"


def _english_phrases(path: Path, key: str) -> tuple[tuple[str, ...], ...]:
    """Phrases of English read from prompts/english.yaml (`key`), lower case, as typed."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return tuple(tuple(str(item).lower().split()) for item in (data or {}).get(key) or []
                 if str(item).split())


OFFER_PHRASES = _english_phrases(ENGLISH_FILE, "offer_phrases")
"""An activity offered to the buyer ("offered a 4-wk POC", "proposed a site visit") is
proposed, not done: a plan cue - unless what is offered is a concession, which is given."""
_FUTURE_PHRASES = (*_FUTURE_PHRASES, *OFFER_PHRASES)
NOTHING_WORDS = frozenset(w for p in _english_phrases(ENGLISH_FILE, "nothing_words") for w in p)
ENGAGED_WORDS = frozenset(w for p in _english_phrases(ENGLISH_FILE, "engaged_words") for w in p)
DECIDER_PHRASES = _english_phrases(ENGLISH_FILE, "decider_phrases")
"""Who decides or signs, with "is" after it ("the EB is the VP ops"): it names who someone is,
no activity (borrowed by reps writing other languages: "EB is de eigenaar")."""
_POST_NEGATION = frozenset({"noshow", "cancelled", "canceled", "postponed", "pending", "none", "slipped",
                            "rescheduled", "ghosted", "delayed", "stuck", "stalled", "blocked",
                            "unused", "nada", "missing", "dead", "shelved", "scrapped",
                            "parked", "frozen"})
_POST_NEGATION_PHRASES: tuple[tuple[str, ...], ...] = (
    ("didn't", "happen"), ("fell", "through"), ("pushed", "to"), ("got", "pushed"),
    ("was", "pushed"), ("pushed", "out"), ("no", "reply"), ("no", "replies"),
    ("no", "response"), ("no", "responses"), ("no", "answer"), ("no", "show"), ("noshow",),
    ("next", "week"), ("next", "month"), ("next", "quarter"), ("tomorrow",), ("on", "hold"),
    ("next", "term"), ("next", "year"), ("end", "of", "month"), ("end", "of", "the", "month"),
    ("end", "of", "term"),
    ("still", "waiting"), ("not", "yet"), ("sitting", "there"), ("went", "cold"),
    ("gone", "cold"), ("pushed", "again"), ("single", "threaded"), ("kicks", "off", "on"),
    ("kicks", "off", "in"), ("starts", "on"), ("starts", "in"), ("on", "ice"), ("no", "luck"),
    ("no", "joy"), ("no", "dice"), ("not", "done"), ("not", "happening"),
    *(("for", day) for day in sorted(_WEEKDAYS)),
    *(("next", day) for day in sorted(_WEEKDAYS)),
)

AVOID_WORDS = frozenset({"disqualify", "avoid", "avoided", "avoiding", "avoids", "exclude",
                         "excluded", "excluding", "outside", "waste", "outofscope"})
AVOID_PHRASES: tuple[tuple[str, ...], ...] = (
    ("off", "limits"), ("no", "go"), ("not", "a", "fit"),
    ("too", "small"), ("too", "big"), ("too", "large"), ("stay", "away"), ("stayed", "away"),
    ("steer", "clear"), ("not", "our"), ("not", "for", "us"), ("no", "longer"),
    ("are", "out"), ("is", "out"), ("were", "out"), ("stay", "out"), ("out", "for", "us"),
)
REJECT_PHRASES: tuple[tuple[str, ...], ...] = (
    ("not", "for", "us"), ("not", "a", "fit"), ("not", "our"), ("no", "go"), ("outofscope",),
    ("off", "limits"), ("are", "out"), ("is", "out"), ("were", "out"), ("out", "for", "us"),
    ("not", "worth"), ("not", "ideal"), ("not", "a", "target"), ("no", "thanks"),
    ("stay", "away"), ("stayed", "away"), ("steer", "clear"), ("avoid",), ("exclude",),
    ("excluded",), ("disqualify",), ("waste",), ("no", "longer"),
)
"""Said after a segment ("ports - not for us", "X is out of scope"): we do not play there."""
DECLINE_WORDS = wordset("""disqualify declined decline declining binned bounced outofscope
    excluded avoid avoided""")
DECLINE_PHRASES: tuple[tuple[str, ...], ...] = (
    ("we", "focus", "on"), ("we", "only", "do"), ("we", "don't", "sell"), ("we", "dont", "sell"),
    ("we", "do", "not", "sell"), ("pointed", "them"), ("referred", "them"), ("told", "them", "no"),
    ("not", "for", "us"), ("not", "a", "fit"), ("no", "fit"), ("not", "our"),
    ("passed", "on"), ("politely", "passed"), ("turned", "down"), ("turned", "them", "down"),
    ("said", "no"), ("we", "don't", "have"), ("we", "dont", "have"), ("we", "can't"),
    ("we", "cant"), ("we", "cannot"), ("we're", "not"), ("we", "are", "not"),
    ("to", "our", "partner"), ("to", "a", "partner"), ("to", "the", "partner"),
    ("to", "our", "reseller"), ("to", "a", "reseller"),
)
"""A prospect turned away (English, and borrowed by reps writing other languages), also by
handing it to a partner ("passed the Rotterdam lead to our partner")."""
INTERNAL_WORDS = wordset("""internal admin forecast forecasting expense expenses crm
    salesforce hubspot pipedrive""")
"""Work inside our own company ("QBR prep for the internal review", "expense reports", "cleaned
up HubSpot"): no customer task is done there. Borrowed by reps writing other languages."""
_THEIR = wordset("""their theirs client's customer's deren ihre ihren ihrem ihrer su sus leur
    leurs hun hunne""")
REMARK_WORDS = wordset("""closed won keen interested excited exciting happy unhappy pleased thrilled
    positive negative warm warmer cold colder hot hotter lukewarm big bigger biggest huge massive
    small tiny large good great nice bad fine solid strong weak promising excellent awesome
    amazing super cool quiet busy slow crazy rough tough fun engaged responsive unresponsive
    silent likely unlikely optimistic skeptical sceptical hesitant nervous worried concerned
    impressed love loved loves like liked likes well better worse best worst lol twitchy wary
    enjoyed hated""")
"""How the buyer or the deal seems ("they're keen", "big", "customer happy"): said about
someone, it is a remark, never an activity (English, and borrowed by reps writing other
languages: "Kunde super happy")."""
LIGHT_WORDS = wordset("""look looks looked looking seem seems seemed sound sounds sounded feel
    feels felt went go goes going come came become became stay stays stayed remain remains
    pretty quite rather kinda sorta fairly totally vibe vibes feeling mood sentiment week day
    days weeks month quarter overall everything thing things stuff lots lot tons bunch loads
    one ones customer customers client clients prospect prospects buyer buyers deal deals
    pipeline pipe account accounts team everyone people guy guys folks dr mr mrs ms prof sir
    year years monday tuesday wednesday thursday friday saturday sunday weekend today yesterday
    half halve
    holiday holidays vacation pto ooo sick leave""")
"""Words that name no activity by themselves: link verbs, who or what a remark is about,
titles ("got Dr"), vague amounts ("about half done"), days ("did it thursday"), being away
("on holiday"). With an object ("went to Finova") the object is the activity."""
VAGUE_WORDS = wordset("""calls call meetings meeting emails email mails messages usual normal
    same regular routine various several misc miscellaneous stuff things bits pieces catchups
    catchup work worked working busy few some many last previous""")
"""Words that say work happened without saying what or with whom ("did some calls", "the
usual", "emails and meetings"): a clause of only these (and light, remark or function words) is
no activity to name as off-strategy effort, and an answer of only such clauses is asked for
detail. With an object ("calls with Finova") the object is the activity."""
WON_WORDS = wordset("""won closed signed inked""")
"""A deal won ("Closed Brightpay 🎉", "signed Harbor CU, 3 year deal", "won Medvia!!") - not
"closed lost": a result to acknowledge, never effort outside the strategy nor an answer to ask
"what did you do" about as if it said nothing. Borrowed by reps writing other languages ("Deal
closed")."""
LOST_WORDS = wordset("""lost""")
"""A deal lost, as the clause's verb ("lost Paylane to Vanta on price", "closed lost"): a
result, never a task done. Not "revenue lost to empty tee times" (see `reports_loss`)."""
AWAY_WORDS = wordset("""pto ooo vacation vacations holiday holidays vacay sick leave offsite
    parental maternity paternity""")
AWAY_PHRASES = (("out", "of", "office"), ("out", "of", "the", "office"), ("day", "off"),
                ("days", "off"), ("time", "off"), ("week", "off"), ("off", "sick"),
                ("on", "leave"))
"""Being away (English, and borrowed by reps writing other languages: "PTO", "OOO"): an answer
that reports nothing done and says so is an answer - acknowledged, never asked for detail or
told what is missing."""

def stem(word: str) -> str:
    """The snowball stem of a lower-case word in the language being read (see `reading`)."""
    return _stem(_CURRENT.get().code, word)


@lru_cache(maxsize=131072)
def _stem(language: str, word: str) -> str:
    """The snowball stem of a lower-case word (cached: stemming is the hot path).

    A code that starts with digits ("3pl", "b2b" aside) only loses a plural "s" ("3pls").
    """
    if not word or not word[0].isalpha():
        if len(word) > 3 and word[-1] == "s" and word[-2].isalpha() and word[0].isdigit():
            return word[:-1]
        return word
    if len(word) > 2 and word[-1] == "s" and not any(c in "aeiouy" for c in word[:-1]):
        return word[:-1]  # an acronym's plural ("SMBs", "DCs"), which snowball leaves alone
    return str(_stemmer(language).stemWord(word))


_THREAD = threading.local()


def _stemmer(language: str) -> Any:
    """This thread's stemmer for the language: a snowball stemmer keeps the word it is stemming
    in the object, so two threads (answers judged on the database's threads, see
    `bot.checkins.answering`) must not share one."""
    stemmers: dict[str, Any] | None = getattr(_THREAD, "stemmers", None)
    if stemmers is None:
        stemmers = _THREAD.stemmers = {}
    found = stemmers.get(language)
    if found is None:
        found = stemmers[language] = snowballstemmer.stemmer(
            PACKS[language].stemmer if language in PACKS else "english")
    return found


def is_content(word: str) -> bool:
    """A word that can carry meaning for matching: not a stop word nor a lone letter."""
    return (len(word) > 1 or word.isdigit()) and word not in _CURRENT.get().stop_words


def content_flags(words: Iterable[str]) -> list[bool]:
    """`is_content` of each word, with the language's stop words looked up once."""
    stop_words = _CURRENT.get().stop_words
    return [(len(word) > 1 or word.isdigit()) and word not in stop_words for word in words]


def content_stems(text: str) -> frozenset[str]:
    """The stems of a text's content words, for telling what a phrase is about (which buying
    stage or role a task concerns)."""
    return frozenset(stem(w) for w in _WORDS_RE.findall(text.lower()) if is_content(w))


_WORDS_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def is_number(word: str) -> bool:
    """A number ("3", "40%", "1,200"), not a code that starts with digits ("3pl")."""
    return bool(word) and word[0].isdigit() and not word[-1].isalpha()


_UNITS = wordset(
    """k m mm b bn n x s h hr hrs hour hours d day days w wk wks week weeks mo mos month months
    y yr yrs year years am pm st nd rd th min mins minute minutes sec secs ms kg lb lbs km mi ft
    usd eur gbp pct"""
)
"""Letters written straight after a number that are a unit or ordinal ("3d", "40k", "2nd")."""


def _abbreviations() -> dict[str, frozenset[str]]:
    """Per language, words that end with a full stop without ending the sentence ("Dr. Okafor",
    "St. Luke's", "approx. 3 wks", "z.B.", "p.ej."): pysbd's well-kept lists, plus what sales
    notes abbreviate. English ones count in every language (reps borrow them)."""
    from pysbd.lang.deutsch import Deutsch
    from pysbd.lang.dutch import Dutch
    from pysbd.lang.english import English
    from pysbd.lang.french import French
    from pysbd.lang.spanish import Spanish

    common = wordset("""approx appx est incl excl vs mgmt dept gebr str nr tel ca bzw evtl ggf
        inkl sr sra srta dr dra lic ing mr mrs ms st corp inc ltd jr wk wks yr yrs hr hrs qty
        ref mtg pts kaufm kfm techn nä""") | {
        a.lower() for a in English.Abbreviation.PREPOSITIVE_ABBREVIATIONS}
    # a word that also ends sentences ("it.", "am.", "no.", "ago.") is not an abbreviation
    ends = STOP_WORDS | wordset("am is it no on in at as be do go so up us we ago")
    lists = {"en": English, "de": Deutsch, "es": Spanish, "fr": French, "nl": Dutch}
    english = {a.lower() for a in English.Abbreviation.ABBREVIATIONS} | common
    return {code: frozenset((english | {a.lower() for a in lang.Abbreviation.ABBREVIATIONS})
                            - ends) for code, lang in lists.items()}


ABBREVIATIONS = _abbreviations()


def _prepositive() -> frozenset[str]:
    """Abbreviations written before a name ("Dr. Okafor", "St. Luke's"): a capital after them
    is the name, never a new sentence."""
    from pysbd.lang.english import English

    return wordset("dr dra sr sra srta mr mrs ms st gebr lic ing prof") | {
        a.lower() for a in English.Abbreviation.PREPOSITIVE_ABBREVIATIONS}


PREPOSITIVE = _prepositive()
_NEXT_WORD = re.compile(r"\s+([^\W\d_]+)")
EVERYDAY = 4.0
"""Zipf frequency from which a word is an everyday one (about ten per million words)."""


def _ends_sentence(text: str, start: int, value: str, previous: str) -> bool:
    """A full stop after an abbreviation or an initial ("J. Smith") does not end a sentence,
    unless a line break follows it."""
    if value != "." or not previous:
        return True
    if text[start + 1:start + 2] == "\n" or start + 1 >= len(text):
        return True
    if previous[-1].isdigit() and text[start + 1:start + 2].isdigit():
        return False  # a version or a decimal: "v2.5"
    if _ordinal(text, start, previous):
        return False
    word = previous.lower().rstrip(".")
    known = ABBREVIATIONS.get(_CURRENT.get().code, ABBREVIATIONS["en"])
    if word in known and word not in PREPOSITIVE and _sentence_starts(text, start):
        return True  # "baseline van 12 mnd. Volgende week ...": the stop ends both
    if word in _AFTER_A_NUMBER and _follows_a_number(text, start - len(previous)):
        return True  # "worth ~NOK 3.9m/yr. presenting it ...": a unit ends what it measures
    return not (word in known or (len(previous) == 1 and previous.isalpha()))


_AFTER_A_NUMBER = wordset("wk wks yr yrs hr hrs mo mos min mins mnd")
"""Units that stand after a number: their stop ends the sentence ("approx." stands before one)."""


def _follows_a_number(text: str, start: int) -> bool:
    """The word starting at `start` comes straight after a number ("3 wks", "3.9m/yr")."""
    before = text[max(0, start - 12):start].rstrip()
    return before[-1:].isdigit() or (before[-1:] == "/" and any(c.isdigit() for c in before))


def _sentence_starts(text: str, start: int) -> bool:
    """After an abbreviation that never stands before a name ("mnd.", "approx."), an everyday
    word with a capital starts a new sentence. Not in German, where every noun has one."""
    language = _CURRENT.get().code
    match = _NEXT_WORD.match(text, start + 1)
    if language == "de" or match is None or not match.group(1)[:1].isupper():
        return False
    from bot.evaluation.words import frequency_in

    return frequency_in(match.group(1), language) >= EVERYDAY


_ORDINAL_RE = re.compile(r"\d{1,2}(?:\.\d{1,2})?")


def _ordinal(text: str, start: int, previous: str) -> bool:
    """German writes ordinals and dates with a full stop ("zum 3. Mal", "bis 15.4. fertig"):
    one or two digits and a stop followed by more words on the line do not end a sentence."""
    if _CURRENT.get().code != "de" or not _ORDINAL_RE.fullmatch(previous):
        return False
    following = text[start + 1:start + 3]
    return following[:1] == " " and following[1:].isalnum()


def _raw_tokens(text: str) -> list[Tok]:
    """The tokens before shorthand is expanded; a list built in one loop, not a generator
    resumed once per token (tokenising is on every answer's path)."""
    out: list[Tok] = []
    yield_ = out.append
    depth = 0
    glue = -1
    previous = ""
    for m in _token_re(text).finditer(text):
        kind, value = m.lastgroup, m.group()
        start, end = m.span()
        if kind == "word" and glue < 0:  # most tokens: what the branches below do for a word
            previous = value
            yield_(_new_tok(Tok, (value.lower(), start, end, WORD,
                                   value.isupper() and len(value) > 1)))
            continue
        if kind == "sent" and not _ends_sentence(text, start, value, previous):
            previous = ""
            continue
        previous = value if kind in ("word", "alnum", "num") else ""
        if kind == "prefixed":
            glue = start
            continue
        if glue >= 0:
            if kind == "word":
                value, start = text[glue] + value, glue
            glue = -1
        if kind == "alnum":
            split = next(i for i, c in enumerate(value) if not c.isdigit())
            if value[split:].lower() in _UNITS:
                yield_(_new_tok(Tok, (value[:split], start, start + split, WORD, False)))
                yield_(_new_tok(Tok, (value[split:].lower(), start + split, end, WORD, False)))
            else:
                yield_(_new_tok(Tok, (value.lower(), start, end, WORD, value[split:].isupper())))
        elif kind in ("word", "num", "abbr", "amp"):
            yield_(_new_tok(Tok, (value.lower(), start, end, WORD,
                                   value.isupper() and len(value) > 1)))
        elif kind in ("bullet", "sent"):
            depth = 0
            yield_(_new_tok(Tok, (value.strip() or "\n", start, end, SENT, False)))
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "clause" and depth == 0:
            yield_(_new_tok(Tok, (value.strip(), start, end, CLAUSE, False)))
        elif kind == "conj" and depth == 0:
            yield_(_new_tok(Tok, (value, start, end, CONJ, False)))
    return out


Glossary = Mapping[str, tuple[str, ...]]


def _expand(tok: Tok, glossary: Glossary, pack: LanguagePack) -> Sequence[Tok]:
    """A word token as the words it stands for, in `pack`'s language (looked up once per text
    by `tokenize`): a tuple, not a generator resumed for every word of every answer."""
    word = tok.word.replace("’", "'")
    if word.endswith("'s") and len(word) > 2 and word not in SHORTHAND:
        word = word[:-2]
    if word in pack.clause_words:
        return (tok._replace(word=word, kind=CLAUSE),)
    if word in pack.conj_words:
        return (tok._replace(word="and", kind=CONJ),)
    expansion = glossary.get("^" + word) if tok.upper else None
    expansion = expansion or glossary.get(word)
    if expansion:  # the strategy's own shorthand wins
        return tuple(tok._replace(word=part, upper=tok.upper and part == word)
                     for part in expansion)
    if tok.upper and word in pack.upper_shorthand:
        return tuple(tok._replace(word=part, upper=False) for part in pack.upper_shorthand[word])
    if word in pack.shorthand:
        return tuple(tok._replace(word=part) for part in pack.shorthand[word])
    if tok.upper and word in _LOWER_ONLY:
        return (tok._replace(word=word),)
    if tok.upper and word in UPPER_SHORTHAND:
        return tuple(tok._replace(word=part, upper=False) for part in UPPER_SHORTHAND[word])
    parts = SHORTHAND.get(word)
    if parts is None:  # most words: the token itself, not an equal copy made for every word
        return (tok if word == tok.word else tok._replace(word=word),)
    return tuple(tok._replace(word=part) for part in parts)


_NO_GLOSSARY: Glossary = {}
_SPECIAL: dict[tuple[str, int], tuple[Glossary, frozenset[str]]] = {}


def _special_words(pack: LanguagePack, glossary: Glossary) -> frozenset[str]:
    """Every word `_expand` changes in this language with this glossary (a separator, the
    shorthand, the glossary's keys), gathered once per language and strategy: any other
    token is kept as it is without asking each table in turn."""
    key = (pack.code, id(glossary))
    found = _SPECIAL.get(key)
    if found is not None and found[0] is glossary:  # the glossary is kept: its id is its own
        return found[1]
    words = frozenset(pack.clause_words | pack.conj_words | SHORTHAND.keys()
                      | pack.shorthand.keys() | pack.upper_shorthand.keys()
                      | UPPER_SHORTHAND.keys() | _LOWER_ONLY
                      | {k.removeprefix("^") for k in glossary})
    if len(_SPECIAL) >= 256:
        _SPECIAL.clear()
    _SPECIAL[key] = (glossary, words)
    return words


def _join_phrases(toks: list[Tok]) -> list[Tok]:
    if _PHRASE_FIRST.isdisjoint([t.word for t in toks if t.kind == WORD]):
        return toks  # most answers: no phrase to join, nothing to copy
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind == WORD and tok.word in _PHRASE_FIRST:
            for pattern, replacement in _PHRASES_BY_FIRST[tok.word]:
                n = len(pattern)
                window = toks[i : i + n]
                if len(window) == n and tuple(t.word for t in window) == pattern:
                    out.extend(_new_tok(Tok, (w, tok.start, window[-1].end, WORD, False))
                               for w in replacement)
                    i += n
                    break
            else:
                out.append(tok)
                i += 1
            continue
        out.append(tok)
        i += 1
    return out


# "fed" is the past of "feed" right after a person ("we fed", "I fed") or before what is fed
# or where ("fed back", "fed them", "fed the CRM"); otherwise the federal government ("not the
# feds", "state and fed agencies", "two fed leads", "most deals were fed").
_FED_VERB_AFTER = frozenset({"we", "i", "they", "he", "she", "you", "who"})
_FED_VERB_BEFORE = frozenset({"back", "into", "up", "off", "them", "it", "us", "him", "her", "me", "our",
                              "their", "his", "its", "the", "everything"})


def _verb_fed(raws: list[Tok]) -> list[Tok]:
    """`raws` with "fed" as a verb left a plain word (not expanded to "federal")."""
    out = list(raws)
    for i, tok in enumerate(raws):
        if tok.word != "fed" or tok.kind != WORD:
            continue
        before = raws[i - 1].word if i and raws[i - 1].kind == WORD else ""
        after = raws[i + 1].word if i + 1 < len(raws) and raws[i + 1].kind == WORD else ""
        if before in _FED_VERB_AFTER or after in _FED_VERB_BEFORE:
            out[i] = tok._replace(word="feed")
    return out


def tokenize(text: str, glossary: Glossary | None = None) -> list[Tok]:
    """Words (normalised, shorthand expanded - the strategy's `glossary` first) and separators
    of `text`, capped in length."""
    text = text[:MAX_ANSWER_CHARS]
    raws = _raw_tokens(text)
    if "fed" in text.lower():
        raws = _verb_fed(raws)
    table, pack = glossary or _NO_GLOSSARY, _CURRENT.get()
    special = _special_words(pack, table)
    toks: list[Tok] = []
    kept = _kept_together(text, raws) if "(" in text or "&" in text else _NOTHING_KEPT
    for n, raw in enumerate(raws):
        word = raw.word
        if n in kept:
            if raw.kind == WORD:  # "(R&D and compliance teams)": detail, not a second activity
                toks.append(raw)
            continue  # the "&" of "Research & Development", "Ben & Jerry's": one name
        if word in special or "’" in word or word.endswith("'s"):
            toks.extend(_expand(raw, table, pack))
        else:  # what `_expand` makes of a word no table has: the token itself
            toks.append(raw)
    return _join_phrases(toks) if len(toks) > 1 else toks


_NOTHING_KEPT: frozenset[int] = frozenset()


def _kept_together(text: str, raws: list[Tok]) -> set[int]:
    """Raw tokens that must not split an activity: joining words inside brackets ("demo for
    Finlo (R&D and compliance teams)" is one activity with its detail, and its quote keeps the
    bracket whole), and a spaced "&" between two capitalised words, which joins a name
    ("Research & Development", "Procter & Gamble") - "ran disco & sent the deck" still splits."""
    pack = _CURRENT.get()
    joining = pack.conj_words | pack.clause_words
    kept: set[int] = set()
    depth, pos = 0, 0
    for n, raw in enumerate(raws):
        for ch in text[pos:raw.start]:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth = max(0, depth - 1)
        pos = raw.end
        if raw.kind == SENT:
            depth = 0
        elif (depth and raw.kind == WORD and raw.word in joining) or _joins_names(raws, n, text):
            kept.add(n)
    return kept


def _joins_names(raws: list[Tok], n: int, text: str) -> bool:
    """A spaced "&" between two capitalised words ("Research & Development") is part of a
    name, not a list of two activities."""
    raw = raws[n]
    return (raw.kind == CONJ and raw.word == "&" and 0 < n < len(raws) - 1
            and raws[n - 1].kind == WORD and raws[n + 1].kind == WORD
            and text[raws[n - 1].start].isupper() and text[raws[n + 1].start].isupper())


def _starts_with(words: Sequence[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(words[i : i + len(phrase)]) == phrase


PhraseIndex = dict[str, tuple[tuple[str, ...], ...]]


def _by_first(*groups: Sequence[tuple[str, ...]]) -> PhraseIndex:
    """Phrases grouped by their first word, so a clause is scanned once (the hot path)."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for group in groups:
        for phrase in group:
            found.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(phrases) for first, phrases in found.items()}


def _phrase_at(words: Sequence[str], i: int, phrases: PhraseIndex) -> tuple[str, ...] | None:
    for phrase in phrases.get(words[i], ()):
        if _starts_with(words, i, phrase):
            return phrase
    return None


def _has_phrase(words: Sequence[str], phrases: PhraseIndex) -> bool:
    if phrases.keys().isdisjoint(words):
        return False  # most clauses: no word starts a phrase (one C-level pass, no loop)
    lengths, whole = _shape(phrases)
    for i, w in enumerate(words):
        for n in lengths.get(w, ()):
            if tuple(words[i:i + n]) in whole:
                return True
    return False


_SHAPES: dict[int, tuple[PhraseIndex, dict[str, tuple[int, ...]], frozenset[tuple[str, ...]]]] = {}


def _shape(phrases: PhraseIndex) -> tuple[dict[str, tuple[int, ...]], frozenset[tuple[str, ...]]]:
    """A phrase index as the lengths of the phrases each word starts and the set of all its
    phrases, built once per index (they are kept: a language pack's): `_has_phrase` asks
    whether the words at a place are a phrase once per length, not once per phrase - the
    answer is the same, as every phrase is filed under its first word (`_by_first`)."""
    found = _SHAPES.get(id(phrases))
    if found is not None and found[0] is phrases:
        return found[1], found[2]
    lengths = {first: tuple(sorted({len(p) for p in group})) for first, group in phrases.items()}
    whole = frozenset(p for group in phrases.values() for p in group)
    if len(_SHAPES) >= 256:
        _SHAPES.clear()
    _SHAPES[id(phrases)] = (phrases, lengths, whole)
    return lengths, whole


# ----- languages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LanguagePack:
    """The words of one language the reading above depends on, built once."""

    code: str
    name: str
    stemmer: str
    stop_words: frozenset[str]
    negation_words: frozenset[str]
    clause_words: frozenset[str]
    conj_words: frozenset[str]
    negation: PhraseIndex
    negation_future: PhraseIndex
    post_negation: PhraseIndex
    avoid: PhraseIndex
    reject: PhraseIndex
    later: PhraseIndex  # said after an activity: it is booked for later ("Demo nächste Woche")
    decline: PhraseIndex  # a prospect turned away: "DQ'd", "binned", "abgesagt", "not for us"
    generic_words: frozenset[str] = frozenset()  # "gemacht", "llamé": say little about a task
    internal_words: frozenset[str] = INTERNAL_WORDS  # "Spesen", "reunión interna": our own work
    remark: frozenset[str] = REMARK_WORDS  # how the buyer or deal seems: "keen", "begeistert"
    light: frozenset[str] = LIGHT_WORDS  # no activity alone: "looks", "Kunde", "Dr"
    vague: frozenset[str] = VAGUE_WORDS  # work without a what or a whom: "calls", "Termine"
    away: PhraseIndex = field(default_factory=dict)  # being away: "PTO", "Urlaub", "de baja"
    won: frozenset[str] = WON_WORDS  # a deal won: "signed", "unterschrieben", "firmado"
    lost: frozenset[str] = LOST_WORDS  # a deal lost: "lost", "verloren", "perdido"
    shorthand: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The language's own business shorthand ("GF" Geschäftsführer, "presu" presupuesto),
    read before the shared sales shorthand; `upper_shorthand` only where written in capitals."""
    upper_shorthand: dict[str, tuple[str, ...]] = field(default_factory=dict)
    decider: PhraseIndex = field(default_factory=dict)
    """Who decides, as the subject of "is": "EB is the VP ops", "quien firma es el dueño"."""
    nothing: frozenset[str] = frozenset()
    """"nothing", "none", "niks": the whole of an activity is not done, not a part of it."""


_PLAN_AFTER_EN = frozenset({("next", "week"), ("next", "month"), ("next", "quarter"), ("tomorrow",),
                           ("next", "term"), ("next", "year"), ("end", "of", "month"),
                           ("end", "of", "the", "month"), ("end", "of", "term"),
                           ("kicks", "off", "on"), ("kicks", "off", "in"), ("starts", "on"),
                           ("starts", "in"),
                           *(("for", day) for day in sorted(_WEEKDAYS)),
                           *(("next", day) for day in sorted(_WEEKDAYS))})
ENGLISH = LanguagePack(
    code="en", name="English", stemmer="english", stop_words=STOP_WORDS,
    negation_words=_NEGATION_WORDS, clause_words=_CLAUSE_WORDS, conj_words=_CONJ_WORDS,
    negation=_by_first(_NEGATION_PHRASES),
    negation_future=_by_first(_NEGATION_PHRASES, _FUTURE_PHRASES),
    post_negation=_by_first([(w,) for w in sorted(_POST_NEGATION)], _POST_NEGATION_PHRASES),
    avoid=_by_first([(w,) for w in sorted(AVOID_WORDS)], AVOID_PHRASES),
    reject=_by_first(REJECT_PHRASES),
    later=_by_first(sorted(_PLAN_AFTER_EN)),
    decline=_by_first([(w,) for w in sorted(DECLINE_WORDS)], DECLINE_PHRASES),
    away=_by_first([(w,) for w in sorted(AWAY_WORDS)], AWAY_PHRASES),
    decider=_by_first(DECIDER_PHRASES), nothing=NOTHING_WORDS,
)
# English sales words reps type whatever language they write in ("Follow-up pending", "demo
# next week"): every other language reads these cues too.
_LOANED_FUTURE = tuple(p for p in _FUTURE_PHRASES if len(p) > 1 or p[0] in {
    "tomorrow", "later", "planned", "rescheduled", "ghosted", "todo"})
_LOANED_POST = tuple((w,) for w in sorted(_POST_NEGATION))


def _phrases(items: object) -> list[tuple[str, ...]]:
    return [tuple(str(item).lower().split()) for item in items or []] if isinstance(
        items, list) else []


def _pack(code: str, path: Path) -> LanguagePack:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    words = {key: frozenset(str(data.get(key, "")).lower().split()) for key in (
        "stop_words", "negation_words", "clause_words", "conj_words", "avoid_words",
        "decline_words", "generic_words", "internal_words", "remark_words", "light_words",
        "vague_words", "away_words", "won_words", "lost_words")}
    negation = _phrases(data.get("negation_phrases"))
    future = _phrases(data.get("future_phrases"))
    post = _phrases(data.get("post_negation_phrases"))
    avoid = _phrases(data.get("avoid_phrases"))
    later = _phrases(data.get("later_phrases"))
    return LanguagePack(
        code=code, name=str(data.get("name", code)), stemmer=str(data.get("stemmer", "english")),
        stop_words=words["stop_words"] | STOP_WORDS,  # reps borrow English function words
        negation_words=words["negation_words"] | (_NEGATION_WORDS - words["stop_words"]),
        clause_words=words["clause_words"] | _CLAUSE_WORDS,
        conj_words=words["conj_words"] | {"and", "n"},
        negation=_by_first(negation, _NEGATION_PHRASES),
        negation_future=_by_first(negation, future, _NEGATION_PHRASES, _LOANED_FUTURE),
        post_negation=_by_first(post, later, _LOANED_POST, _POST_NEGATION_PHRASES),
        avoid=_by_first([(w,) for w in sorted(words["avoid_words"] | AVOID_WORDS)], avoid,
                        AVOID_PHRASES),
        reject=_by_first(avoid, REJECT_PHRASES),
        later=_by_first(later, sorted(_PLAN_AFTER_EN)),
        # not the avoid phrases: "eigentlich zu groß, aber ..." admits a misfit, it turns no one away
        decline=_by_first([(w,) for w in sorted(words["decline_words"] | DECLINE_WORDS)],
                          _phrases(data.get("decline_phrases")), DECLINE_PHRASES),
        generic_words=words["generic_words"],
        internal_words=words["internal_words"] | INTERNAL_WORDS,
        remark=words["remark_words"] | REMARK_WORDS,
        light=words["light_words"] | LIGHT_WORDS,
        vague=words["vague_words"] | VAGUE_WORDS,
        away=_by_first([(w,) for w in sorted(words["away_words"] | AWAY_WORDS)],
                       _phrases(data.get("away_phrases")), AWAY_PHRASES),
        won=words["won_words"] | WON_WORDS,
        lost=words["lost_words"] | LOST_WORDS,
        shorthand=_table(data.get("shorthand")),
        upper_shorthand=_table(data.get("upper_only")),
        decider=_by_first(_phrases(data.get("decider_phrases")), DECIDER_PHRASES),
        nothing=frozenset(str(data.get("nothing_words", "")).lower().split()) | NOTHING_WORDS,
    )


def _table(items: object) -> dict[str, tuple[str, ...]]:
    """A pack's `shorthand:` mapping as lower-case word -> the lower-case words it stands for."""
    if not isinstance(items, dict):
        return {}
    return {str(key).lower(): tuple(str(value).lower().split()) for key, value in items.items()
            if str(value).split()}


LANGUAGES_DIR = _prompts_dir() / "languages"
PACKS: dict[str, LanguagePack] = {"en": ENGLISH}
for _file in sorted(LANGUAGES_DIR.glob("*.yaml")):
    PACKS[_file.stem] = _pack(_file.stem, _file)

_CURRENT: ContextVar[LanguagePack] = ContextVar("alignbot_reading_language", default=ENGLISH)


@contextmanager
def reading(language: str) -> Iterator[LanguagePack]:
    """Read text in `language` (a covered code; anything else reads as English) while inside."""
    token = _CURRENT.set(PACKS.get(language, ENGLISH))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def current_language() -> str:
    return _CURRENT.get().code


def current_pack() -> LanguagePack:
    """The language being read, with all its word lists."""
    return _CURRENT.get()


def _is_negation_word(word: str) -> bool:
    return word in _CURRENT.get().negation_words or word.endswith("n't")


_ATTEMPT_WORDS = wordset("try tries tried trying")
_MONTHS = wordset(
    """january february march april may june july august september october november december
    jan feb apr jun jul aug sept oct nov dec"""
)
_ORDINALS = wordset("st nd rd th")


def _is_attempt(words: Sequence[str], i: int) -> bool:
    """'tried calling them back': an attempt, like 'tried to call' (not 'tried the new deck')."""
    nxt = words[i + 1] if i + 1 < len(words) else ""
    return words[i] in _ATTEMPT_WORDS and len(nxt) > 4 and nxt.endswith("ing")


def _future_date_at(words: Sequence[str], i: int) -> bool:
    """'for the 14th', 'for May 3', 'for the 2nd of June': booked for a date, so not yet done
    ('for the 3rd time' is not a date)."""
    if words[i] != "for":
        return False
    j = i + 2 if i + 1 < len(words) and words[i + 1] == "the" else i + 1
    if j >= len(words):
        return False
    if words[j] in _MONTHS:
        return True
    after = words[j + 2] if j + 2 < len(words) else None
    return (words[j].isdigit() and j + 1 < len(words) and words[j + 1] in _ORDINALS
            and (after is None or after == "of" or after in _MONTHS))


_DATE_PREPOSITIONS = frozenset({"in", "on", "from"})


def _booked_date_at(words: Sequence[str], i: int) -> bool:
    """'in jan', 'on the 3rd', 'on May 12', 'from the 14th': a date in a clause that reports
    nothing done is when the work will happen (a weekly answer's past needs no date)."""
    j = i + 2 if i + 1 < len(words) and words[i + 1] == "the" else i + 1
    if j >= len(words):
        return False
    if words[j] in _MONTHS:
        return words[i] != "on" or (j + 1 < len(words) and words[j + 1].isdigit())
    return (words[i] != "in" and words[j].isdigit() and j + 1 < len(words)
            and words[j + 1] in _ORDINALS)


_IERT_NOT_DONE = frozenset({"interessiert", "motiviert", "frustriert", "irritiert", "fokussiert",
                            "engagiert"})
"""-iert words that say how someone is ("sehr interessiert"), not what was done."""

DONE_IRREGULAR = wordset("""sent met ran did had got built took gave made held spoke wrote went
    saw set put brought bought told found kept led paid said sold won lost rang shadowed
    booked closed signed""")


_SEPARABLE = ("ab", "an", "auf", "aus", "bei", "ein", "mit", "nach", "vor", "zu", "zurück",
               "weg", "durch", "um", "dar", "her", "hin", "fest", "los", "vorbei", "weiter",
               "zusammen", "nach", "rein", "raus", "rüber")
"""German separable prefixes, before the "ge" of a participle ("nachgefragt", "eingeladen")."""


_PREFIXED_NOUNS = wordset("""angebot aufgebot angelegenheit vorgehen abgeordneten ausgesetzt
    umgebend eingehend vorgesetzt""")
"""Words shaped like such a participle that are not one ("Angebot kommt nächste Woche")."""


def _separable_end(word: str) -> int:
    return max(len(p) for p in _SEPARABLE if word.startswith(p))


def looks_done(word: str) -> bool:
    """A verb form that reports something done (English past tense, a German, Dutch or Spanish
    participle, a Spanish preterite - "llamé", "cerró", "vendí" - or a French participle)."""
    if word in DONE_IRREGULAR:
        return True
    if len(word) > 4 and word.endswith("ed"):
        return True
    if len(word) > 5 and word.endswith(("t", "en", "d")) and (word.startswith("ge") or (
            word.startswith(_SEPARABLE) and word[_separable_end(word):].startswith("ge")
            and word not in _PREFIXED_NOUNS)):
        return True  # "gemacht", and after a separable prefix "nachgefragt", "angerufen"
    if len(word) > 6 and word.endswith("iert") and word not in _IERT_NOT_DONE:
        return True  # German verbs in -ieren take no "ge": "organisiert", "präsentiert"
    return len(word) > 4 and word.endswith(("ado", "ido", "é", "ó", "í"))


_UNACCENTED_ENDINGS = {"e": ("é", ("ar",)), "i": ("í", ("er", "ir"))}
_OBJECT_PRONOUNS = wordset("le les lo la los las me te se nos ya")


@lru_cache(maxsize=4096)
def unaccented_preterite(word: str) -> bool:
    """A Spanish first-person preterite typed without its accent ("llame", "mande", "vendi"):
    the accented form is a word ("llamé") and so is the infinitive ("llamar") - not an
    adjective or noun that ends the same way ("posible", "siguiente")."""
    ending = _UNACCENTED_ENDINGS.get(word[-1:])
    if ending is None or len(word) < 5 or not word.isalpha():
        return False
    from bot.evaluation.words import frequency_in  # wordfreq: imported on first use

    accented, infinitives = ending
    return frequency_in(word[:-1] + accented, "es") >= 2.0 and any(
        frequency_in(word[:-1] + end, "es") >= 3.0 for end in infinitives)


def opens_with_past(words: Sequence[str]) -> bool:
    """A Spanish clause that starts by reporting what the rep did, accent or not ("llame a los
    18 contactos ... el lunes"): a weekday after it says when it was done, not a plan."""
    if _CURRENT.get().code != "es":
        return False
    for word in words[:3]:
        if word in _OBJECT_PRONOUNS:
            continue
        return looks_done(word) or unaccented_preterite(word)
    return False


def negation_at(words: Sequence[str], *, future: bool = True) -> tuple[int, int] | None:
    """(start, end) of the first negation cue in a clause's words; what follows is negated.

    With `future`, plans, attempts and postponements ("will", "was gonna", "tried to",
    "tried calling", "pushed to next week") count too: they are not done yet.
    """
    pack = _CURRENT.get()
    phrases = pack.negation_future if future else pack.negation
    negations = pack.negation_words  # `_is_negation_word`, with the pack looked up once
    for i, word in enumerate(words):
        if (word in negations or word.endswith("n't")) and not _said(words, i):
            return i, i + 1
        if future and i == 0 and word in _CONDITIONS and len(words) > 1:
            return 0, 1  # "if the bursar agrees, ...": a condition, nothing done yet
        if future and word.endswith(_WILL_SUFFIXES) and len(word) > 3:
            return i, i + 1  # "we'll scope the migration", "I'll send it": a plan, as "will"
        if future and word in _ATTEMPT_WORDS and _is_attempt(words, i):
            return i, i + 2
        if word in phrases:
            phrase = _phrase_at(words, i, phrases)
            if phrase is not None:
                return i, i + len(phrase)
    return None


_CONDITIONS = frozenset({"if", "unless", "once"})
"""Opening a clause, a condition: what it and the clause after it name has not happened."""
_WILL_SUFFIXES = ("'ll", "’ll")
""""we'll", "I'll", "she'll": "will" written into its subject, read as "will" is."""
_SAYING = wordset("said say says saying")
_TELLING = wordset("told tell tells telling")
_TOLD_WHOM = wordset("them him her us the")


def _said(words: Sequence[str], i: int) -> bool:
    """"we said no and held the price", "told them no": the "no" is what was said, a refusal
    reported as done, not a negation of what follows."""
    if words[i] != "no" or i == 0:
        return False
    return words[i - 1] in _SAYING or (
        i > 1 and words[i - 1] in _TOLD_WHOM and words[i - 2] in _TELLING)


_ATTEMPTS = wordset("""tried try trying attempted attempting failed versucht versuche versuchen
    intenté intente intentando intentamos essayé essaye tenté geprobeerd proberen probeerde""")
_STALLS = wordset("""rescheduled pushed fell reply replies response responses answer ghosted
    cancelled canceled postponed pending slipped delayed stuck""")
_PLAN_AFTER = _PLAN_AFTER_EN


def counterfactual(words: Sequence[str], cue: tuple[int, int]) -> bool:
    """"should have", "should've": what ought to have happened and did not."""
    first = words[cue[0]] if cue[0] < len(words) else ""
    return first in ("should've", "shoulda") or (
        first == "should" and words[cue[1]:cue[1] + 1] == ["have"])


_CONTACT = wordset("""met meet meeting called call calling rung rang ring reached reach spoken
    spoke speak talked talk seen visited emailed""")
_BACK = wordset("her him them it")


def points_back(words: Sequence[str], cue: tuple[int, int]) -> bool:
    """A rep's own negation that only points back at someone just named: "haven't met her yet",
    "should have rung them the day after" - a contact verb and a pronoun, nothing else of
    substance (the task it undoes is the one credited just before)."""
    if not (_is_negation_word(words[cue[0]]) or counterfactual(words, cue)):
        return False
    rest = words[cue[1]:]
    return (len(rest) <= 6 and any(w in _CONTACT for w in rest)
            and any(w in _BACK for w in rest))


def cue_state(words: Sequence[str], cue: tuple[int, int]) -> str:
    """What a cue says about the activity after it: "planned" (will, next week, tmrw, voy a,
    morgen) or "not_done" (not, couldn't, tried to, pushed, no reply, still stuck)."""
    phrase = words[cue[0]:cue[1]]
    if not phrase:
        return "not_done"
    if counterfactual(words, cue):
        return "not_done"  # "should have rung them the day after": it was not done
    if _is_negation_word(phrase[0]) or any(w in _ATTEMPTS or w in _STALLS for w in phrase):
        return "not_done"
    if tuple(phrase) in _NEGATION_PHRASES:
        return "not_done"
    pack = _CURRENT.get()
    if pack.code != "en" and _phrase_at(phrase, 0, pack.negation) is not None:
        return "not_done"
    return "planned"


_HELD_UP = _STALLS | wordset("""blocked waiting stalled hold reach reached unreachable ooo cold
    silent silence""")


def held_up_by_others(text: str) -> bool:
    """A task not done because the buyer's side holds it up ("couldn't reach the CISO", "still
    stuck", "no reply", "pushed to Q3") - not one the seller has simply not got to yet
    ("haven't called the webinar leads yet"). Coaching differs: find who can unblock it, or put
    a time on it. Read in the answer's language, where its pack knows the words."""
    words = _WORDS_RE.findall(text.lower())
    if any(w in _HELD_UP for w in words) or _refused_by_someone(words):
        return True
    pack = _CURRENT.get()
    return pack.code != "en" and _has_phrase(words, pack.post_negation) and not _has_phrase(
        words, pack.later)


_REFUSALS = wordset("""won't wont doesn't doesnt didn't didnt don't dont refuses refused
    refusing""")
_GETTING = wordset("get got")


def _refused_by_someone(words: Sequence[str]) -> bool:
    """Someone other than the rep says no or will not move: "GM won't let us present", "the
    CFO refused", "can't get the GC at Kestrel to commit" - a refusal after a subject who is
    not the rep, or a rep who cannot get someone to act."""
    for i, word in enumerate(words):
        if word in _REFUSALS and i > 0 and words[i - 1] not in _FIRST_PERSON:
            return True
        if word in _GETTING and i > 0 and _is_negation_word(words[i - 1]) and any(
                w in ("to", "on") for w in words[i + 2:i + 7]):
            return True
    return False


_STALL_AFTER = _by_first([p for p in _POST_NEGATION_PHRASES if p not in _PLAN_AFTER_EN])


def _ends_next(words: Sequence[str]) -> bool:
    """The clause ends with "next" ("TCO next", "ROI model next up"): what it names comes next."""
    tail = [w for w in words[-2:] if w != "up"]
    return len(words) > 1 and bool(tail) and tail[-1] == "next"


def post_state(words: Sequence[str]) -> str:
    """For a clause that reports its activity as not happening after naming it: planned when
    it is booked for later ("demo booked for Tues", "tabletop scheduled for the 14th"),
    otherwise not done ("pilot cancelled", "no replies", "still stuck")."""
    stalled = any(w in _STALLS or _is_negation_word(w) for w in words) or _has_phrase(
        words, _STALL_AFTER)
    if stalled:
        return "not_done"
    planned = _has_phrase(words, _CURRENT.get().later) or _ends_next(words) or _dated(words)
    return "planned" if planned else "not_done"


_DATED_DE = frozenset({"ab", "am"})
_DAY_MONTH = re.compile(r"(?:[1-9]|[12]\d|3[01])\.(?:[1-9]|1[0-2]|0[1-9])(?:\.\d{2,4})?")
_DAY = re.compile(r"(?:[1-9]|[12]\d|3[01])")


def _dated(words: Sequence[str]) -> bool:
    """Booked for a date: "for the 14th", and in German "ab 1.3.", "ab dem 15.3.", "am 12."
    (a day alone only after "am": "ab 5" is a headcount)."""
    if any(_future_date_at(words, i) for i, w in enumerate(words) if w == "for"):
        return True
    if any(_booked_date_at(words, i) for i, w in enumerate(words) if w in _DATE_PREPOSITIONS) and (
            not any(looks_done(w) for w in words)):
        return True  # "presenting it to their board in jan", "would kick off on the 3rd"
    if _CURRENT.get().code != "de":
        return False
    for i, word in enumerate(words[:-1]):
        if word in _DATED_DE:
            j = i + 2 if words[i + 1] == "dem" and i + 2 < len(words) else i + 1
            if (_DAY_MONTH.fullmatch(words[j]) or (word == "am" and _DAY.fullmatch(words[j]))
                    ) and not any(looks_done(w) for w in words[:i]):
                return True  # not "Referenzbesuch organisiert: ... am 4.4.": that is done
    return False


def booked_only(words: Sequence[str]) -> bool:
    """German puts the day first and the participle last: "am Montag Abrechnungsdemo gemacht",
    "am 12. vor Ort gewesen" report it done. True when the clause's only plan cue is such an
    "am <day>" and a participle follows it (not "ROI-Runde ... angebunden, ... am Do")."""
    pack = _CURRENT.get()
    if pack.code != "de" or "am" not in words:
        return False  # every way to True below needs an "am" (the day it was done on)
    negations = pack.negation_words  # `_is_negation_word`, with the pack looked up once
    if any(w in negations or w.endswith("n't") for w in words):
        return False
    day_at = None
    for i, word in enumerate(words):
        for index in (pack.post_negation, pack.negation_future):
            phrase = _phrase_at(words, i, index) if word in index else None
            if phrase is None:
                continue
            if phrase[0] != "am" or phrase not in pack.later.get("am", ()):
                return False
            day_at = i if day_at is None else day_at
    if day_at is None:
        day_at = next((i for i, w in enumerate(words[:-1]) if w == "am" and (
            _DAY_MONTH.fullmatch(words[i + 1]) or _DAY.fullmatch(words[i + 1]))), None)
    return day_at is not None and any(looks_done(w) for w in words[day_at + 2:])


_ASKING = wordset("asked asking asks ask")
_ASKED_WHAT = wordset("for about if whether")
_REQUESTING = wordset("""requested pidió pidio pidieron pedían pedian piden pide solicitó
    solicitaron fragte fragten verlangte verlangten demandent demandait vroeg vroegen""")
"""Verbs of asking with the asker as subject: not nouns ("3 demo requests") nor participles
without one ("devis demandé à l'électricien", "hab angefragt": the rep asked)."""
_FIRST_PERSON = wordset("""i we i've we've i'd we'd me us yo nosotros le les ich wir je nous
    j'ai ik wij""")


def buyer_request(words: Sequence[str]) -> bool:
    """Someone other than the rep asks for something ("PM at Greystones asked for our DPA",
    "they asked about farm invoicing", "el gerente pidió una demo"): what they ask for is
    wanted, not done - unlike the rep asking ("asked about their PM program", "I asked for a
    reference"), which starts the clause or has the rep as its subject."""
    for i, word in enumerate(words[1:], start=1):
        asks = word in _REQUESTING or (
            word in _ASKING and i + 1 < len(words) and words[i + 1] in _ASKED_WHAT)
        if asks:
            return words[0] not in _FIRST_PERSON
    return False


_SAID_OF = wordset("a an was were is are been got")


def topics_unmarked(words: Sequence[str], topic_stems: frozenset[str],
                    written: set[str] | frozenset[str]) -> list[str]:
    """The clause's words with a one-word stall the strategy's own tasks are about ("No-show
    calc done" for a team whose task is the no-show case) taken as that topic, not as a stall -
    unless it is said of something ("the demo was a no-show"). The strategy must write the word
    itself (or its plural): "missed jobs" makes no topic of "criteria missing"."""
    post = _CURRENT.get().post_negation
    return [
        "" if (w,) in post.get(w, ()) and stem(w) in topic_stems and (
            w in written or w + "s" in written) and (
            i == 0 or words[i - 1] not in _SAID_OF) else w
        for i, w in enumerate(words)
    ]


def post_negated(words: Sequence[str]) -> bool:
    """The clause reports its activity as not happening after naming it ("pilot cancelled",
    "disco got pushed", "emailed 3 prospects, no replies", "demo booked for Tues",
    "tabletop scheduled for the 14th")."""
    return _has_phrase(words, _CURRENT.get().post_negation) or _ends_next(words) or _dated(words)


_VERDICT_WORDS = wordset("""luck joy dice yet done happening go chance way sadly unfortunately
    still so far nope nah nothing zero""")
VERDICT_MAX_WORDS = 4


def bare_verdict(words: Sequence[str]) -> bool:
    """A clause that is only a verdict on what was just said: "no luck", "nope", "not yet",
    "not done", "nothing yet" - it names nothing of its own, so it says the clause before it
    (or the question before it: "Pilot at X? not yet.") did not happen."""
    if not words or len(words) > VERDICT_MAX_WORDS:
        return False
    return any(_is_negation_word(w) for w in words) and all(
        w in _VERDICT_WORDS or _is_negation_word(w) or w in STOP_WORDS for w in words)


def avoids(words: Sequence[str]) -> bool:
    """The clause says we do not (or should not) play somewhere: negation or avoidance."""
    pack = _CURRENT.get()
    negations = pack.negation_words  # `_is_negation_word`, with the pack looked up once
    for w in words:
        if w in negations or w.endswith("n't"):
            return True
    return _has_phrase(words, pack.avoid)


_NOUN_OPENERS = wordset("a an the on of for about in with our their its your")


def describes(words: Sequence[str], cue: tuple[int, int]) -> bool:
    """The cue is a participle that says what kind of thing follows ("uncover missed jobs",
    "cancelled visits"), not that anything is ruled out - unless it avoids ("avoided a
    discount")."""
    word = words[cue[0]]
    if cue[1] - cue[0] != 1 or not looks_done(word):
        return False
    if cue[0] > 0 and words[cue[0] - 1] in _NOUN_OPENERS:
        return True  # "a business case on avoided downtime": what the case is about
    return _phrase_at(words, cue[0], _CURRENT.get().avoid) is None


def internal_at(words: Sequence[str], exempt: frozenset[str] | set[str]) -> int | None:
    """Where the words name work inside our own company ("expense reports", "interne
    Abstimmung"), or None: not when the customer's ("their CRM", "deren interne IT"), nor for a
    word in `exempt` (the strategy's own task words: an AP-automation team's tasks are about
    expenses), nor said of the customer's side ("porter le projet en interne")."""
    internal = _CURRENT.get().internal_words
    for i, word in enumerate(words):
        if word in internal and stem(word) not in exempt and not any(
                w in _THEIR for w in words[max(0, i - 2):i]) and words[i - 1:i] != ["en"]:
            return i
    return None


def declines(words: Sequence[str]) -> bool:
    """The words turn a prospect away ("DQ'd the refinery", "bounced that one", "abgesagt"),
    unless a negation governs the verb ("I didn't disqualify the tier-1 lead")."""
    phrases = _CURRENT.get().decline
    if phrases.keys().isdisjoint(words):
        return False  # most clauses: no word starts a decline phrase
    return any(
        _phrase_at(words, i, phrases) is not None
        and not any(_is_negation_word(w) for w in words[max(0, i - 2):i])
        for i, w in enumerate(words) if w in phrases
    )


_THEY = wordset("they she he everyone everybody sie er ellos ella él ils elle zij hij")
"""The buyer as the subject: followed by how they took something, the clause is a remark."""


_BUYERS = wordset("""customer customers client clients buyer buyers prospect prospects kunde kunden
    cliente clientes klant klanten""")
_ARTICLES = wordset("the our der die el la los las le les de het onze unser unsere nuestro")


def buyer_subject(words: Sequence[str]) -> bool:
    """The words start with the buyer as the subject ("they don't care about SRM", "the client
    doesn't want ..."): what they negate is the buyer's view, not work the seller held back."""
    if not words:
        return False
    first = 1 if words[0] in _ARTICLES and len(words) > 1 else 0
    return words[0] in _THEY or words[first] in _BUYERS


def buyer_reaction(words: Sequence[str]) -> bool:
    """The clause starts with the buyer taking something well or badly ("they loved the herd
    health scheduling", "she liked the demo"): their reaction, not the seller's effort."""
    return len(words) > 1 and words[0] in _THEY and words[1] in _CURRENT.get().remark


def is_remark(words: Sequence[str]) -> bool:
    """Whether a clause's words say how the buyer or the deal seems rather than what was done:
    nothing left once link verbs, who it is about, titles and sentiment or status words are set
    aside ("they're keen", "big", "got Dr", "pipeline looks big", "Kunde ist begeistert",
    "pinta bien"), or only a name with a sentiment word ("Finova keen"; a rare word is a name,
    see `bot.evaluation.words`). "Demo went great" keeps "demo": an activity."""
    pack = _CURRENT.get()
    content = [w for w in words if is_content(w) and not is_number(w)]
    rest = [w for w in content if w not in pack.remark and w not in pack.light]
    if not rest:
        return True
    if len(rest) > 2 or not any(w in pack.remark for w in content):
        return False
    from bot.evaluation.words import is_rare  # wordfreq: imported on first use

    return all(is_rare(w) for w in rest)


def is_vague(words: Sequence[str]) -> bool:
    """Whether a clause's words say only that work happened, not what or with whom ("did some
    calls", "the usual", "Termine und Mails"): nothing is left once vague, light and remark words
    are set aside - yet something was said (an empty clause is not vague, it is nothing)."""
    pack = _CURRENT.get()
    vague = pack.vague
    if vague.isdisjoint(words):
        return False  # no vague word among the words, so none among their content words
    content = [w for w in words if is_content(w) and not is_number(w)]
    return all(w in vague or w in pack.light or w in pack.remark for w in content)


DECIDER_REACH = 2
"""Words (an article, "their") before who decides: "their EB is ...", "y quien firma es ..."."""


def names_decider(words: Sequence[str]) -> bool:
    """The words say who decides or signs ("DM is the plant GM", "EB is the VP ops in
    Chicago", "quien firma es el dueño"): who someone is, not that anyone was reached."""
    deciders = _CURRENT.get().decider
    return any(_phrase_at(words, i, deciders) is not None
               for i, w in enumerate(words[:DECIDER_REACH + 1]) if w in deciders)


def says_nothing(words: Sequence[str], cue: tuple[int, int]) -> bool:
    """The clause starts by negating the whole activity: "nothing followed up yet", "none
    called back", "nog niks opgevolgd" - not a part of it ("haven't called the rest"), nor the
    buyer's state ("nobody watching alerts overnight")."""
    nothing = _CURRENT.get().nothing
    return cue[0] <= 1 and any(w in nothing for w in words[:2])


def is_away(words: Sequence[str]) -> bool:
    """The words say the person was away: "on PTO", "OOO", "Urlaub", "de vacaciones"."""
    return _has_phrase(words, _CURRENT.get().away)


_PAPERWORK = wordset("nda ndas dpa baa questionnaire questionnaires loi form forms waiver")
"""Signed on the way to a deal, not the deal: "signed the NDA with them"."""


def reports_win(words: Sequence[str]) -> bool:
    """The words report a deal won ("Closed Brightpay", "CFO signed friday", "unterschrieben"),
    not one lost, turned away or not (yet) signed ("closed lost", "closed it as not ICP",
    "hasn't signed"), nor paperwork on the way ("signed the NDA")."""
    pack = _CURRENT.get()
    return (any(w in pack.won for w in words) and not any(w in pack.lost for w in words)
            and not any(_is_negation_word(w) for w in words) and not declines(words)
            and not any(w in _PAPERWORK for w in words))


_LOST_BY = wordset("closed we i we've i've just")
_LOST_WHAT = wordset("to it them deal opportunity opp account")


def reports_loss(words: Sequence[str], capitalised: Sequence[bool] | None = None) -> bool:
    """The words report a deal lost: a loss word as the clause's verb - first, or after "closed",
    "we" or "I" - followed by a name, "to", "it", "them" or the deal ("lost Paylane to Vanta on
    price", "closed lost", "we lost the deal"); not "revenue lost to empty tee times", "lost
    renewals business case", nor a loss avoided ("didn't lose them"). A name is a word written
    with a capital (`capitalised`, per word, where the caller has the text as typed), else a
    rare word (`bot.evaluation.words`)."""
    from bot.evaluation.words import is_rare  # wordfreq: imported on first use

    def name(i: int) -> bool:
        return capitalised[i] if capitalised is not None else is_rare(words[i])

    lost = _CURRENT.get().lost
    if any(_is_negation_word(w) for w in words):
        return False
    for i, word in enumerate(words):
        if word in lost and (i == 0 or words[i - 1] in _LOST_BY):
            after = words[i + 1:i + 3]
            if words[i - 1:i] == ["closed"] or not after or any(
                    w in _LOST_WHAT for w in after) or name(i + 1):
                return True
    return False


def rejects(words: Sequence[str]) -> bool:
    """The clause is a verdict against what came before it ("not for us", "out of scope")."""
    return _has_phrase(words, _CURRENT.get().reject)


_INJECTION_RE = re.compile(
    # where a match can start, checked once at each position before the alternatives are tried
    # there: the start of the text, or a word starting with one of their first letters (all
    # but the first-line one start at a word boundary) - keep it in step with them
    r"(?=\b[adefimnoprsy]|^)(?:"
    r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,60}?"
    r"\b(?:instructions?|prompts?|rules|strategy|above|previous|prior|everything)\b"
    r"|\b(?:system|admin|developer) (?:override|instructions?|message|command)\b"
    r"|\bmark (?:them|these|those|it|this|that|everything|each)\b[^.\n]{0,20}?"
    r"\b(?:done|completed?|finished)\b"
    r"|\b(?:system prompt|you are now|act as (?:a|an|the)|pretend (?:to|you)|mark (?:all|every)"
    r"|(?:all|every) (?:sales )?tasks?|as (?:done|completed?)|score (?:me|this) "
    r"|new (?:rules?|instructions?|prompt)\b|any (?:answer|response|reply) (?:with|that|contain)"
    r"|(?:output|return|print|report) (?:all|every)\b)"
    r"|^\s*(?:system|assistant)\s*:)",
    re.I,
)


_INJECTION_WORDS = ("ignore", "disregard", "forget", "override", "system", "admin ",
                    "developer ", "mark ", "you are now", "act as ", "pretend ", "task", "as done",
                    "as complet", "score ", "new rule", "new instruction", "new prompt",
                    "any answer", "any response", "any reply", "output ", "return ", "print ",
                    "report ", "assistant")
"""Every match of `_INJECTION_RE` contains one of these, in lower case: each of its alternatives
spells one out (keep them in step). An answer without any cannot match, and the pattern - about
a thousand instructions per character, tried at every word - is not run over it."""
_FOLDS_TO_ASCII = frozenset("İıſ")
"""The characters beyond ASCII that `re.IGNORECASE` matches to an ASCII letter of the pattern
and `str.lower` does not turn into that letter (the Kelvin sign it does): text with one is
always searched."""


def looks_like_injection(text: str) -> bool:
    """Text addressed to the evaluator rather than describing work; it is never evidence."""
    if not may_inject(text):
        return False
    return _INJECTION_RE.search(text) is not None


def may_inject(text: str) -> bool:
    """Whether `looks_like_injection` can be true of `text` or of any part of it: a word it
    needs, or a character that `re.IGNORECASE` folds. `str.lower` lowers character by character
    (only a Greek sigma looks at its neighbours), so a part of a text without any such word has
    none either: an answer asked once need not be asked again sentence by sentence."""
    lowered = text.lower()
    return not _FOLDS_TO_ASCII.isdisjoint(text) or any(w in lowered for w in _INJECTION_WORDS)
