"""Partners' tools in a real browser: the downloaded folium map offline, the API docs."""

import pytest
from django.test import Client

from directory.models import ActorKind
from tests.browser.conftest import TILE_PNG

pytestmark = pytest.mark.browser
BLOIS = (47.5861, 1.3359)


@pytest.mark.django_db
def test_downloaded_map_works_from_disk_without_network(browser, make_actor, tmp_path):
    names = ["Ferme du Mail", "Marché de la Louée", "Fournil des Rois"]
    for (name, kind), delta in zip(
        zip(names, [ActorKind.PRODUCER, ActorKind.MARKET, ActorKind.ARTISAN], strict=True),
        [0.0, 0.05, -0.05],
        strict=True,
    ):
        make_actor(BLOIS[0] + delta, BLOIS[1] + delta, name=name, kind=kind)
    make_actor(49.0, 3.0, name="Trop loin")
    response = Client().get("/carte.html", {"near": f"{BLOIS[0]},{BLOIS[1]}", "radius": 20})
    path = tmp_path / "carte.html"
    path.write_bytes(response.content)

    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    fetched = []

    def route(route):
        url = route.request.url
        if url.startswith("file://"):
            return route.continue_()
        if url.endswith(".png"):  # background tiles: the one thing that needs a network
            return route.fulfill(status=200, content_type="image/png", body=TILE_PNG)
        fetched.append(url)
        return route.abort()

    page.route("**/*", route)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    pins = page.locator(".leaflet-marker-pane .tp-marker")
    pins.first.wait_for()
    assert pins.count() == 3
    assert page.locator(".tp-list li").all_inner_texts()[0].startswith("Ferme du Mail")
    # Keyboard: a pin takes the focus and opens its popup with Enter.
    opened = set()
    for i in range(3):
        pins.nth(i).focus()
        page.keyboard.press("Enter")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        opened.add(popup.locator("strong a").inner_text())
        # Closed from the keyboard too (the next one opens alone). Not a mouse click: the
        # popup's auto-pan may still be moving the map, and the button with it.
        page.locator(".leaflet-popup-close-button").press("Enter")
        popup.wait_for(state="detached")
    assert opened == set(names)
    assert fetched == [] and errors == []
    context.close()


def test_api_docs_render_from_our_own_files(page, live_server):
    page.goto(f"{live_server.url}/api/docs/")
    page.get_by_text("Rechercher des acteurs").first.wait_for()
    assert page.get_by_text("Licence Ouverte 2.0 (Etalab)").first.is_visible()
    assert page.locator(".opblock").count() == 11
    assert page.external_requests == [] and page.console_errors == []
