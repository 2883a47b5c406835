"""OpenStreetMap's vocabulary: opening_hours strings and tags for each kind of actor."""

DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _time(t) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def _day_ranges(days: list[int]) -> str:
    """[0, 1, 2, 4] -> "Mo-We,Fr" (runs of three or more days become ranges)."""
    parts, run = [], []
    for day in sorted(days) + [None]:
        if run and (day is None or day != run[-1] + 1):
            if len(run) >= 3:
                parts.append(f"{DAYS[run[0]]}-{DAYS[run[-1]]}")
            else:
                parts.extend(DAYS[d] for d in run)
            run = []
        if day is not None:
            run.append(day)
    return ",".join(parts)


def _season_prefix(season) -> str:
    if season is None:
        return ""
    return (
        f"{MONTHS[season.start_month - 1]} {season.start_day:02d}-"
        f"{MONTHS[season.end_month - 1]} {season.end_day:02d} "
    )


def opening_hours(slots) -> str:
    """OpenStreetMap opening_hours of weekly slots: "Tu-Fr 09:00-12:30; Sa 08:00-12:30",
    seasonal slots prefixed by their dates ("Jun 01-Sep 30 Sa 09:00-12:00")."""
    seasons: dict = {}
    for slot in slots:
        season = slot.season
        key = (season.start_month, season.start_day, season.pk) if season else ()
        days = seasons.setdefault(key, (season, {}))[1]
        days.setdefault(slot.weekday, []).append((slot.opens, slot.closes))
    rules = []
    for key in sorted(seasons):
        season, days = seasons[key]
        # Days with the same hours share one rule ("Mo-Fr 08:00-12:00"); rules follow the
        # week, by their first day, so the string reads like a timetable.
        same_hours: dict[str, list[int]] = {}
        for day in sorted(days):
            hours = ",".join(f"{_time(a)}-{_time(b)}" for a, b in sorted(days[day]))
            same_hours.setdefault(hours, []).append(day)
        for hours, group in sorted(same_hours.items(), key=lambda item: item[1][0]):
            rules.append(f"{_season_prefix(season)}{_day_ranges(group)} {hours}")
    return "; ".join(rules)


# What kind of shop an artisan is, from what it sells (first match wins).
ARTISAN_SHOPS = [
    ("pain", "bakery"),
    ("viande", "butcher"),
    ("volaille", "butcher"),
    ("fromage-laitier", "cheese"),
    ("poisson", "seafood"),
]
# Kinds with a permanent place on the ground. Pick-up points and basket schemes are often a
# car park on Friday evening: OpenStreetMap maps what is there every day, so they stay out.
OSM_KINDS = {"producer", "farm_shop", "shop", "artisan", "market"}


def international_phone(phone: str) -> str:
    """ "02 54 12 34 56" -> "+33 2 54 12 34 56" (OSM's preferred form); others unchanged."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) == 10 and digits.startswith("0"):
        rest = digits[1:]
        return "+33 " + " ".join([rest[0]] + [rest[i : i + 2] for i in range(1, 9, 2)])
    return phone.strip()


def tags(actor, categories: list[str], labels: list[str], slots, source: str) -> dict[str, str]:
    """OSM tags of a published actor (an actor of OSM_KINDS, at its exact position)."""
    if actor.kind == "market":
        out = {"amenity": "marketplace"}
    elif actor.kind == "artisan":
        shop = next((shop for slug, shop in ARTISAN_SHOPS if slug in categories), "deli")
        out = {"shop": shop}
    else:
        # OSM France tags farm shops and producers' shops alike: shop=farm.
        out = {"shop": "farm"}
    out["name"] = actor.name
    hours = opening_hours(slots)
    if hours:
        out["opening_hours"] = hours
    if actor.phone:
        out["phone"] = international_phone(actor.phone)
    if actor.website:
        out["website"] = actor.website
    if actor.postal_code:
        out["addr:postcode"] = actor.postal_code
    if actor.commune_id:
        out["addr:city"] = actor.commune.name
    if "bio" in labels:
        out["organic"] = "yes"
    out["source"] = source
    return out
