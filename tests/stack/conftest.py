"""The production stack's tests, run by ./dev test (stage « Pile de production »).

The test command starts the real services and says where they are in environment
variables; a test that needs one that is missing FAILS (never skips): run them through
./dev test. Stack (tests/stack/test_stack.py, test_outage.py):

- ``TOUTPRES_STACK_URL``: nginx in front of gunicorn, DEBUG off, https://127.0.0.1:PORT
  with the self-signed certificate of var/tls/ (``TOUTPRES_STACK_HTTP_URL``: its plain
  HTTP port, which redirects to HTTPS);
- ``TOUTPRES_STACK_DATABASE_URL``: that site's PostGIS database (demo data loaded);
- ``TOUTPRES_STACK_PG_RESTART``: a shell command restarting the test PostgreSQL.
"""

import os
import ssl
import subprocess
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import CSP_VIOLATION, TILE_PNG, browser  # noqa: F401 (fixture)


def stack_setting(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(
            f"{name} is not set: the production stack's tests run through ./dev test "
            "(stage « Pile de production »), which starts nginx, gunicorn and PostgreSQL."
        )
    return value


@pytest.fixture(scope="session")
def stack_url() -> str:
    """https://127.0.0.1:PORT of nginx in front of gunicorn (no trailing slash)."""
    return stack_setting("TOUTPRES_STACK_URL").rstrip("/")


@pytest.fixture(scope="session")
def stack_http_url() -> str:
    return stack_setting("TOUTPRES_STACK_HTTP_URL").rstrip("/")


@pytest.fixture(scope="session")
def stack_database_url() -> str:
    return stack_setting("TOUTPRES_STACK_DATABASE_URL")


@pytest.fixture(scope="session")
def restart_postgresql():
    """Restart the test PostgreSQL (fast shutdown: sessions are cut), return when it is up."""
    command = stack_setting("TOUTPRES_STACK_PG_RESTART")

    def restart():
        subprocess.run(command, shell=True, check=True, capture_output=True, timeout=120)  # noqa: S602 (the test command's own)

    return restart


@pytest.fixture(scope="session")
def insecure_tls() -> ssl.SSLContext:
    """Our own self-signed certificate: not checked."""
    return ssl._create_unverified_context()  # noqa: S323


@pytest.fixture
def stack_page(browser, stack_url):  # noqa: F811
    """A browser page on the stack (self-signed certificate accepted), tiles mocked, every
    other outside request refused, failing the test on any CSP violation."""
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", ignore_https_errors=True
    )
    page = context.new_page()
    page.external_requests, page.console_errors, page.csp_violations = [], [], []
    local = urlparse(stack_url).netloc

    def route(route):
        url = route.request.url
        parsed = urlparse(url)
        if parsed.netloc == local:
            return route.continue_()
        if "tile" in parsed.netloc or url.endswith(".png"):
            return route.fulfill(status=200, content_type="image/png", body=TILE_PNG)
        page.external_requests.append(url)
        return route.abort()

    def console(message):
        if message.type == "error":
            page.console_errors.append(message.text)
        if CSP_VIOLATION.search(message.text):
            page.csp_violations.append(message.text)

    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => console.error("
        "`Content Security Policy: ${e.violatedDirective} refused ${e.blockedURI}`));"
    )
    yield page
    context.close()
    assert not page.csp_violations, "Content-Security-Policy violations:\n" + "\n".join(
        page.csp_violations
    )
