"""Reading, comparing and writing the fields an import feeds, as JSON-ready values (what a
record stores in ``data`` and ``before``)."""

from django.contrib.gis.geos import Point

from ..hours import Hours, store
from ..models import Actor, Category, Label

TEXT_FIELDS = (
    "name",
    "kind",
    "products",
    "description",
    "address",
    "postal_code",
    "phone",
    "email",
    "website",
    "shop_url",
    "contact_name",
    "contact_email",
    "contact_phone",
    "hours_text",
)
# About 10 cm: a file rounding the same coordinates differently is not a move.
SAME_PLACE_DEGREES = 1e-6


def snapshot(actor: Actor, fields) -> dict:
    """The actor's current values for ``fields`` (keys of an import's data)."""
    out = {}
    for field in fields:
        if field in TEXT_FIELDS:
            out[field] = getattr(actor, field)
        elif field == "commune":
            out["commune"] = actor.commune_id
        elif field == "location":
            out["location"] = [actor.location.x, actor.location.y] if actor.location else None
            out["approximate"] = actor.location_is_approximate
            out["checked"] = actor.location_checked
        elif field in ("categories", "labels"):
            out[field] = sorted(getattr(actor, field).values_list("slug", flat=True))
        elif field == "hours":
            out["hours"] = store.read(actor)
        elif field == "source_key":
            out["source_key"] = actor.source_key
        elif field == "source_dropped_at":
            dropped = actor.source_dropped_at
            out[field] = dropped.isoformat() if dropped else None
    return out


def differences(actor: Actor, data: dict) -> list[str]:
    """The fields an import would change on ``actor`` (empty: nothing to do)."""
    changed = [f for f in TEXT_FIELDS if f in data and getattr(actor, f) != data[f]]
    if "commune" in data and actor.commune_id != data["commune"]:
        changed.append("commune")
    if "lon" in data and not (data["approximate"] and actor.location_checked):
        # A pin staff have checked is kept when the file only knows the commune.
        location = actor.location
        moved = location is None or (
            abs(location.x - data["lon"]) > SAME_PLACE_DEGREES
            or abs(location.y - data["lat"]) > SAME_PLACE_DEGREES
        )
        if moved or actor.location_is_approximate != data["approximate"]:
            changed.append("location")
    for field in ("categories", "labels"):
        if field in data:
            current = sorted(getattr(actor, field).values_list("slug", flat=True))
            if current != sorted(data[field]):
                changed.append(field)
    if "hours" in data and store.read(actor) != _hours_json(data["hours"]):
        changed.append("hours")
    if actor.source_dropped_at is not None:
        changed.append("source_dropped_at")
    return changed


def _hours_json(value: dict | None) -> dict | None:
    hours = Hours.from_json(value)
    return hours.as_json() if hours else None


def assign(actor: Actor, values: dict, fields) -> list:
    """Writes ``values`` (data or a snapshot) for ``fields`` on the unsaved actor; returns
    the many-to-many assignments to make once it is saved."""
    later = []
    for field in fields:
        if field in TEXT_FIELDS:
            setattr(actor, field, values.get(field, ""))
        elif field == "commune":
            actor.commune_id = values.get("commune")
        elif field == "location":
            if "lon" in values:
                actor.location = Point(values["lon"], values["lat"], srid=4326)
            elif values.get("location"):
                actor.location = Point(*values["location"], srid=4326)
            actor.location_is_approximate = bool(values.get("approximate"))
            actor.location_checked = bool(values.get("checked", True))
        elif field == "categories":
            later.append((field, Category, values.get(field, [])))
        elif field == "labels":
            later.append((field, Label, values.get(field, [])))
        elif field == "hours":
            hours = Hours.from_json(values.get("hours"))
            actor.closed_on_public_holidays = bool(hours and hours.holidays_closed)
            later.append((field, None, hours))
        elif field == "source_dropped_at":
            actor.source_dropped_at = values.get(field)
        elif field == "source_key" and values.get("source_key"):
            actor.source_key = values["source_key"]
    return later


def assign_related(actor: Actor, later: list) -> None:
    for field, model, value in later:
        if field == "hours":
            store.write(actor, value)
        else:
            getattr(actor, field).set(model.objects.filter(slug__in=value))


def data_fields(data: dict) -> list[str]:
    """The actor fields an import's data feeds."""
    fields = [f for f in TEXT_FIELDS if f in data]
    fields += [f for f in ("commune", "categories", "labels", "hours") if f in data]
    if "lon" in data:
        fields.append("location")
    return fields
