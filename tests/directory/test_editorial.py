"""'Fenêtre sur…': rendering and sanitising, scheduling, public pages, feeds, sitemap, API."""

import datetime
import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from directory import clock
from directory.editorial.markdown import plain_text, render
from directory.editorial.sharing import counted_length, networks, share_links, social_texts
from directory.models import Article, ArticleKind, ArticleStatus, Partner
from geodata.models import Commune

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 15, 10, 0, tzinfo=datetime.UTC)

# Payloads from the usual XSS cheat sheets, as an author might paste them into Markdown.
XSS_CORPUS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert('x')>",
    "<svg/onload=alert('x')>",
    "<iframe src=\"javascript:alert('x')\"></iframe>",
    '<iframe src="https://evil.example/"></iframe>',
    "[clic](javascript:alert('x'))",
    "[clic](JaVaScRiPt:alert('x'))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgneCcpPC9zY3JpcHQ+)",
    "[clic](vbscript:msgbox('x'))",
    "![x](javascript:alert('x'))",
    '<a href="javascript:alert(1)">a</a>',
    '<a href="https://ok.example" onclick="alert(1)">a</a>',
    '<div style="background:url(javascript:alert(1))">a</div>',
    "<body onload=alert('x')>",
    "<object data=\"javascript:alert('x')\"></object>",
    "<embed src=\"javascript:alert('x')\">",
    '<form action="javascript:alert(1)"><button>b</button></form>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert("x")></style></mglyph></table></mtext></math>',
    "<<script>script>alert('x')<</script>/script>",
    '"><script>alert(1)</script>',
    "<details open ontoggle=alert(1)>",
    '<input autofocus onfocus="alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>body{display:none}</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    '<base href="https://evil.example/">',
    "<!--<img src=x onerror=alert(1)>-->",
    '<a href="&#106;avascript:alert(1)">a</a>',
    "[a](&#x6A;avascript:alert(1))",
    '<video><source onerror="alert(1)"></video>',
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ"><script>alert(1)</script>',
    '<p title="</p><script>alert(1)</script>">x</p>',
]

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "b", "i", "a", "ul", "ol", "li",
    "blockquote", "code", "pre", "img", "figure", "figcaption", "table", "thead", "tbody",
    "tr", "th", "td", "abbr", "sup", "sub",
}  # fmt: skip


EMBEDS = (
    "https://www.youtube-nocookie.com/embed/",
    "https://player.vimeo.com/video/",
    "https://www.dailymotion.com/embed/video/",
)


class Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def dangers(html: str) -> list:
    """What could run script: unknown elements, event handlers, scripted URLs, styles."""
    problems = []
    for tag, attrs in Elements(html).found:
        embed = tag == "iframe" and attrs.get("src", "").startswith(EMBEDS)
        if tag not in ALLOWED_TAGS and not embed:
            problems.append(tag)
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                problems.append(f"{tag}[{name}]")
            if name in ("href", "src") and value:
                scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
                if scheme and scheme not in ("http", "https", "mailto", "tel"):
                    problems.append(f"{tag}[{name}={value}]")
    return problems


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_xss_payloads_render_inert(payload):
    html = str(render(f"Avant\n\n{payload}\n\nAprès *fin*"))
    assert dangers(html) == [], html
    assert "fin" in html  # the rest of the text survives (as text after an unclosed block)


def test_legitimate_markdown_survives():
    html = str(
        render(
            "# Titre\n\n## Intertitre\n\n### Détail\n\nDu **gras**, de l'*italique*.\n\n"
            "- un\n- deux\n\n1. premier\n2. second\n\n> Une citation\n\n"
            "[Le site](https://ferme.example/page?a=1&b=2)\n\n"
            "![Chèvres au pré](https://images.example/chevres.jpg)\n\n"
            "[Écrire](mailto:contact@ferme.example) [Appeler](tel:+33200000000)"
        )
    )
    # h1 is the page's title: "#" gives h2 like "##"
    assert "<h2>Titre</h2>" in html and "<h2>Intertitre</h2>" in html and "<h3>Détail</h3>" in html
    assert "<strong>gras</strong>" in html and "<em>italique</em>" in html
    assert "<ul>" in html and html.count("<li>") == 4 and "<ol>" in html
    assert "<blockquote>" in html and "Une citation" in html
    assert (
        '<a href="https://ferme.example/page?a=1&amp;b=2" rel="noopener noreferrer nofollow">'
        in html
    )
    assert 'alt="Chèvres au pré"' in html and 'src="https://images.example/chevres.jpg"' in html
    assert 'loading="lazy"' in html and 'referrerpolicy="no-referrer"' in html
    assert 'href="mailto:contact@ferme.example"' in html and 'href="tel:+33200000000"' in html


