"""A partner's page, served from another origin, embeds the map with the builder's snippet."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import expect

from directory.models import (
    Actor,
    ActorKind,
    Category,
    DistributionLink,
    EmbedView,
    ModerationStatus,
)
from geodata.models import Commune

from .conftest import TILE_PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listings():
    honey = Category.objects.get(slug="miel")

    def actor(name, code, lat, lon, kind=ActorKind.PRODUCER, honey_too=True):
        a = Actor.objects.create(
            name=name,
            kind=kind,
            status=ModerationStatus.PUBLISHED,
            commune=Commune.objects.get(code=code),
            location=Point(lon, lat, srid=4326),
        )
        if honey_too:
            a.categories.add(honey)
        return a

    actor("Rucher de Blois", "41018", 47.5884, 1.3353)
    actor("Rucher de Vendôme", "41269", 47.7926, 1.0653)
    actor("Rucher d'Orléans", "45234", 47.9032, 1.9084)  # Loiret: not the partner's
    market = actor("Marché de Blois", "41018", 47.59, 1.33, ActorKind.MARKET, honey_too=False)
    tours = actor("Miellerie de Tours", "37261", 47.3912, 0.6892)
    # Sells at the Blois market: belongs to the Loir-et-Cher map (the stated rule).
    DistributionLink.objects.create(actor=tours, place=market, weekday=5)


@pytest.fixture
def partner_site():
    """A partner's web server on another origin (127.0.0.1 and another port), serving one
    page whose body is set by the test."""
    state = {"body": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            page = (
                "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
                "<title>Chambre d'agriculture de Loir-et-Cher</title></head><body>"
                "<h1>Nos producteurs</h1>" + state["body"] + "<p>Pied de page</p></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_port}/"
    yield state
    server.shutdown()


def test_a_partner_page_embeds_the_departement_map_from_the_builders_snippet(
    browser, live_server, listings, partner_site
):
    site = urlparse(live_server.url).netloc
    partner = urlparse(partner_site["url"]).netloc
    assert site != partner  # two origins
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    outside = []

    def route(route):
        netloc = urlparse(route.request.url).netloc
        if netloc in (site, partner):
            return route.continue_()
        if route.request.url.endswith(".png"):
            return route.fulfill(status=200, content_type="image/png", body=TILE_PNG)
        outside.append(route.request.url)
        return route.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # The partner builds its snippet: Loir-et-Cher, honey.
    page.goto(live_server.url + "/integrer/")
    page.select_option("#id_departement", "41")
    page.check("input[name=category][value=miel]")
    snippet = page.locator("#builder-snippet")
    expect(snippet).to_have_value(re.compile(r"departement=41&amp;category=miel"))
    # The live preview follows.
    expect(page.locator("#builder-preview")).to_have_attribute(
        "src", re.compile(r"/embed/\?departement=41&category=miel$")
    )
    partner_site["body"] = snippet.input_value()

    # … and pastes it in its own page, on its own origin.
    page.goto(partner_site["url"])
    iframe = page.locator("iframe[data-toutpres-embed]")
    frame = page.frame_locator("iframe[data-toutpres-embed]")
    results = frame.locator("#result-list .result h3")
    expect(results).to_have_text(["Miellerie de Tours", "Rucher de Blois", "Rucher de Vendôme"])
    # The map works inside the frame: one marker per result, highlighted from the list.
    markers = frame.locator(".leaflet-marker-icon:not(.cluster)")
    expect(markers).to_have_count(3)
    frame.locator("#result-list .result").nth(1).hover()
    expect(frame.locator(".leaflet-marker-icon.highlighted")).to_have_count(1)
    # resize.js fitted the frame to its content (origin-checked postMessage).
    expect(iframe).to_have_attribute("data-toutpres-height", re.compile(r"^\d+$"))
    height = int(iframe.get_attribute("data-toutpres-height"))
    assert 320 <= height <= 4000
    assert iframe.evaluate("f => f.getBoundingClientRect().height") == pytest.approx(height, abs=2)
    # A listing opens the full site in a new tab, never inside the partner's page.
    with context.expect_page() as opened:
        frame.locator("#result-list .result h3 a", has_text="Rucher de Blois").click()
    listing = opened.value
    listing.wait_for_load_state()
    assert listing.url == live_server.url + "/acteurs/rucher-de-blois/"
    assert page.url == partner_site["url"]
    # Counted once, for the partner's origin, with nothing else.
    assert list(EmbedView.objects.values_list("origin", "views")) == [
        (partner_site["url"].rstrip("/"), 1)
    ]
    assert not errors and not outside
    context.close()


def test_a_forged_height_message_from_another_origin_is_ignored(
    browser, live_server, listings, partner_site
):
    partner_site["body"] = (
        f'<iframe src="{live_server.url}/embed/?departement=41" data-toutpres-embed '
        'style="width:100%;height:500px;border:0"></iframe>'
        f'<script src="{live_server.url}/static/embed/resize.js"></script>'
    )
    context = browser.new_context()
    context.route(
        "**/*.png", lambda r: r.fulfill(status=200, content_type="image/png", body=TILE_PNG)
    )
    page = context.new_page()
    page.goto(partner_site["url"])
    iframe = page.locator("iframe[data-toutpres-embed]")
    expect(iframe).to_have_attribute("data-toutpres-height", re.compile(r"^\d+$"))
    # The frame settles at its content's height (no feedback loop with the map's height).
    frame = page.frame_locator("iframe[data-toutpres-embed]")
    expect(frame.locator("#result-list .result")).to_have_count(4)
    page.wait_for_timeout(500)
    honest = iframe.get_attribute("data-toutpres-height")
    content = frame.locator("html").evaluate("e => e.scrollHeight")
    assert abs(int(honest) - content) <= 2 and int(honest) < 4000
    # The partner page itself (another origin than the embed's) posts a fake height.
    page.evaluate("() => window.postMessage({type: 'toutpres:height', height: 3999}, '*')")
    page.wait_for_timeout(300)
    assert iframe.get_attribute("data-toutpres-height") == honest
    context.close()
