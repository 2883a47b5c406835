"""Which licence a partner's list is under, read from its free text or URL, and what that
allows: a listing goes in an open-data file only under terms its licence permits.

The rule (docs/opendata.md, « Licences : ce qui va dans quel fichier »):

- every listing keeps its own source and licence, per feature, in every file;
- the main files (under the export licence, ``TOUTPRES_OPEN_DATA["LICENCE_NAME"]``) hold
  the listings registered on the platform and those whose licence is *compatible* with the
  export licence: a permissive licence with attribution (Licence Ouverte, CC-BY, ODC-By,
  MIT, CC0, PDDL) goes into a permissive or a share-alike export; a share-alike licence
  (ODbL, CC-BY-SA) only into an export under the same licence (or, for CC-BY-SA and ODbL,
  a later version of it, which their « later version » clause allows);
- a listing under any other recognised licence goes to a separate set of files under that
  licence, never relicensed;
- a listing whose source states no licence, a licence that is not open (NC, ND, « tous
  droits réservés ») or one we cannot recognise is in no file at all: no stated right to
  republish it. The site still shows it, with its source.

Read at export time from the text, so staff fix a source's text and the next export
follows; nothing is stored.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

# A licence link as it may go into a file or a page: a web address, never javascript:….
WEB_URL = re.compile(r"^https?://[^\s\"'<>]+$")


def web_url(url: str) -> str:
    return url if WEB_URL.match(url or "") else ""


class LicenceFamily(models.TextChoices):
    PERMISSIVE = "permissive", _("Libre avec attribution")
    SHARE_ALIKE = "share_alike", _("Partage à l'identique")
    NOT_OPEN = "not_open", _("Non ouverte (pas d'usage commercial, pas de modification…)")
    UNKNOWN = "unknown", _("Non reconnue")
    NONE = "none", _("Aucune licence indiquée")


# Families whose listings may be republished (in the main files or in their own).
OPEN_FAMILIES = {LicenceFamily.PERMISSIVE, LicenceFamily.SHARE_ALIKE}


class Licence(models.TextChoices):
    """Values are SPDX identifiers where SPDX has one."""

    ETALAB_1 = "etalab-1.0", _("Licence Ouverte 1.0 (Etalab)")
    ETALAB_2 = "etalab-2.0", _("Licence Ouverte 2.0 (Etalab)")
    ODBL = "ODbL-1.0", "Open Database License (ODbL) 1.0"
    ODC_BY = "ODC-By-1.0", "Open Data Commons Attribution License (ODC-By) 1.0"
    PDDL = "PDDL-1.0", "Open Data Commons Public Domain Dedication and License (PDDL) 1.0"
    CC0 = "CC0-1.0", "Creative Commons CC0 1.0"
    CC_BY = "CC-BY", _("Creative Commons Attribution (CC-BY), version non précisée")
    CC_BY_2 = "CC-BY-2.0", "Creative Commons Attribution 2.0 (CC-BY 2.0)"
    CC_BY_25 = "CC-BY-2.5", "Creative Commons Attribution 2.5 (CC-BY 2.5)"
    CC_BY_3 = "CC-BY-3.0", "Creative Commons Attribution 3.0 (CC-BY 3.0)"
    CC_BY_4 = "CC-BY-4.0", "Creative Commons Attribution 4.0 (CC-BY 4.0)"
    CC_BY_SA = (
        "CC-BY-SA",
        _("Creative Commons Attribution – Partage dans les mêmes conditions, version non précisée"),
    )
    CC_BY_SA_2 = "CC-BY-SA-2.0", "Creative Commons Attribution-ShareAlike 2.0 (CC-BY-SA 2.0)"
    CC_BY_SA_25 = "CC-BY-SA-2.5", "Creative Commons Attribution-ShareAlike 2.5 (CC-BY-SA 2.5)"
    CC_BY_SA_3 = "CC-BY-SA-3.0", "Creative Commons Attribution-ShareAlike 3.0 (CC-BY-SA 3.0)"
    CC_BY_SA_4 = "CC-BY-SA-4.0", "Creative Commons Attribution-ShareAlike 4.0 (CC-BY-SA 4.0)"
    MIT = "MIT", _("Licence MIT")
    NOT_OPEN = "not-open", _("Licence non ouverte")
    UNKNOWN = "unknown", _("Licence non reconnue")
    NONE = "none", _("Aucune licence")


@dataclass(frozen=True)
class Terms:
    """What one licence is: its family, where to read it, its file name slug."""

    family: str
    url: str = ""
    slug: str = ""
    line: str = ""  # licences of one line with versions (the « later version » clause)
    version: tuple[int, int] | None = None


_CC = "https://creativecommons.org/"
TERMS = {
    Licence.ETALAB_1: Terms(
        LicenceFamily.PERMISSIVE,
        "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
        "etalab-1.0",
    ),
    Licence.ETALAB_2: Terms(
        LicenceFamily.PERMISSIVE,
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "etalab-2.0",
    ),
    Licence.ODBL: Terms(
        LicenceFamily.SHARE_ALIKE,
        "https://opendatacommons.org/licenses/odbl/1-0/",
        "odbl",
        "odbl",
        (1, 0),
    ),
    Licence.ODC_BY: Terms(
        LicenceFamily.PERMISSIVE, "https://opendatacommons.org/licenses/by/1-0/", "odc-by"
    ),
    Licence.PDDL: Terms(
        LicenceFamily.PERMISSIVE, "https://opendatacommons.org/licenses/pddl/1-0/", "pddl"
    ),
    Licence.CC0: Terms(LicenceFamily.PERMISSIVE, _CC + "publicdomain/zero/1.0/", "cc0"),
    Licence.CC_BY: Terms(LicenceFamily.PERMISSIVE, _CC + "licenses/by/4.0/", "cc-by"),
    Licence.CC_BY_2: Terms(LicenceFamily.PERMISSIVE, _CC + "licenses/by/2.0/", "cc-by-2.0"),
    Licence.CC_BY_25: Terms(LicenceFamily.PERMISSIVE, _CC + "licenses/by/2.5/", "cc-by-2.5"),
    Licence.CC_BY_3: Terms(LicenceFamily.PERMISSIVE, _CC + "licenses/by/3.0/", "cc-by-3.0"),
    Licence.CC_BY_4: Terms(LicenceFamily.PERMISSIVE, _CC + "licenses/by/4.0/", "cc-by-4.0"),
    # No version stated: no « later version » to rely on, and no page to point at.
    Licence.CC_BY_SA: Terms(LicenceFamily.SHARE_ALIKE, _CC + "licenses/", "cc-by-sa"),
    Licence.CC_BY_SA_2: Terms(
        LicenceFamily.SHARE_ALIKE, _CC + "licenses/by-sa/2.0/", "cc-by-sa-2.0", "cc-by-sa", (2, 0)
    ),
    Licence.CC_BY_SA_25: Terms(
        LicenceFamily.SHARE_ALIKE, _CC + "licenses/by-sa/2.5/", "cc-by-sa-2.5", "cc-by-sa", (2, 5)
    ),
    Licence.CC_BY_SA_3: Terms(
        LicenceFamily.SHARE_ALIKE, _CC + "licenses/by-sa/3.0/", "cc-by-sa-3.0", "cc-by-sa", (3, 0)
    ),
    Licence.CC_BY_SA_4: Terms(
        LicenceFamily.SHARE_ALIKE, _CC + "licenses/by-sa/4.0/", "cc-by-sa-4.0", "cc-by-sa", (4, 0)
    ),
    Licence.MIT: Terms(LicenceFamily.PERMISSIVE, "https://opensource.org/license/mit", "mit"),
    Licence.NOT_OPEN: Terms(LicenceFamily.NOT_OPEN),
    Licence.UNKNOWN: Terms(LicenceFamily.UNKNOWN),
    Licence.NONE: Terms(LicenceFamily.NONE),
}


def family(licence: Licence) -> LicenceFamily:
    return LicenceFamily(TERMS[licence].family)


def family_label(licence: Licence) -> str:
    return family(licence).label


def url(licence: Licence) -> str:
    return TERMS[licence].url


# --- reading free text ---------------------------------------------------------------

# Texts that say there is no licence.
_NONE = {
    "",
    "aucune",
    "aucune licence",
    "sans licence",
    "non precisee",
    "non precise",
    "non indiquee",
    "non renseignee",
    "inconnue",
    "licence inconnue",
    "none",
    "unknown",
    "n a",
    "na",
    "nc",
    "ne sait pas",
}
# Restrictions that make a licence not open: no commercial use, no derivatives, all rights.
_NOT_OPEN = [
    r"\bnc\b",
    r"noncommercial",
    r"non commercial",
    r"pas d utilisation commerciale",
    r"\bnd\b",
    r"noderiv",
    r"no derivative",
    r"pas de modification",
    r"tous droits reserves",
    r"all rights reserved",
    r"usage interne",
    r"reproduction interdite",
]
_SHARE_ALIKE = (
    r"(\bsa\b|sharealike|share alike|partage dans les memes conditions|partage a l identique)"
)
# (line, pattern) — a text matching two lines (« ODbL ou Licence Ouverte ») is ambiguous.
_LINES = [
    ("odbl", r"\bodbl\b|open database licen[cs]e|opendatacommons org licenses odbl"),
    (
        "odc-by",
        r"\bodc by\b|open data commons attribution|odc attribution|"
        r"opendatacommons org licenses by\b",
    ),
    ("pddl", r"\bpddl\b|public domain dedication and licen[cs]e"),
    ("cc0", r"\bcc ?0\b|creative commons zero|publicdomain zero|\bcc zero\b"),
    (
        "cc-by",
        r"\bcc by\b|creative commons attribution|creative commons by\b|"
        r"creativecommons org licenses by\b|\bcc attribution\b",
    ),
    (
        "etalab",
        r"licence ouverte|open licen[cs]e|\betalab\b|\blo ?v? ?[12](\.0)?\b",
    ),
    ("mit", r"\bmit\b|\bexpat licen[cs]e\b"),
]
_VERSIONED = {
    "etalab": {(1, 0): Licence.ETALAB_1, (2, 0): Licence.ETALAB_2, None: Licence.ETALAB_2},
    "odbl": {(1, 0): Licence.ODBL, None: Licence.ODBL},
    "odc-by": {(1, 0): Licence.ODC_BY, None: Licence.ODC_BY},
    "pddl": {(1, 0): Licence.PDDL, None: Licence.PDDL},
    "cc0": {(1, 0): Licence.CC0, None: Licence.CC0},
    "mit": {None: Licence.MIT},
    "cc-by": {
        (2, 0): Licence.CC_BY_2,
        (2, 5): Licence.CC_BY_25,
        (3, 0): Licence.CC_BY_3,
        (4, 0): Licence.CC_BY_4,
        None: Licence.CC_BY,
    },
    "cc-by-sa": {
        (2, 0): Licence.CC_BY_SA_2,
        (2, 5): Licence.CC_BY_SA_25,
        (3, 0): Licence.CC_BY_SA_3,
        (4, 0): Licence.CC_BY_SA_4,
        None: Licence.CC_BY_SA,
    },
}
# A version: "2.0", "2,5", "v2", "version 2" (not a lone "2022" or "04" of a URL).
_VERSION = re.compile(r"(?<![\d.])([1-4])\.([05])(?![\d.])|\b(?:v|version) ?([1-4])(?![\d.])")


def normalise(text: str) -> str:
    """Lower case, no accents, words and version numbers separated by single spaces:
    « Licence Ouverte v2.0 (Etalab) » -> "licence ouverte v2.0 etalab"."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"(?<=\d)[.,](?=\d)", "\0", text)  # keep 2.0 / 2,0 as one version
    text = re.sub(r"[^a-z0-9\0]+", " ", text).replace("\0", ".")
    # Letters stuck to a version ("odbl1.0") are split from it; "v2.0" stays.
    text = re.sub(r"(?<=[a-uw-z])(?=[1-4]\.\d)", " ", text)
    text = re.sub(r"\bccby\b", "cc by", text)
    text = re.sub(r"\bccbysa\b", "cc by sa", text)
    return " ".join(text.split())


