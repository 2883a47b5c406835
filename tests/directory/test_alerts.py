"""« Nouveau près de chez moi » : subscribe, confirm by e-mail, weekly digests of new or
reopened listings within the radius, never the same listing twice, one-click unsubscribe."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from directory import clock
from directory.models import Alert, ModerationStatus
from directory.models.moderation import Event
from directory.moderation.log import log

pytestmark = pytest.mark.django_db

BLOIS = (47.5861, 1.3359)


@pytest.fixture(autouse=True)
def _thaw():
    yield
    clock.thaw()


def link(message, part):
    return next(u for u in re.findall(r"https?://\S+", message.body) if part in u)


def subscribe(client, **overrides):
    data = {"email": "Claire@Example.org", "place": "Blois", "radius_km": "20", "consent": "on"}
    data.update(overrides)
    return client.post("/alertes/", data)


def publish(make_actor, lat, lon, name, **fields):
    actor = make_actor(lat=lat, lon=lon, name=name, **fields)
    log(actor, Event.APPROVED)
    return actor


def digest_mails(mailoutbox):
    return [m for m in mailoutbox if m.subject.startswith("Nouveau près de chez vous")]


def test_subscribe_confirm_digest_twice_and_unsubscribe(
    client, mailoutbox, make_actor, territories
):
    old = make_actor(lat=47.59, lon=1.34, name="Ferme déjà là")  # before the alert: not new
    make_actor(
        lat=47.60,
        lon=1.30,
        name="Boucherie en vacances",
        closed_until=timezone.localdate() + datetime.timedelta(days=3),
    )
    response = subscribe(client)
    assert response.status_code == 200 and "Regardez vos e-mails" in response.content.decode()
    alert = Alert.objects.get()
    assert alert.email == "claire@example.org" and alert.place.startswith("Blois")
    assert alert.confirmed_at is None
    (confirmation,) = mailoutbox
    confirm_url = link(confirmation, "/confirmer/")
    path = confirm_url.split("testserver", 1)[-1].replace("http://127.0.0.1:8000", "")

    # Opening the link (a mail scanner does) confirms nothing; the button does.
    assert client.get(path).status_code == 200
    alert.refresh_from_db()
    assert alert.confirmed_at is None
    call_command("send_alerts", "--no-progress")
    assert not digest_mails(mailoutbox)  # unconfirmed: nothing
    client.post(path)
    alert.refresh_from_db()
    assert alert.confirmed_at is not None

    inside = publish(make_actor, 47.62, 1.40, "Chèvrerie de Blois")  # ~6 km
    publish(make_actor, 47.9029, 1.9093, "Ferme d'Orléans")  # ~55 km: outside
    make_actor(lat=47.58, lon=1.33, name="Ferme en attente", status=ModerationStatus.PENDING)
    imported = make_actor(lat=47.55, lon=1.30, name="Marché importé", kind="market")
    log(imported, Event.IMPORTED)
    # Four days later the closure has ended: the butcher reopens.
    start = timezone.now() + datetime.timedelta(days=4)
    clock.freeze(start)
    call_command("send_alerts", "--no-progress")
    (first,) = digest_mails(mailoutbox)
    assert first.to == ["claire@example.org"]
    assert first.subject == "Nouveau près de chez vous : 3 adresses autour de " + alert.place
    body = first.body
    assert "Chèvrerie de Blois" in body and "Marché importé" in body
    assert "Boucherie en vacances (rouvre)" in body
    assert "Ferme d'Orléans" not in body and "Ferme en attente" not in body
    assert old.name not in body
    assert re.search(r"à \d+,\d km", body)  # French distances
    assert inside.get_absolute_url() in body
    assert first.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Idempotent: a second run the same day sends nothing.
    call_command("send_alerts", "--no-progress")
    assert len(digest_mails(mailoutbox)) == 1

    # Next week: only what is new since, never the same listing twice.
    publish(make_actor, 47.57, 1.32, "Fournil du Château")
    clock.freeze(start + datetime.timedelta(days=3))
    call_command("send_alerts", "--no-progress")
    assert len(digest_mails(mailoutbox)) == 1  # not a week yet
    clock.freeze(start + datetime.timedelta(days=7))
    call_command("send_alerts", "--no-progress")
    second = digest_mails(mailoutbox)[1]
    assert "Fournil du Château" in second.body
    assert "Chèvrerie de Blois" not in second.body and "Boucherie" not in second.body
    assert second.subject.endswith("1 adresse autour de " + alert.place)

    # One click unsubscribes.
    unsubscribe = link(second, "/desabonner/").split("127.0.0.1:8000", 1)[-1]
    page = client.get(unsubscribe)
    assert page.status_code == 200 and "Vous êtes désabonné" in page.content.decode()
    publish(make_actor, 47.58, 1.35, "Ferme après désabonnement")
    clock.freeze(start + datetime.timedelta(days=15))
    call_command("send_alerts", "--no-progress")
    assert len(digest_mails(mailoutbox)) == 2


def test_categories_narrow_the_digest(client, mailoutbox, make_actor, territories):
    from directory.models import Category

    subscribe(client, categories=["fromage-laitier"])
    alert = Alert.objects.get()
    client.post(f"/alertes/{alert.token}/confirmer/")
    cheese = publish(make_actor, 47.6, 1.35, "Fromagerie")
    cheese.categories.set([Category.objects.get(slug="fromage-laitier")])
    bread = publish(make_actor, 47.6, 1.36, "Boulangerie")
    bread.categories.set([Category.objects.get(slug="pain")])
    call_command("send_alerts", "--no-progress")
    (mail,) = digest_mails(mailoutbox)
    assert "Fromagerie" in mail.body and "Boulangerie" not in mail.body


def test_a_digest_is_one_query_however_many_listings(client, make_actor, territories):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from directory.alerts.services import digest

    # Listings registered before the alert, approved after it: "new" comes from the log.
    waiting = [make_actor(lat=47.60 + n / 100, lon=1.35, name=f"Ferme {n}") for n in range(6)]
    subscribe(client)
    alert = Alert.objects.get()
    client.post(f"/alertes/{alert.token}/confirmer/")
    alert.refresh_from_db()
    assert all(actor.created_at < alert.confirmed_at for actor in waiting)
    log(waiting[0], Event.APPROVED)
    with CaptureQueriesContext(connection) as one:
        assert len(digest(alert)) == 1
    for actor in waiting[1:]:
        log(actor, Event.APPROVED)
    with CaptureQueriesContext(connection) as six:
        items = digest(alert)
    assert len(items) == 6 and not any(item.reopened for item in items)
    assert len(six.captured_queries) == len(one.captured_queries)


def test_mail_clients_one_click_post_unsubscribes_without_csrf(client, territories):
    subscribe(client)
    alert = Alert.objects.get()
    client.post(f"/alertes/{alert.token}/confirmer/")
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/alertes/{alert.token}/desabonner/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.unsubscribed_at is not None
    # Undo from the page.
    client.post(f"/alertes/{alert.token}/reabonner/")
    alert.refresh_from_db()
    assert alert.unsubscribed_at is None and alert.confirmed_at is not None


def test_bad_input_is_refused_clearly(client, mailoutbox, territories):
    response = subscribe(
        client, email="pas-un-mail", place="Atlantide", radius_km="500", consent=""
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Lieu introuvable" in page and "adresse e-mail valide" in page
    assert "500" in page and not Alert.objects.exists() and not mailoutbox
    assert client.get("/alertes/00000000-0000-0000-0000-000000000000/confirmer/").status_code == 404


def test_asking_twice_sends_the_confirmation_again_not_a_second_alert(
    client, mailoutbox, territories
):
    subscribe(client)
    subscribe(client)
    assert Alert.objects.count() == 1 and len(mailoutbox) == 2
    subscribe(client, radius_km="50")
    assert Alert.objects.count() == 2


def test_forgotten_after_a_week_unconfirmed(client, territories):
    subscribe(client)
    clock.freeze(timezone.now() + datetime.timedelta(days=8))
    call_command("send_alerts", "--no-progress")
    assert not Alert.objects.exists()
