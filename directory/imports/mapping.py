"""Which column of a partner's file feeds which field of a listing: guessed from the
headers, edited by staff, saved on the source for its next file."""

import functools

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from geodata.text import normalize

from ..models import ActorKind

IGNORE = ""

# field -> label shown in the mapping form
FIELDS = {
    "key": _("Identifiant dans la source"),
    "name": _("Nom"),
    "kind": _("Type"),
    "products": _("Produits"),
    "description": _("Présentation"),
    "categories": _("Catégories de produits"),
    "labels": _("Labels"),
    "tags": _("Mots-clés : catégories et labels dans une colonne"),
    "address": _("Adresse"),
    "housenumber": _("Numéro dans la voie (addr:housenumber)"),
    "street": _("Voie (addr:street)"),
    "postal_code": _("Code postal"),
    "commune": _("Commune (nom ou code INSEE)"),
    "insee": _("Code INSEE de la commune"),
    "departement": _("Département (code ou nom)"),
    "latitude": _("Latitude (ou X Lambert-93)"),
    "longitude": _("Longitude (ou Y Lambert-93)"),
    "x_l93": _("X Lambert-93 (EPSG:2154)"),
    "y_l93": _("Y Lambert-93 (EPSG:2154)"),
    "coordinates": _("Coordonnées « lat, lon » dans une colonne"),
    "opening_hours": _("Horaires (texte, ou opening_hours d'OpenStreetMap)"),
    "day_mo": _("Lundi (0/1, oui/non, ou ses horaires)"),
    "day_tu": _("Mardi (0/1, oui/non, ou ses horaires)"),
    "day_we": _("Mercredi (0/1, oui/non, ou ses horaires)"),
    "day_th": _("Jeudi (0/1, oui/non, ou ses horaires)"),
    "day_fr": _("Vendredi (0/1, oui/non, ou ses horaires)"),
    "day_sa": _("Samedi (0/1, oui/non, ou ses horaires)"),
    "day_su": _("Dimanche (0/1, oui/non, ou ses horaires)"),
    "opens": _("Heure d'ouverture (tous les jours)"),
    "closes": _("Heure de fermeture (tous les jours)"),
    "opens_weekdays": _("Heure d'ouverture en semaine"),
    "closes_weekdays": _("Heure de fermeture en semaine"),
    "opens_saturday": _("Heure d'ouverture le samedi"),
    "closes_saturday": _("Heure de fermeture le samedi"),
    "opens_sunday": _("Heure d'ouverture le dimanche"),
    "closes_sunday": _("Heure de fermeture le dimanche"),
    "phone": _("Téléphone"),
    "email": _("E-mail public"),
    "website": _("Site web"),
    "shop_url": _("Boutique en ligne"),
    "contact_name": _("Personne à contacter (privé)"),
    "contact_email": _("E-mail de contact (privé)"),
    "contact_phone": _("Téléphone de contact (privé)"),
}