@pytest.mark.parametrize(
    "line, embed",
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("<https://vimeo.com/123456>", "https://player.vimeo.com/video/123456?dnt=1"),
        (
            "https://www.dailymotion.com/video/x8abcd1",
            "https://www.dailymotion.com/embed/video/x8abcd1",
        ),
    ],
)
def test_a_video_address_alone_on_its_line_becomes_a_privacy_enhanced_player(line, embed):
    html = str(render(f"Regardez :\n\n{line}\n\nFin."))
    assert f'<iframe src="{embed}"' in html.replace("&amp;", "&")
    assert 'sandbox="' in html and "Voir la vidéo" in html


@pytest.mark.parametrize(
    "line",
    [
        "Voir https://www.youtube.com/watch?v=dQw4w9WgXcQ dans le texte",  # not alone
        "https://evil.example/watch?v=dQw4w9WgXcQ",  # not a known service
        "[ma vidéo](https://www.youtube.com/watch?v=dQw4w9WgXcQ)",  # a link with its own words
        "https://www.youtube.com/watch?v=short",  # not an identifier
    ],
)
def test_other_lines_never_become_players(line):
    assert "<iframe" not in str(render(line))


def test_plain_text_strips_markup_and_shortens():
    assert plain_text("## Titre\n\nDu **miel** <b>bio</b>.") == "Titre Du miel bio."
    assert plain_text("un deux trois quatre", limit=12) == "un deux…"


# --- Sharing ----------------------------------------------------------------------------


def test_social_texts_fit_each_network():
    url = "https://toutpres.example/fenetre-sur/la-ferme-des-quatre-vents-et-ses-chevres/"
    texts = social_texts("Un titre " * 20, "Un chapô qui parle de fromage de chèvre. " * 40, url)
    assert {t["key"] for t in texts} == {n.key for n in networks()}
    for text in texts:
        assert text["length"] <= text["limit"], text
        assert text["text"].endswith(url)  # the link is always there, whole
    short = {t["key"]: t for t in social_texts("Miel", "Du miel.", url)}
    assert short["x"]["text"] == f"Miel\n\nDu miel.\n\n{url}"
    assert (
        counted_length(networks()[0], short["x"]["text"], url) == len("Miel\n\nDu miel.\n\n") + 23
    )


def test_share_links_are_plain_links():
    links = share_links("Miel & <cire>", "https://toutpres.example/fenetre-sur/miel/")
    assert [link["name"] for link in links][:3] == ["Facebook", "X (Twitter)", "LinkedIn"]
    for link in links:
        assert link["href"].startswith(("https://", "mailto:"))
        assert "<" not in link["href"] and " " not in link["href"]


# --- Visibility and scheduling -------------------------------------------------------------


@pytest.fixture
def frozen():
    clock.freeze(NOW)
    yield NOW
    clock.thaw()


@pytest.fixture
def make_article(db):
    counter = {"n": 0}

    def make(**fields):
        counter["n"] += 1
        fields.setdefault("title", f"Portrait {counter['n']}")
        fields.setdefault("slug", f"portrait-{counter['n']}")
        fields.setdefault("kind", ArticleKind.PORTRAIT)
        fields.setdefault("lead", "Un chapô.")
        fields.setdefault("body", "Un *texte*.")
        fields.setdefault("status", ArticleStatus.PUBLISHED)
        if fields["status"] == ArticleStatus.PUBLISHED:
            fields.setdefault("publish_at", NOW - datetime.timedelta(days=counter["n"]))
        actors = fields.pop("actors", [])
        article = Article.objects.create(**fields)
        article.actors.set(actors)
        return article

    return make


def visible_everywhere(client, article, actor=None) -> dict:
    """Where the public can see the article: one boolean per output."""
    seen = {
        "page": client.get(article.get_absolute_url()).status_code == 200,
        "list": article.title in client.get(reverse("directory:articles")).content.decode(),
        "home": article.title in client.get(reverse("directory:home")).content.decode(),
        "atom": article.title in client.get(reverse("directory:articles-atom")).content.decode(),
        "rss": article.title in client.get(reverse("directory:articles-rss")).content.decode(),
        "api": article.slug
        in [a["slug"] for a in client.get(reverse("directory:api-articles")).json()["results"]],
        "sitemap": article.slug in client.get("/sitemap-fenetre-sur.xml").content.decode(),
    }
    if actor is not None:
        seen["listing"] = article.title in client.get(actor.get_absolute_url()).content.decode()
    return seen


