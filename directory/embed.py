"""The embeddable map (/embed/), its builder (/integrer/) and the counting of embed views.

An embed is the search page without the site's chrome, with the same parameters as the
search, a partner's territory (``departement``, ``commune``, ``region``), the initial view
(``map=zoom/lat/lon``), the controls shown (``controls=search,filters,list``), the language
(``lang``) and an accent colour (``accent``). Only these routes may be framed (see
directory.framing).
"""

from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from geodata.models import Commune, Departement

from .figures.counting import bump
from .framing import allow_framing
from .models import ActorKind, Category, EmbedView
from .pagecache import public_page
from .views import RADII, home

CONTROLS = {
    "search": _("le champ de recherche"),
    "filters": _("les filtres"),
    "list": _("la liste (toujours lue par les lecteurs d'écran)"),
}
# Parameters of the embed itself (the rest are the search's own).
OPTION_PARAMS = ("controls", "lang", "accent")
# Kept as hidden fields when a visitor searches inside the embed.
KEPT_PARAMS = ("departement", "commune", "region", *OPTION_PARAMS)
DEFAULT_ACCENT = "#2f6b2f"


class EmbedOptionsForm(forms.Form):
    controls = forms.CharField(required=False, max_length=100)
    lang = forms.ChoiceField(choices=settings.LANGUAGES, required=False)
    accent = forms.RegexField(
        regex=r"^#?[0-9a-fA-F]{6}$",
        required=False,
        error_messages={"invalid": _("Couleur attendue en hexadécimal, par exemple 2f6b2f.")},
    )

    def clean_controls(self) -> set[str]:
        value = self.cleaned_data["controls"]
        if not value:
            return set(CONTROLS)
        chosen = {c.strip() for c in value.split(",") if c.strip()}
        unknown = chosen - set(CONTROLS)
        if unknown:
            raise forms.ValidationError(
                _("Contrôle(s) inconnu(s) : %(unknown)s. Possibles : %(known)s."),
                params={"unknown": ", ".join(sorted(unknown)), "known": ", ".join(CONTROLS)},
            )
        return chosen

    def clean_accent(self) -> str:
        value = self.cleaned_data["accent"]
        return f"#{value.lstrip('#').lower()}" if value else DEFAULT_ACCENT


