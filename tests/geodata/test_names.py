"""Places named in partners' files, resolved exactly or not at all (geodata.names).

The main test takes every commune of France from the territory data, writes its name the
ways partners' files do, with and without a postal code or a département, and counts what
the resolver makes of it: right, sent to review (ambiguous, unknown) or silently wrong."""

import random
import unicodedata
from collections import Counter

import pytest

from geodata import sources
from geodata.models import FrenchDepartement, PlaceKind, PlaceName
from geodata.names import Status, departement_code, key, resolve

pytestmark = pytest.mark.django_db


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def variants(name: str) -> list[str]:
    """How partners' files write an official commune name."""
    words = name.replace("'", "' ").split()
    forms = {name, name.upper(), _plain(name).lower(), _plain(name).upper().replace("-", " ")}
    forms.add(_plain(name).lower().replace(" ", "-").replace("'", "-"))  # a slug
    short = name.replace("Saint-", "St-").replace("Sainte-", "Ste-")
    forms.add(short.replace("Saint ", "St ").replace("Sainte ", "Ste "))
    forms.add(name.replace("-sur-", " s/ "))
    if words[0] in ("Le", "La", "Les", "L'"):
        rest = name[len(words[0]) :].strip()
        forms.add(f"{rest} ({words[0].rstrip(chr(39))})")  # « Ferté-Saint-Aubin (La) »
        forms.add(rest)
    return sorted(forms)


@pytest.fixture(scope="module")
def source():
    return sources.load()


def test_every_commune_of_france_is_in_the_national_names(territories, source):
    communes = set(PlaceName.objects.filter(kind=PlaceKind.COMMUNE).values_list("code", flat=True))
    assert communes == set(source.communes), "the national names miss or add communes"
    assert PlaceName.objects.exclude(kind=PlaceKind.COMMUNE).count() == len(source.parts)
    assert FrenchDepartement.objects.count() == len(source.departements), "départements missing"


def test_every_commune_under_every_spelling_is_right_or_sent_to_review(territories, source):
    outcomes = Counter()
    wrong = []
    rng = random.Random(18)
    for record in source.communes.values():
        postal = sorted(record.postal_codes)
        for form in variants(record.name):
            for context in ("name", "postal", "departement"):
                extra = {}
                if context == "postal":
                    if not postal:
                        continue
                    extra["postal_code"] = rng.choice(postal)
                elif context == "departement":
                    extra["departement"] = record.departement
                result = resolve(form, **extra)
                if result.status != Status.FOUND:
                    outcomes[context, "review"] += 1
                elif result.code == record.code:
                    outcomes[context, "right"] += 1
                else:
                    outcomes[context, "wrong"] += 1
                    wrong.append((form, extra, result.code, record.code))
    assert not wrong, f"{len(wrong)} silently wrong, e.g. {wrong[:5]}"
    for context in ("postal", "departement"):
        right, review = outcomes[context, "right"], outcomes[context, "review"]
        share = right / (right + review)
        assert share >= 0.995, f"with {context}: {share:.2%} right ({review} sent to review)"
    # A name alone is only enough when it is unique in France (former communes included:
    # « Mareuil » is also a commune déléguée of Mareuil en Périgord): namesakes go to review.
    holders = {}
    for name, commune in PlaceName.objects.values_list("name", "commune_code"):
        holders.setdefault(key(name), set()).add(commune)
    expected = sum(
        len(variants(r.name)) for r in source.communes.values() if len(holders[key(r.name)]) == 1
    )
    assert outcomes["name", "right"] >= 0.995 * expected, (outcomes, expected)


def test_namesakes_are_never_picked_by_population(territories):
    result = resolve("Saint-Ouen")
    assert result.status == Status.AMBIGUOUS, result
    assert {c.departement for c in result.candidates} >= {"41", "80"}
    assert resolve("Saint-Ouen", postal_code="41100").code == "41226"
    # Renamed Saint-Ouen-sur-Seine in 2018: offered, not picked.
    renamed = resolve("Saint-Ouen", departement="93")
    assert renamed.status == Status.AMBIGUOUS
    assert "93070" in {c.code for c in renamed.candidates}


@pytest.mark.parametrize(
    "written, code",
    [
        ("chapelle-basse-mer", "44029"),  # commune déléguée of Divatte-sur-Loire
        ("La Chapelle-Basse-Mer", "44029"),
        ("Paris 15e", "75056"),
        ("PARIS 01", "75056"),
        ("Marseille 13ème arrondissement", "13055"),
        ("Lyon 3e", "69123"),
        ("Ferté-Saint-Aubin (La)", "45146"),
        ("Chalon s/ Saône", "71076"),
        ("Tours 37", "37261"),
        ("BLOIS CEDEX", "41018"),
    ],
)
def test_former_communes_arrondissements_and_written_forms(territories, written, code):
    result = resolve(written)
    assert result.found and result.code == code, result


def test_no_last_word_and_no_loose_match(territories):
    # The old gazetteer turned these into Mer (41).
    for written in ("chapelle-basse", "Saint-Jean-sur-Mer", "Villers-sur-Mer Plage"):
        result = resolve(written)
        assert not result.found or result.code != "41136", (written, result)
    assert resolve("Bloiss").status == Status.UNKNOWN
    assert "41018" in {c.code for c in resolve("Bloiss").candidates}


def test_insee_codes_win_and_a_contradicting_name_is_sent_to_review(territories):
    assert resolve(insee="75115").code == "75056"  # an arrondissement's code
    assert resolve("41018").code == "41018"  # a code in the commune column
    doubt = resolve("Blois", insee="45234")
    assert doubt.status == Status.AMBIGUOUS
    assert {"41018", "45234"} <= {c.code for c in doubt.candidates}


def test_a_postal_code_that_is_not_the_communes_still_tells_namesakes_apart(territories):
    # Saint-Ouen (41) with the postal code of Vendôme's office next door.
    result = resolve("Saint-Ouen", postal_code="41101")
    assert result.found and result.code == "41226", result
    assert result.how == "postal_departement"


def test_a_postal_code_alone(territories, source):
    assert resolve("", postal_code="41100").status == Status.AMBIGUOUS
    holders = Counter(p for r in source.communes.values() for p in r.postal_codes)
    single = next(
        r for r in source.communes.values() if any(holders[p] == 1 for p in r.postal_codes)
    )
    code = next(p for p in single.postal_codes if holders[p] == 1)
    assert resolve("", postal_code=code).code == single.code


@pytest.mark.parametrize(
    "written, code",
    [
        ("41", "41"),
        ("041", "41"),
        ("2a", "2A"),
        ("Loir-et-Cher", "41"),
        ("41 - Loir-et-Cher", "41"),
    ],
)
def test_departement_columns(territories, written, code):
    assert departement_code(written) == code
