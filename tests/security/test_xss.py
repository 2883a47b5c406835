"""Stored XSS: listing texts are data on every page, imports keep no markup, and a strict
Content-Security-Policy contains the next mistake (no inline script may run anywhere)."""

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from directory.imports import runs
from directory.models import Actor, ImportSource, RunStatus
from directory.plaintext import plain_text
from directory.roles import MODERATORS

pytestmark = pytest.mark.django_db
BLOIS = (47.5861, 1.3359)
TEMPLATES = Path(settings.BASE_DIR) / "templates"

# Each one sets window.__xss or opens a dialog if it ever runs.
PAYLOADS = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=1>",
    '<img src="x" onerror="alert(1)">',
    "<svg onload=window.__xss=1>",
    "<svg><script>window.__xss=1</script></svg>",
    "<body onload=window.__xss=1>",
    "<iframe src=javascript:window.__xss=1>",
    "<iframe srcdoc='<script>parent.__xss=1</script>'>",
    "<a href=javascript:window.__xss=1>clic</a>",
    "<details open ontoggle=window.__xss=1>",
    "<input autofocus onfocus=window.__xss=1>",
    "<video><source onerror=window.__xss=1>",
    "<audio src=x onerror=window.__xss=1>",
    "<marquee onstart=window.__xss=1>",
    "<object data=javascript:window.__xss=1>",
    "<embed src=javascript:window.__xss=1>",
    "<math><mtext><img src=x onerror=window.__xss=1>",
    "<style>@import 'javascript:window.__xss=1'</style>",
    "<div style=\"background:url('javascript:window.__xss=1')\">",
    '"><img src=x onerror=window.__xss=1>',
    "'><img src=x onerror=window.__xss=1>",
    "</script><script>window.__xss=1</script>",
    "</textarea><img src=x onerror=window.__xss=1>",
    "</title><img src=x onerror=window.__xss=1>",
    "<!--><img src=x onerror=window.__xss=1>-->",
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    "&lt;img src=x onerror=window.__xss=1&gt;",
    "&#60;img src=x onerror=window.__xss=1&#62;",
    "${window.__xss=1}",
    "`;window.__xss=1;`",
    "javascript:window.__xss=1",
    "{{constructor.constructor('window.__xss=1')()}}",
    "<form action=javascript:window.__xss=1><button>x</button></form>",
]
MARKUP = re.compile(r"<\s*/?\s*[a-z!]", re.IGNORECASE)


# --- Imports keep no markup ---------------------------------------------------------------


@pytest.fixture
def source(db):
    return ImportSource.objects.create(
        name="Chambre d'agriculture 41", slug="chambre-41", licence="Licence Ouverte 2.0"
    )