# Normalised header -> field. Exact matches first, then the header's words.
SYNONYMS = {
    "key": ["id", "identifiant", "code", "ref", "reference", "siret", "numero", "uid", "cle"],
    "name": [
        "nom",
        "name",
        "raison sociale",
        "enseigne",
        "nom commercial",
        "denomination",
        "nom de l exploitation",
        "structure",
        "titre",
    ],
    "kind": ["type", "categorie d acteur", "type d acteur", "nature", "activite", "kind"],
    "products": ["produits", "products", "production", "productions", "produits vendus"],
    "description": ["description", "presentation", "descriptif", "commentaire"],
    "categories": ["categories", "categorie", "famille", "familles de produits", "rayons"],
    "labels": ["labels", "label", "signes de qualite", "certification", "certifications"],
    "tags": ["tags", "mots cles", "mot cle", "keywords", "etiquettes"],
    "address": ["adresse", "address", "rue", "voie", "adresse postale", "adresse 1", "addr full"],
    "housenumber": ["addr housenumber", "housenumber", "numero de voie", "numero dans la voie"],
    "street": ["addr street", "street", "nom de voie", "nom de la voie"],
    "postal_code": ["code postal", "cp", "postcode", "postal code", "zip", "addr postcode"],
    "commune": ["commune", "ville", "city", "localite", "municipalite", "addr city", "nom commune"],
    "insee": [
        "code insee",
        "insee",
        "code commune",
        "code commune insee",
        "cog",
        "code officiel geographique",
        "citycode",
        "com insee",
        "ref insee",
    ],
    "departement": [
        "departement",
        "dep",
        "dept",
        "code departement",
        "num departement",
        "numero departement",
        "nom departement",
        "county",
    ],
    "latitude": ["latitude", "lattitude", "lat", "latitude geometrie", "wgs84 lat", "y wgs84"],
    "longitude": ["longitude", "lon", "lng", "long", "longitude geometrie", "wgs84 lon"],
    "x_l93": ["x", "x l93", "x lambert", "x lambert93", "x lambert 93", "coord x", "xl93"],
    "y_l93": ["y", "y l93", "y lambert", "y lambert93", "y lambert 93", "coord y", "yl93"],
    "coordinates": ["coordonnees", "coordinates", "geo point", "geopoint", "geo point 2d", "gps"],
    "opening_hours": [
        "opening hours",
        "horaires",
        "horaire",
        "horaires d ouverture",
        "heures d ouverture",
        "jours et horaires",
        "jours et heures",
        "jours de marche",
        "jours de tenue",
        "jours de distribution",
        "ouverture",
    ],
    "day_mo": ["lundi", "monday"],
    "day_tu": ["mardi", "tuesday"],
    "day_we": ["mercredi", "wednesday"],
    "day_th": ["jeudi", "thursday"],
    "day_fr": ["vendredi", "friday"],
    "day_sa": ["samedi", "saturday"],
    "day_su": ["dimanche", "sunday"],
    "opens": ["heure d ouverture", "heure de debut", "heure debut", "debut", "opens"],
    "closes": ["heure de fermeture", "heure de fin", "heure fin", "fin", "closes"],
    "opens_weekdays": ["heure debut en semaine", "heure de debut en semaine", "ouverture semaine"],
    "closes_weekdays": ["heure fin en semaine", "heure de fin en semaine", "fermeture semaine"],
    "opens_saturday": ["heure debut le samedi", "heure de debut le samedi", "ouverture samedi"],
    "closes_saturday": ["heure fin le samedi", "heure de fin le samedi", "fermeture samedi"],
    "opens_sunday": ["heure debut le dimanche", "heure de debut le dimanche", "ouverture dimanche"],
    "closes_sunday": ["heure fin le dimanche", "heure de fin le dimanche", "fermeture dimanche"],
    "phone": ["telephone", "tel", "phone", "telephone fixe", "portable", "mobile"],
    "email": ["email", "e mail", "mail", "courriel", "adresse mail", "adresse e mail"],
    "website": ["site", "site web", "site internet", "web", "url", "website", "internet"],
    "shop_url": ["boutique en ligne", "vente en ligne", "e boutique", "drive", "commande en ligne"],
    "contact_name": ["contact", "nom du contact", "responsable", "gerant", "interlocuteur"],
    "contact_email": ["email contact", "mail contact", "courriel contact"],
    "contact_phone": ["telephone contact", "tel contact"],
}