def test_draft_review_and_scheduled_articles_are_invisible_until_their_time(
    client, make_article, make_actor, frozen
):
    farm = make_actor(name="Ferme du Portrait")
    draft = make_article(status=ArticleStatus.DRAFT, actors=[farm])
    review = make_article(status=ArticleStatus.REVIEW, actors=[farm])
    scheduled = make_article(publish_at=NOW + datetime.timedelta(hours=2), actors=[farm])
    assert scheduled.state == "scheduled" and draft.state == "draft"
    for article in (draft, review, scheduled):
        assert not any(visible_everywhere(client, article, farm).values()), article.slug

    clock.freeze(NOW + datetime.timedelta(hours=2, seconds=1))
    assert scheduled.state == "published"
    assert all(visible_everywhere(client, scheduled, farm).values())
    assert not any(visible_everywhere(client, draft, farm).values())


def test_private_preview_link(client, make_article, frozen):
    article = make_article(status=ArticleStatus.DRAFT, title="Brouillon secret")
    response = client.get(article.get_preview_url())
    assert response.status_code == 200
    assert "Aperçu" in response.content.decode() and "Brouillon secret" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    assert (
        client.get(
            article.get_absolute_url() + "?apercu=00000000-0000-0000-0000-000000000000"
        ).status_code
        == 404
    )
    assert client.get(article.get_absolute_url() + "?apercu=pas-un-uuid").status_code == 404


def test_article_page_tags_cards_and_structured_data(client, make_article, make_actor, frozen):
    orleans = Commune.objects.get(code="45234")
    farm = make_actor(name="Chèvrerie des Bords", commune=orleans, phone="02 38 00 00 00")
    shop = make_actor(name="Épicerie du Coin", kind="shop", commune=orleans)
    hidden = make_actor(name="Fiche en attente", status="pending")
    partner = Partner.objects.create(name="Chambre d'agriculture du Loiret")
    article = make_article(
        title="Les chèvres & le <fromage>",
        lead="Une ferme qui fait « tout » elle-même.",
        body="## Le troupeau\n\nSoixante chèvres.",
        partner=partner,
        credits="Texte : Région ; photos : Chambre",
        actors=[farm, shop, hidden],
    )
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert "Les chèvres &amp; le &lt;fromage&gt;" in html and "<fromage>" not in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert '<meta name="twitter:title" content="Les chèvres &amp; le &lt;fromage&gt;">' in html
    assert "<h2>Le troupeau</h2>" in html
    assert "Chèvrerie des Bords" in html and "Épicerie du Coin" in html
    assert "Fiche en attente" not in html  # only published listings are shown
    assert 'href="tel:0238000000"' in html
    assert "Contenu proposé par Chambre d&#x27;agriculture du Loiret" in html
    data = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    import json

    ld = json.loads(data)
    assert ld["@type"] == "Article" and ld["headline"] == "Les chèvres & le <fromage>"
    assert ld["datePublished"].startswith("2026-05-14")
    assert {a["name"] for a in ld["about"]} == {"Chèvrerie des Bords", "Épicerie du Coin"}
    assert "</script" not in data.lower()
    # Share block: plain links, no third-party script
    assert "https://www.facebook.com/sharer/sharer.php?u=" in html
    assert not re.search(r"<script[^>]+src=\"https?://", html)
    # Each listing page links back
    for actor in (farm, shop):
        page = client.get(actor.get_absolute_url()).content.decode()
        assert "Vu dans Fenêtre sur…" in page and article.get_absolute_url() in page


def test_list_filters_by_kind_and_departement(client, make_article, make_actor, frozen):
    loiret = make_actor(commune=Commune.objects.get(code="45234"))
    cher = make_actor(commune=Commune.objects.get(code="18033"))
    a = make_article(title="Portrait du Loiret", actors=[loiret])
    b = make_article(title="Produit du Cher", kind=ArticleKind.PRODUCT, actors=[cher])
    c = make_article(title="Actualité générale", kind=ArticleKind.NEWS)

    def titles(**params):
        html = client.get(reverse("directory:articles"), params).content.decode()
        return {x.title for x in (a, b, c) if x.title in html}

    assert titles() == {a.title, b.title, c.title}
    assert titles(kind="product") == {b.title}
    assert titles(departement="45") == {a.title}
    assert titles(departement="18", kind="portrait") == set()
    bad = client.get(reverse("directory:articles"), {"departement": "99", "kind": "x"})
    assert bad.status_code == 400
    api = client.get(reverse("directory:api-articles"), {"departement": "18"}).json()
    assert [r["slug"] for r in api["results"]] == [b.slug]
    error = client.get(reverse("directory:api-articles"), {"kind": "nope"})
    assert error.status_code == 400 and "kind" in error.json()["errors"]