def import_file(tmp_path, source, rows) -> None:
    """The staff's import, step by step, as /staff/imports/ drives it."""
    path = tmp_path / "liste.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(
            [
                "Identifiant",
                "Nom",
                "Type",
                "Produits",
                "Présentation",
                "Adresse",
                "Code postal",
                "Commune",
                "Latitude",
                "Longitude",
                "Téléphone",
            ]
        )
        writer.writerows(rows)
    run = runs.start(source, path, path.name)
    columns = dict(run.mapping["columns"])
    columns.update(
        {"Présentation": "description", "Latitude": "latitude", "Longitude": "longitude"}
    )
    runs.set_mapping(run, columns, "producer")
    assert runs.step(run)
    run.refresh_from_db()
    assert run.status == RunStatus.ANALYSED, f"the analysis did not finish: {run.status}"
    runs.confirm(run)
    assert runs.step(run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, f"the import did not finish: {run.status}"


def test_imports_keep_no_markup_in_any_text(tmp_path, source, territories):
    rows = [
        [
            f"K-{i}",
            f"Ferme {i} {p}",
            "Producteur",
            f"Miel {p}",
            f"Présentation<br>{p}",
            f"{i} rue {p}",
            "41000",
            "Blois",
            f"{47.3 + 0.02 * i:.4f}",  # 2 km apart: not duplicates of each other
            "1.3359",
            f"02 54 00 00 {i:02d}",
        ]
        for i, p in enumerate(PAYLOADS)
    ]
    import_file(tmp_path, source, rows)
    actors = Actor.objects.filter(import_source=source)
    reasons = list(source.runs.get().records.values_list("action", "reason"))
    assert actors.count() == len(PAYLOADS), f"every row becomes a listing: {reasons}"
    for actor in actors:
        for field in ("name", "products", "description", "address"):
            value = getattr(actor, field)
            assert not MARKUP.search(value), f"the import kept markup in {field}: {value!r}"
            assert "&lt;" not in value and "&#60;" not in value, (
                f"the import kept an encoded tag in {field}: {value!r}"
            )


def test_imports_decode_entities_and_keep_line_breaks(tmp_path, source, territories):
    import_file(
        tmp_path,
        source,
        [
            [
                "K-1",
                "Fromagerie Dupont &amp; Fils",
                "Producteur",
                "Chèvre &amp; brebis",
                "Ouvert le samedi.<br>Vente à la ferme.",
                "",
                "41000",
                "Blois",
                "47.58",
                "1.33",
                "",
            ]
        ],
    )
    actor = Actor.objects.get(import_source=source)
    assert actor.name == "Fromagerie Dupont & Fils"
    assert actor.products == "Chèvre & brebis"
    assert actor.description == "Ouvert le samedi.\nVente à la ferme."


@pytest.mark.parametrize("payload", PAYLOADS)
def test_registration_and_imports_share_one_cleaner(payload):
    """Registration's forms and the import clean text the same way: no markup survives."""
    from directory.registration.forms import plain

    assert plain(payload) == plain_text(payload)
    assert not MARKUP.search(plain_text(payload)), f"markup survived: {plain_text(payload)!r}"


# --- Pages show names as text -------------------------------------------------------------


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.handlers, self.inline_scripts = [], [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        self.handlers += [(tag, n) for n, _ in attrs if n.startswith("on")]
        self.handlers += [
            (tag, n) for n, v in attrs if (v or "").strip().lower().startswith("javascript:")
        ]
        if tag == "script":
            self._script = attributes

    def handle_data(self, data):
        if self._script is not None:
            kind = self._script.get("type", "")
            if "src" not in self._script and kind not in (
                "application/json",
                "application/ld+json",
            ):
                self.inline_scripts.append(data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def parse(content: str) -> Tags:
    parser = Tags()
    parser.feed(content)
    return parser


@pytest.fixture
def hostile(make_actor, territories):
    """Listings named with every payload, as staff or an older import could have saved them."""
    actors = []
    for i, payload in enumerate(PAYLOADS):
        actors.append(
            make_actor(
                BLOIS[0] + 0.001 * (i % 6),
                BLOIS[1] + 0.001 * (i // 6),
                name=f"{payload} {i}"[:150],
                phone="02 54 00 00 00",
                products=payload,
                description=payload,
            )
        )
    return actors


def test_pages_show_hostile_names_as_text(client, hostile):
    pages = [f"/acteurs/{a.slug}/" for a in hostile[:8]]
    pages += ["/?where=&near=47.5861,1.3359&radius=5", "/embed/?departement=41", "/marches/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
        parsed = parse(response.content.decode())
        assert not parsed.handlers, f"{url}: payload markup reached the page: {parsed.handlers}"
        assert not parsed.inline_scripts, f"{url}: an inline script is on the page"
        for tag in ("img", "iframe", "object", "embed", "marquee", "video", "audio"):
            assert tag not in parsed.tags, f"{url}: a payload's <{tag}> reached the page"


def test_listing_map_config_holds_the_name_as_json_text(client, hostile):
    for actor in hostile:
        content = client.get(f"/acteurs/{actor.slug}/").content.decode()
        config = re.search(
            r'<script id="actor-map-config" type="application/json">(.*?)</script>', content, re.S
        )
        assert config, "the listing map's configuration is missing"
        assert "<" not in config.group(1), "the map configuration can close its <script>"


def test_our_javascript_hands_text_not_html_to_the_dom_and_leaflet():
    """Leaflet reads strings as HTML (tooltips, popups, divIcons): ours pass DOM nodes."""
    risky = re.compile(
        r"\.(innerHTML|outerHTML)\s*\+?=|(insertAdjacentHTML|document\.write)|"
        # a string or a property (a name, a label) straight into a tooltip, popup or divIcon
        r"(bind(?:Tooltip|Popup)|setContent)\(\s*(?:[`'\"]|[\w$]+\.[\w$.]+\s*[,)])|"
        r"(html):\s*(?:`|'|\"|[\w$]+\.[\w$.]+)"
    )
    allowed = {("static/editorial/editor.js", "innerHTML")}  # nh3-sanitised article preview
    found = []
    for path in sorted(Path(settings.BASE_DIR, "static").rglob("*.js")):
        relative = path.relative_to(settings.BASE_DIR).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = risky.search(line)
            if match and (relative, next(g for g in match.groups() if g)) not in allowed:
                found.append(f"{relative}:{number}: {line.strip()}")
    assert not found, "HTML built from strings in our JavaScript:\n" + "\n".join(found)


# --- Templates: no inline script, no inline handler ---------------------------------------


def test_no_template_holds_an_inline_script_or_handler():
    scripts = re.compile(
        r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
    )
    handlers = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
    urls = re.compile(r"(href|src|action|formaction)\s*=\s*[\"']?\s*javascript:", re.I)
    styles = re.compile(r"<[a-z][^>]*\sstyle\s*=|<style\b", re.I)
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(TEMPLATES).as_posix()
        if relative.startswith("emails/"):
            continue  # e-mails are read by mail clients, not under our CSP
        for name, pattern in (
            ("inline <script>", scripts),
            ("on…= handler", handlers),
            ("javascript: URL", urls),
            ("inline style", styles),
        ):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{relative}:{line}: {name}: {match.group(0)[:80]}")
    assert not problems, "Blocked by the Content-Security-Policy:\n" + "\n".join(problems)


# --- The Content-Security-Policy ----------------------------------------------------------


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    assert "Content-Security-Policy" in response.headers
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in directives, f"directive {words[0]} given twice: {header}"
            directives[words[0]] = words[1:]
    return directives


def assert_strict(directives, url):
    assert directives.get("default-src") == ["'self'"], f"{url}: default-src {directives}"
    script = directives.get("script-src", [])
    assert script and script[0] == "'self'", f"{url}: script-src {script}"
    for word in script:
        assert word == "'self'" or word.startswith("'nonce-"), f"{url}: script-src allows {word}"
    assert "'unsafe-inline'" not in directives.get("script-src", [])
    assert "'unsafe-eval'" not in " ".join(sum(directives.values(), []))
    assert directives.get("object-src") == ["'none'"], f"{url}: object-src"
    assert directives.get("base-uri") == ["'self'"], f"{url}: base-uri"
    assert directives.get("form-action") == ["'self'"], f"{url}: form-action"
    assert directives.get("connect-src") == ["'self'"], f"{url}: connect-src"
    assert "img-src" in directives and "'self'" in directives["img-src"]


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user("moderatrice", "m@example.org", "x", is_staff=True)
    user.groups.add(Group.objects.get(name=MODERATORS))
    return user


def test_every_kind_of_page_has_one_strict_policy(client, make_actor, staff, territories):
    actor = make_actor(*BLOIS, name="Ferme de Blois")
    public = [
        "/",
        f"/acteurs/{actor.slug}/",
        "/?near=47.5861,1.3359&radius=5",
        "/marches/",
        "/fenetre-sur/",
        "/donnees/",
        "/integrer/",
        "/alertes/",
        "/inscription/",
        "/mes-fiches/",
        "/mes-fiches/lien/",
        "/api/v1/actors/",
        "/page-qui-n-existe-pas/",
    ]
    for url in public:
        response = client.get(url)
        directives = policy(response)
        assert_strict(directives, url)
        assert not any(w.startswith("'nonce-") for w in directives["script-src"]), (
            f"{url}: public pages need no nonce"
        )
        assert directives.get("frame-ancestors") == ["'none'"], f"{url}: may be framed"
        assert response["X-Frame-Options"] == "DENY"
    tile = re.match(r"https?://[^/]+", settings.TILES_URL.replace("{s}.", "")).group(0)
    assert any(
        tile.endswith(s.removeprefix("https://*").removeprefix("http://*"))
        for s in directives["img-src"]
    ), f"the tiles' host is not in img-src: {directives}"
    assert directives.get("style-src") == ["'self'"], f"style-src is not strict: {directives}"

    client.force_login(staff)
    for url in [
        "/moderation/",
        "/staff/imports/",
        "/admin/",
        "/admin/directory/actor/",
        f"/admin/directory/actor/{actor.pk}/change/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
        assert_strict(policy(response), url)


def test_admin_scripts_run_by_nonce_only(admin_client, make_actor):
    actor = make_actor(*BLOIS)
    response = admin_client.get(f"/admin/directory/actor/{actor.pk}/change/")
    directives = policy(response)
    nonces = [w for w in directives["script-src"] if w.startswith("'nonce-")]
    content = response.content.decode()
    for script in re.findall(r"<script\b(?![^>]*\bsrc=)[^>]*>", content):
        if "application/json" in script:
            continue
        assert nonces and f'nonce="{nonces[0][7:-1]}"' in script, (
            f"an inline admin script has no nonce: {script}"
        )


def test_embed_policy_names_the_partners_and_nothing_else(client, territories, settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://www.partenaire.fr"]
    response = client.get("/embed/", {"departement": "41"})
    directives = policy(response)
    assert_strict(directives, "/embed/")
    assert directives["frame-ancestors"] == ["'self'", "https://www.partenaire.fr"]
    assert "X-Frame-Options" not in response


def test_api_docs_work_without_inline_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == ["'self'"], directives
    assert not parse(response.content.decode()).inline_scripts, "the docs page has inline script"
    script = re.search(r'<script src="([^"]*script[^"]*)"', response.content.decode())
    assert script, "the docs' start-up script is not a separate file"
    started = client.get(script.group(1).replace("&amp;", "&"))
    assert started.status_code == 200 and "SwaggerUIBundle" in started.content.decode()


def test_the_downloaded_map_runs_only_its_own_scripts(client, make_actor):
    import base64
    import hashlib

    make_actor(*BLOIS, name="Ferme de Blois")
    response = client.get("/carte.html", {"near": "47.5861,1.3359", "radius": 5})
    assert response.status_code == 200
    directives = policy(response)
    assert "sandbox" in directives, "the map is not sandboxed if a browser renders it"
    assert "allow-same-origin" not in directives["sandbox"]
    content = response.content.decode()
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', content)
    assert meta, "the saved file carries no policy of its own"
    assert content.index(meta.group(0)) < content.index("<script"), "the policy comes too late"
    hashes = {w for w in directives["script-src"] if w.startswith("'sha256-")}
    assert "'unsafe-inline'" not in directives["script-src"]
    for body in re.findall(r"<script>(.*?)</script>", content, re.S):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in hashes, "a script of the file is not allowed by hash"
    assert f"script-src {' '.join(directives['script-src'])}" in meta.group(1)


def test_actor_kind_colours_are_in_the_stylesheet():
    """The legend's colours come from site.css classes (no inline style under the CSP)."""
    from directory.markers import KIND_COLOURS

    css = (Path(settings.BASE_DIR) / "static/css/site.css").read_text(encoding="utf-8")
    for kind, colour in KIND_COLOURS.items():
        assert re.search(rf"\.kind-{kind}\s*{{[^}}]*--pin:\s*{colour}", css), (
            f"site.css has no colour for {kind}"
        )