# Normalised value -> kind; longest phrase wins when it is only part of the value.
KIND_WORDS = {
    ActorKind.PRODUCER: [
        "producteur",
        "productrice",
        "producer",
        "ferme",
        "exploitation",
        "exploitation agricole",
        "agriculteur",
        "eleveur",
        "maraicher",
        "arboriculteur",
        "apiculteur",
        "viticulteur",
        "vigneron",
        "fromager fermier",
        "gaec",
        "earl",
        # OpenStreetMap craft=* and landuse values
        "beekeeper",
        "winery",
        "cheese maker",
        "brewery",
        "distillery",
        "farmyard",
    ],
    ActorKind.FARM_SHOP: [
        "vente a la ferme",
        "boutique a la ferme",
        "magasin a la ferme",
        "ferme avec boutique",
        "producteur avec boutique",
        # OpenStreetMap shop=farm: a farm's own shop
        "farm",
    ],
    ActorKind.SHOP: [
        "magasin",
        "magasin de producteurs",
        "epicerie",
        "boutique",
        "cooperative",
        "primeur",
        "shop",
        # OpenStreetMap shop=*
        "greengrocer",
        "deli",
        "organic",
        "health food",
        "supermarket",
        "convenience",
        "wine",
        "beverages",
        "dairy",
    ],
    ActorKind.ARTISAN: [
        "artisan",
        "boulanger",
        "boulangerie",
        "boucher",
        "boucherie",
        "charcuterie",
        "charcutier",
        "fromagerie",
        "fromager",
        "poissonnerie",
        "patisserie",
        "traiteur",
        "artisan des metiers de bouche",
        # OpenStreetMap shop=*
        "bakery",
        "pastry",
        "butcher",
        "cheese",
        "seafood",
        "confectionery",
        "chocolate",
    ],
    ActorKind.MARKET: [
        "marche",
        "marche de plein air",
        "halle",
        "market",
        "marche couvert",
        # OpenStreetMap amenity=marketplace
        "marketplace",
    ],
    ActorKind.PICKUP: [
        "drive",
        "drive fermier",
        "point de retrait",
        "point relais",
        "pickup",
        "casier",
        "distributeur",
    ],
    ActorKind.BASKET: ["amap", "panier", "paniers", "basket", "vente de paniers"],
}


@functools.lru_cache(maxsize=8)
def _phrases(language: str | None) -> list[tuple[str, str]]:
    """Every phrase that names a kind, longest first; built once per language (the kinds'
    labels are translated), not once per row."""
    pairs = [(normalize(word), kind) for kind, words in KIND_WORDS.items() for word in words]
    pairs += [(normalize(kind.value), kind) for kind in ActorKind]
    pairs += [(normalize(str(kind.label)), kind) for kind in ActorKind]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def kind_for(value: str) -> str | None:
    """The kind a partner's free text designates ("Boulangerie-pâtisserie" -> artisan)."""
    # OpenStreetMap tags as some files write them: « shop=bakery », « amenity=marketplace ».
    value = value.split("=", 1)[1] if "=" in value else value
    text = normalize(value.replace("_", " "))
    if not text:
        return None
    phrases = _phrases(get_language())
    for phrase, kind in phrases:
        if text == phrase:
            return kind
    padded = f" {text} "
    for phrase, kind in phrases:
        if f" {phrase} " in padded:
            return kind
    return None


def header_words(text: str) -> list[str]:
    return _header(text).split()


def _header(text: str) -> str:
    """A header's words: ``_``, ``-`` and ``:`` separate them too (``geo_point_2d``,
    ``site-web``, ``addr:street``)."""
    return normalize(text.replace("_", " "))


def guess(headers: list[str]) -> dict[str, str]:
    """{header: field} for the headers we recognise; each field used once, first column wins."""
    lookup = {_header(s): f for f, synonyms in SYNONYMS.items() for s in synonyms}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        field = lookup.get(_header(header))
        if field and field not in used:
            mapping[header] = field
            used.add(field)
    # Second pass on words: "Téléphone du magasin" -> phone, "Nom de la ferme" -> name.
    for header in headers:
        if header in mapping:
            continue
        words = _header(header).split()
        for field, synonyms in SYNONYMS.items():
            if field in used:
                continue
            if any(normalize(s) in words for s in synonyms if " " not in normalize(s)):
                mapping[header] = field
                used.add(field)
                break
    return mapping


def problems(mapping: dict[str, str]) -> list[str]:
    """What makes a mapping unusable: no name, a field fed by two columns, half a pair."""
    fields = [f for f in mapping.values() if f]
    errors = []
    if "name" not in fields:
        errors.append(str(_("Indiquez la colonne du nom.")))
    for field in sorted({f for f in fields if fields.count(f) > 1}):
        errors.append(
            str(_("« %(field)s » est choisi pour plusieurs colonnes.") % {"field": FIELDS[field]})
        )
    for a, b in (("latitude", "longitude"), ("x_l93", "y_l93")):
        if (a in fields) != (b in fields):
            errors.append(
                str(_("« %(a)s » et « %(b)s » vont ensemble.") % {"a": FIELDS[a], "b": FIELDS[b]})
            )
    return errors
