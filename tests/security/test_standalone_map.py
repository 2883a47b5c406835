"""/carte.html: user text is data in the downloaded map, never template source nor markup.

folium and branca compile the string given to ``Element(...)`` (and the figure's title) as a
Jinja2 template; a stranger's search text or a listing's name must never reach one.
"""

import html
import json
import re
from html.parser import HTMLParser

import pytest

from directory.models import Category
from geodata.models import Commune

pytestmark = pytest.mark.django_db
BLOIS = (47.5861, 1.3359)

# 1234*5678: a product that appears nowhere in Leaflet or in the page by chance.
EVALUATED = "7006652"
JINJA = [
    "{{7*7}}",
    "{{ 1234*5678 }}",
    "{{ '7'*7 }}",
    "{% debug %}",
    "{% raw %}",
    "{% endraw %}",
    "{#",
    "{{ config }}",
    "{{ self }}",
    "{% for x in range(3) %}{{x}}{% endfor %}",
    "{{ this.render() }}",
    "{{ kwargs }}",
    '{{cycler.__init__.__globals__.os.popen("touch PWNED").read()}}',
    "{{ lipsum.__globals__['os'].popen('touch PWNED').read() }}",
    "{% set x = 1234*5678 %}{{ x }}",
    "{{",
    "}}",
    "{%",
]
HTML = [
    "</title><script>window.__xss=1;alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><img src=x onerror="window.__xss=1">',
    "'><svg onload=alert(1)>",
    "</script><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "${alert(1)}",
    "`${alert(1)}`",
    "\\`);alert(1);//",
    '";alert(1);//',
    "';alert(1);//",
    "<!--<script>",
    "<a href=javascript:alert(1)>x</a>",
    "&lt;b&gt;déjà&amp;",
]
PAYLOADS = JINJA + HTML


