"""plain_text skips nh3 for a text with nothing a round of cleaning could change
(directory.plaintext.MAY_CHANGE). That shortcut is only sound if a round really leaves every
such text as it is: checked here on random text over an alphabet of what real lists and
attackers send (accents, ligatures, no-break and odd spaces, control characters, non-
characters, emoji, combining marks, quotes, half-entities), and on the real lists."""

import csv
import random
from pathlib import Path

import pytest

from directory.plaintext import MAY_CHANGE, _one_round, plain_text

ALPHABET = list(
    "abcéèœÆ ß\u00a0\u202f\t\n\x0b\x0c\x01\x1f\x7f\u0085\u2028\u2029\ufeff\ufffe\ufdd0\U0001f600"
    "'\"=`/\\;:!?#%*()[]{}-_.,0123456789\u0301"
) + ["amp;", "lt;", "#60;", "#x3C;", "nbsp"]
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def random_texts(count=20_000, seed=3):
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))


def real_cells():
    paths = sorted(SHARED.glob("**/*.csv"))
    assert paths, f"no real lists under {SHARED}: the corpus this test reads is missing"
    for path in paths:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            yield from (cell for row in csv.reader(handle, delimiter=";") for cell in row)


@pytest.mark.parametrize("texts", [random_texts, real_cells], ids=["random", "real lists"])
def test_a_round_of_cleaning_leaves_text_without_those_characters_as_it_is(texts):
    changed = [t for t in texts() if not MAY_CHANGE.search(t) and _one_round(t) != t]
    assert not changed, f"nh3 changes texts the shortcut skips, e.g. {changed[:3]!r}"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("\ufeffFerme du Moulin", "Ferme du Moulin"),  # a byte-order mark pasted in
        ("Ferme\r\ndu Moulin", "Ferme\ndu Moulin"),
        ("Ferme <b>du</b> Moulin", "Ferme du Moulin"),
        ("Ferme &amp; fils", "Ferme & fils"),
        ("Ferme\x00 du Moulin", "Ferme du Moulin"),
        ("Légumes,  œufs\u00a0bio", "Légumes, œufs bio"),
    ],
)
def test_what_the_shortcut_leaves_to_nh3_is_still_cleaned(value, expected):
    assert plain_text(value) == expected
