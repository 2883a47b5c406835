"""A place named in a partner's file -> one commune, exactly, or the candidates to check.

Never a guess: a name is matched whole (no « last word », no prefix, no closest spelling),
in the forms people write it (accents, case, hyphens, « St »/« Ste », « s/ », slugs, the
article in front or in brackets: « Ferté-Saint-Aubin (La) »), against every commune of
France and the former communes and arrondissements inside them (geodata.national).

In order: the INSEE code; the name with the postal code; the name with the département;
the name alone when it is unique in France; the postal code alone when one commune has
it. Anything else is ``AMBIGUOUS`` or ``UNKNOWN`` with the candidates, for staff to pick.
"""

import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _

from .models import FrenchDepartement, PlaceName
from .places import parse
from .text import normalize

ARTICLES = {"le", "la", "les", "l", "aux", "las", "los"}
# « Paris 1er Arrondissement », « Paris 01 », « Lyon 3e », « Marseille 13ème arr. »
ARRONDISSEMENT = re.compile(
    r"^(paris|lyon|marseille) 0?(\d{1,2}) ?(?:er|re|e|eme|ieme|em)?(?: (?:arrondissement|arrdt|arr|ardt))?$"
)
INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$", re.ASCII)
DEPARTEMENT_CODE = re.compile(r"^0?(\d{2}|2[AB]|97[1-6])$", re.ASCII)
MAX_CANDIDATES = 8


def key(text: str) -> str:
    """The form a name is matched in: « La Chapelle-Basse-Mer », « CHAPELLE BASSE MER (LA) »
    and « la-chapelle-basse-mer » give the same key."""
    words = normalize(text).split()
    if "cedex" in words:  # « Blois Cedex 9 »
        words = words[: words.index("cedex")]
    words = ["sur" if w == "s" else w for w in words]  # « Chalon s/ Saône »
    if len(words) > 1 and words[0] in ARTICLES:
        words = words[1:]
    elif len(words) > 1 and words[-1] in ARTICLES:
        words = words[:-1]
    joined = " ".join(words)
    arrondissement = ARRONDISSEMENT.match(joined)
    if arrondissement:
        return f"{arrondissement.group(1)} {int(arrondissement.group(2))} arrondissement"
    return joined


class Status:
    FOUND = "found"
    AMBIGUOUS = "ambiguous"
    UNKNOWN = "unknown"
    EMPTY = "empty"  # the row names no commune at all


HOW = {
    "insee": _("code INSEE"),
    "postal_name": _("nom et code postal"),
    "postal_departement": _("nom et département du code postal"),
    "departement": _("nom et département"),
    "unique": _("nom unique en France"),
    "postal": _("code postal"),
}


@dataclass(frozen=True)
class Candidate:
    code: str  # INSEE code of the commune today
    name: str
    departement: str
    postal_codes: str

    @property
    def label(self) -> str:
        """« Saint-Ouen-sur-Seine (93, 93400) »."""
        codes = self.postal_codes.split()
        detail = ", ".join([self.departement, *codes[:2]]) + (", …" if len(codes) > 2 else "")
        return f"{self.name} ({detail})"

    def as_json(self) -> dict:
        return {"code": self.code, "label": self.label, "departement": self.departement}


@dataclass(frozen=True)
class Resolution:
    status: str
    code: str = ""  # the commune's INSEE code when found
    departement: str = ""
    how: str = ""  # a key of HOW
    name: str = ""  # the commune's name when found
    candidates: tuple[Candidate, ...] = ()
    # Why it is not found, for the report (« Saint-Ouen : 4 communes de ce nom »).
    problem: str = ""

    @property
    def found(self) -> bool:
        return self.status == Status.FOUND


