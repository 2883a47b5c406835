"""Opening hours read from partners' lists: OpenStreetMap ``opening_hours`` values
(``osm``), French timetables as people write them (``french``) and per-weekday columns
(``columns``), all into one weekly form (``Hours``) that becomes the same seasons and
weekly slots registration uses (``store``).

``Hours`` is also the corpus format of the tests (tests/directory/hours_corpus/README.md):
slots as (day, opens, closes, season), times "HH:MM" (closing at "24:00" allowed), a
season "MM-DD/MM-DD" (bounds included, may wrap the new year), and whether the text says
public holidays are closed.
"""

from dataclasses import dataclass

DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")


@dataclass(frozen=True)
class Hours:
    slots: tuple[tuple[str, str, str, str | None], ...]
    holidays_closed: bool = False

    @classmethod
    def checked(cls, slots, holidays_closed: bool = False) -> "Hours | None":
        """``of``, or None when a slot does not close after it opens as a listing stores
        it: « 24:00 » is kept as 23:59, so nothing may open at or after 23:59 then."""
        for _day, opens, closes, *_season in slots:
            stored_close = "23:59" if closes == "24:00" else closes
            if not ("00:00" <= opens < stored_close <= "23:59"):
                return None
        return cls.of(slots, holidays_closed) if slots else None

    @classmethod
    def of(cls, slots, holidays_closed: bool = False) -> "Hours":
        """Slots deduplicated and in the corpus order: day, all-year first, then opening."""
        unique = {(d, o, c, s or None) for d, o, c, *rest in slots for s in (rest or [None])}
        ordered = sorted(unique, key=lambda s: (DAYS.index(s[0]), s[3] or "", s[1], s[2]))
        return cls(tuple(ordered), holidays_closed)

    def as_json(self) -> dict:
        out: dict = {"slots": [[d, o, c] + ([s] if s else []) for d, o, c, s in self.slots]}
        if self.holidays_closed:
            out["holidays"] = "closed"
        return out

    @classmethod
    def from_json(cls, value: dict | None) -> "Hours | None":
        if not value:
            return None
        return cls.of(value.get("slots", []), value.get("holidays") == "closed")
