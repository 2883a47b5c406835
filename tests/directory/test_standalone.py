"""« Télécharger cette carte »: a self-contained folium map of exactly the current selection."""

import datetime
import json
import re

import pytest

from directory import standalone
from directory.models import ActorKind, Category

pytestmark = pytest.mark.django_db
BLOIS = (47.5861, 1.3359)


@pytest.fixture
def selection(make_actor):
    cheese = Category.objects.get(slug="fromage-laitier")
    inside = []
    for i, (dlat, dlon) in enumerate([(0.01, 0.01), (-0.02, 0.03), (0.03, -0.02)]):
        actor = make_actor(BLOIS[0] + dlat, BLOIS[1] + dlon, name=f"Fromagerie {i}")
        actor.categories.add(cheese)
        inside.append(actor)
    make_actor(BLOIS[0] + 0.01, BLOIS[1], name="Maraîcher voisin")  # another category
    far = make_actor(48.5, 2.5, name="Fromagerie lointaine")  # out of range
    far.categories.add(cheese)
    return inside


def markers(html: str) -> list[str]:
    """The popup texts of the map's markers, one per L.marker in the script."""
    popups = [json.loads(m) for m in re.findall(r'\.bindPopup\(("(?:[^"\\]|\\.)*")', html)]
    assert html.count("L.marker(") == len(popups)
    return popups


def test_the_map_holds_exactly_the_selected_actors(client, selection, territories):
    response = client.get(
        "/carte.html",
        {"near": f"{BLOIS[0]},{BLOIS[1]}", "radius": 10, "category": "fromage-laitier"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    popups = markers(html)
    assert len(popups) == 3 == html.count("L.marker(")
    assert sorted(re.search(r">([^<]+)</a></strong>", p).group(1) for p in popups) == [
        "Fromagerie 0",
        "Fromagerie 1",
        "Fromagerie 2",
    ]
    assert "Maraîcher voisin" not in html and "Fromagerie lointaine" not in html
    # Legend and list: the kinds shown, every address in words too.
    assert '<ul class="tp-legend"' in html and "Producteur" in html
    assert html.count('<li><a href="') == 3
    # Self-contained: Leaflet inlined, no script or stylesheet fetched from elsewhere.
    assert "<script src=" not in html
    assert not re.search(r'<link[^>]+href="https?:', html)
    assert "L.map(" in html and "leaflet-pane" in html
    today = datetime.date.today().isoformat()
    assert response["Content-Disposition"] == (
        "attachment; filename="
        f'"tout-pres_fromages-et-produits-laitiers-a-10-km-de-blois_{today}.html"'
    )


def test_names_cannot_run_code_in_the_downloaded_file(client, make_actor):
    make_actor(*BLOIS, name="`${alert(1)}`</script><script>alert(2)</script>")
    html = client.get("/carte.html", {"near": f"{BLOIS[0]},{BLOIS[1]}", "radius": 5}).content
    html = html.decode()
    assert "<script>alert(2)" not in html
    assert "`${alert(1)}`" not in html.split("<script>", 1)[1].split("bindPopup", 1)[0]
    assert len(markers(html)) == 1
    assert "&lt;/script&gt;&lt;script&gt;alert(2)" in html  # shown as text in the list


def test_a_territory_selection_is_named_in_the_file(client, make_actor, territories):
    from geodata.models import Commune

    make_actor(*BLOIS, name="Ferme de Blois", commune=Commune.objects.get(code="41018"))
    make_actor(47.9, 1.9, name="Ferme d'Orléans", commune=Commune.objects.get(code="45234"))
    response = client.get("/carte.html", {"departement": "41", "kind": ActorKind.PRODUCER})
    html = response.content.decode()
    assert [p.split("</a>")[0].rsplit(">", 1)[1] for p in markers(html)] == ["Ferme de Blois"]
    assert "tout-pres_producteur-departements-41_" in response["Content-Disposition"]


def test_too_large_or_invalid_selections_get_a_clear_error(client, make_actor, monkeypatch):
    make_actor()
    make_actor()
    monkeypatch.setattr(standalone, "MAX_MARKERS", 1)
    response = client.get("/carte.html")
    assert response.status_code == 400
    assert "Cette sélection compte 2 adresses" in response.content.decode()
    response = client.get("/carte.html", {"radius": "9999"})
    assert response.status_code == 400 and "radius" in response.content.decode()
