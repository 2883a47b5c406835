"""GeoJSON (RFC 7946) and JSON shapes of actors and places: one serializer per format."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .models import Actor, ActorKind


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


def reached_through(link, distance_km, request=None) -> dict | None:
    """How a producer is reached inside the radius: the place, its day and hours, a label."""
    if link is None:
        return None
    label = _("à %(distance)s via %(place)s") % {
        "distance": km(distance_km),
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


# The columns a feature is made of, read with .values() so a page builds no model instance.
FEATURE_VALUES = (
    "pk",
    "slug",
    "name",
    "kind",
    "phone",
    "lon",
    "lat",
    "commune__name",
    "commune__departement__code",
)


def feature(row: dict, categories, distance_km=None, link=None, request=None) -> dict:
    """One actor as a GeoJSON Feature, from FEATURE_VALUES (public position, see public_location)."""
    return {
        "type": "Feature",
        "id": row["pk"],
        "geometry": {"type": "Point", "coordinates": [round(row["lon"], 6), round(row["lat"], 6)]},
        "properties": {
            "id": row["pk"],
            "slug": row["slug"],
            "name": row["name"],
            "kind": row["kind"],
            "kind_label": str(ActorKind(row["kind"]).label),
            "categories": list(categories),
            "commune": row["commune__name"] or "",
            "departement": row["commune__departement__code"] or "",
            "phone": row["phone"],
            "distance_km": round(distance_km, 2) if distance_km is not None else None,
            "distance": km(distance_km),
            "reached_through": reached_through(link, distance_km, request),
            "url": _absolute(Actor.url_for_slug(row["slug"]), request),
        },
    }


def actor_feature(actor, request=None) -> dict:
    """The same Feature from a loaded actor (categories prefetched)."""
    if hasattr(actor, "lon"):  # with_public_coordinates(): read in the database
        lon, lat = actor.lon, actor.lat
    else:
        point = actor.public_location
        lon, lat = point.x, point.y
    commune = actor.commune
    row = {
        "pk": actor.pk,
        "slug": actor.slug,
        "name": actor.name,
        "kind": actor.kind,
        "phone": actor.phone,
        "lon": lon,
        "lat": lat,
        "commune__name": commune.name if commune else "",
        "commune__departement__code": commune.departement.code if commune else "",
    }
    return feature(
        row,
        [c.slug for c in actor.categories.all()],
        getattr(actor, "distance_km", None),
        getattr(actor, "reached_through", None),
        request,
    )


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
