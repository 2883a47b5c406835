"""E-mails through the database task queue and the real worker, against a local SMTP
stand-in that is down (closed port), says « try later » (421), or refuses for good (550).

Nothing is sent in the request; a temporary failure is retried later (the test moves the
queued retries' run_after to now: the time that passes), exactly once, content intact;
a permanent refusal fails the task, logged and listed for staff in the administration.
"""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from directory import mail as mailer
from directory.models import Alert
from tests.conftest import ensure_territories
from tests.emails import press, sign_in, sign_in_links
from tests.taskqueue import DATABASE_TASKS, queued_tasks, run_worker

from .smtp import SMTPStandIn

# The worker commits as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(settings):
    settings.TASKS = DATABASE_TASKS
    settings.TOUTPRES_MAIL_RETRY = {"ATTEMPTS": 5, "FIRST_DELAY": 30.0, "MAX_DELAY": 3600.0}
    settings.DEFAULT_FROM_EMAIL = "Tout Près <ne-pas-repondre@toutpres.test>"


@pytest.fixture
def smtp(settings):
    stand_in = SMTPStandIn()
    stand_in.use(settings)
    yield stand_in
    stand_in.stop()


def time_passes():
    """The retries' delays are over: what waits in the queue is due now."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def waiting_deliveries():
    return list(
        DBTaskResult.objects.filter(status="READY", task_path="directory.mail.deliver").order_by(
            "enqueued_at"
        )
    )


def test_a_sign_in_link_waits_while_smtp_is_down_then_arrives_once(queue, smtp, make_actor):
    owner = get_user_model().objects.create_user("proprio@example.org", "proprio@example.org")
    make_actor(owner=owner, name="Ferme du Lien")
    browser = Client(enforce_csrf_checks=True)
    page = press(browser, browser.get("/mes-fiches/lien/"), None, email=owner.email)
    assert page.status_code == 200
    # Two more e-mails queued while SMTP is down: nothing may be lost.
    mailer.send_email("Premier", "Corps un\n", ["un@example.org"])
    mailer.send_email("Second", "Corps deux\n", ["deux@example.org"], headers={"X-Test": "2"})
    assert queued_tasks() == [
        "directory.tasks.send_login_link",
        "directory.mail.deliver",
        "directory.mail.deliver",
    ], "the request did more than queue its task"

    run_worker()  # SMTP down: nobody listens on its port
    waiting = waiting_deliveries()
    assert len(waiting) == 3, f"a message was lost or sent while SMTP was down: {waiting}"
    assert all(row.args_kwargs["args"][1] == 2 for row in waiting), "retries are attempt 2"
    assert all(row.run_after > timezone.now() for row in waiting), "a retry is not delayed"
    assert not DBTaskResult.objects.filter(status="FAILED").exists(), "a refused connection failed"
    queued = {row.args_kwargs["args"][0]["to"][0]: row.args_kwargs["args"][0] for row in waiting}

    smtp.start()
    run_worker()
    assert smtp.handler.messages == [], "a retry was sent before its delay"

    time_passes()
    run_worker()
    received = {m["To"]: m for m in smtp.handler.messages}
    assert sorted(received) == sorted([owner.email, "un@example.org", "deux@example.org"]), (
        f"not every queued e-mail arrived exactly once: {[m['To'] for m in smtp.handler.messages]}"
    )
    assert len(smtp.handler.messages) == 3, "an e-mail arrived twice"
    for to, message in received.items():
        data = queued[to]
        assert message["Subject"] == data["subject"], to
        # SMTP carries lines ending in CRLF.
        body = message.get_content().replace("\r\n", "\n")
        assert body == data["body"], f"the body of {to}'s e-mail changed"
        assert message["From"] == "Tout Près <ne-pas-repondre@toutpres.test>"
        assert message["Message-ID"] == data["headers"]["Message-ID"], "the retry got a new id"
    assert received["deux@example.org"]["X-Test"] == "2", "a header was lost"
    assert smtp.handler.envelopes[0][1] in ([owner.email], ["un@example.org"], ["deux@example.org"])

    # The link still works: what arrived is what the site meant to send.
    (url,) = sign_in_links(type("M", (), {"body": received[owner.email].get_content()})())
    signed_in = sign_in(Client(enforce_csrf_checks=True), url)
    assert signed_in.status_code == 200
    assert signed_in.wsgi_request.user == owner, "the delivered link does not sign in"

    time_passes()
    run_worker()
    assert len(smtp.handler.messages) == 3, "an e-mail was sent again after it arrived"
    assert not waiting_deliveries()


def test_a_try_later_answer_is_retried_with_the_alert_headers_intact(queue, smtp):
    ensure_territories()  # a transactional test before this one may have flushed them
    smtp.handler.refusals = 2  # « 421 try later » twice, then accepted
    smtp.start()
    browser = Client(enforce_csrf_checks=True)
    page = press(
        browser,
        browser.get("/alertes/"),
        None,
        email="abonne@example.org",
        place="Orléans",
        radius_km="20",
        consent="on",
    )
    assert page.status_code == 200, page.content.decode()[:500]
    assert queued_tasks() == ["directory.tasks.subscribe_alert"]

    run_worker()
    assert Alert.objects.filter(email="abonne@example.org").count() == 1
    assert smtp.handler.attempts == 1 and not smtp.handler.messages
    time_passes()
    run_worker()
    assert smtp.handler.attempts == 2 and not smtp.handler.messages
    (retry,) = waiting_deliveries()
    assert retry.args_kwargs["args"][1] == 3, "the third attempt is queued"
    delays = (retry.run_after - timezone.now()).total_seconds()
    assert 30 < delays <= 60, f"the second retry should wait twice the first delay: {delays}"
    time_passes()
    run_worker()
    assert smtp.handler.attempts == 3
    (message,) = smtp.handler.messages
    alert = Alert.objects.get(email="abonne@example.org")
    assert message["To"] == "abonne@example.org"
    assert str(alert.token) in message["List-Unsubscribe"], "the unsubscribe header was lost"
    assert "confirmer" in message.get_content(), "the confirmation link was lost"
    assert not waiting_deliveries()
    assert not DBTaskResult.objects.filter(status="FAILED").exists()


def test_a_permanent_refusal_fails_the_task_logged_and_listed_for_staff(queue, smtp, caplog):
    smtp.handler.refusals = 1
    smtp.handler.refusal = "550 5.1.1 Mailbox unavailable"
    smtp.start()
    mailer.send_email("Adresse morte", "Corps\n", ["personne@example.org"])
    with caplog.at_level(logging.ERROR, logger="directory.mail"):
        run_worker()
    assert smtp.handler.attempts == 1, "a permanent refusal was retried"
    (failed,) = DBTaskResult.objects.filter(status="FAILED")
    assert failed.task_path == "directory.mail.deliver"
    assert "DeliveryFailed" in failed.exception_class_path
    assert not waiting_deliveries(), "a permanent refusal was queued again"
    assert any("personne@example.org" in r.getMessage() for r in caplog.records), (
        "the failure was not logged"
    )

    staff = get_user_model().objects.create_superuser("chef", "chef@example.org", "x")
    client = Client()
    client.force_login(staff)
    changelist = reverse(f"admin:{DBTaskResult._meta.app_label}_dbtaskresult_changelist")
    listing = client.get(changelist, {"status__exact": "FAILED"})
    assert listing.status_code == 200
    assert str(failed.id) in listing.content.decode(), "staff cannot see the failed e-mail"
    desk = client.get(reverse("directory:moderation-queue")).content.decode()
    assert "personne@example.org" in desk and "Adresse morte" in desk, (
        "the moderation desk does not list the undelivered e-mail"
    )
    assert "Corps" not in desk, "the desk shows an e-mail's body (it may hold a sign-in link)"


def test_retries_stop_after_the_last_attempt(queue, smtp, settings):
    settings.TOUTPRES_MAIL_RETRY = {"ATTEMPTS": 2, "FIRST_DELAY": 30.0, "MAX_DELAY": 3600.0}
    mailer.send_email("Jamais", "Corps\n", ["loin@example.org"])  # SMTP never comes up
    run_worker()
    time_passes()
    run_worker()
    assert not waiting_deliveries(), "a message was retried past its last attempt"
    (failed,) = DBTaskResult.objects.filter(status="FAILED")
    assert failed.args_kwargs["args"][1] == 2


def test_nothing_is_sent_while_the_request_runs(queue, smtp, make_actor):
    """With the production queue, the request itself never talks to SMTP."""
    smtp.start()
    owner = get_user_model().objects.create_user("p2@example.org", "p2@example.org")
    make_actor(owner=owner)
    browser = Client(enforce_csrf_checks=True)
    press(browser, browser.get("/mes-fiches/lien/"), None, email=owner.email)
    assert smtp.handler.attempts == 0 and not mail.outbox
    run_worker()
    assert [m["To"] for m in smtp.handler.messages] == [owner.email]
