"""« Télécharger cette carte »: the current selection as one self-contained HTML file (folium),
for a partner's newsletter or a site that cannot use iframes.

Self-contained: Leaflet's code and styles are inlined, nothing is fetched from a CDN; only the
background tiles need a connection (the markers, popups, legend and list work without).
"""

import base64
import datetime
import hashlib
import json
import re
from pathlib import Path

import folium
from branca.element import Element, MacroElement
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from jinja2 import Template

from geodata.models import Commune

from .csp import tile_sources
from .markers import KIND_COLOURS, KIND_PICTOGRAMS
from .models import ActorKind, Category
from .search import Search, SearchForm, load_page
from .serializers import km

MAX_MARKERS = 2000
# Stand-ins for folium's CDN links, replaced by the files' contents once rendered.
LEAFLET_JS, LEAFLET_CSS = "toutpres:leaflet.js", "toutpres:leaflet.css"
PIN_CSS = """
.tp-pin{display:flex;align-items:center;justify-content:center;width:28px;height:28px;
border-radius:50%;background:var(--pin);border:2px solid #fff;box-sizing:border-box;
box-shadow:0 0 0 1px rgba(0,0,0,.35)}
.tp-pin svg{width:70%;height:70%;fill:none;stroke:#fff;stroke-width:1.6;stroke-linecap:round;
stroke-linejoin:round}
body{display:flex;flex-direction:column;height:auto!important;min-height:100%}
.tp-header{order:0;font:15px/1.4 system-ui,sans-serif;padding:.5rem 1rem}
.tp-header h1{font-size:1.3rem;margin:.25rem 0}.tp-header p{margin:.25rem 0}
.tp-legend{list-style:none;margin:.25rem 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.tp-legend li{display:flex;align-items:center;gap:.4rem}.tp-legend .tp-pin{width:20px;height:20px}
.folium-map{order:1;flex:none;height:70vh!important;min-height:320px}
.tp-list{order:2;font:15px/1.5 system-ui,sans-serif;padding:0 1rem 1rem}
.tp-list h2{font-size:1.1rem}.tp-list li{margin:.3rem 0}
"""


def js_string(text: str) -> str:
    """A JavaScript string literal safe inside <script> ("</" cannot close the element)."""
    return json.dumps(str(text)).replace("</", "<\\/")


class Verbatim(Element):
    """Text written into the file as it is: a template *variable*, never template source.

    folium and branca compile the string given to ``Element(...)`` as Jinja2 source, and
    branca's MacroElement compiles its rendered macros once more: a search text or a
    listing's name there would run (``{{ cycler.__init__.__globals__.os.popen(…) }}``).
    Here the template is fixed and the text is only its data; callers escape it for where
    it goes (``format_html`` for HTML, ``js_string`` for JavaScript).
    """

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self._name = "Verbatim"
        self.text = str(text)


class Texts(MacroElement):
    """A marker's popup and tooltip, passed to Leaflet as JSON strings.

    folium's own Popup builds its content with jQuery, and its Tooltip puts the text in a
    JavaScript template literal where a listing's name could run code (`${…}`). The script
    is added verbatim: MacroElement.render would compile it as a template.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.popup }}, {maxWidth: 300})
            .bindTooltip({{ this.tooltip }});
        {% endmacro %}"""
    )

    def __init__(self, popup: str, tooltip: str):
        super().__init__()
        self._name = "Texts"
        self.popup, self.tooltip = js_string(popup), js_string(tooltip)

    def render(self, **kwargs):
        script = self._template.module.script(self, kwargs)
        self.get_root().script.add_child(Verbatim(script), name=self.get_name())


def pin_html(kind: str) -> str:
    return format_html(
        '<div class="tp-pin" style="--pin:{}"><svg viewBox="0 0 16 16" aria-hidden="true">'
        '<path d="{}"/></svg></div>',
        KIND_COLOURS[kind],
        KIND_PICTOGRAMS[kind],
    )