def test_list_is_paginated_newest_first(client, make_article, frozen):
    articles = [make_article() for _ in range(14)]  # publish_at: 1 to 14 days ago
    first = client.get(reverse("directory:articles")).content.decode()
    second = client.get(reverse("directory:articles"), {"page": 2}).content.decode()
    assert articles[0].title in first and articles[13].title in second
    assert articles[13].title not in first
    assert "Page 1 sur 2" in first


def test_api_articles_shape_and_stable_pages(client, make_article, make_actor, frozen):
    farm = make_actor(name="Miellerie")
    partner = Partner.objects.create(name="Bio Centre", website="https://bio.example")
    same_time = NOW - datetime.timedelta(days=1)
    for i in range(25):
        make_article(title=f"Article {i}", publish_at=same_time, actors=[farm], partner=partner)
    page1 = client.get(reverse("directory:api-articles")).json()
    page2 = client.get(reverse("directory:api-articles"), {"page": 2}).json()
    assert page1["count"] == 25 and page1["pages"] == 2
    ids = [r["id"] for r in page1["results"] + page2["results"]]
    assert len(set(ids)) == 25 and ids == sorted(ids, reverse=True)  # unique key breaks ties
    first = page1["results"][0]
    assert first["partner"] == {"name": "Bio Centre", "website": "https://bio.example"}
    assert first["actors"][0]["name"] == "Miellerie"
    assert first["url"].startswith("http://testserver/fenetre-sur/")
    assert first["body_html"] == "<p>Un <em>texte</em>.</p>"
    assert client.get(reverse("directory:api-articles"), {"page": 3}).status_code == 400


