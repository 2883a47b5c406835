"""Playwright driving Debian's chromium (never a downloaded browser), offline."""

import os
import re
from urllib.parse import urlparse

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CSP_VIOLATION = re.compile(r"Content Security Policy|Refused to (execute|load|apply|frame|connect)")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# A 1×1 transparent PNG stands in for map tiles: tests never reach a tile server.
TILE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A page whose requests stay on the live server; tiles are mocked, the rest refused."""
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.external_requests = []
    page.tile_requests = []
    local = urlparse(live_server.url).netloc

    def route(route):
        url = route.request.url
        parsed = urlparse(url)
        if parsed.netloc == local:
            return route.continue_()
        if "tile" in parsed.netloc or url.endswith(".png"):
            page.tile_requests.append(url)
            return route.fulfill(status=200, content_type="image/png", body=TILE_PNG)
        page.external_requests.append(url)
        return route.abort()

    page.route("**/*", route)
    page.console_errors = []
    page.csp_violations = []

    def console(message):
        if message.type == "error":
            page.console_errors.append(message.text)
        if CSP_VIOLATION.search(message.text):
            page.csp_violations.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    # Every page runs under the site's Content-Security-Policy: whatever it blocks is a bug
    # (an inline script or style left in a template, a host missing from the policy).
    # In tests, give page.wait_for_function a function ("() => …"): Playwright polls a bare
    # expression with eval, which the policy refuses.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => console.error("
        "`Content Security Policy: ${e.violatedDirective} refused ${e.blockedURI}`));"
    )
    yield page
    context.close()
    assert not page.csp_violations, "Content-Security-Policy violations:\n" + "\n".join(
        page.csp_violations
    )


def _staff(django_user_model, username, email, group):
    from django.contrib.auth.models import Group

    from tests.browser.helpers import PASSWORDS

    user = django_user_model.objects.create_user(
        username, email, PASSWORDS[username], is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def moderator(transactional_db, django_user_model):
    from directory.roles import MODERATORS

    return _staff(django_user_model, "moderatrice", "mod@example.org", MODERATORS)


@pytest.fixture
def editor(transactional_db, django_user_model):
    from directory.roles import EDITORS

    return _staff(django_user_model, "redactrice", "redac@example.org", EDITORS)
