import pytest

from geodata.text import normalize, strip_accents


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Saint-Jean-de-Braye", "saint jean de braye"),
        ("ST JEAN DE BRAYE", "saint jean de braye"),
        ("st-jean-de-bráye", "saint jean de braye"),
        ("Ste-Maure-de-Touraine", "sainte maure de touraine"),
        ("L'Île-Bouchard", "l ile bouchard"),
        ("Œuilly", "oeuilly"),
        ("  Orléans  ", "orleans"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_strip_accents_keeps_case():
    assert strip_accents("Évreux Châteauroux") == "Evreux Chateauroux"


def test_st_only_expanded_as_a_whole_word():
    # "Stenay" must not become "saintenay".
    assert normalize("Stenay") == "stenay"