class _Index:
    """The national names in memory (about 38,000), rebuilt when the table changes.

    An import resolves thousands of rows: the table's version is asked at most every
    CHECK_EVERY seconds, and ``forget`` (called when this process rewrites the names) makes
    the next lookup reload."""

    CHECK_EVERY = 30.0

    def __init__(self):
        self._lock = threading.Lock()
        self._version = None
        self._checked = float("-inf")

    def get(self):
        if time.monotonic() - self._checked < self.CHECK_EVERY:
            return self
        version = tuple(PlaceName.objects.aggregate(n=Count("pk"), m=Max("pk")).values())
        with self._lock:
            if version != self._version:
                self._build()
                self._version = version
            self._checked = time.monotonic()
        return self

    def forget(self):
        self._checked = float("-inf")

    def _build(self):
        by_key = defaultdict(set)
        by_code, by_postal, communes, names_of = {}, defaultdict(set), {}, defaultdict(set)
        rows = PlaceName.objects.values_list(
            "code", "name", "kind", "commune_code", "departement", "population", "postal_codes"
        )
        for code, name, kind, commune, departement, population, postal in rows:
            k = key(name)
            by_key[k].add(commune)
            names_of[commune].add(k)
            if kind == "commune":
                communes[commune] = (Candidate(code, name, departement, postal), population)
                by_code[code] = commune
                for postal_code in postal.split():
                    by_postal[postal_code].add(commune)
            else:
                by_code.setdefault(code, commune)
        departements = {}
        for code, name in FrenchDepartement.objects.values_list("code", "name"):
            departements[key(name)] = code
        self.by_key, self.by_code, self.by_postal = dict(by_key), by_code, dict(by_postal)
        self.communes, self.names_of, self.departements = communes, dict(names_of), departements
        self.by_prefix = defaultdict(list)
        for k in self.by_key:
            self.by_prefix[k[:3]].append(k)


_INDEX = _Index()
forget = _INDEX.forget


def departement_code(text: str) -> str | None:
    """« 41 », « 041 », « 2a », « Loir-et-Cher », « 41 - Loir-et-Cher », « Loir et Cher (41) »."""
    text = (text or "").strip()
    if not text:
        return None
    for word in re.split(r"[\s()\-–,;]+", text):
        match = DEPARTEMENT_CODE.match(word.upper())
        if match:
            return match.group(1)
    return _INDEX.get().departements.get(key(text))


def resolve(name: str = "", postal_code: str = "", departement: str = "", insee: str = ""):
    """The commune a row names (see the module's docstring)."""
    index = _INDEX.get()
    name = (name or "").strip()
    insee = (insee or "").strip().upper()
    if not insee and INSEE_CODE.match(name.upper()) and not postal_code:
        code = name.upper()
        # 3,090 five-digit codes are an INSEE code and another commune's postal code
        # (« 45100 »: Combleux, or Orléans La Source): which one the cell means is for staff.
        posted = index.by_postal.get(code, set())
        coded = index.by_code.get(code)
        if posted and posted != {coded}:
            return _doubt(
                index,
                Status.AMBIGUOUS,
                posted | ({coded} if coded else set()),
                _("« %(code)s » : code INSEE ou code postal ?") % {"code": code},
            )
        insee, name = code, ""
    arrondissement = ARRONDISSEMENT.match(normalize(name))
    parsed = parse(name)
    postal_code = (postal_code or parsed.postal_code or "").strip()
    departement = (departement or "").strip().upper()
    if not departement and parsed.departement and not arrondissement:
        departement = parsed.departement
    wanted = key(name) if arrondissement else key(parsed.name)

    if insee:
        commune = index.by_code.get(insee)
        if commune and (not wanted or wanted in index.names_of.get(commune, ())):
            return _found(index, commune, "insee")
        if commune:  # the code and the name disagree: which one is wrong is for staff
            others = index.by_key.get(wanted, set())
            return _doubt(
                index,
                Status.AMBIGUOUS,
                {commune, *others},
                _("le code INSEE %(code)s n'est pas « %(name)s »") % {"code": insee, "name": name},
            )
        if not wanted and not postal_code:
            return Resolution(
                Status.UNKNOWN, problem=_("code INSEE %(code)s inconnu") % {"code": insee}
            )
    named = index.by_key.get(wanted, set()) if wanted else set()

    if not wanted:
        if not postal_code:
            return Resolution(Status.EMPTY, problem=_("ni commune ni code postal"))
        with_code = index.by_postal.get(postal_code, set())
        if len(with_code) == 1:
            return _found(index, next(iter(with_code)), "postal")
        return _doubt(
            index,
            Status.AMBIGUOUS if with_code else Status.UNKNOWN,
            with_code,
            _("code postal %(code)s sans nom de commune") % {"code": postal_code},
        )

    if departement:
        in_dep = {c for c in named if index.communes[c][0].departement == departement}
    if postal_code:
        with_code = {c for c in named if c in index.by_postal.get(postal_code, ())}
        if departement:
            with_code &= in_dep
        if len(with_code) == 1:
            return _found(index, next(iter(with_code)), "postal_name")
        if not with_code:
            # The code is not this commune's (a neighbour's post office, a typo): the
            # département it starts with still tells namesakes apart.
            prefix = postal_code[:2]
            near = {c for c in named if _in_postal_departement(index, c, prefix)}
            if departement:
                near &= in_dep
            if len(near) == 1:
                return _found(index, next(iter(near)), "postal_departement")
            with_code = near or named
        if not named:
            return _unknown(index, wanted, name, index.by_postal.get(postal_code, set()))
        return _doubt(
            index,
            Status.AMBIGUOUS,
            with_code,
            _("« %(name)s » avec le code postal %(code)s : plusieurs communes ou aucune")
            % {"name": name, "code": postal_code},
        )
    if departement:
        if len(in_dep) == 1:
            return _found(index, next(iter(in_dep)), "departement")
        if not named:
            return _unknown(index, wanted, name, set(), departement)
        return _doubt(
            index,
            Status.AMBIGUOUS,
            # « Saint-Ouen » in the 93 is now Saint-Ouen-sur-Seine: offer it too.
            in_dep or (named | _related(index, wanted, departement)),
            _("« %(name)s » dans le département %(dep)s : %(n)s communes de ce nom")
            % {"name": name, "dep": departement, "n": len(in_dep)}
            if in_dep
            else _("aucune commune « %(name)s » dans le département %(dep)s")
            % {"name": name, "dep": departement},
        )
    if len(named) == 1:
        return _found(index, next(iter(named)), "unique")
    if not named:
        return _unknown(index, wanted, name, set())
    return _doubt(
        index,
        Status.AMBIGUOUS,
        named,
        _("%(n)s communes s'appellent « %(name)s » : ajoutez le code postal ou le département")
        % {"n": len(named), "name": name},
    )


