import pytest
from django.core.exceptions import ValidationError

from geodata import gazetteer

pytestmark = pytest.mark.django_db


def names(results):
    return [c.name for c in results]


def test_postal_code_shared_by_several_communes_returns_all_of_them():
    found = gazetteer.search("41100", limit=50)
    assert {"Vendôme", "Naveil", "Saint-Ouen", "Villiers-sur-Loir", "Thoré-la-Rochette"} <= set(
        names(found)
    )
    assert all("41100" in c.postal_code_list for c in found)
    # Biggest town first.
    assert found[0].name == "Vendôme"


def test_commune_with_several_postal_codes():
    (orleans,) = [c for c in gazetteer.search("45000") if c.code == "45234"]
    assert orleans.postal_code_list == ["45000", "45100"]


@pytest.mark.parametrize("query", ["orleans", "ORLÉANS", "Orlé", "orl"])
def test_name_prefix_is_accent_and_case_insensitive(query):
    assert names(gazetteer.search(query))[0] == "Orléans"


@pytest.mark.parametrize("query", ["st jean de braye", "St-Jean-de-Br", "saint jean de b"])
def test_st_matches_saint(query):
    assert "Saint-Jean-de-Braye" in names(gazetteer.search(query))


def test_word_start_match_after_an_article():
    assert "La Ferté-Saint-Aubin" in names(gazetteer.search("ferte saint a"))


def test_exact_name_first():
    assert names(gazetteer.search("tours"))[0] == "Tours"


def test_postal_code_prefix():
    found = gazetteer.search("451", limit=50)
    assert found and all(any(p.startswith("451") for p in c.postal_code_list) for c in found)


@pytest.mark.parametrize("query", ["", "   ", "zzzzqx", "'-"])
def test_nothing_found(query):
    assert gazetteer.search(query) == []


def test_reverse_geocoding_of_a_town_hall():
    place = gazetteer.locate(47.90289, 1.90911)  # Orléans town hall
    assert (place.commune.name, place.departement.code, place.region.name) == (
        "Orléans",
        "45",
        "Centre-Val de Loire",
    )


def test_reverse_geocoding_outside_imported_territories():
    place = gazetteer.locate(43.6, 3.88)  # Montpellier: not imported by default
    assert place.commune is None and place.departement is None


@pytest.mark.parametrize("lat, lon", [(91, 1), (47, 181), (float("nan"), 1), ("abc", 2)])
def test_reverse_geocoding_rejects_bad_coordinates(lat, lon):
    with pytest.raises(ValidationError):
        gazetteer.locate(lat, lon)
