"""Hostile listing names in a real browser: tooltips, popups and the downloaded map show
them as text, nothing runs, and the Content-Security-Policy reports no violation."""

import pytest
from django.contrib.gis.geos import Point

from directory.models import Actor, ActorKind, ModerationStatus
from tests.security.test_xss import PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BLOIS = (47.5861, 1.3359)


@pytest.fixture
def hostile():
    actors = []
    for i, payload in enumerate(PAYLOADS):
        actors.append(
            Actor.objects.create(
                name=f"{payload} {i}"[:150],
                slug=f"piege-{i}",
                kind=ActorKind.PRODUCER,
                status=ModerationStatus.PUBLISHED,
                # A grid 700 m apart: every marker can be reached on the search map.
                location=Point(BLOIS[1] + 0.01 * (i % 6), BLOIS[0] + 0.006 * (i // 6), srid=4326),
                phone="02 54 00 00 00",
            )
        )
    return actors


def watch(page):
    """Dialogs opened by a payload, dismissed and counted."""
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return dialogs


def assert_nothing_ran(page, dialogs, where):
    assert page.evaluate("window.__xss === undefined"), f"{where}: a payload ran"
    assert dialogs == [], f"{where}: a payload opened a dialog {dialogs}"


def test_listing_tooltips_show_names_as_text(page, live_server, hostile):
    dialogs = watch(page)
    for actor in hostile:
        page.goto(live_server.url + actor.get_absolute_url())
        page.locator("#actor-map .leaflet-marker-icon").hover()
        tooltip = page.locator(".leaflet-tooltip")
        tooltip.wait_for()
        assert tooltip.inner_text() == actor.name, f"the tooltip does not read {actor.name!r}"
        assert tooltip.locator("img, svg, iframe, script, a, input").count() == 0
        assert_nothing_ran(page, dialogs, actor.name)


def test_search_map_popups_show_names_as_text(page, live_server, hostile):
    dialogs = watch(page)
    names = {a.name for a in hostile}
    seen = set()
    for number in (1, 2):  # the results come 20 to a page
        page.goto(f"{live_server.url}/?near={BLOIS[0]},{BLOIS[1]}&radius=5&page={number}")
        page.wait_for_function("() => window.toutPresMap !== undefined")
        markers = page.locator("#map .leaflet-marker-icon.marker")
        assert markers.count() == page.locator(".result").count() > 0, "a marker per result"
        for i in range(markers.count()):
            page.evaluate("window.toutPresMap.closePopup()")
            # Leaflet fades a closed popup out: wait until it is gone, or two are in the page.
            page.wait_for_function(
                "() => document.querySelectorAll('.leaflet-popup-content').length === 0"
            )
            markers.nth(i).dispatch_event("click")
            popup = page.locator(".leaflet-popup-content")
            popup.wait_for()
            name = popup.locator("a").first.inner_text()
            assert name in names, f"the popup shows {name!r}"
            assert popup.locator("img, svg, iframe, script, input, details").count() == 0
            assert_nothing_ran(page, dialogs, name)
            seen.add(name)
    assert seen == names, "every listing's popup was opened"


def test_the_downloaded_map_shows_names_as_text_wherever_it_is_hosted(page, live_server, hostile):
    """A partner puts the file on their own site: its scripts run, nothing else does."""
    dialogs = watch(page)
    response = page.request.get(f"{live_server.url}/carte.html?near={BLOIS[0]},{BLOIS[1]}&radius=5")
    assert response.ok
    body = response.body()
    page.route(
        "https://www.partenaire.fr/**",
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body),
    )
    page.goto("https://www.partenaire.fr/lettre/carte.html")
    markers = page.locator(".leaflet-marker-icon")
    markers.first.wait_for()
    assert markers.count() == len(hostile), "the map's script ran under its own policy"
    assert page.tile_requests, "tiles are allowed by the file's policy"
    names = {a.name for a in hostile}
    for i in range(markers.count()):
        markers.nth(i).dispatch_event("mouseover")
        tooltip = page.locator(".leaflet-tooltip").last
        assert tooltip.inner_text() in names, f"the tooltip shows {tooltip.inner_text()!r}"
        markers.nth(i).dispatch_event("mouseout")
        markers.nth(i).dispatch_event("click")
        popup = page.locator(".leaflet-popup-content")
        assert popup.locator("a").first.inner_text() in names
        assert popup.locator("img, svg, iframe, script, input, details").count() == 0
    listed = page.locator(".tp-list li a")
    assert sorted(listed.all_inner_texts()) == sorted(names)
    assert_nothing_ran(page, dialogs, "the downloaded map")


def test_api_docs_run_under_the_policy(page, live_server):
    """Swagger UI starts from its own script file: no inline script, no violation."""
    page.goto(live_server.url + "/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Tout Près" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 0, "the endpoints are listed"
