"""Registration: the guided form, signed e-mail links, the queue, and nothing lost on the way."""

import re
import uuid
from html import unescape

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.urls import reverse

from directory.models import (
    Actor,
    ActorKind,
    Category,
    ChangeRequest,
    DistributionLink,
    Event,
    ModerationEvent,
    ModerationStatus,
    OpeningSlot,
)
from directory.roles import MODERATORS
from geodata.models import Commune
from tests.emails import path_of, press, sign_in

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/mes-fiches/connexion/\S+")


def links_in(message) -> list[str]:
    return LINK.findall(message.body)


DRAFT_LINK = re.compile(r"https?://\S+/inscription/confirmer/\S+")


def draft_links(message) -> list[str]:
    return DRAFT_LINK.findall(message.body)


def confirm_draft(client, url: str):
    """Follow a draft's confirmation link: open it, then press « Oui, c'est mon inscription »."""
    page = client.get(path_of(url))
    assert page.status_code == 200, page.content.decode()[:500]
    return press(client, page)


def follow(client, url: str):
    """Open an e-mailed sign-in link the way a browser would, and press « Me connecter »."""
    return sign_in(client, url)


def step(pk, slug):
    return reverse("directory:owner-step", args=[pk, slug])


def formset(prefix, rows, **initial):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial.get("initial", 0)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def identity(**overrides):
    data = {
        "token": str(uuid.uuid4()),
        "name": "Chèvrerie des Aulnes",
        "kind": ActorKind.PRODUCER,
        "commune_name": "Olivet (45160)",
        "description": "Fromages de chèvre au lait cru.",
        "contact_name": "Marie Dupont",
        "contact_email": "marie@example.org",
        "contact_phone": "06 12 34 56 78",
        "company_url": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def moderator(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("moderatrice", "mod@example.org", "pw")
    user.groups.add(Group.objects.get(name=MODERATORS))
    return user


def register(client, **overrides) -> Actor:
    """Walk every step of the registration form as a producer would."""
    assert client.get(reverse("directory:register")).status_code == 200
    response = client.post(reverse("directory:register"), identity(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    actor = Actor.objects.get(name=overrides.get("name", "Chèvrerie des Aulnes"))
    assert response["Location"] == step(actor.pk, "quoi")
    cheese = Category.objects.get(slug="fromage-laitier")
    client.post(step(actor.pk, "quoi"), {"categories": [cheese.pk], "products": "Crottins"})
    client.post(
        step(actor.pk, "ou"),
        {
            "address": "12 chemin des Aulnes",
            "postal_code": "45160",
            "commune_name": "Olivet (45160)",
            "latitude": "47.8531",
            "longitude": "1.8990",
        },
    )
    client.post(
        step(actor.pk, "quand"),
        formset("slots", [{"weekday": "5", "opens": "09:00", "closes": "12:00"}])
        | formset("seasons", [])
        | formset("exceptions", []),
    )
    client.post(step(actor.pk, "comment"), formset("links", []))
    client.post(
        step(actor.pk, "contacts"),
        {"phone": "02 38 00 00 00", "website": "chevrerie-aulnes.fr"} | formset("photos", []),
    )
    response = client.post(step(actor.pk, "envoi"), {"consent": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    actor.refresh_from_db()
    return actor


def test_the_whole_path_from_registration_to_the_map(client, moderator, mailoutbox):
    actor = register(client)
    assert actor.status == ModerationStatus.DRAFT and actor.submitted_at and actor.consent_at
    assert actor.location_checked and actor.location.y == pytest.approx(47.8531)
    assert actor.opening_slots.get().weekday == 5
    assert actor.website == "https://chevrerie-aulnes.fr"
    # Two e-mails: "resume later" at step one, "confirm your e-mail" on sending.
    resume, confirm = mailoutbox
    assert resume.to == confirm.to == ["marie@example.org"]
    assert "Chèvrerie des Aulnes" in resume.subject and draft_links(resume)
    assert confirm.subject == "Confirmez votre e-mail pour publier votre fiche"

    # Not in the queue before the e-mail is confirmed; following the link puts it there.
    assert not Actor.objects.filter(status=ModerationStatus.PENDING).exists()
    client.logout()
    page = confirm_draft(client, draft_links(confirm)[0])
    assert "transmise à l'équipe de modération" in unescape(page.content.decode())
    actor.refresh_from_db()
    assert actor.status == ModerationStatus.PENDING
    assert actor.owner.email == "marie@example.org" and actor.owner.last_login

    # The public sees nothing yet.
    client.logout()
    assert client.get(actor.get_absolute_url()).status_code == 404

    # A moderator approves from the queue; the owner is told, in French.
    client.force_login(moderator)
    queue = client.get(reverse("directory:moderation-queue")).content.decode()
    assert "Chèvrerie des Aulnes" in queue
    review = client.get(reverse("directory:moderation-actor", args=[actor.pk]))
    assert "marie@example.org" in review.content.decode()  # staff see the private contact
    client.post(reverse("directory:moderation-actor", args=[actor.pk]), {"decision": "approve"})
    actor.refresh_from_db()
    assert actor.status == ModerationStatus.PUBLISHED and actor.confirmed_at
    approved = mailoutbox[-1]
    assert approved.subject == "« Chèvrerie des Aulnes » est en ligne sur Tout Près"
    assert actor.get_absolute_url() in approved.body

    # On the map and in the search.
    client.logout()
    found = client.get("/api/v1/actors/", {"near": "47.85,1.90", "radius": 5}).json()
    assert [f["properties"]["name"] for f in found["features"]] == ["Chèvrerie des Aulnes"]
    assert list(
        ModerationEvent.objects.filter(actor=actor).order_by("pk").values_list("action", flat=True)
    ) == [Event.SUBMITTED, Event.EMAIL_CONFIRMED, Event.APPROVED]


def test_a_draft_resumes_from_the_emailed_link_on_another_device(client, mailoutbox):
    client.post(reverse("directory:register"), identity())
    actor = Actor.objects.get()
    other_device = type(client)()
    assert other_device.get(step(actor.pk, "quoi")).status_code == 404  # not without the link
    page = confirm_draft(other_device, draft_links(mailoutbox[0])[0])
    assert page.redirect_chain[-1][0] == step(actor.pk, "quoi")  # where they left off
    assert other_device.get(step(actor.pk, "ou")).status_code == 200


def test_double_submit_creates_one_draft(client):
    data = identity()
    first = client.post(reverse("directory:register"), data)
    second = client.post(reverse("directory:register"), data)
    assert first["Location"] == second["Location"]
    assert Actor.objects.count() == 1


def test_honeypot_refuses_and_keeps_nothing(client, mailoutbox):
    response = client.post(reverse("directory:register"), identity(company_url="http://spam"))
    assert response.status_code == 400
    assert not Actor.objects.exists() and not mailoutbox


def test_rate_limit_per_email(client, settings):
    settings.TOUTPRES_RATE_LIMITS = {"PER_IP_PER_HOUR": 100, "PER_EMAIL_PER_HOUR": 2}
    for i in range(2):
        response = client.post(reverse("directory:register"), identity(name=f"Ferme {i}"))
        assert response.status_code == 302
    response = client.post(reverse("directory:register"), identity(name="Ferme 3"))
    assert response.status_code == 400
    assert "Trop d'inscriptions" in unescape(response.content.decode())
    assert 'value="Ferme 3"' in response.content.decode()  # what was typed is kept
    assert Actor.objects.count() == 2


def test_rate_limit_per_ip_on_link_requests(client, settings, make_actor, django_user_model):
    settings.TOUTPRES_RATE_LIMITS = {"PER_IP_PER_HOUR": 3, "PER_EMAIL_PER_HOUR": 100}
    owner = django_user_model.objects.create_user("o", "o@example.org")
    make_actor(owner=owner)
    for _ in range(3):
        client.post(reverse("directory:owner-link"), {"email": "o@example.org"})
    assert len(mail.outbox) == 3
    response = client.post(reverse("directory:owner-link"), {"email": "o@example.org"})
    assert response.status_code == 200  # same answer, no e-mail
    assert len(mail.outbox) == 3


def test_link_requests_do_not_reveal_who_is_registered(client, make_actor, django_user_model):
    owner = django_user_model.objects.create_user("o", "o@example.org")
    make_actor(owner=owner)
    known = client.post(reverse("directory:owner-link"), {"email": "o@example.org"})
    unknown = client.post(reverse("directory:owner-link"), {"email": "x@example.org"})
    assert known.status_code == unknown.status_code == 200

    def strip(response):
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return html.replace("o@example.org", "X").replace("x@example.org", "X")

    assert strip(known) == strip(unknown)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["o@example.org"]


def test_expired_or_forged_links_are_refused(client, settings, make_actor, django_user_model):
    owner = django_user_model.objects.create_user("o", "o@example.org")
    make_actor(owner=owner)
    client.post(reverse("directory:owner-link"), {"email": "o@example.org"})
    url = links_in(mail.outbox[0])[0]
    forged = url.replace("cle=", "cle=x")
    assert follow(client, forged).status_code == 403
    settings.SESAME_MAX_AGE = -1
    assert follow(client, url).status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_failing_step_keeps_everything_typed(client):
    client.post(reverse("directory:register"), identity())
    actor = Actor.objects.get()
    response = client.post(
        step(actor.pk, "ou"),
        {"address": "12 chemin des Aulnes", "postal_code": "45160", "commune_name": "Zzyzx"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Commune introuvable" in html
    assert 'value="12 chemin des Aulnes"' in html and 'value="Zzyzx"' in html
    actor.refresh_from_db()
    assert actor.address == ""  # nothing half-saved either


def test_without_geocoder_the_pin_starts_at_the_town_hall_and_must_be_checked(client, settings):
    settings.TOUTPRES_GEOCODER = {**settings.TOUTPRES_GEOCODER, "BACKEND": "offline"}
    client.post(reverse("directory:register"), identity())
    actor = Actor.objects.get()
    olivet = Commune.objects.get(code="45232")
    response = client.post(
        step(actor.pk, "ou"),
        {"address": "12 chemin des Aulnes", "postal_code": "45160", "commune_name": "Olivet"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == step(actor.pk, "ou")
    assert "Vérifiez le repère" in response.content.decode()
    actor.refresh_from_db()
    assert actor.location == olivet.townhall and not actor.location_checked
    # The form now carries the pin's coordinates: continuing accepts them.
    response = client.post(
        step(actor.pk, "ou"),
        {
            "address": "12 chemin des Aulnes",
            "postal_code": "45160",
            "commune_name": "Olivet (45160)",
            "latitude": f"{olivet.townhall.y:.6f}",
            "longitude": f"{olivet.townhall.x + 0.01:.6f}",
        },
    )
    assert response["Location"] == step(actor.pk, "quand")
    actor.refresh_from_db()
    assert actor.location_checked


def test_sending_waits_for_the_missing_steps(client):
    client.post(reverse("directory:register"), identity())
    actor = Actor.objects.get()
    response = client.post(step(actor.pk, "envoi"), {"consent": "on"}, follow=True)
    html = response.content.decode()
    assert "Il manque des informations" in html
    assert step(actor.pk, "quoi") in html and step(actor.pk, "ou") in html
    actor.refresh_from_db()
    assert actor.submitted_at is None


def test_consent_is_required(client):
    actor = register(client)
    assert actor.consent_at
    client.post(reverse("directory:register"), identity(name="Autre ferme"))
    other = Actor.objects.get(name="Autre ferme")
    response = client.post(step(other.pk, "envoi"), {})
    assert response.status_code == 400
    assert "Votre accord est nécessaire" in response.content.decode()


def test_markets_attended_are_chosen_among_nearby_places(client, make_actor):
    market = make_actor(name="Marché d'Olivet", kind=ActorKind.MARKET, lat=47.86, lon=1.9)
    make_actor(name="Marché de Bourges", kind=ActorKind.MARKET, lat=47.08, lon=2.4)
    client.post(reverse("directory:register"), identity())
    actor = Actor.objects.get(name="Chèvrerie des Aulnes")
    page = client.get(step(actor.pk, "comment")).content.decode()
    assert "Marché d&#x27;Olivet" in page and "Bourges" not in page
    response = client.post(
        step(actor.pk, "comment"),
        formset("links", [{"place": market.pk, "weekday": "5", "starts": "08:00", "ends": "12:30"}])
        | {"proposed_places": "Marché de Saint-Cyr, le dimanche"},
    )
    assert response.status_code == 302
    link = DistributionLink.objects.get(actor=actor)
    assert (link.place, link.weekday) == (market, 5)
    actor.refresh_from_db()
    assert actor.proposed_places == "Marché de Saint-Cyr, le dimanche"


def owner_of_published(client, moderator) -> Actor:
    actor = register(client)
    client.logout()
    confirm_draft(client, draft_links(mail.outbox[1])[0])
    client.logout()
    client.force_login(moderator)
    client.post(reverse("directory:moderation-actor", args=[actor.pk]), {"decision": "approve"})
    client.logout()
    actor.refresh_from_db()  # owned since its confirmation link was followed
    client.force_login(actor.owner)
    return actor


def test_schedule_changes_go_live_at_once_and_are_logged(client, moderator):
    actor = owner_of_published(client, moderator)
    slot = actor.opening_slots.get()
    data = formset(
        "slots",
        [
            {"id": slot.pk, "weekday": "5", "opens": "09:00", "closes": "12:00"},
            {"weekday": "2", "opens": "16:00", "closes": "19:00"},
        ],
        initial=1,
    )
    response = client.post(
        step(actor.pk, "quand"), data | formset("seasons", []) | formset("exceptions", [])
    )
    assert response.status_code == 302
    assert sorted(OpeningSlot.objects.filter(actor=actor).values_list("weekday", flat=True)) == [
        2,
        5,
    ]
    assert ModerationEvent.objects.filter(actor=actor, action=Event.LIVE_UPDATE).exists()
    client.logout()
    assert "Mercredi 16h00–19h00" in client.get(actor.get_absolute_url()).content.decode()


def test_moving_the_pin_goes_back_to_review_and_the_public_keeps_the_old_one(
    client, moderator, mailoutbox
):
    actor = owner_of_published(client, moderator)
    old = actor.location.clone()
    response = client.post(
        step(actor.pk, "ou"),
        {
            "address": "12 chemin des Aulnes",
            "postal_code": "45160",
            "commune_name": "Olivet (45160)",
            "latitude": "47.8600",
            "longitude": "1.9100",
        },
    )
    assert response.status_code == 302
    actor.refresh_from_db()
    assert actor.location.equals_exact(old, 1e-9)
    change = ChangeRequest.objects.get(actor=actor, status="pending")
    home = unescape(client.get(reverse("directory:owner-home")).content.decode())
    assert "Une modification attend la validation de l'équipe." in home
    assert change.before["location"] == [round(old.x, 6), round(old.y, 6)]
    assert change.after["location"] == [1.91, 47.86]
    client.logout()
    client.force_login(moderator)
    page = client.get(reverse("directory:moderation-change", args=[change.pk])).content.decode()
    assert "modifié" in page and "47.86" in page
    client.post(reverse("directory:moderation-change", args=[change.pk]), {"decision": "approve"})
    actor.refresh_from_db()
    assert (actor.location.x, actor.location.y) == pytest.approx((1.91, 47.86))
    assert mailoutbox[-1].subject.startswith("Votre modification de « Chèvrerie des Aulnes »")


def test_rejecting_a_change_needs_a_reason_and_keeps_the_listing(client, moderator):
    actor = owner_of_published(client, moderator)
    client.post(step(actor.pk, "qui"), identity(name="Nouveau nom"))
    change = ChangeRequest.objects.get(actor=actor)
    client.logout()
    client.force_login(moderator)
    url = reverse("directory:moderation-change", args=[change.pk])
    response = client.post(url, {"decision": "reject", "reason": ""})
    assert response.status_code == 400 and "Expliquez le refus" in response.content.decode()
    client.post(url, {"decision": "reject", "reason": "Nom commercial à justifier."})
    actor.refresh_from_db()
    change.refresh_from_db()
    assert actor.name == "Chèvrerie des Aulnes" and change.status == "rejected"
    assert "Nom commercial à justifier." in mail.outbox[-1].body


def test_history_keeps_who_changed_what(client, moderator):
    actor = owner_of_published(client, moderator)
    client.post(step(actor.pk, "contacts"), {"phone": "02 38 11 11 11"} | formset("photos", []))
    latest = actor.history.order_by("-history_date", "-history_id").first()
    assert latest.phone == "02 38 11 11 11" and latest.history_user == actor.owner
    assert actor.history.count() >= 3


def test_location_cannot_be_set_outside_the_world(client):
    client.post(reverse("directory:register"), identity())
    actor = Actor.objects.get()
    response = client.post(
        step(actor.pk, "ou"),
        {"commune_name": "Olivet", "latitude": "95", "longitude": "1.9"},
    )
    assert response.status_code == 400
    actor.refresh_from_db()
    assert actor.location == Point(actor.location.x, actor.location.y, srid=4326)
