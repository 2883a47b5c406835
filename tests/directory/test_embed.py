"""Embeddable map: territory, options, framing headers, builder snippet and view counting."""

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.checks import run_checks
from django.db import connection
from django.utils import timezone

from directory.models import ActorKind, Category, DistributionLink, EmbedView
from geodata.models import Commune

BLOIS = (47.5884, 1.3353)
ORLEANS = (47.9032, 1.9084)
TOURS = (47.3912, 0.6892)


@pytest.fixture
def territory(make_actor):
    """Actors in Loir-et-Cher (41), Loiret (45) and Indre-et-Loire (37); one Tours producer
    sells at the Blois market, another at a Blois pick-up point that is not published."""

    def at(code, lat_lon, **fields):
        return make_actor(
            lat=lat_lon[0], lon=lat_lon[1], commune=Commune.objects.get(code=code), **fields
        )

    blois_farm = at("41018", BLOIS, name="Ferme de Blois")
    blois_farm.categories.add(Category.objects.get(slug="miel"))
    market = at("41018", (47.59, 1.33), name="Marché de Blois", kind=ActorKind.MARKET)
    at("45234", ORLEANS, name="Ferme d'Orléans")
    tours_farm = at("37261", TOURS, name="Ferme de Tours au marché de Blois")
    DistributionLink.objects.create(actor=tours_farm, place=market, weekday=5)
    hidden_point = at(
        "41018", (47.58, 1.34), name="Point en attente", kind=ActorKind.PICKUP, status="pending"
    )
    other = at("37261", (47.40, 0.70), name="Ferme de Tours au point en attente")
    DistributionLink.objects.create(actor=other, place=hidden_point, weekday=2)


def listed(response) -> list[str]:
    return re.findall(
        r'<h3><a href="/acteurs/[^"]+"[^>]*>([^<]+)</a></h3>', response.content.decode()
    )


def test_embed_shows_the_territory_and_the_producers_who_sell_there(client, territory):
    response = client.get("/embed/", {"departement": "41"})
    assert response.status_code == 200
    names = [html.unescape(n) for n in listed(response)]
    assert sorted(names) == [
        "Ferme de Blois",
        "Ferme de Tours au marché de Blois",
        "Marché de Blois",
    ]
    # Combined with a product, as a partner's themed map would be.
    response = client.get("/embed/", {"departement": "41", "category": "miel"})
    assert listed(response) == ["Ferme de Blois"]
    # The whole region, and one commune.
    assert len(listed(client.get("/embed/", {"region": "24"}))) == 5
    assert "Ferme d&#x27;Orléans" in listed(client.get("/embed/", {"commune": "45234"}))


def test_the_api_takes_the_same_territory(client, territory):
    payload = client.get(
        "/api/v1/actors/", {"departement": "41", "near": "47.9,1.9", "radius": 100}
    ).json()
    assert sorted(f["properties"]["name"] for f in payload["features"]) == [
        "Ferme de Blois",
        "Ferme de Tours au marché de Blois",
        "Marché de Blois",
    ]
    response = client.get("/api/v1/actors/", {"departement": "99"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["departement"]


def test_embed_map_starts_on_the_territory(client, territory):
    response = client.get("/embed/", {"departement": "41"})
    config = response.context["map_config"]
    (south, west), (north, east) = config["bounds"]
    # Loir-et-Cher's extent.
    assert 47.1 < south < 47.3 and 48.0 < north < 48.2
    assert 0.5 < west < 0.7 and 2.2 < east < 2.3


def test_embed_options(client, territory):
    page = client.get(
        "/embed/", {"departement": "41", "controls": "list", "accent": "AA3300", "lang": "en"}
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="en">' in body
    assert 'data-accent="#aa3300"' in body
    assert '<div class="search-main" hidden>' in body
    assert '<details class="filters" hidden>' in body
    assert 'class="results visually-hidden"' not in body  # the list was asked for
    # The territory and options survive a search made inside the embed.
    for name, value in (("departement", "41"), ("controls", "list"), ("accent", "AA3300")):
        assert f'<input type="hidden" name="{name}" value="{value}">' in body
    # Without the list, it stays for screen readers, out of sight.
    body = client.get("/embed/", {"departement": "41", "controls": "search"}).content.decode()
    assert 'class="results visually-hidden"' in body
    # Links open the full site in a new tab.
    assert re.search(r'<h3><a href="/acteurs/[^"]+" target="_blank" rel="noopener">', body)
    assert 'href="/?departement=41"' in body  # "Voir sur Tout Près": the same selection


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"accent": "red"}, "accent"),
        ({"accent": "#12345g"}, "accent"),
        ({"controls": "list,ads"}, "controls"),
        ({"lang": "de"}, "lang"),
    ],
)
def test_bad_embed_options_are_a_framable_400_naming_them(client, params, parameter):
    response = client.get("/embed/", params)
    assert response.status_code == 400
    assert f"<code>{parameter}</code>" in response.content.decode()
    assert "X-Frame-Options" not in response.headers


def frame_ancestors(response) -> str:
    """The frame-ancestors directive of the response's one Content-Security-Policy."""
    policy = [p.strip() for p in response.headers["Content-Security-Policy"].split(";")]
    return next(p for p in policy if p.startswith("frame-ancestors "))


