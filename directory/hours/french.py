"""French timetables as people write them -> Hours.

« mercredi 08:00 - 13:00; samedi 08:00 - 13:00 », « le vendredi de 17h30 à 19h », « mardi
et vendredi matin », « Du lundi au samedi 9h-12h30 / 14h30-19h », « d'avril à octobre, le
samedi de 9h à 12h », « tous les jours sauf lundi, 8h-12h ».

The text is cut into tokens (days, times, half-day words, months, « sauf », « fermé »…),
then read as clauses: a set of days and the intervals that follow (or precede) it. Days
without any time are not hours (« jeudi, samedi »): None, and the import keeps the text.
Half-day words follow fixed conventions (matin 08:00–12:30, après-midi 14:00–18:00, soir
17:00–20:00, journée 08:00–18:00), and the listing keeps the text too. What cannot be read
for sure (appointments, dated days, week parity, school holidays, seasons without months)
gives None rather than a guess.
"""

import calendar
import re
import unicodedata
from functools import lru_cache

from . import DAYS, Hours

DAY_WORDS = {
    "lundi": 0,
    "lun": 0,
    "mardi": 1,
    "mar": 1,
    "mercredi": 2,
    "mer": 2,
    "jeudi": 3,
    "jeu": 3,
    "vendredi": 4,
    "ven": 4,
    "samedi": 5,
    "sam": 5,
    "dimanche": 6,
    "dim": 6,
}
MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}
HALF_DAYS = {
    "matin": ("08:00", "12:30"),
    "matinee": ("08:00", "12:30"),
    "apres-midi": ("14:00", "18:00"),
    "apres midi": ("14:00", "18:00"),
    "soir": ("17:00", "20:00"),
    "soiree": ("17:00", "20:00"),
    "toute la journee": ("08:00", "18:00"),
    "journee": ("08:00", "18:00"),
}
# What no weekly timetable can hold: refused, the text is kept as it is.
UNREADABLE = re.compile(
    r"rendez|rdv|\bsemaines? (?:paire|impaire)|\b1er\b(?! (?:" + "|".join(MONTHS) + r"))"
    r"|\b\d(?:e|eme|er)s? (?:et|,)|\bvacances\b|\bscolaire|\bsauf (?:en |l )?(?:ete|hiver)"
    r"|\bun (?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) sur|\bune semaine sur"
    r"|\bsur commande\b|\bselon\b|\bvariable|\bnous contacter|\bfin d|\bdebut d|\bmi-"
    r"|\bconfinement|\btemporaire|\bexceptionnel|\bdemain\b|\baujourd hui\b|\bpause\b"
    r"|\bce (?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b",
)
# Open on public holidays, at hours of their own or not: no weekly timetable says that.
OPEN_ON_HOLIDAYS = re.compile(r"\bferie")
SEASON_WORDS = re.compile(r"\b(?:ete|hiver|printemps|automne|saison)\b")

TOKEN = re.compile(
    r"""
    (?P<holidays>(?:ferme|fermeture|sauf)[^;.]{0,20}?\bjours?\ feries?|feries?\ fermes?)
    |(?P<allday>\b24\ ?h(?:eures)?\ sur\ 24\ ?h?(?:eures)?\b)
    |(?P<everyday>tous\ les\ jours|7\ ?j\ ?/\ ?7|7j7|chaque\ jour|(?:7|sept)\ jours\ sur\ (?:7|sept))
    |(?P<weekdays>en\ semaine|jours\ ouvres)
    |(?P<weekend>(?:le\ |les\ )?week-?\ ?ends?)
    |(?P<monthday>\b(?:le\ |du\ |au\ )?(?:1er|\d{1,2})\ (?P<mdmonth>"""
    + "|".join(MONTHS)
    + r""")\b)
    |(?P<month>\b(?:"""
    + "|".join(MONTHS)
    + r""")\b)
    |(?P<half>toute\ la\ journee|apres[-\ ]midi|matinee|matin|soiree|soir|journee)
    |(?P<time>\b(?:[01]?\d|2[0-4])\ ?(?:h|:|heures?)\ ?(?:[0-5]\d)?(?:\ ?min)?\b|\bmidi\b|\bminuit\b|\b(?:[01]?\d|2[0-4])\.[0-5]\d\b)
    |(?P<day>\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)s?\b|\b(?:lun|mar|mer|jeu|ven|sam|dim)\b\.?)
    |(?P<between>\bentre\b)
    |(?P<except>\bsauf\b|\bhors\b|\bexcepte\b)
    |(?P<closed>\bfermee?s?\b|\bfermeture\b|\brelache\b)
    |(?P<to>\bau\b|\bjusqu\ ?a\b|\ba\b|-|–|—)
    |(?P<from>\bdu\b|\bde\b|\bdes\b|\bd\b)
    |(?P<and>\bet\b|,|&|\+|/)
    |(?P<end>;|\.(?!\d)|\n|\|)
    """,
    re.VERBOSE,
)


