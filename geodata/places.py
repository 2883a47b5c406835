"""What people type for a place: "Tours 37", "Blois, France", "41000 Blois", "Bloiss".

``parse`` splits the text into a commune name, a postal code and a département code;
``nearest`` finds the communes whose name is closest to a misspelt one (trigrams to
shortlist, then edit distance), for « Vouliez-vous dire … ? ».
"""

import math
import re
import threading
from dataclasses import dataclass

from django.db.models import Count, Max

from .text import normalize

POSTAL_CODE = re.compile(r"^\d{5}$")
# Métropole (01–95, 2A, 2B) and overseas (971–976); only recognised after a name.
DEPARTEMENT_CODE = re.compile(r"^(\d{2}|2[ab]|97[1-6])$")
# Words that say nothing about which commune: "Blois, France", "Tours Cedex 9".
NOISE = {"france", "fr", "cedex"}
# A suggestion must share at least this much with what was typed (Jaccard on trigrams).
MIN_TRIGRAM_SIMILARITY = 0.2
SHORTLIST = 60


@dataclass(frozen=True)
class ParsedPlace:
    name: str  # normalised (see geodata.text.normalize)
    postal_code: str | None = None
    departement: str | None = None  # INSEE code as stored: "41", "2A", "974"


def parse(query: str) -> ParsedPlace:
    """Name, postal code and département code of a place as typed."""
    words = normalize(query or "").split()
    postal_code = departement = None
    kept = []
    for index, word in enumerate(words):
        if word in NOISE and kept:
            continue
        if word.isdigit() and kept and 1 <= len(word) <= 2 and words[index - 1] == "cedex":
            continue  # "Cedex 9"
        if POSTAL_CODE.match(word) and postal_code is None:
            postal_code = word
            continue
        kept.append(word)
    # A trailing département code after a name: "Tours 37", "Blois (41)".
    if len(kept) > 1 and DEPARTEMENT_CODE.match(kept[-1]):
        departement = kept.pop().upper()
    return ParsedPlace(" ".join(kept), postal_code, departement)


def trigrams(text: str) -> set[str]:
    """pg_trgm-style trigrams: each word padded with two spaces before and one after."""
    grams = set()
    for word in text.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, with a transposition counting as one edit."""
    if a == b:
        return 0
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        previous2, previous = previous, current
    return previous[-1]


class _Index:
    """Commune names with their trigrams, in memory, rebuilt when the communes change.

    Each row is (pk, name, population, département code, number of trigrams of the name):
    the count is what the similarity needs, computed once here rather than for every
    candidate of every request."""

    def __init__(self):
        self._lock = threading.Lock()
        self._version = None
        self._rows: list[tuple[int, str, int, str, int]] = []
        self._by_trigram: dict[str, list[int]] = {}

    def rows(self, model):
        version = tuple(model.objects.aggregate(n=Count("pk"), m=Max("pk")).values())
        if version != self._version:
            with self._lock:
                if version != self._version:
                    self._build(model, version)
        return self._rows, self._by_trigram

    def _build(self, model, version):
        rows = []
        by_trigram: dict[str, list[int]] = {}
        communes = model.objects.values_list("pk", "search_name", "population", "departement__code")
        for position, (pk, name, population, departement) in enumerate(communes):
            grams = trigrams(name)
            rows.append((pk, name, population, departement, len(grams)))
            for gram in grams:
                by_trigram.setdefault(gram, []).append(position)
        self._rows, self._by_trigram, self._version = rows, by_trigram, version


_INDEX = _Index()


def nearest(query: str, limit: int = 5) -> list[int]:
    """Primary keys of the communes whose names are closest to ``query``, best first.

    Trigrams shortlist the candidates (a typo keeps most of them), then the edit distance
    ranks the shortlist; between equally close names, the larger town comes first. A
    département or postal code in the text restricts the candidates to it.
    """
    from .models import Commune

    parsed = parse(query)
    needle = parsed.name
    if not needle or needle.isdigit():
        return []
    rows, by_trigram = _INDEX.rows(Commune)
    wanted = trigrams(needle)
    shared: dict[int, int] = {}
    for gram in wanted:
        for position in by_trigram.get(gram, ()):
            shared[position] = shared.get(position, 0) + 1
    scored = []
    for position, common in shared.items():
        departement, size = rows[position][3:]
        if parsed.departement and departement != parsed.departement:
            continue
        similarity = common / (len(wanted) + size - common)
        if similarity >= MIN_TRIGRAM_SIMILARITY:
            scored.append((similarity, position))
    scored.sort(reverse=True)
    ranked = []
    for similarity, position in scored[:SHORTLIST]:
        pk, name, population, *_ = rows[position]
        distance = edit_distance(needle, name)
        # A typed prefix of a longer name ("orlean") is closer than its raw distance says.
        if name.startswith(needle):
            distance = min(distance, 1)
        closeness = 1 - distance / max(len(needle), len(name))
        ranked.append((-round((closeness + similarity) / 2, 2), -math.log10(population + 1), pk))
    ranked.sort()
    return [pk for *_, pk in ranked[:limit]]
