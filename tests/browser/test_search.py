"""The consumer journey in a real browser: place, filters, list and map, URL state, keyboard."""

import datetime
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from playwright.sync_api import expect

from directory.models import Actor, ActorKind, Category, ModerationStatus, OpeningSlot
from geodata.models import Commune

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def directory():
    call_command("import_territories", "--departements", "45", verbosity=0)
    olivet = Commune.objects.get(code="45232")
    cheese = Category.objects.get(slug="fromage-laitier")
    honey = Category.objects.get(slug="miel")

    def actor(name, lat, lon, category, saturday=False, kind=ActorKind.PRODUCER):
        a = Actor.objects.create(
            name=name,
            kind=kind,
            status=ModerationStatus.PUBLISHED,
            commune=olivet,
            location=Point(lon, lat, srid=4326),
            phone="02 61 91 00 10",
        )
        a.categories.add(category)
        if saturday:
            OpeningSlot.objects.create(
                actor=a, weekday=5, opens=datetime.time(9), closes=datetime.time(12)
            )
        return a

    return [
        actor("Chèvrerie du Loiret", 47.865, 1.905, cheese, saturday=True),
        actor("Rucher d'Olivet", 47.860, 1.890, honey, saturday=True),
        actor("Fromagerie du mardi", 47.850, 1.880, cheese),
        actor("Laiterie lointaine", 47.70, 1.70, cheese, saturday=True),
    ]


def result_names(page):
    return page.locator("#result-list .result h3").all_inner_texts()


def test_type_a_commune_pick_it_see_the_sorted_list_and_markers(page, live_server, directory):
    page.goto(live_server.url + "/")
    page.fill("#id_where", "Olive")
    page.locator("#where-suggestions option[value='Olivet (45160)']").wait_for(state="attached")
    page.fill("#id_where", "Olivet (45160)")  # what picking the suggestion does
    assert page.input_value("#id_near").startswith("47.8")
    page.select_option("#id_radius", "10")
    page.click("#search-form button[type=submit]")
    page.wait_for_url("**/?*where=*")
    assert result_names(page) == ["Chèvrerie du Loiret", "Rucher d'Olivet", "Fromagerie du mardi"]
    assert page.locator("#result-count").inner_text().startswith("3 adresses à moins de 10 km")
    # One marker per result, with its kind's pictogram, out of the keyboard's tab order.
    pins = page.locator(".leaflet-marker-icon.marker")
    assert pins.count() == 3
    assert pins.first.get_attribute("tabindex") is None
    assert pins.first.locator("svg.pictogram path").get_attribute("d").startswith("M8 14V7")
    assert pins.first.get_attribute("title") in result_names(page)
    assert page.external_requests == [] and page.console_errors == []


def test_filter_by_product_and_open_on_saturday_then_share_the_url(page, live_server, directory):
    page.goto(live_server.url + "/?where=Olivet&radius=20")
    assert len(result_names(page)) == 3
    page.click("summary")
    page.check("input[name=category][value=fromage-laitier]")
    page.check("input[name=open][value=saturday]")
    page.click("#search-form button[type=submit]")
    page.wait_for_url("**category=fromage-laitier**")
    assert result_names(page) == ["Chèvrerie du Loiret"]
    assert "ouvertes le samedi" in page.locator("#result-count").inner_text()

    # Move the map: its view goes into the URL; reloading that URL gives the same page.
    page.evaluate("window.toutPresMap.setView([47.87, 1.91], 13)")
    page.wait_for_function("() => location.search.includes('map=13/')")
    shared = page.url
    query = parse_qs(urlparse(shared).query)
    assert query["category"] == ["fromage-laitier"] and query["open"] == ["saturday"]
    other = page.context.new_page()
    other.goto(shared)
    assert result_names(other) == ["Chèvrerie du Loiret"]
    assert other.evaluate("window.toutPresMap.getZoom()") == 13
    assert other.is_checked("input[name=category][value=fromage-laitier]")
    other.close()

    # The back button returns to the unfiltered search.
    page.go_back()
    page.wait_for_function("() => !location.search.includes('category')")
    assert len(result_names(page)) == 3


def test_search_this_area(page, live_server, directory):
    page.goto(live_server.url + "/?where=Olivet&radius=5")
    assert "Laiterie lointaine" not in result_names(page)
    page.evaluate("window.toutPresMap.setView([47.70, 1.70], 12)")
    page.click("#search-area")
    page.wait_for_url("**near=47.7**")
    assert result_names(page)[0] == "Laiterie lointaine"


