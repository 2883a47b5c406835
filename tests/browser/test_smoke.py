"""The site in a real browser: home page, a listing, and the admin map widget."""

import re

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command

from directory.models import Actor, ActorKind, ModerationStatus
from geodata.models import Commune

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listings():
    call_command("import_territories", "--departements", "45", verbosity=0)
    olivet = Commune.objects.get(code="45232")
    farm = Actor.objects.create(
        name="La Chèvrerie d'Olivet",
        kind=ActorKind.PRODUCER,
        status=ModerationStatus.PUBLISHED,
        commune=olivet,
        postal_code="45160",
        location=Point(1.9, 47.86, srid=4326),
        phone="02 61 91 00 42",
        products="crottins de chèvre",
    )
    return farm


def test_home_to_listing(page, live_server, listings):
    page.goto(live_server.url + "/")
    assert page.title() == "Tout Près — Centre-Val de Loire"
    assert (
        "1 adresse pour trouver des produits locaux" in page.locator("#result-count").inner_text()
    )
    page.goto(live_server.url + "/?where=45160")
    page.get_by_role("link", name="La Chèvrerie d'Olivet").click()
    page.wait_for_url("**/acteurs/la-chevrerie-dolivet/")
    call = page.get_by_role("link", name="Appeler 02 61 91 00 42")
    assert call.get_attribute("href") == "tel:0261910042"
    assert page.external_requests == [] and page.console_errors == []


def test_keyboard_skip_link(page, live_server, listings):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


def test_phone_width_has_no_horizontal_scroll(page, live_server, listings):
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/", listings.get_absolute_url()):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_admin_map_widget_with_local_leaflet(page, live_server, listings, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.org", "motdepasse-solide-42")
    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "motdepasse-solide-42")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/directory/actor/{listings.pk}/change/")
    page.locator(".leaflet-container").first.wait_for(state="visible")
    assert page.evaluate("typeof L !== 'undefined' && L.version.length > 0")
    page.locator(".leaflet-marker-icon").first.wait_for(state="attached")
    assert page.tile_requests, "the map asked for tiles (mocked)"
    assert page.external_requests == []


def test_printable_sheet_prints_to_a4_pdf_without_requests_beyond_the_site(
    page, live_server, listings
):
    page.goto(f"{live_server.url}/fiche/?commune=45232&radius=20")
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "none"
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    # A4 in points: 595 × 842.
    assert re.search(rb"/MediaBox \[0 0 59[45]\.\d* 84[12]\.\d*\]", pdf)
    assert page.external_requests == [] and page.tile_requests == []
