"""Reading coordinates as partners write them: degrees in either order, French decimal
commas, Lambert-93 metres, or one "lat, lon" column; checked against France's extent."""

import math
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .projection import is_lambert93, lambert93_to_wgs84

# (min_lon, min_lat, max_lon, max_lat): metropolitan France with Corsica, then the five
# overseas départements. A point outside all of them is not a French producer.
FRANCE_EXTENT = {
    "metropole": (-5.8, 41.2, 9.8, 51.3),
    "guadeloupe": (-61.9, 15.8, -60.9, 16.6),
    "martinique": (-61.3, 14.3, -60.7, 15.0),
    "guyane": (-54.7, 2.0, -51.5, 5.9),
    "reunion": (55.1, -21.5, 55.9, -20.8),
    "mayotte": (44.9, -13.1, 45.4, -12.5),
}

NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


class How:
    DEGREES = "degres"
    SWAPPED = "degres_inverses"
    LAMBERT93 = "lambert93"


@dataclass(frozen=True)
class Position:
    longitude: float
    latitude: float
    how: str


def in_france(latitude: float, longitude: float) -> bool:
    return any(
        min_lon <= longitude <= max_lon and min_lat <= latitude <= max_lat
        for min_lon, min_lat, max_lon, max_lat in FRANCE_EXTENT.values()
    )


def parse_number(text) -> float | None:
    """ "47,9021", "47.9021", " 1 234,5 " -> float; "" -> None; anything else: ValidationError."""
    if text is None:
        return None
    if isinstance(text, int | float):
        value = float(text)
    else:
        cleaned = str(text).strip().replace("\u00a0", "").replace(" ", "")
        if not cleaned:
            return None
        if not NUMBER.match(cleaned):
            raise ValidationError(
                _("« %(value)s » n'est pas un nombre."), code="not_a_number", params={"value": text}
            )
        value = float(cleaned.replace(",", "."))
    if not math.isfinite(value):
        raise ValidationError(_("Coordonnée non finie."), code="not_finite")
    return value


def split_pair(text: str) -> tuple[float, float] | None:
    """One column holding both numbers: "47.9, 1.9", "47,9;1,9", "47.9 1.9", "(47.9,1.9)"."""
    text = (text or "").strip().strip("()[]").strip()
    if not text:
        return None
    for separator in (";", ", ", "\t", " ", "|", "/", ","):
        parts = [p for p in text.split(separator) if p.strip()]
        if len(parts) == 2:
            try:
                first, second = parse_number(parts[0]), parse_number(parts[1])
            except ValidationError:
                continue
            if first is not None and second is not None:
                return first, second
    raise ValidationError(
        _("Coordonnées illisibles : « %(value)s »."), code="unreadable_pair", params={"value": text}
    )


def position(first: float, second: float) -> Position:
    """The point two numbers designate, ``first`` being the latitude or Lambert-93 X as the
    file says. Degrees in the wrong order are swapped back; metres are Lambert-93 (in either
    order); anything outside France is refused."""
    if abs(first) > 1000 or abs(second) > 1000:
        for x, y in ((first, second), (second, first)):
            if is_lambert93(x, y):
                lon, lat = lambert93_to_wgs84(x, y)
                if in_france(lat, lon):
                    return Position(lon, lat, How.LAMBERT93)
        raise ValidationError(
            _("Coordonnées en mètres hors de l'emprise Lambert-93 : (%(a)s, %(b)s)."),
            code="outside_lambert93",
            params={"a": first, "b": second},
        )
    if in_france(first, second):
        return Position(second, first, How.DEGREES)
    if in_france(second, first):
        return Position(first, second, How.SWAPPED)
    raise ValidationError(
        _("Coordonnées hors de France : (%(a)s, %(b)s)."),
        code="outside_france",
        params={"a": first, "b": second},
    )
