"""E-mailed sign-in links: owners only, short-lived, single-use, built from a validated path,
sent from a background task; a confirm link that signs nobody in; a real sign-out.

Every test attacks the site the way a stranger with curl or a browser would: forms posted
with the fields the page gives (CSRF enforced), links opened from the e-mail's text.
"""

import datetime
import re
import time
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from sesame.utils import get_query_string, get_token

from directory.models import Actor
from directory.moderation import freshness
from directory.roles import CONTRIBUTORS, EDITORS, MODERATORS
from tests.emails import (
    CONFIRM_LINK,
    link_query,
    path_of,
    post_forms,
    press,
    sign_in,
    sign_in_links,
)
from tests.taskqueue import DATABASE_TASKS, queued_tasks, run_worker

pytestmark = pytest.mark.django_db

LINK_REQUEST = "/mes-fiches/lien/"


def browser():
    """A fresh browser: its own cookies, and CSRF checked as in production."""
    return Client(enforce_csrf_checks=True)


def ask_for_link(client, email, query="", **fields):
    """Type an address into « Recevoir le lien » and send the form, as a browser does."""
    page = client.get(LINK_REQUEST + query)
    assert page.status_code == 200, page.status_code
    return press(client, page, None, email=email, **fields)


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def same_page(response, *emails):
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    for email in emails:
        html = html.replace(email, "X")
    return html


@pytest.fixture
def owner(django_user_model, make_actor):
    user = django_user_model.objects.create_user("o@example.org", "o@example.org")
    make_actor(owner=user, name="Ferme de l'owner")
    return user


def staff_accounts(django_user_model):
    make = django_user_model.objects.create_user
    accounts = {
        "superuser": django_user_model.objects.create_superuser("root", "root@example.org", "pw"),
        "is_staff": make("staff", "staff@example.org", is_staff=True),
        "password": make("pw", "pw@example.org", "a-password"),
    }
    for name in (MODERATORS, EDITORS, CONTRIBUTORS):
        user = make(name, f"{name.lower()}@example.org".replace("é", "e"))
        user.groups.add(Group.objects.get(name=name))
        accounts[name] = user
    # A passwordless account with the staff flag off but a staff group: still staff.
    return accounts


# ---------------------------------------------------------------- point 2: owners only


@pytest.mark.parametrize(
    "kind", ["superuser", "is_staff", "password", MODERATORS, EDITORS, CONTRIBUTORS]
)
def test_no_sign_in_link_is_ever_mailed_to_a_staff_account(django_user_model, kind):
    account = staff_accounts(django_user_model)[kind]
    staff = ask_for_link(browser(), account.email)
    unknown = ask_for_link(browser(), "nobody@example.org")
    assert not mail.outbox, f"a passwordless sign-in link was mailed to a {kind} account"
    assert staff.status_code == unknown.status_code == 200
    assert same_page(staff, account.email) == same_page(unknown, "nobody@example.org"), (
        "the answer tells a staff address from an unknown one"
    )


def test_a_registration_with_an_admin_address_mails_no_token(client, django_user_model):
    from tests.directory.test_registration import identity

    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.post(reverse("directory:register"), identity(contact_email=admin.email))
    assert mail.outbox, "the registration e-mail was not sent"
    for message in mail.outbox:
        assert "cle=" not in message.body, "an admin received a passwordless sign-in token"