def test_only_embed_routes_may_be_framed(client, territory, settings):
    for url in ("/", "/marches/", "/integrer/", "/fenetre-sur/", "/api/v1/actors/?departement=41"):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert frame_ancestors(response) == "frame-ancestors 'none'", url
    response = client.get("/embed/", {"departement": "41"})
    assert "X-Frame-Options" not in response.headers
    assert frame_ancestors(response) == "frame-ancestors *"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    settings.EMBED_FRAME_ANCESTORS = ["https://www.cc-blois.fr", "https://*.chambre-agri.fr"]
    response = client.get("/embed/", {"departement": "41"})
    assert frame_ancestors(response) == (
        "frame-ancestors 'self' https://www.cc-blois.fr https://*.chambre-agri.fr"
    )


def test_a_mistyped_frame_allow_list_stops_the_site(settings):
    settings.EMBED_FRAME_ANCESTORS = ["www.cc-blois.fr"]
    errors = [e for e in run_checks() if e.id == "directory.E010"]
    assert errors and "www.cc-blois.fr" in errors[0].msg


def test_embed_views_are_counted_per_site_and_day_without_personal_data(client, territory):
    partner = {
        "HTTP_REFERER": "https://www.cc-blois.fr/producteurs/?utm=x",
        "REMOTE_ADDR": "203.0.113.9",
    }
    client.get("/embed/", {"departement": "41"}, **partner)
    client.get("/embed/", {"departement": "41", "category": "miel"}, **partner)
    client.get("/embed/", {"departement": "45"}, HTTP_REFERER="http://asso.example:8080/carte")
    client.get("/embed/", {"departement": "45"})  # no Referer: counted, site unknown
    # A search made inside the embed (or the builder's preview) is not a new view.
    client.get(
        "/embed/", {"departement": "41"}, HTTP_REFERER="http://testserver/embed/?departement=41"
    )
    today = timezone.localdate()
    assert sorted(EmbedView.objects.values_list("day", "origin", "views")) == [
        (today, "", 1),
        (today, "http://asso.example:8080", 1),
        (today, "https://www.cc-blois.fr", 2),
    ]
    # Nothing else is kept: no address, path, query, agent or cookie, anywhere.
    assert [f.name for f in EmbedView._meta.get_fields()] == ["id", "day", "origin", "views"]
    assert "embed" not in client.cookies and "sessionid" not in client.cookies
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {EmbedView._meta.db_table}")
        dumped = repr(cursor.fetchall())
    assert "203.0.113.9" not in dumped and "utm" not in dumped and "producteurs" not in dumped


def test_the_builder_makes_the_snippet_of_the_chosen_options(client, territory):
    response = client.get(
        "/integrer/",
        {
            "departement": "41",
            "category": ["miel"],
            "controls": ["search", "list"],
            "lang": "en",
            "accent": "#AA3300",
            "height": 700,
        },
    )
    assert response.status_code == 200
    snippet = response.context["snippet"]
    src = html.unescape(re.search(r'<iframe src="([^"]+)"', snippet).group(1))
    url = urlsplit(src)
    assert (url.scheme, url.netloc, url.path) == ("http", "testserver", "/embed/")
    assert parse_qsl(url.query) == [
        ("departement", "41"),
        ("category", "miel"),
        ("controls", "search,list"),
        ("lang", "en"),
        ("accent", "aa3300"),
    ]
    assert "height:700px" in snippet and "data-toutpres-embed" in snippet
    assert '<script src="http://testserver/static/embed/resize.js" async></script>' in snippet
    assert "&amp;category=miel" in snippet  # a valid HTML attribute
    # The snippet's address is a working embed.
    assert listed(client.get(src)) == ["Ferme de Blois"]
    # The region, as the first territory choice; a commune code checked.
    assert "region=24" in client.get("/integrer/", {"departement": "region:24"}).context["snippet"]
    bad = client.get("/integrer/", {"commune": "99999"})
    assert bad.context["form"].errors["commune"]


def test_the_search_page_links_to_the_builder_with_its_selection(client, territory):
    body = client.get("/", {"where": "Blois", "category": "miel"}).content.decode()
    assert 'href="/integrer/?where=Blois&amp;category=miel"' in body


def test_the_printable_sheet_takes_a_territory_too(client, territory):
    # ``commune`` is the sheet's centre; ``departement`` restricts it.
    everything = client.get("/fiche/", {"commune": "41018", "radius": 100}).content.decode()
    assert "Ferme d&#x27;Orléans" in everything
    body = client.get("/fiche/", {"commune": "41018", "radius": 100, "departement": "41"})
    assert body.status_code == 200
    text = body.content.decode()
    assert "Ferme de Blois" in text and "Ferme de Tours au marché de Blois" in text
    assert "Ferme d&#x27;Orléans" not in text


def test_an_embed_without_a_search_reads_no_articles(client, territory):
    from django.test.utils import CaptureQueriesContext

    from directory.models import Article

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/embed/").status_code == 200
    assert captured.captured_queries  # the page did query the directory
    assert not [q for q in captured.captured_queries if Article._meta.db_table in q["sql"]]
