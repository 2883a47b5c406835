"""schema.org JSON-LD and OpenGraph data for listings."""

from .models import ActorKind

SCHEMA_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SCHEMA_TYPES = {
    ActorKind.ARTISAN: "FoodEstablishment",
    ActorKind.SHOP: "GroceryStore",
    ActorKind.FARM_SHOP: "Store",
}


def local_business(actor, url: str, images=(), point=None, exceptions=None) -> dict:
    """schema.org LocalBusiness (or a subtype) with address, position and opening hours.

    ``point`` defaults to the public location; ``exceptions`` to the actor's dated ones
    (the open-data export, valid for months, leaves them out).
    """
    if point is None:
        point = actor.public_location
    data = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(actor.kind, "LocalBusiness"),
        "name": actor.name,
        "url": url,
        "description": actor.description or actor.products,
        "address": {
            "@type": "PostalAddress",
            "postalCode": actor.postal_code,
            "addressLocality": actor.commune.name if actor.commune else "",
            "addressCountry": "FR",
        },
    }
    if point is not None:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": round(point.y, 5),
            "longitude": round(point.x, 5),
        }
    if actor.address and not actor.location_is_approximate:
        data["address"]["streetAddress"] = actor.address
    if images:
        data["image"] = list(images)
    if actor.phone:
        data["telephone"] = actor.phone
    if actor.website:
        data["sameAs"] = [actor.website]
    hours = []
    for slot in actor.opening_slots.all():
        spec = {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{SCHEMA_DAYS[slot.weekday]}",
            "opens": slot.opens.strftime("%H:%M"),
            "closes": slot.closes.strftime("%H:%M"),
        }
        if slot.season:
            # Seasons recur every year: schema.org takes --MM-DD for that.
            spec["validFrom"] = f"--{slot.season.start_month:02d}-{slot.season.start_day:02d}"
            spec["validThrough"] = f"--{slot.season.end_month:02d}-{slot.season.end_day:02d}"
        hours.append(spec)
    if exceptions is None:
        exceptions = actor.schedule_exceptions.all()
    for exception in exceptions:
        spec = {
            "@type": "OpeningHoursSpecification",
            "validFrom": exception.date.isoformat(),
            "validThrough": exception.date.isoformat(),
        }
        if exception.closed:
            spec.update(opens="00:00", closes="00:00")
        else:
            spec.update(
                opens=exception.opens.strftime("%H:%M"), closes=exception.closes.strftime("%H:%M")
            )
        hours.append(spec)
    if hours:
        data["openingHoursSpecification"] = hours
    return data