class Structure(HTMLParser):
    """What the browser would build from the file: tags, event attributes, title, texts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.title = ""
        self.text = ""
        self._in = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]
        self.handlers += [
            (tag, name) for name, value in attrs if (value or "").strip().startswith("javascript:")
        ]
        self._in.append(tag)

    def handle_endtag(self, tag):
        if tag in self._in:
            while self._in and self._in.pop() != tag:
                pass

    def handle_data(self, data):
        if self._in and self._in[-1] == "title":
            self.title += data
        elif not self._in or self._in[-1] not in ("script", "style"):
            self.text += data


def structure(content: str) -> Structure:
    parser = Structure()
    parser.feed(content)
    parser.close()
    return parser


def js_strings(content: str, call: str) -> list[str]:
    """The JSON string literals given to ``.bindPopup(`` or ``.bindTooltip(`` in the script."""
    return [json.loads(m) for m in re.findall(rf"\.{call}\((\"(?:[^\"\\]|\\.)*\")", content)]


@pytest.fixture
def baseline(client, make_actor):
    """The benign file's shape: how many tags of each kind an honest map has."""

    def shape():
        make_actor(*BLOIS, name="Ferme honnête", phone="02 54 00 00 00")
        content = client.get("/carte.html", {"near": f"{BLOIS[0]},{BLOIS[1]}", "radius": 5})
        assert content.status_code == 200
        return structure(content.content.decode()).tags

    return shape


def assert_inert(response, payload, tmp_path, baseline_tags, where):
    assert response.status_code == 200, f"{where}: {payload!r} gave HTTP {response.status_code}"
    content = response.content.decode()
    assert EVALUATED not in content, f"{where}: {payload!r} was evaluated as Jinja2"
    assert not (tmp_path / "PWNED").exists(), f"{where}: {payload!r} ran a shell command"
    parsed = structure(content)
    assert not parsed.handlers, f"{where}: {payload!r} added event handlers {parsed.handlers}"
    assert parsed.tags.count("script") == baseline_tags.count("script"), (
        f"{where}: {payload!r} added or removed a <script> element"
    )
    for tag in ("img", "iframe", "object", "embed", "base", "link", "meta", "form", "title"):
        assert parsed.tags.count(tag) == baseline_tags.count(tag), (
            f"{where}: {payload!r} changed the number of <{tag}> elements"
        )
    # Pictograms: one per kind in the legend, none from the texts.
    assert parsed.tags.count("svg") <= baseline_tags.count("svg"), (
        f"{where}: {payload!r} added an <svg>"
    )
    assert parsed.tags.count("style") == baseline_tags.count("style"), (
        f"{where}: {payload!r} added a <style>"
    )
    return content, parsed


@pytest.mark.parametrize("payload", PAYLOADS)
def test_search_text_is_shown_as_text_in_the_title_and_header(
    client, baseline, payload, tmp_path, monkeypatch
):
    """?q= is anyone's: it goes into <title> and the header as plain text."""
    monkeypatch.chdir(tmp_path)  # where "touch PWNED" would land
    tags = baseline()
    response = client.get(
        "/carte.html", {"near": f"{BLOIS[0]},{BLOIS[1]}", "radius": 5, "q": payload}
    )
    content, parsed = assert_inert(response, payload, tmp_path, tags, "q")
    assert f"« {payload} »" in parsed.title, (
        f"the title does not show the search {payload!r} literally: {parsed.title!r}"
    )
    assert f"« {payload} »" in parsed.text, (
        f"the header does not show the search {payload!r} literally"
    )
    assert "<title>" in content and content.count("</title>") == 1


@pytest.mark.parametrize("payload", PAYLOADS)
def test_listing_texts_are_shown_as_text_in_markers_and_list(
    client, baseline, make_actor, payload, tmp_path, monkeypatch
):
    """Name, phone, description, commune and product category: shown, never run."""
    monkeypatch.chdir(tmp_path)
    tags = baseline()
    commune = Commune.objects.get(code="41018")
    commune.name = payload[:100]
    commune.save(update_fields=["name"])
    category = Category.objects.create(slug="piege", name=payload[:100])
    phone = payload if len(payload) <= 20 else "{{7*7}}"
    actor = make_actor(
        BLOIS[0] + 0.001,
        BLOIS[1],
        name=payload,
        phone=phone,
        description=payload,
        products=payload,
        commune=commune,
    )
    actor.categories.add(category)
    response = client.get(
        "/carte.html",
        {"near": f"{BLOIS[0]},{BLOIS[1]}", "radius": 5, "category": "piege"},
    )
    content, parsed = assert_inert(response, payload, tmp_path, tags, "listing")
    assert payload in parsed.text, f"the list does not show the name {payload!r} literally"
    assert phone in parsed.text, f"the list does not show the phone {phone!r} literally"
    assert payload[:100] in parsed.title, "the title does not name the category literally"
    popups = js_strings(content, "bindPopup")
    tooltips = js_strings(content, "bindTooltip")
    assert len(popups) == len(tooltips) == 1, "one marker with its popup and tooltip expected"
    # Leaflet reads both as HTML: the texts must arrive escaped.
    popup = structure(popups[0])
    assert payload in popup.text, "the popup does not show the name as text"
    assert popup.handlers == [] and "<script" not in popups[0]
    assert "<img" not in popups[0] and "<svg" not in popups[0]
    assert html.unescape(tooltips[0]) == payload, "the tooltip does not show the name as text"
    assert "<" not in tooltips[0], "the tooltip holds markup"


def test_the_title_is_escaped_once(client, make_actor):
    """« & » in a search is shown as « & », not as « &amp;amp; »."""
    make_actor(*BLOIS, name="Pain & fromage")
    response = client.get(
        "/carte.html", {"near": f"{BLOIS[0]},{BLOIS[1]}", "radius": 5, "q": "Pain & fromage"}
    )
    parsed = structure(response.content.decode())
    assert "« Pain & fromage »" in parsed.title
    assert "« Pain & fromage »" in parsed.text
    assert "Pain &amp;amp; fromage" not in response.content.decode()
