"""Geocoding behind a small interface: BAN (online) with the gazetteer as offline fallback."""

import hashlib

from django.conf import settings
from django.core.cache import cache

from ..text import normalize
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
    "locates_addresses",
    "precise_geocode",
]

BACKENDS = ("offline", "ban")
MISSING = object()


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


CACHE_SECONDS = 24 * 3600


def locates_addresses() -> bool:
    """Whether the configured service can place an address more precisely than its commune.
    The gazetteer alone (GEOCODER=offline) answers with the commune's town hall, which the
    caller already knows from the postal code and name: an import then asks it nothing."""
    return settings.TOUTPRES_GEOCODER["BACKEND"] != "offline"


def geocode(query: str) -> GeocodeResult | None:
    """Geocode an address with the configured service (never raises for a network failure).

    Answers are cached for a day: a shared search link must not call the BAN once per
    visitor, and addresses do not move.
    """
    backend = settings.TOUTPRES_GEOCODER["BACKEND"]
    key = "geocode:" + hashlib.sha256(f"{backend}|{normalize(query or '')}".encode()).hexdigest()
    cached = cache.get(key, MISSING)
    if cached is not MISSING:
        return cached
    result = get_geocoder().geocode(query)
    # A miss is cached briefly only: the fallback may have answered for a failing service.
    trusted = backend == "offline" or (result is not None and result.source != "gazetteer")
    cache.set(key, result, CACHE_SECONDS if trusted else 300)
    return result


def precise_geocode(query: str) -> GeocodeResult | None:
    """The online service's answer, uncached, for background tasks (directory.tasks):
    None if it knows no such address; GeocodingError if it failed or is skipped for now
    (circuit open), so the task can try again later. The gazetteer with GEOCODER=offline."""
    geocoder = get_geocoder()
    if isinstance(geocoder, FallbackGeocoder):
        return geocoder.precise(query)
    return geocoder.geocode(query)
