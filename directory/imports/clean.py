"""One row of a partner's file -> the values of a listing, or the reason it is refused.

Where the row is (position, commune, area) is directory.imports.places's part."""

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from geodata.scope import bordering_departements
from geodata.text import normalize

from ..hours.columns import DAY_FIELDS, HOUR_FIELDS
from ..hours.reading import read_hours
from ..models import Actor, Category, Label
from ..moderation.duplicates import phone_digits, site_key
from ..plaintext import plain_text
from ..reference_data import CATEGORY_WORDS, LABEL_WORDS
from .mapping import kind_for
from .places import Rejected, place

TEXT_LIMITS = {
    f.name: f.max_length
    for f in Actor._meta.get_fields()
    if getattr(f, "max_length", None)
    and f.name in {"name", "address", "phone", "contact_name", "contact_phone"}
}
LIST_SEPARATORS = re.compile(r"[,;/|\n]+")
POSTAL_CODE = re.compile(r"^\d{5}$", re.ASCII)  # not « ４１０００ »
HOURS_FIELDS = {"opening_hours", *DAY_FIELDS, *HOUR_FIELDS}
# The key of a row of a file without an identifier column (made from its name and place).
AUTO_KEY = "auto-"


@dataclass
class Cleaned:
    data: dict
    key: str
    notes: list[str] = field(default_factory=list)

    @property
    def point(self) -> Point:
        return Point(self.data["lon"], self.data["lat"], srid=4326)


def _singular(word: str) -> str:
    """French plurals folded: « légumes » → « legume », « œufs » → « oeuf »."""
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def _folded(text: str) -> str:
    return " ".join(_singular(w) for w in normalize(text).split())


class References:
    """Categories and labels by slug, name or a word partners use for them (plurals
    folded: « Légumes », « Oeuf », « Viande bovine », « Vin »), loaded once per run."""

    def __init__(self):
        self.categories = self._index(Category, CATEGORY_WORDS)
        self.labels = self._index(Label, LABEL_WORDS)
        self.communes: dict[tuple, object] = {}  # geodata.names resolutions
        self.bordering = bordering_departements()
        self.loaded: dict[str, object] = {}  # INSEE code -> loaded Commune (places._loaded)
        # (lon, lat) -> (commune pk, département code) or None: the communes of a batch's
        # coordinates, found together before its rows are cleaned (places.locate_batch).
        self.located: dict[tuple[float, float], tuple | None] = {}

    @staticmethod
    def _index(model, words: dict[str, list[str]]) -> dict[str, str]:
        index = {}
        for slug, name in model.objects.values_list("slug", "name"):
            # "Pain, farines et viennoiseries" is also "pain"; "Épicerie sèche (pâtes…)"
            # is also "épicerie sèche": partners write the short form.
            for text in (slug.replace("-", " "), name, name.split(",")[0], name.split("(")[0]):
                index.setdefault(_folded(text), slug)
            for word in words.get(slug, []):
                index.setdefault(_folded(word), slug)
        return index

    def lookup(self, index: dict[str, str], part: str) -> str | None:
        """The slug a cell's part names: whole, else by its first words (« viande bovine
        de race limousine » → viande), else any of its words (« miel de fleurs » → miel)."""
        words = _folded(part).split()
        for size in range(len(words), 0, -1):
            slug = index.get(" ".join(words[:size]))
            if slug:
                return slug
        for word in words:
            if len(word) > 2 and word in index:
                return index[word]
        return None

    def match(self, index: dict[str, str], text: str) -> tuple[list[str], list[str]]:
        found, unknown = [], []
        for part in LIST_SEPARATORS.split(text or ""):
            part = part.strip()
            if not part:
                continue
            slug = self.lookup(index, part)
            if slug is None:
                unknown.append(part)
            elif slug not in found:
                found.append(slug)
        return found, unknown

    def split_tags(self, text: str) -> tuple[list[str], list[str], list[str]]:
        """One column of tags feeding both: (categories, labels, unknown)."""
        categories, labels, unknown = [], [], []
        for part in LIST_SEPARATORS.split(text or ""):
            part = part.strip()
            if not part:
                continue
            label = self.lookup(self.labels, part)
            category = self.lookup(self.categories, part)
            if label and label not in labels:
                labels.append(label)
            if category and category not in categories:
                categories.append(category)
            if not (label or category):
                unknown.append(part)
        return categories, labels, unknown


