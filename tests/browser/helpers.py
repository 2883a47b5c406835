"""Helpers shared by the browser tests."""

PASSWORDS = {"moderatrice": "Tp-2026-mod!", "redactrice": "Tp-2026-redac!"}


def local(live_server, url: str) -> str:
    """A link from an e-mail (made with the site's address), on the test server."""
    return live_server.url + "/" + url.split("://", 1)[1].split("/", 1)[1]


def sign_in(page, live_server, user, path: str) -> None:
    """Staff sign in through the admin's form and land on ``path``."""
    page.goto(f"{live_server.url}/admin/login/?next={path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORDS[user.username])
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + path)


def sign_in_by_link(page, live_server, url: str) -> None:
    """Owners: open the e-mailed sign-in link, then press « Me connecter » (opening the link
    alone signs nobody in, so that mail scanners cannot spend it)."""
    page.goto(local(live_server, url))
    page.click("main button:has-text('Me connecter')")
    page.wait_for_load_state()
