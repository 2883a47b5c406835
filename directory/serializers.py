"""GeoJSON (RFC 7946) and JSON shapes of actors and places: one serializer per format."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _


def hours(start, end) -> str:
    """French-style hours: "17h–19h", "8h30–12h30"."""

    def fmt(t):
        return f"{t.hour}h{t.minute:02d}" if t.minute else f"{t.hour}h"

    return f"{fmt(start)}–{fmt(end)}" if start and end else ""


def km(value: float | None) -> str:
    """A distance as people read it: "800 m", "3,2 km", "42 km"."""
    if value is None:
        return ""
    if value < 1:
        return f"{int(round(value * 1000, -1))} m"
    return f"{number_format(round(value, 1) if value < 10 else round(value), use_l10n=True)} km"


def reached_through(actor, request=None) -> dict | None:
    link = getattr(actor, "reached_through", None)
    if link is None:
        return None
    label = _("à %(distance)s via %(place)s") % {
        "distance": km(actor.distance_km),
        "place": link.place.name,
    }
    if link.weekday is not None:
        label += ", " + _("le %(day)s") % {"day": link.get_weekday_display()}
    if link.starts and link.ends:
        label += " " + hours(link.starts, link.ends)
    return {
        "place": link.place.name,
        "slug": link.place.slug,
        "url": _absolute(link.place.get_absolute_url(), request),
        "kind": link.place.kind,
        "weekday": link.weekday,
        "starts": link.starts.strftime("%H:%M") if link.starts else None,
        "ends": link.ends.strftime("%H:%M") if link.ends else None,
        "label": label,
    }


def _absolute(url: str, request) -> str:
    return request.build_absolute_uri(url) if request else url


def actor_feature(actor, request=None) -> dict:
    """One actor as a GeoJSON Feature (public position: the commune for home-based producers)."""
    point = actor.public_location
    commune = actor.commune
    url = actor.get_absolute_url()
    distance = getattr(actor, "distance_km", None)
    return {
        "type": "Feature",
        "id": actor.pk,
        "geometry": {"type": "Point", "coordinates": [round(point.x, 6), round(point.y, 6)]},
        "properties": {
            "id": actor.pk,
            "slug": actor.slug,
            "name": actor.name,
            "kind": actor.kind,
            "kind_label": str(actor.get_kind_display()),
            "categories": [c.slug for c in actor.categories.all()],
            "commune": commune.name if commune else "",
            "departement": commune.departement.code if commune else "",
            "phone": actor.phone,
            "distance_km": round(distance, 2) if distance is not None else None,
            "distance": km(distance),
            "reached_through": reached_through(actor, request),
            "url": _absolute(url, request),
        },
    }


def commune_json(commune) -> dict:
    center = commune.center
    return {
        "name": commune.name,
        "insee": commune.code,
        "postal_codes": commune.postal_code_list,
        "departement": commune.departement.code,
        "departement_name": commune.departement.name,
        "label": commune.label,
        "lat": round(center.y, 6) if center else None,
        "lon": round(center.x, 6) if center else None,
    }