@pytest.mark.parametrize(
    "kind", ["superuser", "is_staff", "password", MODERATORS, EDITORS, CONTRIBUTORS]
)
def test_a_valid_token_for_a_staff_account_does_not_sign_in(django_user_model, kind):
    account = staff_accounts(django_user_model)[kind]
    url = reverse("directory:owner-login") + get_query_string(account)
    client = browser()
    page = client.get(url)
    assert page.status_code == 403, "the sign-in page accepts a staff account's token"
    # Even posting the token straight to the sign-in view (no button needed by curl).
    client.get(LINK_REQUEST)  # a CSRF cookie, as any visitor has
    response = client.post(
        reverse("directory:owner-login"),
        {"cle": get_token(account), "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 403
    assert signed_in_as(client) is None, f"a {kind} account was signed in by a link"
    assert client.get("/admin/").status_code == 302


def test_a_link_minted_before_becoming_staff_stops_working(owner):
    ask_for_link(browser(), owner.email)
    (url,) = sign_in_links(mail.outbox[0])
    owner.groups.add(Group.objects.get(name=MODERATORS))
    client = browser()
    response = sign_in(client, url)
    assert response.status_code == 403 and signed_in_as(client) is None, (
        "a link sent to an owner still signs in once the account is staff"
    )


def test_a_session_from_a_link_ends_when_the_account_becomes_staff(owner):
    ask_for_link(browser(), owner.email)
    client = browser()
    sign_in(client, sign_in_links(mail.outbox[0])[0])
    assert signed_in_as(client) == str(owner.pk)
    owner.is_staff = True
    owner.save()
    response = client.get(reverse("directory:owner-home"))
    assert response.status_code == 302, "a link session kept running with staff rights"


# ---------------------------------------------------------------- point 2: single use, short


def test_a_sign_in_link_works_once(owner):
    ask_for_link(browser(), owner.email)
    (url,) = sign_in_links(mail.outbox[0])
    first = browser()
    page = sign_in(first, url)
    assert page.status_code == 200 and signed_in_as(first) == str(owner.pk)
    assert page.redirect_chain[-1][0] == reverse("directory:owner-home")
    for again in (browser(), first):  # another browser, or the same one
        response = sign_in(again, url)
        assert response.status_code == 403, "a spent sign-in link was accepted again"
    assert signed_in_as(browser()) is None


def test_a_mail_scanner_opening_the_link_does_not_spend_it(owner):
    ask_for_link(browser(), owner.email)
    (url,) = sign_in_links(mail.outbox[0])
    scanner = browser()
    page = scanner.get(path_of(url))
    assert page.status_code == 200 and signed_in_as(scanner) is None, "a GET signed in"
    owner.refresh_from_db()
    assert owner.last_login is None, "opening the link (a GET) spent it"
    assert "no-store" in page["Cache-Control"], "the sign-in page may be cached"
    assert page["Referrer-Policy"] == "same-origin", "the token may leak to other sites"
    person = browser()
    assert sign_in(person, url).status_code == 200 and signed_in_as(person) == str(owner.pk)


def test_sign_in_links_last_one_hour_by_default(owner, settings, monkeypatch):
    assert settings.SESAME_MAX_AGE == 3600, "owners' sign-in links should last one hour"
    real = time.time
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: real() - 3601)
        ask_for_link(browser(), owner.email)
    (url,) = sign_in_links(mail.outbox[0])
    assert "valable 1 heure" in mail.outbox[0].body and "7 jours" not in mail.outbox[0].body
    client = browser()
    response = sign_in(client, url)
    assert response.status_code == 403 and signed_in_as(client) is None, "expired link accepted"
    html = unescape(response.content.decode())
    assert "Ce lien n'est plus valable" in html


def test_an_expired_link_offers_a_fresh_one_in_one_click(owner, monkeypatch):
    real = time.time
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: real() - 3601)
        ask_for_link(browser(), owner.email, query="?next=/mes-fiches/1/quand/")
    (url,) = sign_in_links(mail.outbox[0])
    client = browser()
    expired = client.get(path_of(url))
    assert expired.status_code == 403
    assert owner.email not in expired.content.decode(), "the page shows the address"
    sent = press(client, expired, LINK_REQUEST)  # one click: « Recevoir un nouveau lien »
    assert sent.status_code == 200
    assert len(mail.outbox) == 2 and mail.outbox[1].to == [owner.email]
    (fresh,) = sign_in_links(mail.outbox[1])
    assert link_query(fresh)["next"] == ["/mes-fiches/1/quand/"], "the new link forgot next"
    person = browser()
    sign_in(person, fresh, follow=False)
    assert signed_in_as(person) == str(owner.pk)


# ---------------------------------------------------------------- point 2: confirm links


@pytest.fixture
def reminded(owner, settings):
    settings.TOUTPRES_FRESHNESS = {"MONTHS": 6, "GRACE_DAYS": 30}
    actor = Actor.objects.get(owner=owner)
    Actor.objects.filter(pk=actor.pk).update(
        confirmed_at=timezone.now() - datetime.timedelta(days=200)
    )
    return actor


def confirm_link(message) -> str:
    links = CONFIRM_LINK.findall(message.body)
    assert len(links) == 1, message.body
    return links[0]