def describe(search: Search) -> str:
    """What the map shows, in words: « Fromages et produits laitiers à 20 km de Blois »."""
    what = []
    if search.kinds:
        what.append(", ".join(str(ActorKind(k).label) for k in search.kinds))
    if search.categories:
        names = Category.objects.filter(slug__in=search.categories).values_list("name", flat=True)
        what.append(", ".join(names))
    if search.q:
        what.append(f"« {search.q} »")
    text = " — ".join(what) or _("Producteurs et lieux de vente")
    if search.point is not None:
        place = search.place_label or place_name(search.point)
        text += " " + _("à %(radius)s km de %(place)s") % {
            "radius": search.radius_km,
            "place": place,
        }
    if search.departements:
        text += " — " + _("départements %(codes)s") % {"codes": ", ".join(search.departements)}
    if search.communes:
        text += " — " + _("communes %(codes)s") % {"codes": ", ".join(search.communes)}
    if search.regions:
        text += " — " + _("régions %(codes)s") % {"codes": ", ".join(search.regions)}
    return text


def place_name(point) -> str:
    """The commune a bare point (?near=lat,lon) falls in, else its coordinates."""
    commune = Commune.objects.filter(outline__contains=point).only("name").first()
    return commune.name if commune else f"{point.y:.4f} N, {point.x:.4f} E"


def filename(description: str, day: datetime.date) -> str:
    """tout-pres_fromages-a-20-km-de-blois_2026-11-23.html (ASCII, ≤ 120 characters)."""
    stem = slugify(description)[:80].strip("-") or "carte"
    return f"tout-pres_{stem}_{day:%Y-%m-%d}.html"


def popup_html(actor) -> str:
    url = settings.TOUTPRES_SITE_URL + actor.get_absolute_url()
    lines = [
        format_html(
            '<strong><a href="{}" target="_blank" rel="noopener">{}</a></strong>', url, actor.name
        ),
        escape(actor.get_kind_display()),
    ]
    where = actor.commune.name if actor.commune else ""
    if actor.distance_km is not None:
        distance = km(actor.distance_km, approximate=actor.distance_is_approximate)
        where = f"{where} — {distance}" if where else distance
    if where:
        lines.append(escape(where))
    if actor.phone:
        lines.append(
            format_html('<a href="tel:{}">{}</a>', actor.phone.replace(" ", ""), actor.phone)
        )
    return "<br>".join(lines)


def build_map(actors, title: str, subtitle: str) -> str:
    """The folium map of ``actors`` (loaded by load_page) as one HTML document."""
    fmap = folium.Map(
        tiles=None,
        location=settings.TOUTPRES_REGION["MAP_CENTER"],
        zoom_start=settings.TOUTPRES_REGION["MAP_ZOOM"],
        control_scale=True,
    )
    # Only Leaflet: pins are HTML (DivIcon), so jQuery, Bootstrap and the icon fonts folium
    # links by default are not needed, and Leaflet itself is inlined below.
    fmap.default_js = [("leaflet", LEAFLET_JS)]
    fmap.default_css = [("leaflet_css", LEAFLET_CSS)]
    folium.TileLayer(tiles=settings.TILES_URL, attr=settings.TILES_ATTRIBUTION, max_zoom=19).add_to(
        fmap
    )
    points = []
    for actor in actors:
        point = [actor.lat, actor.lon]
        points.append(point)
        marker = folium.Marker(
            point,
            icon=folium.DivIcon(
                html=pin_html(actor.kind),
                icon_size=(28, 28),
                icon_anchor=(14, 14),
                class_name="tp-marker",
            ),
        )
        marker.add_child(Texts(popup_html(actor), escape(actor.name)))
        marker.add_to(fmap)
    if len(points) > 1:
        fmap.fit_bounds(points, padding=(30, 30))
    elif points:
        fmap.location, fmap.options["zoom"] = points[0], 13
    kinds = [k for k in ActorKind if any(a.kind == k for a in actors)]
    # Title and legend above the map, the same addresses as a list below it (for screen
    # readers, keyboards and printing); CSS order places them around folium's map element.
    header = format_html(
        '<header class="tp-header"><h1>{}</h1><p>{}</p><ul class="tp-legend" aria-label="{}">{}</ul></header>',
        title,
        subtitle,
        _("Légende"),
        format_html_join("", "<li>{}{}</li>", ((pin_html(k), k.label) for k in kinds)),
    )
    items = format_html_join(
        "",
        '<li><a href="{}">{}</a> — {}{}{}</li>',
        (
            (
                settings.TOUTPRES_SITE_URL + a.get_absolute_url(),
                a.name,
                a.get_kind_display(),
                f", {a.commune.name}" if a.commune else "",
                f", {a.phone}" if a.phone else "",
            )
            for a in actors
        ),
    )
    listing = format_html(
        '<section class="tp-list"><h2>{}</h2><ol>{}</ol></section>', _("Les adresses"), items
    )
    root = fmap.get_root()
    # folium adds each marker with Leaflet's default icon before giving it its pin: without
    # a default of our own, every marker would fetch images/marker-icon.png, which the file
    # does not hold (and its policy refuses).
    root.script.add_child(
        Verbatim("L.Marker.prototype.options.icon = L.divIcon({className: 'tp-marker'});")
    )
    root.html.add_child(Verbatim(header))
    root.html.add_child(Verbatim(listing))
    root.header.add_child(Verbatim(f"<style>{PIN_CSS}</style>"))
    # branca writes the title as it is, inside <title>: give it escaped text.
    root.title = str(escape(title))
    return with_policy(inline_leaflet(fmap.get_root().render()))