class Unreadable(Exception):
    pass


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("’", "'").replace("'", " ").replace("\u00a0", " ")
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"[ \t]+", " ", text)
    # « entre 16 et 19 heures »: the first hour without its « h ».
    return re.sub(r"\b(entre|de) (\d{1,2}) (et|a) (\d{1,2}) ?h", r"\1 \2h \3 \4h", text)


NAMED_TIMES = {"midi": "12:00", "minuit": "24:00"}


def _clock(written: str) -> str:
    written = written.strip()
    if written in NAMED_TIMES:
        return NAMED_TIMES[written]
    match = re.match(r"(\d{1,2})\s?(?:h|:|heures?|\.)\s?(\d{2})?", written)
    if not match:
        raise Unreadable(written)
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours > 24 or (hours == 24 and minutes):
        raise Unreadable(written)
    return f"{hours:02d}:{minutes:02d}"


def _tokens(text: str):
    out = []
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "mdmonth":
            kind = "monthday"
        out.append((kind, match.group()))
    return out


def _day_of(token: str) -> int:
    word = token.rstrip(".").strip()
    word = word[:-1] if word.endswith("s") and word[:-1] in DAY_WORDS else word
    return DAY_WORDS[word]


def _month_of(token: str) -> int:
    return MONTHS[re.search("|".join(MONTHS), token).group()]


def _days_between(first: int, last: int) -> list[int]:
    return [(first + n) % 7 for n in range((last - first) % 7 + 1)]


class _Clause:
    def __init__(self):
        self.days: list[int] = []
        self.removed: set[int] = set()
        self.spans: list[tuple[str, str]] = []
        # From half-day words; clock times written in the same clause win (« matin (8h-13h) »).
        self.soft: list[tuple[str, str]] = []

    def has_hours(self) -> bool:
        return bool(self.spans or self.soft)


def _season(tokens) -> str | None:
    """A season written with months (« d'avril à octobre », « du 1er avril au 15 octobre »)."""
    bounds = []
    for kind, value in tokens:
        if kind == "month":
            month = _month_of(value)
            bounds.append((month, None))
        elif kind == "monthday":
            month = _month_of(value)
            day = re.search(r"(1er|\d{1,2})", value).group()
            bounds.append((month, 1 if day == "1er" else int(day)))
    if not bounds:
        return None
    if len(bounds) != 2:
        raise Unreadable("months")  # one month, or several seasons
    (m1, d1), (m2, d2) = bounds
    d1 = d1 or 1
    d2 = d2 or calendar.monthrange(2024, m2)[1]
    if d1 > calendar.monthrange(2024, m1)[1] or d2 > calendar.monthrange(2024, m2)[1]:
        raise Unreadable("date")
    return f"{m1:02d}-{d1:02d}/{m2:02d}-{d2:02d}"


def _interval_at(tokens, i) -> tuple[tuple[str, str], int] | None:
    """The interval starting at token ``i`` (« 8h-12h », « de 8h à 12h », « entre 8h et
    12h ») and the index of its last token."""
    if i + 2 >= len(tokens) or tokens[i + 2][0] != "time":
        return None
    link = tokens[i + 1]
    between = i > 0 and tokens[i - 1][0] == "between"
    if link[0] == "to" or (between and link == ("and", "et")):
        return (_clock(tokens[i][1]), _clock(tokens[i + 2][1])), i + 2
    return None


