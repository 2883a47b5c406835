"""Base Adresse Nationale (api-adresse.data.gouv.fr) through geopy's BANFrance adapter."""

import logging
from functools import partial

from geopy.adapters import RequestsAdapter
from geopy.exc import GeocoderTimedOut, GeopyError
from geopy.geocoders import BANFrance

from ..distance import validate_coordinates
from . import breaker
from .base import GeocodeResult, GeocodingError

logger = logging.getLogger(__name__)


class BANGeocoder:
    source = "ban"

    def __init__(
        self, domain: str, scheme: str = "https", timeout: float = 1.5, user_agent="tout-pres"
    ):
        # No retries: geopy's default (2) would triple the wait on a time-out, and the
        # offline fallback answers at once anyway.
        self._client = BANFrance(
            domain=domain,
            scheme=scheme,
            timeout=timeout,
            user_agent=user_agent,
            adapter_factory=partial(RequestsAdapter, max_retries=0),
        )

    def geocode(self, query: str) -> GeocodeResult | None:
        query = (query or "").strip()
        if len(query) < 3:
            return None
        try:
            location = self._client.geocode(query, exactly_one=True)
        except GeopyError as exc:
            # geopy's requests adapter reports a read time-out as "unavailable".
            if isinstance(exc, GeocoderTimedOut) or "timed out" in str(exc).lower():
                raise GeocodingError(f"BAN: délai dépassé ({exc})") from exc
            raise GeocodingError(f"BAN: {exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            # geopy parses the answer inside geocode(): out-of-range or malformed features.
            raise GeocodingError(f"BAN: réponse illisible ({exc})") from exc
        if location is None:
            return None
        try:
            lat, lon = validate_coordinates(location.latitude, location.longitude)
        except Exception as exc:
            raise GeocodingError(f"BAN: coordonnées illisibles ({exc})") from exc
        properties = (
            (location.raw or {}).get("properties", {}) if isinstance(location.raw, dict) else {}
        )
        return GeocodeResult(
            latitude=lat,
            longitude=lon,
            label=properties.get("label") or location.address,
            commune_code=properties.get("citycode"),
            precision=properties.get("type") or "housenumber",
            source=self.source,
        )


class FallbackGeocoder:
    """The gazetteer for a bare commune or postal code (no network call); else the primary
    geocoder, guarded by the circuit breaker, then the gazetteer when it fails, is skipped
    or finds nothing."""

    def __init__(self, primary, fallback):
        self.primary = primary
        self.fallback = fallback

    def geocode(self, query: str) -> GeocodeResult | None:
        local = self.fallback.exact(query)
        if local is not None:
            return local
        try:
            result = self.precise(query)
        except GeocodingError as exc:
            logger.warning("Geocoder not used, the gazetteer answers: %s", exc)
            result = None
        return result or self.fallback.geocode(query)

    def precise(self, query: str) -> GeocodeResult | None:
        """The primary geocoder's answer, through the breaker; GeocodingError if it failed
        or is skipped for now."""
        if not breaker.allow():
            raise GeocodingError("service skipped for now (circuit open)")
        try:
            result = self.primary.geocode(query)
        except GeocodingError:
            breaker.failed()
            raise
        breaker.succeeded()
        return result
