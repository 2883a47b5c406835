"""Geocoding behind a small interface: BAN (online) with the gazetteer as offline fallback."""

from django.conf import settings

from .ban import BANGeocoder, FallbackGeocoder
from .base import Geocoder, GeocodeResult, GeocodingError
from .offline import GazetteerGeocoder

__all__ = [
    "BANGeocoder",
    "FallbackGeocoder",
    "GazetteerGeocoder",
    "GeocodeResult",
    "Geocoder",
    "GeocodingError",
    "get_geocoder",
    "geocode",
]

BACKENDS = ("offline", "ban")


def get_geocoder() -> Geocoder:
    """The geocoder the settings ask for (TOUTPRES_GEOCODER)."""
    config = settings.TOUTPRES_GEOCODER
    offline = GazetteerGeocoder()
    if config["BACKEND"] == "ban":
        ban = BANGeocoder(
            domain=config["BAN_DOMAIN"],
            scheme=config["BAN_SCHEME"],
            timeout=config["TIMEOUT"],
            user_agent=config["USER_AGENT"],
        )
        return FallbackGeocoder(ban, offline)
    return offline


def geocode(query: str) -> GeocodeResult | None:
    """Geocode an address with the configured service (never raises for a network failure)."""
    return get_geocoder().geocode(query)