def origin_of(url: str) -> str:
    """ "https://www.example.fr" from a full address; "" when there is none or it is unusable."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"[:200]


def record_view(request) -> None:
    """Count one embed load for the host page's origin, today (Paris date).

    Only the Referer's origin is read. Loads whose Referer is this site (a search made
    inside the embed, the builder's preview) are not counted: a partner's figure is the
    number of times its pages showed the map.
    """
    origin = origin_of(request.headers.get("Referer", ""))
    if origin and origin == origin_of(request.build_absolute_uri("/")):
        return
    bump(EmbedView, {"day": timezone.localdate(), "origin": origin}, views=1)


@require_GET
def embed(request):
    """GET /embed/: the map and list without the site's chrome, for partners' sites."""
    options = EmbedOptionsForm(request.GET)
    if not options.is_valid():
        response = render(
            request, "directory/embed_error.html", {"errors": options.errors}, status=400
        )
        return allow_framing(response)
    response = _embed_page(request, options.cleaned_data)
    record_view(request)  # on every load, from the page cache or not
    return allow_framing(response)


@public_page
def _embed_page(request, data):
    """The embed's page, from the options checked above (all in the query string, which
    the page cache keys on)."""
    controls = data["controls"]
    language = data["lang"] or translation.get_language()
    kept = {name: request.GET.getlist(name) for name in KEPT_PARAMS if name in request.GET}
    site_params = [
        (name, value)
        for name, values in request.GET.lists()
        if name not in OPTION_PARAMS
        for value in values
    ]
    with translation.override(language):
        return home(
            request,
            template="directory/embed.html",
            embed={
                "search": "search" in controls,
                "filters": "filters" in controls,
                "list": "list" in controls,
                "accent": data["accent"],
                "hidden": kept,
                "site_query": urlencode(site_params),
                "language": language,
            },
        )


class BuilderForm(forms.Form):
    """The builder's choices (GET): each one becomes a parameter of the embed's address."""

    departement = forms.ChoiceField(label=_("Territoire"), required=False)
    commune = forms.CharField(
        label=_("ou une commune (code INSEE)"), required=False, max_length=5, min_length=5
    )
    where = forms.CharField(label=_("Centrer sur un lieu"), required=False, max_length=200)
    radius = forms.TypedChoiceField(
        label=_("Rayon"), choices=[(r, f"{r} km") for r in RADII], coerce=int, required=False
    )
    kind = forms.MultipleChoiceField(
        label=_("Types"),
        choices=ActorKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category = forms.MultipleChoiceField(
        label=_("Produits"), required=False, widget=forms.CheckboxSelectMultiple
    )
    controls = forms.MultipleChoiceField(
        label=_("Afficher"),
        choices=list(CONTROLS.items()),
        required=False,
        initial=list(CONTROLS),
        widget=forms.CheckboxSelectMultiple,
    )
    lang = forms.ChoiceField(
        label=_("Langue"),
        choices=[("", _("Celle du navigateur du visiteur"))] + list(settings.LANGUAGES),
        required=False,
    )
    accent = forms.CharField(
        label=_("Couleur"),
        required=False,
        initial=DEFAULT_ACCENT,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    height = forms.IntegerField(
        label=_("Hauteur (pixels)"), min_value=300, max_value=3000, initial=640, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        region = settings.TOUTPRES_REGION
        departements = Departement.objects.filter(code__in=region["DEPARTEMENTS"]).order_by("code")
        region_code = departements.values_list("region__code", flat=True).first()
        self.fields["departement"].choices = (
            [("", _("Partout (la proximité d'abord)"))]
            + ([(f"region:{region_code}", region["NAME"])] if region_code else [])
            + [(d.code, f"{d.code} — {d.name}") for d in departements]
        )
        self.fields["category"].choices = [(c.slug, c.name) for c in Category.objects.all()]

    def clean_commune(self) -> str:
        code = self.cleaned_data["commune"]
        if code and not Commune.objects.filter(code=code).exists():
            raise forms.ValidationError(_("Aucune commune n'a ce code INSEE."))
        return code

    def embed_params(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        params = []
        territory = data.get("departement") or ""
        if territory.startswith("region:"):
            params.append(("region", territory.removeprefix("region:")))
        elif territory:
            params.append(("departement", territory))
        if data.get("commune"):
            params.append(("commune", data["commune"]))
        if data.get("where"):
            params += [("where", data["where"]), ("radius", str(data.get("radius") or 20))]
        params += [("kind", k) for k in data.get("kind") or []]
        params += [("category", c) for c in data.get("category") or []]
        controls = data.get("controls") or []
        if controls and set(controls) != set(CONTROLS):
            params.append(("controls", ",".join(c for c in CONTROLS if c in controls)))
        if data.get("lang"):
            params.append(("lang", data["lang"]))
        accent = (data.get("accent") or "").lstrip("#").lower()
        if accent and f"#{accent}" != DEFAULT_ACCENT:
            params.append(("accent", accent))
        return params


def snippet(embed_url: str, resize_url: str, height: int) -> str:
    """The HTML a partner pastes: a responsive iframe, and the optional resize script."""
    title = escape(_("Carte des produits locaux — Tout Près"))
    return (
        f'<iframe src="{escape(embed_url)}" title="{title}" loading="lazy" allow="geolocation" '
        f'style="width:100%;height:{height}px;border:0" data-toutpres-embed></iframe>\n'
        f'<script src="{escape(resize_url)}" async></script>'
    )


@require_GET
def builder(request):
    """GET /integrer/: pick options with a live preview and copy the iframe snippet."""
    form = BuilderForm(request.GET or None)
    params = form.embed_params() if form.is_bound and form.is_valid() else []
    height = (form.cleaned_data.get("height") if form.is_bound and form.is_valid() else None) or 640
    embed_url = request.build_absolute_uri(reverse("directory:embed"))
    if params:
        embed_url += "?" + urlencode(params)
    resize_url = request.build_absolute_uri(static("embed/resize.js"))
    return render(
        request,
        "directory/embed_builder.html",
        {
            "form": form,
            "embed_url": embed_url,
            "snippet": snippet(embed_url, resize_url, height),
            "builder_config": {
                "embedUrl": request.build_absolute_uri(reverse("directory:embed")),
                "resizeUrl": resize_url,
                "defaultAccent": DEFAULT_ACCENT,
                "allControls": list(CONTROLS),
                "title": str(_("Carte des produits locaux — Tout Près")),
            },
        },
    )
