"""THE GUARD: every public page and endpoint, for a home-based producer, shows nothing that is
nearer the house than the public pin (issue 16, point 5).

The list of routes comes from the URLconf: a new route fails this test until it is
classified here, either fetched and read (public) or shown to refuse an anonymous visitor
(staff and owner pages, which may show the house). Every response is read as a stranger
would: every pair of numbers that could be a position in France, every distance with its
unit and every ``distance_km``.
"""

import datetime
import re
from collections import Counter

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from geopy.distance import geodesic

from directory.alerts import services as alerts
from directory.models import (
    Actor,
    ActorKind,
    Alert,
    Article,
    Category,
    DistributionLink,
    ModerationStatus,
    OpeningSlot,
)
from directory.models.editorial import ArticleKind, ArticleStatus
from directory.opendata.build import FORMATS
from directory.opendata.build import filename as opendata_filename
from directory.opendata.licences import Licence
from geodata.models import Commune

from .test_public_position import COMMUNE, HOUSE_BEARING, HOUSE_FROM_PIN_KM, destination

pytestmark = pytest.mark.django_db

# The searcher stands on the far side of the pin from the house: 12 km from the pin,
# 15 km from the house, so a distance tells which of the two it was measured to.
ORIGIN_FROM_PIN_KM = 12
# Positions this close to the house are read (farther ones are other listings, outlines…).
NEIGHBOURHOOD_KM = 8
# Numbers standing alone: not the tail of a token, a hash or a longer number.
NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}\.\d{3,}(?![\w.])")
DISTANCE = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)(?:\s|&nbsp;|&#160;|\u00a0|\u202f)*(km|m)\b")
DISTANCE_KM = re.compile(r'"distance_km"\s*:\s*(\d+(?:\.\d+)?)')


def km_between(a, b) -> float:
    return geodesic(a, b).km


class World:
    """An approximate listing with everything that shows it: a market it sells at, an
    article, an alert, other listings far enough not to be mistaken for it."""

    def __init__(self):
        commune = Commune.objects.get(code=COMMUNE)
        self.commune = commune
        self.pin = (commune.center.y, commune.center.x)
        self.house = destination(self.pin, HOUSE_FROM_PIN_KM, HOUSE_BEARING)
        self.origin = destination(self.pin, ORIGIN_FROM_PIN_KM, HOUSE_BEARING + 180)
        category = Category.objects.order_by("pk").first()
        self.actor = Actor.objects.create(
            name="Chèvrerie à la maison",
            kind=ActorKind.PRODUCER,
            status=ModerationStatus.PUBLISHED,
            commune=commune,
            address="12 chemin des Bois",
            postal_code="41200",
            phone="02 54 00 00 00",
            products="fromages de chèvre",
            location=Point(self.house[1], self.house[0], srid=4326),
            location_is_approximate=True,
        )
        self.actor.categories.set([category])
        OpeningSlot.objects.create(
            actor=self.actor,
            weekday=5,
            opens=datetime.time(9),
            closes=datetime.time(12),
        )
        market_at = destination(self.origin, 2, 0)
        self.market = Actor.objects.create(
            name="Marché du samedi",
            kind=ActorKind.MARKET,
            status=ModerationStatus.PUBLISHED,
            commune=commune,
            location=Point(market_at[1], market_at[0], srid=4326),
        )
        OpeningSlot.objects.create(
            actor=self.market, weekday=5, opens=datetime.time(8), closes=datetime.time(12)
        )
        DistributionLink.objects.create(
            actor=self.actor,
            place=self.market,
            weekday=5,
            starts=datetime.time(8),
            ends=datetime.time(12),
        )
        # A producer at home far beyond the market, reached through it.
        far = destination(self.origin, 40, HOUSE_BEARING + 180)
        self.far = Actor.objects.create(
            name="Ferme lointaine",
            kind=ActorKind.PRODUCER,
            status=ModerationStatus.PUBLISHED,
            commune=commune,
            location=Point(far[1], far[0], srid=4326),
        )
        DistributionLink.objects.create(actor=self.far, place=self.market, weekday=5)
        self.article = Article.objects.create(
            title="Portrait de la chèvrerie",
            slug="portrait-chevrerie",
            kind=ArticleKind.PORTRAIT,
            lead="Un chapô.",
            body="Un *texte*.",
            status=ArticleStatus.PUBLISHED,
            publish_at=timezone.now() - datetime.timedelta(days=1),
        )
        self.article.actors.set([self.actor, self.market])
        self.alert = Alert.objects.create(
            email="voisin@example.org",
            place="Pas loin",
            location=Point(self.origin[1], self.origin[0], srid=4326),
            radius_km=30,
            confirmed_at=timezone.now() - datetime.timedelta(days=30),
        )
        Actor.objects.filter(pk__in=[self.actor.pk, self.market.pk, self.far.pk]).update(
            created_at=timezone.now()
        )

    def move_house(self, point) -> None:
        """The producer moves within the commune (a bulk update, as an import would)."""
        self.house = point
        Actor.objects.filter(pk=self.actor.pk).update(location=Point(point[1], point[0], srid=4326))

    def near(self, point=None) -> str:
        lat, lon = point or self.origin
        return f"{lat:.6f},{lon:.6f}"

    def bbox(self, pad=0.2) -> str:
        lats, lons = (self.house[0], self.pin[0]), (self.house[1], self.pin[1])
        return f"{min(lons) - pad},{min(lats) - pad},{max(lons) + pad},{max(lats) + pad}"


@pytest.fixture
def world(territories, settings, tmp_path):
    settings.TOUTPRES_OPEN_DATA = {**settings.TOUTPRES_OPEN_DATA, "DIR": tmp_path / "opendata"}
    return World()


# --- reading a response ------------------------------------------------------------------


def plausible_in_france(lat, lon) -> bool:
    return 41 <= lat <= 51.5 and -5.5 <= lon <= 10


def positions(text: str):
    """Every (lat, lon) a stranger could read: neighbouring numbers, in either order."""
    numbers = [float(n) for n in NUMBER.findall(text)]
    for i, a in enumerate(numbers):
        for b in numbers[i + 1 : i + 4]:
            for lat, lon in ((a, b), (b, a)):
                if plausible_in_france(lat, lon):
                    yield lat, lon


def distances_km(text: str):
    for value, unit in DISTANCE.findall(text):
        number = float(value.replace(",", "."))
        yield number if unit == "km" else number / 1000
    for value in DISTANCE_KM.findall(text):
        yield float(value)


def leaks(world, text: str, origin=None, asked=None) -> list[tuple]:
    """What in ``text`` is nearer the house than the pin, as (reading, explanation);
    ``asked`` is the point the visitor searched around, which the page may repeat."""
    found = []
    for point in positions(text):
        if asked is not None and km_between(point, asked) < 0.005:
            continue  # the visitor's own input, echoed
        to_house = km_between(point, world.house)
        if to_house <= NEIGHBOURHOOD_KM and to_house < km_between(point, world.pin):
            found.append((point, f"position {point} ({to_house:.3f} km from the house)"))
    if origin is not None:
        to_house, to_pin = km_between(origin, world.house), km_between(origin, world.pin)
        assert abs(to_house - to_pin) > 2, "the origin does not tell the house from the pin"
        for d in distances_km(text):
            if abs(d - to_house) <= 1 and abs(d - to_house) < abs(d - to_pin):
                explanation = f"distance {d} km (house {to_house:.2f} km, pin {to_pin:.2f} km)"
                found.append((d, explanation))
    return found


def readings(text: str) -> Counter:
    """Every position and distance of ``text``, counted."""
    return Counter([*positions(text), *distances_km(text)])


# --- the routes ----------------------------------------------------------------------------


def routes(patterns=None, prefix=""):
    """Every route of the URLconf as its pattern string ("api/v1/actors/<str:slug>/")."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route == "admin/":
                yield route  # the admin as a whole: staff only
            else:
                yield from routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def public_requests(world):
    """(route, path, params, origin of the distances) of every public request."""
    o, slug, near = world.origin, world.actor.slug, world.near()
    searches = [
        {"near": near, "radius": 30},
        {"near": near, "radius": 30, "q": "chèvre"},
        {"near": world.near(world.house), "radius": 5},
        {"bbox": world.bbox()},
        {"commune": COMMUNE},
        {"departement": "41"},
    ]
    origin_of = {0: o, 1: o, 2: world.house}
    out = []
    for i, params in enumerate(searches):
        origin = origin_of.get(i)
        out += [
            ("", "/", params, origin),
            ("marches/", "/marches/", params, origin),
            ("embed/", "/embed/", params, origin),
            ("carte.html", "/carte.html", params, origin),
            ("api/v1/actors/", "/api/v1/actors/", {**params, "format": "json"}, origin),
            ("api/v1/actors/", "/api/v1/actors/", params, origin),
        ]
    # The sheet is centred on a commune: the one the searcher stands in.
    sheet_commune = Commune.objects.containing(Point(o[1], o[0], srid=4326)).get()
    centre = sheet_commune.center
    out.append(
        ("fiche/", "/fiche/", {"commune": sheet_commune.code, "radius": 30}, (centre.y, centre.x))
    )
    for zoom in range(0, 21):
        for bbox in (world.bbox(), world.bbox(pad=0.01), "-5,41,10,51.5"):
            out.append(("api/v1/layer/", "/api/v1/layer/", {"bbox": bbox, "zoom": zoom}, None))
    # The map's tiles: the tiles holding the house and the pin, at every zoom, with a filter
    # (aggregated on the fly) and without (precomputed cells).
    from directory.layer import tile_of

    tile_route = "api/v1/layer/<int:z>/<int:x>/<int:y>.geojson"
    for zoom in range(0, 21):
        for lat, lon in {world.house, world.pin}:
            x, y = tile_of(lon, lat, zoom)
            for params in ({}, {"q": "chèvre"}, {"kind": world.actor.kind}):
                path = f"/api/v1/layer/{zoom}/{x}/{y}.geojson"
                out.append((tile_route, path, params, None))
    # The département outlines at their versioned URL (the map's copy, cached for a year).
    from geodata import outlines

    out.append(
        (
            "carte/departements/<slug:version>.geojson",
            f"/carte/departements/{outlines.version()}.geojson",
            {},
            None,
        )
    )
    simple = {
        "": "/",
        "acteurs/<slug:slug>/": f"/acteurs/{slug}/",
        "donnees/": "/donnees/",
        "integrer/": "/integrer/",
        "alertes/": "/alertes/",
        "fenetre-sur/": "/fenetre-sur/",
        "fenetre-sur/atom.xml": "/fenetre-sur/atom.xml",
        "fenetre-sur/rss.xml": "/fenetre-sur/rss.xml",
        "fenetre-sur/<slug:slug>/": f"/fenetre-sur/{world.article.slug}/",
        "inscription/": "/inscription/",
        ".well-known/security.txt": "/.well-known/security.txt",
        "sitemap.xml": "/sitemap.xml",
        "sitemap-<section>.xml": "/sitemap-acteurs.xml",
        "api/schema/": "/api/schema/",
        "api/docs/": "/api/docs/",
        "api/v1/actors/<str:slug>/": f"/api/v1/actors/{slug}/",
        "api/v1/kinds/": "/api/v1/kinds/",
        "api/v1/categories/": "/api/v1/categories/",
        "api/v1/labels/": "/api/v1/labels/",
        "api/v1/modes/": "/api/v1/modes/",
        "api/v1/markets/": "/api/v1/markets/",
        "api/v1/places/": "/api/v1/places/",
        "api/v1/regions/": "/api/v1/regions/",
        "api/v1/departements/": "/api/v1/departements/",
        "api/v1/articles/": "/api/v1/articles/",
        "embed/": "/embed/",
        "marches/": "/marches/",
        # The site's own copies of the gazetteer and département outlines.
        "carte/lieux/": "/carte/lieux/",
        "carte/departements/": "/carte/departements/",
    }
    given = {"api/v1/places/": {"q": "romorantin"}, "carte/lieux/": {"q": "romorantin"}}
    for route, path in simple.items():
        params = given.get(route, {})
        out.append((route, path, params, None))
        if route.startswith("api/v1/"):
            out.append((route, path, {**params, "format": "json"}, None))
    out.append(("sitemap-<section>.xml", "/sitemap-pages.xml", {}, None))
    out.append(("sitemap-<section>.xml", "/sitemap-fenetre-sur.xml", {}, None))
    for fmt in FORMATS.values():
        out.append(("donnees/<str:filename>", f"/donnees/{fmt.filename}", {}, None))
        # A share-alike licence's own files (docs/opendata.md, « Licences »): the same
        # public position querysets, read the same way.
        for licence in (Licence.ODBL, Licence.CC_BY_SA_4):
            name = opendata_filename(fmt, licence)
            out.append(("donnees/<str:filename>", f"/donnees/{name}", {}, None))
    out.append(
        ("api/v1/markets/", "/api/v1/markets/", {"format": "json", "commune": COMMUNE}, None)
    )
    return out


# Public routes that answer 404 until the operator configures them.
UNCONFIGURED_404 = {".well-known/security.txt"}

# Pages that may show the house (staff, owners) or hold no listing: each must refuse, or
# answer without data, to an anonymous visitor. Path built from the route's converters.
NOT_PUBLIC = {
    "admin/": "staff",
    "i18n/setlang/": "language switch (POST only)",
    "acteurs/<slug:slug>/revendiquer/": "claim (owner sign-in)",
    "mes-fiches/": "owner",
    "mes-fiches/lien/": "owner sign-in form",
    "mes-fiches/connexion/": "owner sign-in",
    "mes-fiches/deconnexion/": "owner sign-out",
    "mes-fiches/confirmation/<str:token>/": "owner (e-mailed token)",
    "inscription/confirmer/<str:token>/": "registrant (e-mailed token)",
    "mes-fiches/<int:pk>/": "owner",
    "mes-fiches/<int:pk>/envoyee/": "owner",
    "mes-fiches/<int:pk>/fermeture/": "owner",
    "mes-fiches/<int:pk>/publication/": "owner",
    "mes-fiches/<int:pk>/suppression/": "owner",
    "mes-fiches/<int:pk>/confirmer/": "owner",
    "mes-fiches/<int:pk>/<slug:step>/": "owner",
    "moderation/": "staff",
    "moderation/fiches/<int:pk>/": "staff",
    "moderation/fiches/<int:pk>/fusion/": "staff",
    "moderation/fiches/<int:pk>/proprietaire/": "staff",
    "moderation/fiches/<int:pk>/suppression/": "staff",
    "moderation/modifications/<int:pk>/": "staff",
    "moderation/rattachements/<int:pk>/": "staff",
    "staff/chiffres/": "staff",
    "staff/chiffres/<slug:name>.csv": "staff",
    "staff/imports/": "staff",
    "staff/imports/<int:pk>/": "staff",
    "staff/imports/<int:pk>/colonnes/": "staff",
    "staff/imports/<int:pk>/etape/": "staff",
    "staff/imports/<int:pk>/confirmer/": "staff",
    "staff/imports/<int:pk>/annuler/": "staff",
    "staff/imports/<int:pk>/lignes/<int:record_pk>/importer/": "staff",
    "staff/imports/<int:pk>/lignes/<int:record_pk>/commune/": "staff",
    "staff/imports/<int:pk>/rapport.csv": "staff",
    "fenetre-sur/apercu/": "editors' Markdown preview (POST, staff)",
    "alertes/<uuid:token>/confirmer/": "an alert's own page (its token)",
    "alertes/<uuid:token>/desabonner/": "an alert's own page (its token)",
    "alertes/<uuid:token>/reabonner/": "an alert's own page (its token)",
    "sante/": "health check (database, cache, migrations: no listing)",
    "healthz": "health check (database, cache, migrations: no listing)",
}


def fill(route: str, world) -> str:
    path = route.replace("<int:pk>", str(world.actor.pk)).replace("<slug:slug>", world.actor.slug)
    path = path.replace("<uuid:token>", str(world.alert.token)).replace("<str:token>", "x")
    path = path.replace("<slug:step>", "ou").replace("<slug:name>", "fiches")
    return "/" + path


def asked(params):
    """The point a request searched around, if any."""
    if "near" not in params:
        return None
    lat, lon = (float(v) for v in params["near"].split(","))
    return (lat, lon)


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def test_every_route_is_classified(world):
    public = {route for route, *_ in public_requests(world)}
    unclassified = sorted(set(routes()) - public - NOT_PUBLIC.keys())
    assert not unclassified, (
        "new routes: fetch them in public_requests() (and read them) or list them in "
        f"NOT_PUBLIC with the reason they cannot show a listing to the public: {unclassified}"
    )


def fetch_all(client, requests) -> list[str | None]:
    """The body of every request (None for a route not configured here)."""
    bodies = []
    for route, path, params, _origin in requests:
        response = client.get(path, params)
        if response.status_code == 404 and route in UNCONFIGURED_404:
            bodies.append(None)
            continue
        assert response.status_code in (200, 301, 302), (
            f"{path} {params}: {response.status_code} (a public request must be answered)"
        )
        bodies.append(body(response) if response.status_code == 200 else None)
    return bodies


def test_no_public_response_is_nearer_the_house_than_the_pin(client, world):
    """Two passes over every public request: with the house where it is, then with the house
    moved 3 km away (same commune, same pin). Nothing may be nearer the house than the pin;
    nothing may change when only the house moves (numbers that stay are public facts, such
    as a commune's outline, which happen to lie near the house)."""
    requests = public_requests(world)
    first = fetch_all(client, requests)
    house = world.house
    world.move_house(destination(world.pin, HOUSE_FROM_PIN_KM, HOUSE_BEARING + 90))
    second = fetch_all(client, requests)
    world.house = house
    problems = []
    for (_route, path, params, origin), a, b in zip(requests, first, second, strict=True):
        if a is None:
            continue
        where = f"{path}?{params}"
        before, after = readings(a), readings(b)
        for reading, explanation in leaks(world, a, origin, asked(params)):
            if reading not in after:
                problems.append(f"{where}: {explanation}")
        if before != after:
            moved = sorted(map(str, (before - after) + (after - before)))[:6]
            problems.append(f"{where}: numbers move with the house: {moved}")
    assert sum(b is not None for b in first) > 100
    assert not problems, "the house shows through:\n" + "\n".join(problems[:40])


def test_the_public_pages_do_show_the_listing_at_its_pin(client, world):
    """The guard reads what it should: the pin itself is found in the answers."""
    text = body(client.get(f"/api/v1/actors/{world.actor.slug}/", {"format": "json"}))
    assert any(km_between(p, world.pin) < 0.01 for p in positions(text)), text
    text = body(client.get("/api/v1/actors/", {"near": world.near(), "format": "json"}))
    assert any(abs(d - ORIGIN_FROM_PIN_KM) < 0.6 for d in distances_km(text)), text


def test_alert_emails_measure_to_the_pin(world):
    mail.outbox.clear()
    sent = alerts.send_digest(world.alert)
    assert sent >= 1
    text = "\n".join(m.body + m.subject for m in mail.outbox)
    assert world.actor.name in text
    assert "environ" in text, "the distance to a home-based producer is « environ »"
    assert not leaks(world, text, world.origin), text


def test_staff_and_owner_pages_refuse_a_stranger(client, world):
    for route, reason in NOT_PUBLIC.items():
        path = fill(route, world)
        response = client.get(path)
        if response.status_code == 200:
            # An answer to a stranger must not carry the house either.
            assert not leaks(world, body(response)), f"{path} ({reason}) shows the house"
        else:
            assert response.status_code in (302, 403, 404, 405), (path, response.status_code)


def test_the_house_is_never_printed(client, world):
    """Belt and braces: the house's coordinates, as any precision, appear nowhere."""
    lat, lon = world.house
    needles = {f"{lat:.{n}f}" for n in (4, 5, 6)} | {f"{lon:.{n}f}" for n in (4, 5, 6)}
    for _route, path, params, origin in public_requests(world):
        if origin == world.house:
            continue  # searching around the house: the visitor typed it
        response = client.get(path, params)
        if response.status_code == 200:
            text = body(response)
            found = [n for n in needles if n in text]
            assert not found, f"{path}?{params} prints {found}"