def _read(tokens) -> tuple[list[_Clause], set[int]]:
    """Clauses (days and intervals, in either order) and the days said to be closed."""
    clauses: list[_Clause] = []
    current = _Clause()
    closed: set[int] = set()
    mode = "days"  # "days", "except", "closed"
    hours_first = False  # the clause's hours came before its days
    i = 0

    def close_clause():
        nonlocal current, hours_first
        if not current.spans:
            current.spans = current.soft
        if current.days or current.spans:
            clauses.append(current)
        current, hours_first = _Clause(), False

    def add_days(days):
        nonlocal mode
        if mode == "except":
            current.removed.update(days)
        elif mode == "closed":
            closed.update(days)
        else:
            if current.days and current.has_hours():
                close_clause()  # « … 9h-12h, samedi 9h-12h »: a new clause
            elif not current.days and current.has_hours() and not hours_first:
                close_clause()
            current.days.extend(d for d in days if d not in current.days)

    def add_span(span, soft=False):
        nonlocal mode, hours_first
        if mode == "closed":
            raise Unreadable("closed hours")
        if hours_first and current.days:
            close_clause()  # « de 7h à 13h le dimanche » after a complete clause
        if not current.days:
            hours_first = True
        (current.soft if soft else current.spans).append(span)
        mode = "days"

    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "day":
            day = _day_of(value)
            # A range: « du lundi au vendredi », « lundi-vendredi », « lundi à samedi ».
            if i + 2 < len(tokens) and tokens[i + 1][0] == "to" and tokens[i + 2][0] == "day":
                days = _days_between(day, _day_of(tokens[i + 2][1]))
                i += 2
            else:
                days = [day]
            add_days(days)
        elif kind in ("everyday", "weekdays", "weekend"):
            mode = "days" if mode == "except" else mode
            add_days(list({"everyday": range(7), "weekdays": range(5), "weekend": (5, 6)}[kind]))
        elif kind == "except":
            mode = "except"
        elif kind == "closed":
            mode = "closed"
        elif kind == "allday":
            add_span(("00:00", "24:00"))
        elif kind == "time":
            found = _interval_at(tokens, i)
            if found is None:
                raise Unreadable(value)
            span, i = found
            add_span(span)
        elif kind == "half":
            span = HALF_DAYS.get(value) or HALF_DAYS.get(value.replace("-", " "))
            if span is None:
                raise Unreadable(value)
            add_span(span, soft=True)
        elif kind == "end":
            close_clause()
            mode = "days"
        i += 1
    close_clause()
    return clauses, closed


@lru_cache(maxsize=4096)
def parse_french(text: str) -> Hours | None:
    """The weekly hours a French timetable says, or None when it cannot be read for sure."""
    plain = _plain(text or "").strip()
    if not plain or UNREADABLE.search(plain):
        return None
    tokens = _tokens(plain)
    holidays_closed = any(kind == "holidays" for kind, _ in tokens)
    if not holidays_closed and OPEN_ON_HOLIDAYS.search(plain):
        return None
    tokens = [t for t in tokens if t[0] != "holidays"]
    if SEASON_WORDS.search(plain) and not any(k in ("month", "monthday") for k, _ in tokens):
        return None  # « en été » without months
    try:
        season = _season(tokens)
        tokens = [t for t in tokens if t[0] not in ("month", "monthday")]
        clauses, closed = _read(tokens)
    except (Unreadable, KeyError, ValueError):
        return None
    by_day: dict[int, list[tuple[str, str]]] = {}
    for index, clause in enumerate(clauses):
        days = [d for d in clause.days if d not in clause.removed and d not in closed]
        if not clause.days and clause.spans:
            # Hours with no days: every day but those said closed (« 9h-19h, fermé le lundi »),
            # only when closed days are named; else we cannot tell which days.
            if not closed or index:
                return None
            days = [d for d in range(7) if d not in closed]
        if days and not clause.spans:
            return None  # days without hours
        for opens, closes in clause.spans:
            if closes <= opens and closes != "24:00":
                return None
        # A later clause about the same day says that day's hours (« tous les jours 8h-19h,
        # le dimanche 8h-13h »), as a later rule does in OpenStreetMap's syntax.
        for day in days:
            by_day[day] = list(clause.spans)
    slots = [
        (DAYS[day], opens, closes, season)
        for day, spans in by_day.items()
        for opens, closes in spans
    ]
    return Hours.checked(slots, holidays_closed)
