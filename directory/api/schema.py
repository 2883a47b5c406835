"""OpenAPI schema helpers: query parameters read off the Django forms that validate them
(one source of truth), the public description with the data licence, and the hooks."""

from django import forms
from django.conf import settings
from django.db import DatabaseError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter


def form_parameters(form_class, exclude=(), descriptions=None) -> list[OpenApiParameter]:
    """One query parameter per form field, with its type, bounds and choices."""
    descriptions = descriptions or {}
    out = []
    for name, field in form_class.base_fields.items():
        if name in exclude:
            continue
        many = isinstance(field, forms.MultipleChoiceField)
        kind = _raw_schema(field)
        enum = None
        choices = getattr(field, "choices", None)
        if isinstance(choices, list | tuple) and choices:
            enum = [value for value, _ in choices if value != ""]
        description = str(descriptions.get(name) or field.label or "")
        if isinstance(field, forms.IntegerField) and (
            field.min_value is not None or field.max_value is not None
        ):
            description += f" ({field.min_value} à {field.max_value})"
        if many:
            description += f" Répétable : ?{name}=a&{name}=b."
        if many:
            # An array of values, repeated as ?name=a&name=b (explode, the form's way).
            item = dict(kind, enum=enum) if enum else kind
            kind, enum = {"type": "array", "items": item}, None
        out.append(
            OpenApiParameter(
                name,
                kind,
                OpenApiParameter.QUERY,
                description=description.strip(),
                enum=enum,
                explode=True if many else None,
                required=field.required,
            )
        )
    return out


def _raw_schema(field) -> dict:
    """The JSON schema of one value of ``field``, with the bounds the form enforces."""
    if isinstance(field, forms.IntegerField):
        schema = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
        return schema
    schema = {"type": "string"}
    if getattr(field, "max_length", None):
        schema["maxLength"] = field.max_length
    if field.required:
        schema["pattern"] = r"\S"  # something besides spaces
    return schema


FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["geojson", "json"],
    description="geojson (défaut, RFC 7946) ou json (liste à plat, lat/lon en propriétés). "
    "Seul ce paramètre choisit : l'en-tête Accept n'y change rien.",
)


def description() -> str:
    data = settings.TOUTPRES_OPEN_DATA
    return f"""
Les données de **Tout Près**, carte des producteurs, commerces, artisans des métiers de
bouche, marchés et points de retrait en circuit court : ce que le site public montre, rien
de plus (jamais les contacts privés ni la position exacte d'un producteur qui vend chez lui :
la commune seulement).

**Licence :** [{data["LICENCE_NAME"]}]({data["LICENCE_URL"]}), producteur des données :
{data["PUBLISHER"]}. Réutilisation libre, y compris commerciale, en citant la source
(« Tout Près — {data["PUBLISHER"]} ») et la date de mise à jour.

**Usage :** lecture seule, sans clé ni cookie ; CORS ouvert en GET. Réponses en JSON ou en
GeoJSON (`?format=json|geojson`), en-têtes `ETag` (requêtes conditionnelles → 304) et
`Cache-Control`. Limite : {settings.TOUTPRES_API_RATE} par adresse ; au-delà, 429 avec
`Retry-After`. Pages stables (ordre par clé unique). Les erreurs de paramètres répondent 400 :
`{{"errors": {{"paramètre": ["message"]}}}}`.

**Fichiers complets :** l'annuaire entier en GeoJSON, CSV, JSON-LD schema.org et OSM sur
la page [Données ouvertes](/donnees/).
""".strip()


def public_endpoints_only(endpoints, **kwargs):
    """The contract covers /api/v1/ except the map layer, an internal format of our map."""
    return [
        e for e in endpoints if e[0].startswith("/api/v1/") and not e[0].startswith("/api/v1/layer")
    ]


def describe(result, generator, request, public):
    result["info"]["description"] = description()
    # A real listing for "Try it out" in the docs (and for the fuzzer to reach a 200).
    from ..models import Actor

    try:
        slug = Actor.objects.published().order_by("pk").values_list("slug", flat=True).first()
    except DatabaseError:  # drf-spectacular's system check runs before any migration
        slug = None
    detail = result["paths"].get("/api/v1/actors/{slug}/", {}).get("get", {})
    for parameter in detail.get("parameters", []):
        if parameter["name"] == "slug" and slug:
            parameter["example"] = slug
    result["info"]["license"] = {
        "name": settings.TOUTPRES_OPEN_DATA["LICENCE_NAME"],
        "url": settings.TOUTPRES_OPEN_DATA["LICENCE_URL"],
    }
    return result
