"""The geocoding interface every backend implements."""

from dataclasses import dataclass
from typing import Protocol

from django.contrib.gis.geos import Point


class GeocodingError(Exception):
    """The geocoding service failed (time-out, HTTP error, unreadable answer)."""


@dataclass(frozen=True)
class GeocodeResult:
    latitude: float
    longitude: float
    label: str
    # INSEE code of the commune when the source knows it.
    commune_code: str | None
    # "housenumber", "street", "locality" (BAN) or "municipality" (commune level).
    precision: str
    source: str

    @property
    def point(self) -> Point:
        return Point(self.longitude, self.latitude, srid=4326)

    @property
    def approximate(self) -> bool:
        """True when only the commune is known, not the address."""
        return self.precision == "municipality"


class Geocoder(Protocol):
    def geocode(self, query: str) -> GeocodeResult | None:
        """Best match for a free-text address, None if nothing matches; GeocodingError on failure."""