def test_the_still_correct_link_confirms_without_signing_in(reminded, owner):
    freshness.run()
    (reminder,) = mail.outbox
    url = confirm_link(reminder)
    assert "cle=" not in url, "the confirm link carries a sign-in token"
    client = browser()
    page = client.get(path_of(url))
    assert page.status_code == 200 and "Oui, tout est exact" in page.content.decode()
    reminded.refresh_from_db()
    assert reminded.reminder_sent_at is not None, "a GET (a mail scanner) confirmed"
    done = press(client, page, None)
    assert done.status_code == 200
    reminded.refresh_from_db()
    assert reminded.reminder_sent_at is None and reminded.confirmed_at > timezone.now() - (
        datetime.timedelta(minutes=1)
    ), "the confirm link did not confirm"
    assert signed_in_as(client) is None, "the confirm link signed the owner in"
    assert client.get(reverse("directory:owner-home")).status_code == 302
    owner.refresh_from_db()
    assert owner.last_login is None


def test_the_confirm_token_cannot_sign_in(reminded):
    freshness.run()
    token = path_of(confirm_link(mail.outbox[0])).rstrip("/").rsplit("/", 1)[1]
    client = browser()
    for value in (token, token.replace(":", "")):
        response = client.get(reverse("directory:owner-login"), {"cle": value})
        assert response.status_code == 403 and signed_in_as(client) is None


def test_the_confirm_link_outlives_a_sign_in_and_lasts_the_grace_period(
    reminded, owner, monkeypatch
):
    freshness.run()
    url = confirm_link(mail.outbox[0])
    # The owner signs in meanwhile (which spends every sign-in link): the confirm link lives on.
    ask_for_link(browser(), owner.email)
    sign_in(browser(), sign_in_links(mail.outbox[1])[0])
    real = time.time
    with monkeypatch.context() as later:
        later.setattr(time, "time", lambda: real() + 29 * 24 * 3600)
        client = browser()
        press(client, client.get(path_of(url)), None)
    reminded.refresh_from_db()
    assert reminded.reminder_sent_at is None, "a 29-day-old confirm link was refused"
    with monkeypatch.context() as too_late:
        too_late.setattr(time, "time", lambda: real() + 31 * 24 * 3600)
        response = browser().get(path_of(url))
    assert response.status_code == 403, "a confirm link outlived the grace period"


def test_a_confirm_link_dies_when_the_listing_changes_hands(reminded, django_user_model):
    freshness.run()
    url = confirm_link(mail.outbox[0])
    reminded.owner = django_user_model.objects.create_user("n@example.org", "n@example.org")
    reminded.save()
    assert browser().get(path_of(url)).status_code == 403


# ---------------------------------------------------------------- point 2: sign-out


