"""Each registration step is one transaction: cut by a database outage (a 503), it leaves
nothing behind, and the browser's replay of the same form completes it, once."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from directory.models import Actor, ModerationEvent
from directory.models.moderation import Event
from directory.registration import services
from tests.directory.test_registration import formset, identity, register, step

pytestmark = pytest.mark.django_db


def fail_once(monkeypatch, owner, name):
    """``owner.name`` raises the error of a restarting database on its first call."""
    real = getattr(owner, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, flaky)
    return calls


def test_step_one_cut_before_its_email_leaves_no_draft_and_its_replay_makes_both(
    monkeypatch, mailoutbox
):
    client = Client()
    data = identity()
    calls = fail_once(monkeypatch, services, "send")
    response = client.post(reverse("directory:register"), data)
    assert response.status_code == 503 and response["Retry-After"]
    assert not Actor.objects.exists(), "the draft was kept without its e-mail"
    response = client.post(reverse("directory:register"), data)  # the browser's replay
    assert response.status_code == 302
    actor = Actor.objects.get()
    assert calls["n"] == 2
    assert [m.to for m in mailoutbox] == [[actor.contact_email]]


def test_a_step_cut_after_its_first_writes_is_rolled_back_and_replayed_once(monkeypatch):
    from directory.registration import forms

    client = Client()
    client.post(reverse("directory:register"), identity(name="Ferme du Rejeu"))
    actor = Actor.objects.get(name="Ferme du Rejeu")
    data = (
        formset("slots", [{"weekday": "2", "opens": "16:00", "closes": "19:00"}])
        | formset("seasons", [])
        | formset("exceptions", [])
    )
    # The opening hours are saved, then the database goes away before the exceptions are.
    fail_once(monkeypatch, forms.ExceptionFormSet, "save")
    assert client.post(step(actor.pk, "quand"), data).status_code == 503
    assert not actor.opening_slots.exists(), "a step cut halfway kept its first rows"
    assert client.post(step(actor.pk, "quand"), data).status_code == 302
    assert actor.opening_slots.filter(weekday=2).count() == 1, "the replay duplicated a row"


def test_a_changed_email_cut_before_its_confirmation_is_replayed_whole(monkeypatch, mailoutbox):
    client = Client()
    client.post(reverse("directory:register"), identity(name="Ferme du Courriel"))
    actor = Actor.objects.get(name="Ferme du Courriel")
    mailoutbox.clear()
    data = identity(name="Ferme du Courriel", contact_email="nouvelle@example.org")
    data.pop("token")
    fail_once(monkeypatch, services, "contact_email_changed")
    assert client.post(step(actor.pk, "qui"), data).status_code == 503
    actor.refresh_from_db()
    assert actor.contact_email == "marie@example.org", "the change was kept without its e-mail"
    assert client.post(step(actor.pk, "qui"), data).status_code == 302
    actor.refresh_from_db()
    assert actor.contact_email == "nouvelle@example.org"
    assert [m.to for m in mailoutbox] == [["nouvelle@example.org"]]


def test_sending_cut_halfway_is_not_half_sent(monkeypatch, mailoutbox):
    client = Client()
    actor = register(client, name="Ferme de l'Envoi")
    # Back to just before sending, then send again with the event's write failing once.
    Actor.objects.filter(pk=actor.pk).update(submitted_at=None)
    ModerationEvent.objects.filter(actor=actor).delete()
    mailoutbox.clear()
    fail_once(monkeypatch, services, "log")
    response = client.post(step(actor.pk, "envoi"), {"consent": "on"})
    assert response.status_code == 503
    actor.refresh_from_db()
    assert actor.submitted_at is None, "sent without its event and e-mail"
    response = client.post(step(actor.pk, "envoi"), {"consent": "on"})
    assert response.status_code == 302
    actor.refresh_from_db()
    assert actor.submitted_at is not None
    events = ModerationEvent.objects.filter(actor=actor, action=Event.SUBMITTED)
    assert events.count() == 1
    assert [m.subject for m in mailoutbox] == ["Confirmez votre e-mail pour publier votre fiche"]
