"""Start-up checks for the geographic configuration (ids geodata.E00x)."""

import math
import re

from django.conf import settings
from django.core.checks import Error, register

DEPARTEMENT_CODE = re.compile(r"^(0[1-9]|1\d|2[1-9]|2A|2B|[3-8]\d|9[0-5]|97[1-46])$")


@register()
def check_region(app_configs, **kwargs):
    region = getattr(settings, "TOUTPRES_REGION", None)
    errors = []
    if not isinstance(region, dict):
        return [Error("TOUTPRES_REGION must be a dict.", id="geodata.E001")]
    codes = region.get("DEPARTEMENTS") or []
    bad = [c for c in codes if not DEPARTEMENT_CODE.match(str(c))]
    if not codes or bad:
        errors.append(
            Error(
                f"REGION_DEPARTEMENTS has unknown département codes: {bad or 'none given'}.",
                hint="Use INSEE codes such as 18,28,36,37,41,45 (2A/2B for Corsica).",
                id="geodata.E001",
            )
        )
    center = region.get("MAP_CENTER") or []
    if (
        len(center) != 2
        or not all(isinstance(v, float | int) and math.isfinite(v) for v in center)
        or not (-90 <= center[0] <= 90 and -180 <= center[1] <= 180)
    ):
        errors.append(
            Error(
                f"REGION_MAP_CENTER must be 'lat,lon' within range, not {center!r}.",
                id="geodata.E002",
            )
        )
    if not 1 <= int(region.get("MAP_ZOOM", 0)) <= 18:
        errors.append(Error("REGION_MAP_ZOOM must be between 1 and 18.", id="geodata.E003"))
    return errors


@register()
def check_geocoder(app_configs, **kwargs):
    from .geocoding import BACKENDS

    config = getattr(settings, "TOUTPRES_GEOCODER", {})
    if config.get("BACKEND") not in BACKENDS:
        return [
            Error(
                f"GEOCODER must be one of {', '.join(BACKENDS)}, not {config.get('BACKEND')!r}.",
                id="geodata.E004",
            )
        ]
    if not config.get("TIMEOUT") or config["TIMEOUT"] <= 0:
        return [Error("GEOCODER_TIMEOUT must be a positive number of seconds.", id="geodata.E005")]
    if (
        config.get("BREAKER_FAILURES", 5) < 1
        or config.get("BREAKER_WINDOW", 60) <= 0
        or config.get("BREAKER_COOLDOWN", 60) <= 0
    ):
        return [
            Error(
                "GEOCODER_BREAKER_FAILURES must be at least 1, GEOCODER_BREAKER_WINDOW and "
                "GEOCODER_BREAKER_COOLDOWN positive numbers of seconds.",
                id="geodata.E006",
            )
        ]
    return []