def test_owners_can_sign_out_from_every_owner_page(owner):
    ask_for_link(browser(), owner.email)
    client = browser()
    sign_in(client, sign_in_links(mail.outbox[0])[0])
    actor = Actor.objects.get(owner=owner)
    logout = reverse("directory:owner-logout")
    for path in (
        reverse("directory:owner-home"),
        reverse("directory:owner-step", args=[actor.pk, "quand"]),
        reverse("directory:owner-confirm", args=[actor.pk]),
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert any(form["action"] == logout for form in post_forms(page.content.decode())), (
            f"no sign-out button on {path}"
        )
    assert client.get(logout).status_code == 405, "a GET (a link, an image) signs out"
    press(client, client.get(reverse("directory:owner-home")), logout)
    assert signed_in_as(client) is None, "sign-out left the session signed in"
    assert client.get(reverse("directory:owner-home")).status_code == 302


# ---------------------------------------------------------------- point 3: next


def test_next_cannot_smuggle_a_second_token(owner, django_user_model):
    attacker = django_user_model.objects.create_user("evil@example.org", "evil@example.org")
    smuggled = get_token(attacker)
    for query in (f"?next=/mes-fiches/%26cle={smuggled}", f"?next=/mes-fiches/&cle={smuggled}"):
        mail.outbox.clear()
        ask_for_link(browser(), owner.email, query=query)
        ask_for_link(browser(), owner.email, next=f"/mes-fiches/&cle={smuggled}")
        for message in mail.outbox:
            assert smuggled not in message.body, "the attacker's token reached the e-mail"
            (url,) = sign_in_links(message)
            assert len(link_query(url)["cle"]) == 1, "the link carries two tokens"
    victim = browser()
    sign_in(victim, sign_in_links(mail.outbox[0])[0])
    assert signed_in_as(victim) == str(owner.pk), "the victim was signed into another account"


def test_a_smuggled_second_token_is_refused_by_the_sign_in_view(owner, django_user_model):
    attacker = django_user_model.objects.create_user("evil@example.org", "evil@example.org")
    url = reverse("directory:owner-login") + f"?cle={get_token(owner)}&cle={get_token(attacker)}"
    assert browser().get(url).status_code == 403


BAD_NEXT = [
    "//evil.example/",
    "https://evil.example/",
    "http:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/mes-fiches/\r\n\r\nUrgent : https://evil.example/ (lien officiel)",
    "/mes-fiches/\nhttps://evil.example/",
    "/mes-fiches/%0Ahttps://evil.example/",
    " /mes-fiches/",
    "/%2F%2Fevil.example/",
    "/mes-fiches/?x=https://evil.example/",
    "/admin/",
    "/mes-fiches/\x00",
]


@pytest.mark.parametrize("bad", BAD_NEXT)
def test_unsafe_next_never_reaches_the_mail(owner, bad):
    from urllib.parse import quote

    ask_for_link(browser(), owner.email, query="?next=" + quote(bad, safe=""))
    ask_for_link(browser(), owner.email, next=bad)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert "evil" not in message.body and "javascript" not in message.body, message.body
        assert "\r" not in message.body
        (url,) = sign_in_links(message)
        query = link_query(url)
        assert query["next"] == ["/mes-fiches/"], f"unsafe next kept: {query['next']}"
        assert len(query["cle"]) == 1
        assert [line for line in message.body.splitlines() if "http" in line] == [url]
    client = browser()
    page = sign_in(client, sign_in_links(mail.outbox[0])[0])
    assert page.redirect_chain[-1][0] == reverse("directory:owner-home")


@pytest.mark.parametrize("bad", BAD_NEXT)
def test_the_link_builder_refuses_unsafe_paths(owner, bad):
    from directory.registration import services

    url = services.link(owner, bad)
    assert "evil" not in url and "\n" not in url and "javascript" not in url
    assert link_query(url)["next"] == ["/mes-fiches/"]


def test_the_sign_in_view_redirects_only_to_the_owner_area(owner):
    client = browser()
    page = client.get(
        reverse("directory:owner-login"), {"cle": get_token(owner), "next": "//evil.example/"}
    )
    assert page.status_code == 200
    response = press(client, page, "/mes-fiches/connexion/", follow=False)
    assert response["Location"] == reverse("directory:owner-home")


def test_a_claim_keeps_its_next_through_the_mail(owner, make_actor, client):
    listing = make_actor(name="Ferme à revendiquer")
    asked = client.get(reverse("directory:claim", args=[listing.slug]))
    ask_for_link(browser(), owner.email, query="?" + asked["Location"].split("?", 1)[1])
    (url,) = sign_in_links(mail.outbox[0])
    person = browser()
    page = sign_in(person, url)
    assert page.redirect_chain[-1][0] == reverse("directory:claim", args=[listing.slug])


# ---------------------------------------------------------------- point 8: timing


@pytest.mark.django_db(transaction=True)  # the worker commits, as in production
def test_link_requests_do_the_same_work_for_known_and_unknown_addresses(settings, owner):
    """With the production queue, the request only queues a task (the same row for every
    address); the lookup and the e-mail happen in the worker."""
    settings.TASKS = DATABASE_TASKS
    staff = staff_accounts(type(owner))
    work = {}
    for label, email in (
        ("known", owner.email),
        ("unknown", "nobody@example.org"),
        ("staff", staff["superuser"].email),
    ):
        client = browser()
        page = client.get(LINK_REQUEST)
        with CaptureQueriesContext(connection) as queries:
            response = press(client, page, None, email=email)
        assert response.status_code == 200
        assert not mail.outbox, "the e-mail was sent in the request"
        work[label] = (
            # The statements, not their values (a rate-limit key is a hash of the address).
            [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries],
            same_page(response, email),
        )
    assert work["known"] == work["unknown"] == work["staff"], (
        "the request does different work for a known, an unknown and a staff address"
    )
    assert queued_tasks() == ["directory.tasks.send_login_link"] * 3, queued_tasks()
    run_worker()
    assert [m.to for m in mail.outbox] == [[owner.email]], "the worker did not send the link"