def _read(text: str):
    """What one text (or URL) names: (line, version or None), "none", "not-open",
    "unknown" (ambiguous: two licences, two versions), or None (nothing we know)."""
    s = normalise(text)
    if s in _NONE:
        return "none"
    if any(re.search(p, s) for p in _NOT_OPEN):
        return "not-open"
    lines = {line for line, pattern in _LINES if re.search(pattern, s)}
    if "cc-by" in lines and re.search(_SHARE_ALIKE, s):
        lines = (lines - {"cc-by"}) | {"cc-by-sa"}
    if len(lines) != 1:
        return "unknown" if lines else None
    versions = {(int(a or c), int(b or 0)) for a, b, c in _VERSION.findall(s)}
    if len(versions) > 1:
        return "unknown"
    return lines.pop(), (versions.pop() if versions else None)


def _licence(line: str, version) -> Licence:
    return _VERSIONED[line].get(version, Licence.UNKNOWN)


def classify(text: str, licence_url: str = "") -> Licence:
    """The licence that ``text`` and ``licence_url`` name together.

    The URL completes a text (« CC-BY » with a …/by/4.0/ link is CC-BY 4.0) or stands for
    a text we cannot read; a text and a URL that name two different licences, or two
    versions, are a contradiction: unknown, for staff to settle.
    """
    said = _read(text)
    link = (licence_url or "").strip()
    # "…/odbl/1-0/": a URL writes versions with a dash.
    linked = _read(re.sub(r"(?<=\d)-(?=\d)", ".", link)) if link else None
    if "not-open" in (said, linked):
        return Licence.NOT_OPEN
    if isinstance(said, tuple) and isinstance(linked, tuple):
        if said[0] != linked[0] or (said[1] and linked[1] and said[1] != linked[1]):
            return Licence.UNKNOWN
        return _licence(said[0], said[1] or linked[1])
    if isinstance(said, tuple):
        return _licence(*said)
    if isinstance(linked, tuple) and said in (None, "none"):
        return _licence(*linked)
    if said == "none" and not link:
        return Licence.NONE
    return Licence.UNKNOWN


# --- what goes where -------------------------------------------------------------------


def compatible(licence: Licence, export: Licence) -> bool:
    """May a listing under ``licence`` be republished in a file under ``export``?"""
    if family(licence) not in OPEN_FAMILIES or family(export) not in OPEN_FAMILIES:
        return False
    if licence == export:
        return True
    if family(licence) == LicenceFamily.PERMISSIVE:
        # Attribution is kept per feature (source, licence): every open export honours it.
        return True
    # Share-alike: only into the same licence, or a later version of it.
    ours, theirs = TERMS[licence], TERMS[export]
    return bool(
        ours.line and ours.line == theirs.line and ours.version and theirs.version >= ours.version
    )


def separate(export: Licence) -> list[Licence]:
    """The recognised open licences that cannot go into files under ``export``: each of
    these gets files of its own."""
    return [
        lic
        for lic in Licence
        if family(lic) in OPEN_FAMILIES and TERMS[lic].slug and not compatible(lic, export)
    ]