def _in_postal_departement(index, commune: str, prefix: str) -> bool:
    departement = index.communes[commune][0].departement
    if prefix == "20":  # Corsica's postal codes start with 20, its départements are 2A and 2B
        return departement in ("2A", "2B")
    return departement[:2] == prefix


def _found(index, commune: str, how: str) -> Resolution:
    candidate = index.communes[commune][0]
    return Resolution(Status.FOUND, commune, candidate.departement, how, candidate.name)


def _doubt(index, status: str, communes, problem: str) -> Resolution:
    ranked = sorted(
        (index.communes[c] for c in communes if c in index.communes),
        key=lambda pair: (-pair[1], pair[0].code),
    )
    return Resolution(
        status, candidates=tuple(c for c, _population in ranked[:MAX_CANDIDATES]), problem=problem
    )


def _related(index, wanted: str, departement: str = "") -> set[str]:
    """Communes whose name starts with the one written, or that it starts with: « Saint-Ouen »
    and Saint-Ouen-sur-Seine, « St Aignan s/ Cher » and Saint-Aignan. Candidates, never picks."""
    found = set()
    for k in index.by_prefix.get(wanted[:3], ()):
        if k.startswith(wanted + " ") or wanted.startswith(k + " "):
            found |= index.by_key[k]
    if departement:
        found = {c for c in found if index.communes[c][0].departement == departement}
    return found


def _unknown(index, wanted: str, name: str, hints: set, departement: str = "") -> Resolution:
    """No commune of that name: the ones whose names are closest, for staff to choose."""
    import difflib

    close = difflib.get_close_matches(wanted, index.by_prefix.get(wanted[:3], []), n=4, cutoff=0.75)
    communes = set(hints) | _related(index, wanted)
    for k in close:
        communes |= index.by_key[k]
    if departement:
        communes = {c for c in communes if index.communes[c][0].departement == departement}
    result = _doubt(
        index,
        Status.UNKNOWN,
        communes,
        _("commune « %(name)s » inconnue") % {"name": name},
    )
    return result
