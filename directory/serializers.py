"""GeoJSON (RFC 7946) and JSON shapes of actors and places: one serializer per format."""

from functools import lru_cache

from django.urls import get_script_prefix
from django.utils.formats import get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import Actor, ActorKind, Weekday


def hours(start, end) -> str:
    """French-style hours: "17h–19h", "8h30–12h30"."""

    def fmt(t):
        return f"{t.hour}h{t.minute:02d}" if t.minute else f"{t.hour}h"

    return f"{fmt(start)}–{fmt(end)}" if start and end else ""


@lru_cache(maxsize=8)
def _decimal_separator(language: str) -> str:
    return get_format("DECIMAL_SEPARATOR", language)


def km(value: float | None, language: str | None = None, approximate: bool = False) -> str:
    """A distance as people read it: "800 m", "3,2 km", "42 km" (decimal comma in French);
    « environ 12 km » to a home-based producer's commune pin (whole kilometres)."""
    if value is None:
        return ""
    if approximate:
        return _("environ %(km)s km") % {"km": max(1, round(value))}
    if value < 1:
        return f"{int(round(value * 1000, -1))} m"
    if value < 10:
        separator = _decimal_separator(language or get_language() or "fr")
        return f"{value:.1f}".replace(".", separator) + " km"
    return f"{round(value)} km"


@lru_cache(maxsize=8)
def _kind_labels(language: str) -> dict[str, str]:
    return {kind.value: str(kind.label) for kind in ActorKind}


@lru_cache(maxsize=8)
def _actor_url_template(prefix: str) -> tuple[str, str]:
    # reverse() once per process and script prefix, not once per feature of every page.
    head, _, tail = Actor.url_for_slug("slug-placeholder").partition("slug-placeholder")
    return head, tail


def actor_url(slug: str, template: tuple[str, str] | None = None) -> str:
    """A listing's path; ``template`` (actor_url_template()) read once for a whole page."""
    head, tail = template or _actor_url_template(get_script_prefix())
    return f"{head}{slug}{tail}"


def actor_url_template() -> tuple[str, str]:
    """The listing paths' head and tail for this request's script prefix (a thread-local
    read: once a page, not once a feature)."""
    return _actor_url_template(get_script_prefix())


# A reached-through link's columns, read with .values() (see link_values for a loaded link).
LINK_VALUES = (
    "pk",
    "weekday",
    "starts",
    "ends",
    "place__name",
    "place__slug",
    "place__kind",
    "place__location_is_approximate",
)


def link_values(link) -> dict:
    """LINK_VALUES of a loaded DistributionLink (place selected)."""
    return {
        "pk": link.pk,
        "weekday": link.weekday,
        "starts": link.starts,
        "ends": link.ends,
        "place__name": link.place.name,
        "place__slug": link.place.slug,
        "place__kind": link.place.kind,
        "place__location_is_approximate": link.place.location_is_approximate,
    }


def reached_through(link: dict | None, distance_km, request=None, root=None) -> dict | None:
    """How a producer is reached inside the radius: the place, its day and hours, a label.

    ``link`` holds LINK_VALUES.
    """
    if link is None:
        return None
    if root is None:
        root = site_root(request)
    label = _("à %(distance)s via %(place)s") % {
        "distance": km(distance_km, approximate=link["place__location_is_approximate"]),
        "place": link["place__name"],
    }
    if link["weekday"] is not None:
        label += ", " + _("le %(day)s") % {"day": Weekday(link["weekday"]).label}
    starts, ends = link["starts"], link["ends"]
    if starts and ends:
        label += " " + hours(starts, ends)
    return {
        "place": link["place__name"],
        "slug": link["place__slug"],
        "url": root + actor_url(link["place__slug"]),
        "kind": link["place__kind"],
        "weekday": link["weekday"],
        "starts": starts.strftime("%H:%M") if starts else None,
        "ends": ends.strftime("%H:%M") if ends else None,
        "label": label,
    }


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
    "location_is_approximate",
)


def site_root(request) -> str:
    """ "https://host" of the request ("" without one): links in features are absolute."""
    return request.build_absolute_uri("/")[:-1] if request is not None else ""


def feature(
    row: dict,
    categories,
    distance_km=None,
    link=None,
    request=None,
    root=None,
    language=None,
    template=None,
) -> dict:
    """One actor as a GeoJSON Feature, from FEATURE_VALUES (public position, see public_location).

    ``root`` (site_root(request)) and ``language`` are computed once by callers that serialise
    a whole page: asking for the active language twice per feature cost a tenth of a page.
    """
    if root is None:
        root = site_root(request)
    if language is None:
        language = get_language() or ""
    approximate = distance_km is not None and bool(
        link["place__location_is_approximate"] if link else row["location_is_approximate"]
    )
    return {
        "type": "Feature",
        "id": row["pk"],
        "geometry": {"type": "Point", "coordinates": [round(row["lon"], 6), round(row["lat"], 6)]},
        "properties": {
            "id": row["pk"],
            "slug": row["slug"],
            "name": row["name"],
            "kind": row["kind"],
            "kind_label": _kind_labels(language)[row["kind"]],
            "categories": list(categories),
            "commune": row["commune__name"] or "",
            "departement": row["commune__departement__code"] or "",
            "phone": row["phone"],
            "distance_km": round(distance_km, 2) if distance_km is not None else None,
            "distance_is_approximate": approximate,
            "distance": km(distance_km, language, approximate),
            "reached_through": reached_through(link, distance_km, request, root),
            "url": root + actor_url(row["slug"], template),
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
        "location_is_approximate": actor.location_is_approximate,
    }
    return feature(
        row,
        [c.slug for c in actor.categories.all()],
        getattr(actor, "distance_km", None),
        link_values(link) if (link := getattr(actor, "reached_through", None)) else None,
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
