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


def test_sheet_unknown_commune_is_a_400_saying_so(client):
    response = client.get("/fiche/", {"commune": "99999"})
    assert response.status_code == 400
    assert "Nous ne trouvons pas « 99999 »" in response.content.decode()
    response = client.get("/fiche/", {"commune": "<b>Bloiss</b>"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nous ne trouvons pas « &lt;b&gt;Bloiss&lt;/b&gt; »" in html and "<b>Bloiss" not in html


def test_sheet_commune_by_name_or_postal_code(client, neighbourhood):
    by_code = client.get("/fiche/", {"commune": "45232", "radius": 10}).content.decode()
    assert "Acheter local près de Olivet" in by_code
    for typed in ("Olivet", "olivet", " OLIVET ", "olivet (45)"):
        response = client.get("/fiche/", {"commune": typed, "radius": 10})
        assert response.status_code == 200, (typed, response.content[:300])
        assert "Acheter local près de Olivet" in response.content.decode(), typed
        assert "Chèvrerie &lt;b&gt;du Val&lt;/b&gt;" in response.content.decode()


def test_sheet_postal_code_and_the_insee_code_that_looks_like_one(client):
    # 45000: Orléans's postal code, no commune's INSEE code.
    html = client.get("/fiche/", {"commune": "45000", "radius": 10}).content.decode()
    assert "Acheter local près de Orléans" in html
    # 45160 is Olivet's postal code and Greneville-en-Beauce's INSEE code: the INSEE code
    # wins, so that the sheets' links (made with INSEE codes) keep their meaning.
    html = client.get("/fiche/", {"commune": "45160", "radius": 10}).content.decode()
    assert "Acheter local près de Greneville-en-Beauce" in html


def test_sheet_namesakes_are_listed_never_guessed(client):
    from django.db.models import Count

    twin = (
        Commune.objects.values("name").annotate(n=Count("pk")).filter(n__gt=1).order_by("name")
    ).first()
    assert twin, "the test territories hold two communes of the same name"
    response = client.get("/fiche/", {"commune": twin["name"], "radius": 10})
    assert response.status_code == 400
    html = response.content.decode()
    assert "plusieurs communes possibles" in html
    for code in Commune.objects.filter(name=twin["name"]).values_list("code", flat=True):
        assert code in html, f"{twin['name']}: candidate {code} named with its code"


def test_print_stylesheet_sets_a4_pages_and_keeps_entries_whole():
    css = (ROOT / "static/css/sheet.css").read_text()
    assert "@page { size: A4;" in css
    assert "break-inside: avoid" in css and "page-break-inside: avoid" in css
    assert "@media print" in css