def inline_leaflet(html: str) -> str:
    """Replace the stand-in links by Leaflet's own files (django-leaflet ships them)."""
    js = Path(finders.find("leaflet/leaflet.js")).read_text(encoding="utf-8")
    css = Path(finders.find("leaflet/leaflet.css")).read_text(encoding="utf-8")
    html, n_js = re.subn(
        rf'<script src="{re.escape(LEAFLET_JS)}"></script>',
        lambda m: f"<script>{js}</script>",
        html,
    )
    html, n_css = re.subn(
        rf'<link rel="stylesheet" href="{re.escape(LEAFLET_CSS)}"\s*/>',
        lambda m: f"<style>{css}</style>",
        html,
    )
    if (n_js, n_css) != (1, 1):  # a folium upgrade changed its markup: fail loudly
        raise RuntimeError("Leaflet could not be inlined into the folium map.")
    return html


def policy(html: str) -> str:
    """The file's own Content-Security-Policy: its inline scripts by hash, nothing else.

    It travels inside the file (a <meta>), so the map stays locked wherever it is opened:
    from a disk, or from the partner site that hosts it. Styles may be inline (folium's and
    the pins'): they cannot run code. Images are the tiles and Leaflet's data: icons."""
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    ]
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(hashes),
            "style-src 'unsafe-inline'",
            "img-src " + " ".join(["data:", *tile_sources(settings.TILES_URL)]),
            "base-uri 'none'",
            "form-action 'none'",
            "object-src 'none'",
        ]
    )


def with_policy(html: str) -> str:
    """The document with its policy in <head>, right after the charset, before any script.

    Only the scripts this module writes are allowed: folium's two flags, Leaflet and the
    map. Any other script element would mean that text escaped its escaping: refuse."""
    scripts = re.findall(r"<script\b[^>]*>", html)
    if scripts != ["<script>"] * 3:
        raise RuntimeError(f"Unexpected scripts in the standalone map: {scripts[:5]}")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy(html)}">'
    html, found = re.subn(
        r'<meta http-equiv="content-type" content="text/html; charset=UTF-8" />',
        lambda m: f"{m.group(0)}\n    {meta}",
        html,
        count=1,
    )
    if found != 1:  # a folium upgrade changed its markup: fail loudly
        raise RuntimeError("The map's Content-Security-Policy could not be written.")
    return html


@require_GET
def download(request):
    """GET /carte.html?<search parameters>: the selection as a standalone HTML map."""
    form = SearchForm(request.GET)
    search = Search.from_form(form) if form.is_valid() else None
    if search is None or form.errors:
        return render(request, "directory/standalone_error.html", {"form": form}, status=400)
    results = search.results()
    if len(results) > MAX_MARKERS:
        return render(
            request,
            "directory/standalone_error.html",
            {"too_many": len(results), "max": MAX_MARKERS},
            status=400,
        )
    actors = load_page(results, 0, len(results))
    today = timezone.localdate()
    title = f"Tout Près — {describe(search)}"
    subtitle = _("%(count)s adresse(s), état au %(date)s. Données : %(licence)s.") % {
        "count": len(actors),
        "date": date_format(today, "DATE_FORMAT"),
        "licence": settings.TOUTPRES_OPEN_DATA["LICENCE_NAME"],
    }
    html = build_map(actors, title, subtitle)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(describe(search), today)}"'
    response["Cache-Control"] = "private, max-age=60"
    # The file is a download; should a browser render it from our address anyway, it runs
    # sandboxed (an opaque origin: no cookie, no access to the site) with its own policy.
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    response["Content-Security-Policy"] = (
        f"{meta.group(1)}; frame-ancestors 'none'; sandbox allow-scripts allow-popups "
        "allow-popups-to-escape-sandbox"
    )
    return response
