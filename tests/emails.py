"""Following e-mailed links the way a browser does: open the page, then press its button."""

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

SIGN_IN_LINK = re.compile(r"https?://\S+/mes-fiches/connexion/\S+")
CONFIRM_LINK = re.compile(r"https?://\S+/mes-fiches/confirmation/\S+")


def sign_in_links(message) -> list[str]:
    return SIGN_IN_LINK.findall(message.body)


def path_of(url: str) -> str:
    """The path and query of an absolute link from an e-mail (made with SITE_URL)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def link_query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action")}
                | {"fields": {}}
            )
        elif tag in ("input", "button") and self.forms and attrs.get("name"):
            kind = (attrs.get("type") or "").lower()
            if tag == "input" and kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.forms[-1]["fields"][attrs["name"]] = unescape(attrs.get("value") or "")


def post_forms(html: str) -> list[dict]:
    """The page's POST forms: their action and the values a browser would send as is."""
    parser = _Forms()
    parser.feed(html)
    return [form for form in parser.forms if form["method"] == "post"]


def press(client, response, action: str | None = None, follow: bool = True, **extra):
    """Submit the page's POST form whose action starts with ``action`` (the first one, or the
    one posting to the page itself when ``action`` is None), as a browser would."""
    page_url = response.request["PATH_INFO"]
    query = response.request.get("QUERY_STRING", "")
    for form in post_forms(response.content.decode()):
        target = form["action"] or page_url + (f"?{query}" if query else "")
        if (action is None and not form["action"]) or (
            action is not None and target.startswith(action)
        ):
            return client.post(target, form["fields"] | extra, follow=follow)
    raise AssertionError(f"no POST form to {action or page_url} on the page")


def sign_in(client, url: str, follow: bool = True):
    """Follow an e-mailed sign-in link: open it, then press « Me connecter »."""
    page = client.get(path_of(url))
    if page.status_code != 200:
        return page
    return press(client, page, "/mes-fiches/connexion/", follow=follow)
