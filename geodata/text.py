"""Text normalisation for place names: accent-, case- and punctuation-insensitive matching."""

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_SEPARATORS = re.compile(r"[\s\-'’`´.,;:/()]+")
# Abbreviations people type for the very common "Saint-" names.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def strip_accents(value: str) -> str:
    """Remove diacritics ("Orléans" -> "Orleans") and expand ligatures."""
    if value.isascii():  # nothing to decompose or expand (imports: most names and words)
        return value
    decomposed = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize(value: str) -> str:
    """Searchable form of a name: lower case, no accents, words split by single spaces.

    "Saint-Jean-de-Braye", "ST JEAN DE BRAYE" and "st jean-de-bráye" all give
    "saint jean de braye".
    """
    words = _SEPARATORS.split(strip_accents(value).lower())
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words if w)