def mapped(row: dict, mapping: dict) -> dict[str, str]:
    """The row's cells by the field they are mapped to."""
    values: dict[str, str] = {}
    for header, target in mapping.get("columns", {}).items():
        if target and header in row:
            values[target] = row[header]
    return values


def postal_code(text: str) -> str | None:
    """A cell's postal code, five digits ("" when empty), None when it is not one."""
    code = re.sub(r"\s", "", text)
    if code and len(code) == 4 and code.isdigit():
        code = "0" + code  # spreadsheets drop the leading zero of 01000…09999
    if code and not POSTAL_CODE.match(code):
        return None
    return code


def clean_row(row: dict, mapping: dict, references: References, forced_commune="") -> Cleaned:
    """``forced_commune``: the INSEE code staff chose for a row whose commune was in doubt."""
    values = mapped(row, mapping)
    notes: list[str] = []

    # Partners' files are text: markup is stripped like registration does (directory.plaintext).
    name = plain_text(values.get("name", ""), multiline=False)
    if not name:
        raise Rejected(_("nom manquant"))
    data = {"name": _truncate(name, 150, _("nom"), notes)}

    raw_kind = values.get("kind", "")
    kind = kind_for(raw_kind) if raw_kind else None
    if kind is None:
        kind = mapping.get("default_kind") or None
        if raw_kind and kind:
            notes.append(
                _("type « %(value)s » inconnu : %(kind)s retenu")
                % {"value": raw_kind, "kind": kind}
            )
        elif kind is None:
            raise Rejected(
                _("type « %(value)s » inconnu") % {"value": raw_kind}
                if raw_kind
                else _("type manquant (et pas de type par défaut)")
            )
    data["kind"] = str(kind)

    for name_ in ("products", "description", "address", "contact_name"):
        if name_ in values:
            data[name_] = _truncate(
                plain_text(values[name_], multiline=name_ == "description"),
                TEXT_LIMITS.get(name_) or 5000,
                name_,
                notes,
            )
    if "address" not in data and ("street" in values or "housenumber" in values):
        # OpenStreetMap's addr:housenumber and addr:street make one address.
        parts = (values.get("housenumber", ""), values.get("street", ""))
        street = " ".join(plain_text(part, multiline=False) for part in parts if part.strip())
        data["address"] = _truncate(street, TEXT_LIMITS.get("address") or 255, "address", notes)
    if "postal_code" in values:
        code = postal_code(values["postal_code"])
        if code is None:
            notes.append(_("code postal « %(value)s » ignoré") % {"value": values["postal_code"]})
            code = ""
        data["postal_code"] = code
    for phone_field in ("phone", "contact_phone"):
        if phone_field in values:
            data[phone_field] = _phone(values[phone_field], notes)
    for email_field in ("email", "contact_email"):
        if email_field in values:
            data[email_field] = _email(values[email_field], notes)
    for url_field in ("website", "shop_url"):
        if url_field in values:
            data[url_field] = _url(values[url_field], notes)
    if "categories" in values:
        data["categories"], unknown = references.match(references.categories, values["categories"])
        if unknown:
            notes.append(
                _("catégories inconnues ignorées : %(list)s") % {"list": ", ".join(unknown)}
            )
    if "labels" in values:
        data["labels"], unknown = references.match(references.labels, values["labels"])
        if unknown:
            notes.append(_("labels inconnus ignorés : %(list)s") % {"list": ", ".join(unknown)})
    if "tags" in values:
        categories, labels, unknown = references.split_tags(values["tags"])
        data["categories"] = list(dict.fromkeys([*data.get("categories", []), *categories]))
        data["labels"] = list(dict.fromkeys([*data.get("labels", []), *labels]))
        if unknown:
            notes.append(_("mots-clés inconnus ignorés : %(list)s") % {"list": ", ".join(unknown)})

    if HOURS_FIELDS & values.keys():
        hours, verbatim = read_hours(values)
        if hours is not None:
            data["hours"] = hours.as_json()
        # What the file says of the hours, when it could not all be read (else nothing:
        # a text kept from an earlier file goes once its hours are read).
        data["hours_text"] = _truncate(verbatim, 1000, _("horaires"), notes)
        if verbatim and hours is None:
            notes.append(
                _("horaires non reconnus, gardés tels quels : « %(text)s »") % {"text": verbatim}
            )

    place(data, values, notes, mapping, references, forced_commune)

    key = " ".join(values.get("key", "").split())[:100]
    if not key:
        # No identifier column: the name and the place identify the row, so a renamed
        # listing comes back as new and its old key is reported as dropped.
        basis = "|".join(
            (normalize(name), data.get("postal_code", ""), normalize(values.get("commune", "")))
        )
        key = AUTO_KEY + hashlib.sha256(basis.encode()).hexdigest()[:16]
    return Cleaned(data=data, key=key, notes=notes)