def test_article_list_queries_are_constant(
    client, make_article, make_actor, frozen, django_assert_max_num_queries
):
    farms = [make_actor(name=f"Ferme {i}") for i in range(6)]
    make_article(actors=farms[:2], partner=Partner.objects.create(name="P"))

    def count(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = [
        reverse("directory:articles"),
        reverse("directory:api-articles"),
        reverse("directory:home"),
    ]
    for url in urls:  # the day's first page view creates its counter row: not measured
        client.get(url)
    before = {url: count(url) for url in urls}
    for i in range(11):
        make_article(actors=farms, partner=Partner.objects.create(name=f"Partenaire {i}"))
    after = {url: count(url) for url in urls}
    assert after == before


# --- Feeds and sitemap -----------------------------------------------------------------


def test_feeds_parse_include_only_published_and_escape(client, make_article, make_actor, frozen):
    make_article(
        title="Miel & <script>alert(1)</script>",
        lead="Le « miel » de Léa.",
        body="## Ruches\n\nDu *miel*.\n\n<script>alert(2)</script>",
    )
    make_article(title="Brouillon", status=ArticleStatus.DRAFT)
    make_article(title="Programmé", publish_at=NOW + datetime.timedelta(days=1))
    for name in ("directory:articles-atom", "directory:articles-rss"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        ET.fromstring(response.content)  # noqa: S314 (our own feed: checks it is well-formed XML)
        feed = feedparser.parse(io.BytesIO(response.content))
        assert not feed.bozo, feed.bozo_exception
        assert [e.title for e in feed.entries] == ["Miel & <script>alert(1)</script>"]
        entry = feed.entries[0]
        assert entry.link == "http://testserver/fenetre-sur/portrait-1/"
        content = entry.content[0].value
        assert "<h2>Ruches</h2>" in content and "<em>miel</em>" in content
        assert "alert(2)" not in content  # sanitised before it reaches the feed
        assert entry.summary.startswith("Le « miel »") or "miel" in entry.summary
    assert b"Brouillon" not in client.get(reverse("directory:articles-atom")).content


def test_feed_carries_the_cover_image(client, make_article, frozen, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    article = make_article(cover_alt="Ruches")
    article.cover.save("x.jpg", ContentFile(jpeg_bytes(800, 600)))
    feed = feedparser.parse(io.BytesIO(client.get(reverse("directory:articles-rss")).content))
    enclosure = feed.entries[0].enclosures[0]
    assert enclosure.type == "image/jpeg" and enclosure.href.startswith("http://testserver/media/")
    assert int(enclosure.length) == article.cover.size
    assert 'alt="Ruches"' in feed.entries[0].content[0].value


def test_sitemap_lists_articles_and_published_listings(client, make_article, make_actor, frozen):
    farm = make_actor(name="Ferme publiée")
    pending = make_actor(name="Ferme en attente", status="pending")
    article = make_article()
    draft = make_article(status=ArticleStatus.DRAFT)
    index = client.get("/sitemap.xml").content.decode()
    assert "sitemap-fenetre-sur.xml" in index and "sitemap-acteurs.xml" in index
    articles = client.get("/sitemap-fenetre-sur.xml").content.decode()
    assert article.slug in articles and draft.slug not in articles
    actors = client.get("/sitemap-acteurs.xml").content.decode()
    assert farm.slug in actors and pending.slug not in actors


# --- Images --------------------------------------------------------------------------


def jpeg_bytes(width, height, exif=False) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (width, height), "green")
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        image.save(out, "JPEG", exif=data.tobytes())
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def test_uploaded_cover_gets_display_sizes_without_metadata_and_files_go_with_it(
    admin_client, make_actor, settings, tmp_path, frozen
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    farm = make_actor(name="Ferme illustrée")
    data = {
        "title": "Avec image",
        "slug": "avec-image",
        "kind": "portrait",
        "lead": "Chapô.",
        "body": "Texte.",
        "cover": SimpleUploadedFile(
            "IMG_0001.jpg", jpeg_bytes(2400, 1600, exif=True), "image/jpeg"
        ),
        "cover_alt": "Une ferme",
        "actors": [farm.pk],
        "status": "published",
        "publish_at_0": "15/05/2026",
        "publish_at_1": "08:00:00",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-0-image": SimpleUploadedFile("g.png", jpeg_bytes(600, 400), "image/jpeg"),
        "images-0-alt_text": "Le pré",
        "images-0-position": "0",
    }
    response = admin_client.post(reverse("admin:directory_article_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    article = Article.objects.get(slug="avec-image")
    assert (article.cover_width, article.cover_height) == (1600, 1067)
    assert set(article.cover_sizes) == {"source", "480", "960"}
    with Image.open(article.cover.path) as image:
        assert not image.getexif()  # the phone's metadata is gone
    for name in (article.cover_sizes["480"], article.cover_sizes["960"]):
        with Image.open(tmp_path / name) as image:
            assert image.width == int(name.rsplit("-", 1)[1].split(".")[0])
    gallery = article.images.get()
    assert set(gallery.sizes) == {"source", "480"}  # 600 px wide: no 960 px copy
    page = admin_client.get(article.get_absolute_url()).content.decode()
    assert "480w" in page and "960w" in page and "1600w" in page
    assert list(article.actors.all()) == [farm]
    files = list(tmp_path.rglob("*.jpg"))
    assert len(files) == 5
    article.delete()
    assert not list(tmp_path.rglob("*.jpg"))


def test_history_keeps_every_version_with_linked_listings(admin_client, make_article, make_actor):
    farm = make_actor()
    article = make_article(status=ArticleStatus.DRAFT)
    article.title = "Nouveau titre"
    article.save()
    article.actors.add(farm)
    versions = article.history.all()
    assert versions.count() >= 2
    assert versions.last().title.startswith("Portrait")
    assert (
        admin_client.get(reverse("admin:directory_article_history", args=[article.pk])).status_code
        == 200
    )


def test_scheduling_is_in_paris_time(client, make_article):
    # 18:00 in Paris in May is 16:00 UTC: the article appears then, not two hours later.
    paris = timezone.get_fixed_timezone(120)
    article = make_article(publish_at=datetime.datetime(2026, 5, 20, 18, 0, tzinfo=paris))
    clock.freeze(datetime.datetime(2026, 5, 20, 15, 59, tzinfo=datetime.UTC))
    try:
        assert client.get(article.get_absolute_url()).status_code == 404
        clock.freeze(datetime.datetime(2026, 5, 20, 16, 0, tzinfo=datetime.UTC))
        assert client.get(article.get_absolute_url()).status_code == 200
    finally:
        clock.thaw()


def test_a_video_address_with_trailing_markup_is_not_embedded():
    html = str(render('https://www.youtube.com/watch?v=dQw4w9WgXcQ"><script>alert(1)</script>'))
    assert "<iframe" not in html and "<script" not in html
