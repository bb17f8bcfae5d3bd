"""Segments named the way reps describe customers: by size ("a 12-person agency", "<50 staff",
"1000+ emp"), by place ("a wholesaler in Texas", "CH and AT") and by name ("mostly JPMorgan and
Citi").

A segment's `employees`, `countries`, `regions` and `accounts` say what to look for; a segment
without them is read from its prose description ("Companies under 50 employees", "Labs outside
DACH") so a strategy written before those fields existed still works. How a size or a place
combines with a segment named by its alias in the same sentence ("a 60-person bakery" when food
processors start at 100 staff) is decided in `resolve`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.evaluation.places import (
    REGIONS,
    Place,
    countries,
    fold,
    fold_text,
    gazetteer,
    region_codes,
)
from bot.evaluation.text import wordset
from bot.evaluation.words import is_rare
from bot.strategy.schema import Employees, Segment, Strategy

_PEOPLE = (r"(?:person|people|ppl|pax|employees?|emps?|staff(?:ers)?|headcount|heads|fte?s?|"
           r"mitarbeiter(?:innen|n)?|mitarbeitende[n]?|ma|beschäftigte[n]?|angestellte[n]?|"
           r"empleados?|trabajadores|personas|colaboradores|funcionários|salariés|employés|"
           r"personnes|medewerkers|werknemers|man|mensen|vets|vet)")
_NUMBER = r"(\d{1,3}(?:[.,\s]\d{3})+|\d+(?:[.,]\d+)?)\s*(k)?"
_BELOW = r"(?:under|below|less than|fewer than|<|up to|max\.?|unter|weniger als|bis|bis zu|" \
         r"menos de|hasta|moins de|jusqu'à|minder dan|tot|onder)"
_ABOVE = r"(?:over|above|more than|>|at least|min\.?|über|mehr als|ab|más de|mas de|" \
         r"plus de|au moins|meer dan|boven)"
_AT_LEAST = frozenset({"at least", "min", "ab", "au moins"})
"""Words that start a range at their number ("ab 20 MA" is 20 or more; "über 20" is 21)."""
_ROLE_COUNTS = frozenset({"vet", "vets"})
"""People words that count one role, not the whole staff: "3 vets" may be ten employees."""
_OR_MORE = (r"(?:or more|or over|and up|and above|o más|o mas|y más|y mas|oder mehr|und mehr|"
            r"ou plus|et plus|of meer|en meer)")
_UNITS = {
    "people": _PEOPLE,
    "hectares": r"(?:ha|has|hect[aá]reas?|hectares?|hektar|hectare)",
    "rooms": r"(?:rooms?|habitaciones|hab|habs|cuartos|quartos|zimmer|chambres|kamers|keys)",
    "beds": r"(?:beds?|camas|betten|lits|bedden)",
}
"""What a size counts: people (a segment's `employees`), or a unit a segment's description
measures its customers in ("Menos de 20 ha", "15 a 200 habitaciones")."""


_BETWEEN = r"(?:between|zwischen|entre|tussen)"
"""Before a range joined by "and" ("between 10 and 40 employees"): without it, "5 demos and 40
staff" would read as a range."""
_SIZE_START = r"(?=[\d<>abefhjlmoptuwüz])"
"""The first characters a size can start with (a figure, or a word of `_BELOW` or `_ABOVE`):
checked once at each position before the many alternatives are tried there. Keep it in step
with those lists."""


def _size_pattern(unit: str) -> re.Pattern[str]:
    return re.compile(
        rf"{_SIZE_START}(?:(?P<below>{_BELOW})\s*{_NUMBER}(?P<plus1>\+)?\s*[-‐ ]?\s*{unit}\b"
        rf"|(?P<above>{_ABOVE})\s*{_NUMBER}\s*[-‐ ]?\s*{unit}\b"
        rf"|{_NUMBER}\s*(?:[-–‐]|to|bis|a|à|tot)\s*{_NUMBER}\s*[-‐ ]?\s*{unit}\b"
        rf"|{_BETWEEN}\s+{_NUMBER}\s*(?:and|und|y|e|et|en)\s*{_NUMBER}\s*[-‐ ]?\s*{unit}\b"
        rf"|{_NUMBER}\s*[-‐ ]?\s*{unit}\s+(?P<more>{_OR_MORE})\b"
        rf"|{_NUMBER}\s*(?P<plus>\+)?\s*[-‐ ]?\s*{unit}\b)",
        re.I,
    )


SIZE = _size_pattern(_PEOPLE)
_SIZES = {unit: _size_pattern(words) for unit, words in _UNITS.items()}
_LEGAL = re.compile(
    r"\b(?:gmbh|ag|se|kg|ohg|gbr|inc|llc|ltd|limited|plc|co|corp|corporation|company|sa|s\.a|sl|"
    r"s\.l|srl|bv|b\.v|nv|n\.v|oy|ab|as|spa|s\.p\.a|pty|& sohn|& co)\.?$", re.I)
_GENERIC_TAIL = wordset("""foods food group groups brands brand packing packaging co company
    holdings holding vets veterinary vet practice partners solutions services labs lab bau
    logistics systems industries manufacturing hotels hotel resort""")
_LEADING_KIND = wordset("""agricola agrícola fruticola frutícola exportadora agroexportadora grupo
    groupe groep group hotel hoteles hotels viña vina bodega bodegas hacienda fundo finca
    bauunternehmung maison clinica clínica clinique klinik laboratorio sanatorio gebr""")
"""A first word that says what kind of company it is: reps name it by the rest ("Los Aromos"
for Frutícola Los Aromos, "Sol de Ica" for Exportadora Sol de Ica)."""
_OUTSIDE = re.compile(r"\b(?:outside|beyond|except|außerhalb|ausserhalb|fuera de|hors de|"
                      r"buiten)\b", re.I)


@dataclass(frozen=True)
class Size:
    """A headcount someone wrote: a single figure or a range; `start`/`end` index the text."""

    low: int
    high: int
    start: int
    end: int
    unit: str = "people"
    whole: bool = True  # a headcount ("10-staff"), not a count of one role ("3 vets")

    def fits(self, employees: Employees) -> bool:
        """The size lies within the segment's range (a range must fit as a whole)."""
        return employees.contains(self.low) and employees.contains(self.high)


_THOUSANDS = re.compile(r"[.,\s](?=\d{3}\b)")


def _number(text: str, k: str | None) -> int:
    digits = _THOUSANDS.sub("", text).replace(",", ".")
    value = float(digits)
    return int(value * 1000) if k else int(value)


_SIZE_TAILS = {unit: re.compile(rf"\d\s*k?\s*\+?\s*[-‐ ]?\s*{words}\b", re.I)
               for unit, words in _UNITS.items()}
"""What every size match of a unit ends with - a number's last digit, then the unit's word -
searched for first: one quick scan instead of the size pattern's at every position, on the many
answers with no size."""


def find_sizes(text: str, units: tuple[str, ...] = ("people",)) -> list[Size]:
    """Every size in `text` counted in one of `units` (headcounts unless told)."""
    found: list[Size] = []
    for unit in units:
        if _SIZE_TAILS[unit].search(text):
            found.extend(_sizes_in(text, unit))
    return sorted(found, key=lambda size: size.start) if len(units) > 1 else found


_FIGURE = re.compile(r"[\d.,\s]+")
_LETTERS = re.compile(r"[^\W\d_]+")
"""Compiled once: `_sizes_in` asked `re`'s pattern cache for them for every group of every
size found."""


def _sizes_in(text: str, unit: str) -> list[Size]:
    found: list[Size] = []
    for m in _SIZES[unit].finditer(text):
        groups = [g for g in m.groups()]
        numbers = [(groups[i], groups[i + 1]) for i in range(len(groups) - 1)
                   if groups[i] and _FIGURE.fullmatch(groups[i])]
        if not numbers:
            continue
        values = [_number(n, k) for n, k in numbers]
        if m.group("below"):
            low, high = 0, max(0, values[0] - (0 if m.group("plus1") else 1))
        elif m.group("above"):
            inclusive = m.group("above").lower().rstrip(".") in _AT_LEAST
            low, high = values[0] + (0 if inclusive else 1), 10**9
        elif m.group("plus") or m.group("more"):
            low, high = values[0], 10**9
        elif len(values) >= 2:
            low, high = min(values[:2]), max(values[:2])
        else:
            low = high = values[0]
        counted = _LETTERS.findall(m.group().lower())
        found.append(Size(low, high, m.start(), m.end(), unit,
                          whole=not counted or counted[-1] not in _ROLE_COUNTS))
    return found


def prose_measures(description: str) -> dict[str, Employees]:
    """The ranges a description states in units other than people ("Menos de 20 ha" ->
    hectares up to 19; "15 a 200 habitaciones" -> rooms 15 to 200)."""
    found: dict[str, Employees] = {}
    for size in find_sizes(description, tuple(u for u in _UNITS if u != "people")):
        found.setdefault(size.unit, Employees(min=size.low or None,
                                              max=size.high if size.high < 10**9 else None))
    return found


def prose_employees(description: str) -> Employees | None:
    """The size range a description states ("Companies under 50 employees" -> max 49)."""
    sizes = find_sizes(description)
    if not sizes:
        return None
    size = sizes[0]
    return Employees(min=size.low or None, max=size.high if size.high < 10**9 else None)


_ACCOUNT_WORD = re.compile(r"[\w'-]+")
"""Words of an account name; "&" and "+" join nothing, so "Wiesner+Kolb" is "Wiesner + Kolb"."""


def _spans(text: str, words: list[str], names: list[str]) -> list[tuple[int, int]]:
    """Where each of `text`'s `_ACCOUNT_WORD` matches (`words`, in order) starts, and where
    its name (`names`: the word without a possessive) ends. A match starts at the first place
    its word is written after the previous one's end: nothing between two matches is a word
    character, so the word cannot be written any earlier there."""
    spans = []
    end = 0
    for word, name in zip(words, names, strict=True):
        start = text.find(word, end)
        end = start + len(word)
        spans.append((start, start + len(name)))
    return spans


_WORD_BEFORE = re.compile(r"([^\W\d_]+)\.?\s+$")


def _names_a_company(text: str, place: Place) -> bool:
    """A place name written as a company's name right after its kind ("Hotel Miramar",
    "Fundo San Ramón", "Clínica Santa María") names the company, not where it is."""
    before = _WORD_BEFORE.search(text[max(0, place.start - 30):place.start])
    return (before is not None and fold(before.group(1)) in _LEADING_KIND
            and before.group(1)[:1].isupper() and place.text[:1].isupper()
            and len(place.text) > 2)


_LIVES_IN = re.compile(r"(?:\blives?|\blived|\bliving|\bvive|\bvivía|\bwohnt|\bwoont|\bvit"
                       r"|\bhabite)\s+(?:in|en|à|a)\s+$", re.IGNORECASE)


def _where_someone_lives(text: str, place: Place) -> bool:
    """"el dueño vive en Texas", "the owner lives in Miami": where a person lives, not where the
    customer is."""
    return _LIVES_IN.search(text[max(0, place.start - 20):place.start]) is not None


def _account_keys(name: str) -> list[str]:
    """The ways a rep names an account: in full, without its legal form, and by its leading
    distinctive words ("Ridgeway Packing Co." -> "ridgeway packing", "ridgeway")."""
    words = _ACCOUNT_WORD.findall(name)
    while words and (_LEGAL.fullmatch(words[-1]) or len(words[-1]) == 1):
        words.pop()
    if not words:
        return []
    keys = [" ".join(words)]
    while len(words) > 1 and words[-1].lower() in _GENERIC_TAIL:
        words.pop()
        keys.append(" ".join(words))
    if len(words) > 1 and len(words[0]) >= 5 and (
            words[1].lower() in _GENERIC_TAIL | {"&", "+"} or is_rare(words[0])):
        keys.append(words[0])  # "Carrick" for Carrick Hollis Lawyers, never "Summit" alone
    if len(words) >= 3:
        keys.append(" ".join(words[:2]))  # "Gebr. Huber", "Van Dijk"
    if len(words) >= 2 and words[0].lower() in _LEADING_KIND:
        rest = words[1:]
        if len(rest) > 1 or is_rare(rest[0]):
            keys.append(" ".join(rest))
    return [fold(k) for k in dict.fromkeys(keys) if len(k) >= 4]


_NAME_WORD = re.compile(r"[^\W\d_]{5,}")


def _surnames(name: str) -> list[str]:
    """The distinctive words after the first of an account's name, by which reps name it
    alone: "Lindenhof" for Zahnzentrum Lindenhof, "Brandl" for Praxis Dr. Brandl & Kollegen.
    Only a capitalised word that is no everyday word in any language we read (a name, see
    `bot.evaluation.words`) and no place (the town in "Dentalis MVZ Rhein-Main" is where it
    is, not who); the strategy's own words are dropped later (`with_vocabulary`)."""
    words = _ACCOUNT_WORD.findall(name)[1:]
    return [fold(w) for w in words if _NAME_WORD.fullmatch(w) and w[:1].isupper()
            and not _LEGAL.fullmatch(w) and w.lower() not in _GENERIC_TAIL | _LEADING_KIND
            and is_rare(w) and fold(w) not in gazetteer().names]


@dataclass
class SegmentShape:
    """What identifies one segment besides its name and aliases."""

    id: str
    in_scope: bool
    employees: Employees | None = None
    places: frozenset[str] = frozenset()
    outside: bool = False  # the places are where this segment is NOT ("labs outside DACH")
    place_defined: bool = False  # named by a place alone: explicit countries/regions, "outside X"
    head_stems: frozenset[str] = frozenset()  # its name's words: "hotel" of "Hoteles independientes"
    codes: frozenset[str] = frozenset()  # countries a rep may write as a bare code ("CH and AT")
    measures: dict[str, Employees] = field(default_factory=dict)  # ranges in other units: ha
    # ISO 3166-2 regions ("CA-QC"), and the countries the segment holds only through them
    subdivisions: frozenset[str] = frozenset()
    partial: frozenset[str] = frozenset()

    @property
    def by_place(self) -> bool:
        return bool(self.places)

    def range_for(self, size: Size) -> Employees | None:
        """This segment's range in the size's unit, if it has one."""
        return self.employees if size.unit == "people" else self.measures.get(size.unit)

    def at(self, place: Place) -> bool:
        """Whether the place is this segment's. In a country the segment holds only in part
        (Quebec, not Canada) a place counts only when its own subdivision is known and one of
        the segment's: "Toronto" and "Canada" are not Quebec."""
        if place.country in self.partial:
            return (place.subdivision in self.subdivisions) != self.outside
        return (place.country in self.places) != self.outside


@dataclass
class Found:
    """A segment named by size, place or account: where in the text, and how."""

    segment_id: str
    start: int
    end: int
    how: str  # "account", "size" or "place"


@dataclass
class Descriptors:
    """The size, place and account descriptions of one strategy's segments."""

    shapes: dict[str, SegmentShape] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)  # folded name -> segment id
    account_words: int = 1
    account_first: frozenset[str] = frozenset()  # first words of account names, to skip fast
    loose: set[str] = field(default_factory=set)  # keys of one name word after the first (`_surnames`)
    codes: frozenset[str] = frozenset()
    common: frozenset[str] = frozenset()  # the strategy's own words: never read as a town
    home: frozenset[str] = frozenset()  # where in-scope segments are: a town's name there wins
    units: tuple[str, ...] = ()  # what the segments' size ranges count: people, hectares ...

    @property
    def by_place(self) -> bool:
        return any(s.place_defined for s in self.shapes.values())

    @classmethod
    def of(cls, strategy: Strategy) -> Descriptors:
        found = cls()
        loose: dict[str, set[str]] = {}
        for segment in strategy.segments:
            shape = _shape(segment)
            found.shapes[segment.id] = shape
            for account in segment.accounts:
                for key in _account_keys(account):
                    found.accounts.setdefault(key, segment.id)
                    found.account_words = max(found.account_words, len(key.split()))
                for key in _surnames(account):
                    loose.setdefault(key, set()).add(segment.id)
        for key, owners in loose.items():
            if len(owners) == 1 and key not in found.accounts:
                found.accounts[key] = next(iter(owners))
                found.loose.add(key)
        found.codes = frozenset(c for s in found.shapes.values() for c in s.codes)
        found.units = tuple(unit for unit in _UNITS if any(
            (s.employees if unit == "people" else s.measures.get(unit)) is not None
            for s in found.shapes.values()))
        found.account_first = frozenset(k.split()[0] for k in found.accounts)
        found.home = frozenset(c for s in found.shapes.values() if s.in_scope and not s.outside
                               for c in s.places) | _stated_home(strategy, found)
        return found

    def with_vocabulary(self, words: Iterable[str]) -> Descriptors:
        self.common = frozenset(fold(w) for w in words)
        for key in self.loose & self.common:  # the strategy's own word says what, not who
            del self.accounts[key]
        self.loose -= self.common
        self.account_first = frozenset(k.split()[0] for k in self.accounts)
        return self

    def find(self, text: str) -> tuple[list[Found], list[Size], list[Place]]:
        """Accounts named in `text`, and its sizes and places (matched to segments later, in
        the context of the sentence they are in)."""
        accounts = self._accounts(text) if self.accounts else []
        sizes = find_sizes(text, self.units) if self.units else []
        places = ([p for p in gazetteer().find(text, self.codes, self.common, self.home)
                   if not _names_a_company(text, p) and not _where_someone_lives(text, p)]
                  if self.by_place else [])
        return accounts, sizes, places

    def _accounts(self, text: str) -> list[Found]:
        if "Σ" not in text:
            # most answers name no account: when no account's first word is anywhere in the
            # folded text, no word of it can be one (see `fold_text`), so none is read one by one
            folded_text = fold_text(text)
            if not any(first in folded_text for first in self.account_first):
                return []
        # "Citi's compliance team" names Citi: a possessive is not part of the name. The words
        # come from one `findall`, without a match object each; an answer none of whose words
        # starts an account name (many the check above lets through: "nh" or "city" inside
        # longer words) goes no further
        words = _ACCOUNT_WORD.findall(text)
        names = [word[:-2] if word.endswith(("'s", "’s")) else word for word in words]
        folded = [fold(name) for name in names]
        if self.account_first.isdisjoint(folded):
            return []
        spans = _spans(text, words, names)
        found: list[Found] = []
        i = 0
        while i < len(spans):
            if folded[i] not in self.account_first:
                i += 1
                continue
            for size in range(min(self.account_words, len(spans) - i), 0, -1):
                owner = self.accounts.get(" ".join(folded[i:i + size]))
                if owner is not None and (size > 1 or text[spans[i][0]].isupper()):
                    found.append(Found(owner, spans[i][0], spans[i + size - 1][1], "account"))
                    i += size
                    break
            else:
                i += 1
        return found

    def for_size(self, size: Size, named: Iterable[str]) -> list[str]:
        """The segments a size names in a sentence that also names `named` by alias: none when
        it agrees with them, the segments it does fit when it contradicts one ("a 60-person
        bakery" and food processors start at 100), and on its own the one segment it fits."""
        named = list(named)
        fitting = [s.id for s in self.shapes.values()
                   if (r := s.range_for(size)) is not None and size.fits(r)]
        if named:
            contradicted = self.contradicted_by_size(size, named)
            return fitting if contradicted and fitting else []
        if size.unit != "people":
            # a description's hectares or rooms say what is too small or too big for us; a
            # size alone that fits an in-scope range may fit segments that state none
            fitting = [f for f in fitting if not self.shapes[f].in_scope]
        return fitting if len(fitting) == 1 else []

    def contradicted_by_size(self, size: Size, named: Iterable[str]) -> list[str]:
        """Segments named by alias whose size range the stated size falls outside of - or, when
        the size fits only out-of-scope segments ("a 10-staff padel club" when clubs under 15
        staff are out), the in-scope ones named with it that state no range: the prospect is
        the small one."""
        named = list(named)
        outside = [n for n in named if (shape := self.shapes.get(n)) is not None
                   and (r := shape.range_for(size)) is not None and not size.fits(r)]
        if outside:
            return outside
        fitting = [s for s in self.shapes.values()
                   if (r := s.range_for(size)) is not None and size.fits(r)]
        if not size.whole or not fitting or any(s.in_scope for s in fitting):
            return []
        return [n for n in named if (shape := self.shapes.get(n)) is not None
                and shape.in_scope and shape.range_for(size) is None]

    def for_place(self, place: Place, named: Iterable[str],
                  sentence_stems: frozenset[str] = frozenset(),
                  sizes: Iterable[Size] = ()) -> list[str]:
        """The segments defined by place that a place names: only when the segments named by
        alias in the same sentence do not already place it ("an environmental lab in Rotterdam"
        names labs and, when labs are in DACH, the outside-DACH segment too). A segment that
        also has a size range is named by its place only with the kind of customer and when
        no size in the sentence falls outside it ("a 200-staff firm in Adelaide")."""
        named = list(named)
        same_kind = self._same_kind_at(place, named)
        if same_kind:
            return same_kind
        if any((shape := self.shapes.get(n)) is not None and shape.by_place
               and shape.at(place) for n in named):
            return []
        sizes = list(sizes)

        def sized(shape: SegmentShape) -> bool:
            ranges = [(size, shape.range_for(size)) for size in sizes]
            if shape.employees is None and not shape.measures:
                return True
            return bool(shape.head_stems & sentence_stems) and all(
                r is None or size.fits(r) for size, r in ranges)

        # an in-scope segment is named by a place only when no segment without a place already
        # says what kind of customer it is ("the Spar in Lokeren, first store of Groep De Clercq")
        kinds = [n for n in named if (shape := self.shapes.get(n)) is not None and not shape.by_place]
        return [s.id for s in self.shapes.values()
                if s.place_defined and sized(s) and s.at(place)
                and (not s.in_scope or s.outside or (s.head_stems & sentence_stems and not kinds))]


    def beyond(self, place: Place) -> list[str]:
        """The segments "everywhere but" a place names ("outside DACH" when DACH is where we
        sell): the out-of-scope ones defined by place that are not there. None for a place
        that is not ours ("outside France" when France is out anyway says nothing)."""
        ours = place.country in self.home or any(
            s.in_scope and s.place_defined and s.at(place) for s in self.shapes.values())
        if not ours:
            return []
        return [s.id for s in self.shapes.values()
                if not s.in_scope and s.place_defined and not s.at(place)]

    def _same_kind_at(self, place: Place, named: list[str]) -> list[str]:
        """'hoteles independientes en España, Portugal y México' when independent hotels in
        Mexico are a segment of their own: a kind of customer named with a place outside its
        segment's countries names the segment of the same kind at that place."""
        found: list[str] = []
        for n in named:
            shape = self.shapes.get(n)
            if shape is None or not shape.by_place or shape.at(place):
                continue
            found += [s.id for s in self.shapes.values()
                      if s.id != n and s.id not in found and s.id not in named
                      and s.in_scope == shape.in_scope and s.place_defined and not s.outside
                      and s.at(place) and len(s.head_stems & shape.head_stems) >= 2]
        return found