def test_keyboard_only_from_search_to_listing(page, live_server, directory):
    page.goto(live_server.url + "/")
    for _ in range(15):  # skip link, navigation, language, then the place box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_where":
            break
    assert page.evaluate("document.activeElement.id") == "id_where"
    page.keyboard.type("Olivet")
    page.keyboard.press("Enter")
    page.wait_for_url("**where=Olivet**")
    link = page.get_by_role("link", name="Rucher d'Olivet")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Rucher d'Olivet":
            break
    assert page.evaluate("document.activeElement.textContent") == "Rucher d'Olivet"
    # Focus in the list highlights the item and its marker (map and list in sync).
    assert "highlighted" in page.locator(".result", has=link).get_attribute("class")
    marker = page.locator('.leaflet-marker-icon.marker[title="Rucher d\'Olivet"]')
    expect(marker).to_have_class(re.compile(r"\bhighlighted\b"))
    highlighted = page.locator(".leaflet-marker-icon.marker.highlighted")
    expect(highlighted).to_have_count(1)
    # The pointer passing over another result and away does not undo the keyboard's highlight.
    page.hover(".result >> nth=0")
    expect(highlighted).to_have_count(2)
    page.mouse.move(0, 0)
    expect(highlighted).to_have_count(1)
    expect(marker).to_have_class(re.compile(r"\bhighlighted\b"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/acteurs/rucher-dolivet/")
    assert page.locator("h1").inner_text() == "Rucher d'Olivet"


def test_around_me_refused_gives_a_clear_message(page, live_server, directory):
    page.goto(live_server.url + "/")
    page.click("#around-me")
    page.wait_for_function(
        "() => document.getElementById('result-count').textContent.includes('refusée')"
    )


def test_around_me_granted(browser, live_server, directory):
    context = browser.new_context(
        locale="fr-FR",
        geolocation={"latitude": 47.862, "longitude": 1.895},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.route("**/tile.openstreetmap.org/**", lambda r: r.fulfill(status=200, body=b""))
    page.goto(live_server.url + "/")
    page.click("#around-me")
    page.wait_for_url("**near=47.862**")
    assert result_names(page)[0] == "Rucher d'Olivet"
    context.close()


def test_the_map_loads_tiles_with_clusters_then_markers_on_zoom_and_pan(
    page, live_server, directory
):
    tiles = []
    page.on(
        "request",
        lambda r: tiles.append(r.url) if "/api/v1/layer/" in r.url else None,
    )
    page.goto(live_server.url + "/?map=8/47.8/1.8")
    clusters = page.locator(".leaflet-marker-icon.cluster")
    expect(clusters.first).to_be_visible()
    counts = [int(t) for t in clusters.all_inner_texts()]
    assert sum(counts) == 4, f"clusters {counts} do not add up to the 4 listings"
    assert tiles and all(re.search(r"/api/v1/layer/8/\d+/\d+\.geojson\?v=\d+", u) for u in tiles)
    # Zoomed in: one small marker per listing in view, none twice across tile edges.
    page.evaluate("window.toutPresMap.setView([47.86, 1.89], 13)")
    dots = page.locator(".leaflet-context-pane path.leaflet-interactive")
    expect(dots).to_have_count(3)
    expect(clusters).to_have_count(0)
    # Panned to the fourth: it appears, the others leave with their tiles.
    page.evaluate("window.toutPresMap.setView([47.70, 1.70], 13)")
    expect(dots).to_have_count(1)
    assert page.console_errors == []


def test_the_map_controls_and_the_language_menu_speak_the_page_s_language(
    page, live_server, directory
):
    """Leaflet's zoom buttons said « Zoom in » on French pages, and the French menu offered
    « Anglais », a word an English reader does not look for."""
    page.goto(live_server.url + "/?where=Olivet+(45160)&radius=10")
    zoom_in = page.locator("#map .leaflet-control-zoom-in")
    expect(zoom_in).to_have_attribute("title", "Zoom avant")
    expect(page.locator("#map .leaflet-control-zoom-out")).to_have_attribute(
        "title", "Zoom arrière"
    )
    options = page.locator("#lang-select option")
    assert options.all_inner_texts() == ["Français", "English"], options.all_inner_texts()
    expect(page.locator("#lang-select option[value=en]")).to_have_attribute("lang", "en")

    page.select_option("#lang-select", "en")
    page.locator("form.lang button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#map .leaflet-control-zoom-in")).to_have_attribute("title", "Zoom in")
    expect(page.locator("#map .leaflet-control-zoom-out")).to_have_attribute("title", "Zoom out")
    assert page.locator("#lang-select option").all_inner_texts() == ["Français", "English"]
