"""The printable sheet: no map tiles, no JavaScript, grouped by kind, dated."""

import datetime
import re
from pathlib import Path

import pytest

from directory.models import ActorKind, DistributionLink, OpeningSlot, SaleMode
from geodata.models import Commune

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def neighbourhood(make_actor):
    olivet = Commune.objects.get(code="45232")
    farm = make_actor(
        name="Chèvrerie <b>du Val</b>",
        lat=47.86,
        lon=1.90,
        commune=olivet,
        postal_code="45160",
        phone="02 61 91 00 07",
    )
    farm.sale_modes.add(SaleMode.objects.get(slug="telephone"))
    OpeningSlot.objects.create(
        actor=farm, weekday=4, opens=datetime.time(16), closes=datetime.time(19)
    )
    market = make_actor(
        name="Marché d'Olivet", kind=ActorKind.MARKET, lat=47.862, lon=1.901, commune=olivet
    )
    DistributionLink.objects.create(
        actor=farm, place=market, weekday=5, starts=datetime.time(8), ends=datetime.time(12)
    )
    make_actor(
        name="Boulangerie Martin", kind=ActorKind.ARTISAN, lat=47.87, lon=1.91, commune=olivet
    )
    make_actor(name="Trop loin", lat=47.08, lon=2.40)
    return farm


def test_sheet_is_print_ready_without_script_or_tiles(client, neighbourhood):
    response = client.get("/fiche/", {"commune": "45232", "radius": 10})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script" not in html and "tile" not in html and "leaflet" not in html.lower()
    assert "Acheter local près de Olivet" in html
    assert "3 adresses à moins de 10 km" in html
    assert re.search(r"Liste imprimée le \d{1,2} \w+ 20\d\d", html)
    # Grouped by kind, in the directory's order: producers, then artisans, then markets.
    assert re.findall(r"<h2>(.*?)</h2>", html) == [
        "Producteur",
        "Artisan des métiers de bouche",
        "Marché de plein air",
    ]
    assert "☎ 02 61 91 00 07 — commandes par téléphone" in html
    assert "vendredi 16h00–19h00" in html and "Marché d&#x27;Olivet (samedi 8h00–12h00)" in html
    assert "Chèvrerie &lt;b&gt;du Val&lt;/b&gt;" in html
    assert "Trop loin" not in html


def test_sheet_filters_apply(client, neighbourhood):
    html = client.get(
        "/fiche/", {"commune": "45232", "radius": 10, "kind": "artisan"}
    ).content.decode()
    assert "Boulangerie Martin" in html and "Chèvrerie" not in html


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"commune": "abc"},
        {"commune": "45232", "radius": "500"},
        {"commune": "45232", "kind": "x"},
    ],
)
def test_sheet_bad_parameters_are_a_400_naming_them(client, params):
    response = client.get("/fiche/", params)
    assert response.status_code == 400
    assert "<code>" in response.content.decode()


def test_sheet_unknown_commune_is_404(client):
    assert client.get("/fiche/", {"commune": "99999"}).status_code == 404


def test_print_stylesheet_sets_a4_pages_and_keeps_entries_whole():
    css = (ROOT / "static/css/sheet.css").read_text()
    assert "@page { size: A4;" in css
    assert "break-inside: avoid" in css and "page-break-inside: avoid" in css
    assert "@media print" in css