def _stated_home(strategy: Strategy, found: Descriptors) -> frozenset[str]:
    """The countries the strategy statement names as where we sell ("viñas ... en Chile, Perú y
    España"), less any an out-of-scope segment covers: a town named there ("Los Ángeles",
    "San Ramón") is the one at home, not its namesake abroad."""
    statement = strategy.strategy.statement or ""
    named = {p.country for p in countries().find(statement, frozenset())}
    abroad = {c for s in found.shapes.values() if not s.in_scope and not s.outside
              for c in s.places - s.partial}
    return frozenset(named - abroad)


SMALL_REGION = 5
_SUBDIVISION = re.compile(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}")
"""A region of at most this many countries (DACH, Benelux) lets reps write its countries as codes;
a wide one (Osteuropa, EMEA) does not, or "LV" (Leistungsverzeichnis) would be Latvia."""


def _shape(segment: Segment) -> SegmentShape:
    places: set[str] = set(segment.countries)
    codes: set[str] = set(segment.countries)
    subdivisions = {r.strip().upper() for r in segment.regions if _SUBDIVISION.fullmatch(r.strip())}
    for region in segment.regions:
        region_places = region_codes(region)
        places |= region_places
        if len(region_places) <= SMALL_REGION and region.strip().upper() not in subdivisions:
            codes |= region_places
    whole = set(segment.countries) | {c for r in segment.regions
                                      if r.strip().upper() not in subdivisions
                                      for c in region_codes(r)}
    partial = {code[:2] for code in subdivisions} - whole
    outside, defined = False, bool(places)
    if not places:
        places, outside = _prose_places(segment.description)
        defined = outside
    employees = segment.employees or prose_employees(segment.description)
    if not segment.countries and not segment.regions:
        codes = {c for c in places} if len(places) <= SMALL_REGION else set()
    return SegmentShape(segment.id, segment.in_scope, employees, frozenset(places), outside,
                        defined, codes=frozenset(codes), measures=prose_measures(segment.description),
                        subdivisions=frozenset(subdivisions),
                        partial=frozenset(partial))


def _prose_places(description: str) -> tuple[set[str], bool]:
    """Countries a description names ("Labs outside DACH", "US banks"), and whether it says
    the segment is outside them."""
    if not description:
        return set(), False
    places: set[str] = set()
    lowered = description.lower()
    for name, codes in REGIONS.items():
        if re.search(rf"\b{re.escape(name)}\b", lowered):
            places |= codes
    for place in countries().find(description, frozenset()):
        if place.subdivision is None:
            places.add(place.country)
    if not places:
        return set(), False
    return places, bool(_OUTSIDE.search(description))


__all__ = ["Descriptors", "Found", "SegmentShape", "Size", "find_sizes", "prose_employees"]