def _truncate(value: str, limit: int, label, notes: list) -> str:
    if len(value) > limit:
        notes.append(_("%(field)s tronqué à %(n)s caractères") % {"field": label, "n": limit})
        return value[:limit].rstrip()
    return value


def _phone(value: str, notes: list) -> str:
    value = plain_text(value, multiline=False)
    if not value:
        return ""
    if not phone_digits(value) or len(value) > 20:
        notes.append(_("téléphone « %(value)s » ignoré") % {"value": value})
        return ""
    return value


def _email(value: str, notes: list) -> str:
    value = (value or "").strip().removeprefix("mailto:")
    if not value:
        return ""
    try:
        EmailValidator()(value)
    except ValidationError:
        notes.append(_("e-mail « %(value)s » ignoré") % {"value": value})
        return ""
    return value.lower()


# What a link without a scheme must start with: a host name whose last label is a real
# top-level domain, not a page of the partner's own site (« go.php?id=3 », « /fiche/12 »).
BARE_HOST = re.compile(r"^(?:[\w-]+\.)+([a-z]{2,24})(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)
FILE_EXTENSIONS = {"php", "html", "htm", "asp", "aspx", "jsp", "cgi", "pdf", "do", "shtml"}


def _url(value: str, notes: list) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if "://" not in value:
        host = BARE_HOST.match(value)
        if not host or host.group(1).lower() in FILE_EXTENSIONS:
            notes.append(_("lien relatif « %(value)s » ignoré") % {"value": value})
            return ""
        value = "https://" + value
    host = urlsplit(value).hostname or ""
    try:
        URLValidator(schemes=["http", "https"])(value)
        if host.rsplit(".", 1)[-1].lower() in FILE_EXTENSIONS:
            raise ValidationError("a file name, not a host")
    except ValidationError:
        notes.append(_("adresse web « %(value)s » ignorée") % {"value": value})
        return ""
    return value[:200]


def dedupe_keys(data: dict) -> dict:
    """The values duplicates are looked up by (the rules of moderation.duplicates)."""
    return {
        "phone": phone_digits(data.get("phone", "")) or phone_digits(data.get("contact_phone", "")),
        "email": (data.get("email") or data.get("contact_email") or "").lower()[:254],
        "site": (site_key(data.get("website", "")) or site_key(data.get("shop_url", "")))[:255],
    }
