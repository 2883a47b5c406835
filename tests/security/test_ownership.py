"""A listing can be neither given away by a merge nor planted in someone's account.

Merges never move ownership (a claim does, decided by a moderator who sees the evidence),
and a draft started anonymously belongs to nobody until the link e-mailed to its address
is followed.
"""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.core import mail
from django.test import Client
from django.urls import reverse

from directory.models import Actor, ActorKind, Category, Event, ModerationEvent, ModerationStatus
from directory.models.moderation import Claim
from directory.roles import MODERATORS
from geodata.models import Commune

pytestmark = pytest.mark.django_db

ANY_LINK = re.compile(r"https?://[^\s]+")
TOKEN = re.compile(r'name="token" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def links(message) -> list[str]:
    return [path_of(u) for u in ANY_LINK.findall(message.body)]


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user("moderatrice", "mod@example.org", "pw")
    user.groups.add(Group.objects.get(name=MODERATORS))
    return user


@pytest.fixture
def blois():
    return Commune.objects.get(code="41018")


def listing(blois, **fields):
    fields.setdefault("kind", ActorKind.PRODUCER)
    fields.setdefault("status", ModerationStatus.PUBLISHED)
    return Actor.objects.create(
        commune=blois, location=Point(1.33, 47.59, srid=4326), postal_code="41000", **fields
    )


def step(pk, slug):
    return reverse("directory:owner-step", args=[pk, slug])


def cannot_edit(client, actor) -> None:
    """Every owner page of ``actor`` refuses this client (403 or 404), and a POST changes nothing."""
    phone = actor.phone
    for url in (
        reverse("directory:owner-edit", args=[actor.pk]),
        step(actor.pk, "contacts"),
        step(actor.pk, "qui"),
    ):
        status = client.get(url).status_code
        assert status in (403, 404), f"GET {url} answered {status}: the page should be refused"
    response = client.post(
        step(actor.pk, "contacts"),
        {
            "phone": "08 99 00 00 00",
            "photos-TOTAL_FORMS": "0",
            "photos-INITIAL_FORMS": "0",
            "photos-MIN_NUM_FORMS": "0",
            "photos-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code in (403, 404), f"POST contacts answered {response.status_code}"
    actor.refresh_from_db()
    assert actor.phone == phone, "the public phone was changed by someone who does not own it"


# --- (a) Merges ----------------------------------------------------------------------------


def test_merging_a_duplicate_does_not_give_the_kept_listing_away(
    client, moderator, blois, django_user_model
):
    # An imported listing nobody manages yet, and a stranger's duplicate of it.
    kept = listing(
        blois,
        name="Ferme des Grouëts",
        phone="02 54 00 00 00",
        website="https://grouets.fr",
        email="contact@grouets.fr",
    )
    stranger = django_user_model.objects.create_user(
        "stranger@evil.example", "stranger@evil.example"
    )
    duplicate = listing(
        blois,
        name="Ferme des Grouets",
        status=ModerationStatus.PENDING,
        owner=stranger,
        contact_email="stranger@evil.example",
        contact_phone="06 66 66 66 66",
    )

    client.force_login(moderator)
    response = client.post(
        reverse("directory:moderation-merge", args=[duplicate.pk]), {"into": kept.pk}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    kept.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == kept.pk and duplicate.status == ModerationStatus.ARCHIVED
    assert kept.owner_id is None, "the merge made the duplicate's registrant the owner"

    # The duplicate's registrant cannot touch the kept listing.
    attacker = Client()
    attacker.force_login(stranger)
    cannot_edit(attacker, kept)
    home = unescape(attacker.get(reverse("directory:owner-home")).content.decode())
    assert "Ferme des Grouëts" not in home, "the kept listing shows on the registrant's page"

    # Instead, a pending claim that a moderator decides on, with the evidence in view.
    made = Claim.objects.get(actor=kept, user=stranger)
    assert made.status == "pending" and made.merged_from_id == duplicate.pk
    page = unescape(
        client.get(reverse("directory:moderation-claim", args=[made.pk])).content.decode()
    )
    for evidence in ("02 54 00 00 00", "grouets.fr", "contact@grouets.fr", "stranger@evil.example"):
        assert evidence in page, f"the claim review does not show {evidence!r}"
    assert "evil.example" in page and "Ferme des Grouets" in page
    assert "ne correspond pas" in page, "the review does not say the e-mail domain differs"


def test_merging_keeps_an_existing_owner(client, moderator, blois, django_user_model):
    farmer = django_user_model.objects.create_user("farmer@grouets.fr", "farmer@grouets.fr")
    other = django_user_model.objects.create_user("other@example.org", "other@example.org")
    kept = listing(blois, name="Ferme des Grouëts", owner=farmer)
    duplicate = listing(blois, name="Grouëts", status=ModerationStatus.PENDING, owner=other)
    client.force_login(moderator)
    client.post(reverse("directory:moderation-merge", args=[duplicate.pk]), {"into": kept.pk})
    kept.refresh_from_db()
    assert kept.owner == farmer
    assert Claim.objects.filter(actor=kept, user=other, status="pending").count() == 1
    intruder = Client()
    intruder.force_login(other)
    cannot_edit(intruder, kept)


def test_a_claim_review_shows_matching_evidence_and_approval_moves_ownership(
    client, moderator, blois, django_user_model
):
    kept = listing(
        blois, name="Ferme des Grouëts", website="https://www.grouets.fr/", phone="02 54 00 00 00"
    )
    farmer = django_user_model.objects.create_user("marie@grouets.fr", "marie@grouets.fr")
    made = Claim.objects.create(actor=kept, user=farmer, message="Appelez-moi au 02 54 00 00 00")
    client.force_login(moderator)
    page = unescape(
        client.get(reverse("directory:moderation-claim", args=[made.pk])).content.decode()
    )
    assert "correspond au site" in page, "a domain matching the website is not pointed out"
    assert "correspond au téléphone" in page, "a phone in the message matching the listing's"
    client.post(reverse("directory:moderation-claim", args=[made.pk]), {"decision": "approve"})
    kept.refresh_from_db()
    assert kept.owner == farmer


# --- (b) Drafts planted in someone else's account -----------------------------------------


def walk_registration(client, email: str, name: str) -> Actor:
    """Register as the browser does: the form's own token, then every step, then send."""
    page = client.get(reverse("directory:register"))
    assert page.status_code == 200
    token = TOKEN.search(page.content.decode()).group(1)
    response = client.post(
        reverse("directory:register"),
        {
            "token": token,
            "name": name,
            "kind": ActorKind.PRODUCER,
            "commune_name": "Blois (41000)",
            "description": "Légumes de saison.",
            "contact_name": "Quelqu'un",
            "contact_email": email,
            "contact_phone": "06 12 34 56 78",
            "company_url": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    actor = Actor.objects.get(name=name)
    vegetables = Category.objects.first()
    client.post(step(actor.pk, "quoi"), {"categories": [vegetables.pk], "products": "Poireaux"})
    client.post(
        step(actor.pk, "ou"),
        {
            "address": "1 rue des Grouëts",
            "postal_code": "41000",
            "commune_name": "Blois (41000)",
            "latitude": "47.59",
            "longitude": "1.33",
        },
    )
    empty = {
        "TOTAL_FORMS": "0",
        "INITIAL_FORMS": "0",
        "MIN_NUM_FORMS": "0",
        "MAX_NUM_FORMS": "1000",
    }

    def formset(prefix):
        return {f"{prefix}-{k}": v for k, v in empty.items()}

    client.post(
        step(actor.pk, "quand"),
        {
            **formset("seasons"),
            **formset("exceptions"),
            "slots-TOTAL_FORMS": "1",
            "slots-INITIAL_FORMS": "0",
            "slots-MIN_NUM_FORMS": "0",
            "slots-MAX_NUM_FORMS": "1000",
            "slots-0-weekday": "5",
            "slots-0-opens": "09:00",
            "slots-0-closes": "12:00",
        },
    )
    client.post(step(actor.pk, "comment"), formset("links"))
    client.post(step(actor.pk, "contacts"), {"phone": "02 54 11 11 11", **formset("photos")})
    response = client.post(step(actor.pk, "envoi"), {"consent": "on"})
    assert response.status_code == 302, response.content.decode()[:1000]
    actor.refresh_from_db()
    assert actor.submitted_at is not None
    return actor


def sign_in_with_a_login_link(client, email: str):
    mail.outbox.clear()
    client.post(reverse("directory:owner-link"), {"email": email, "company_url": ""})
    (message,) = mail.outbox
    login = [u for u in links(message) if "/mes-fiches/connexion/" in u]
    assert login, f"no sign-in link in {message.body!r}"
    page = client.get(login[0], follow=True)
    if "<form" in page.content.decode() and "_auth_user_id" not in client.session:
        # The link opens a page with one button (mail scanners open links): press it.
        html = page.content.decode()
        form = html[html.index('action="/mes-fiches/connexion/') :]
        fields = dict(HIDDEN.findall(form[: form.index("</form>")]))
        page = client.post(reverse("directory:owner-login"), fields, follow=True)
    assert "_auth_user_id" in client.session, "the ordinary sign-in link did not sign in"
    return page


def test_a_stranger_cannot_plant_a_draft_in_someone_elses_account(blois, django_user_model):
    victim = django_user_model.objects.create_user("victim@example.fr", "victim@example.fr")
    listing(blois, name="Ferme de la victime", owner=victim)

    attacker = Client()
    planted = walk_registration(attacker, "victim@example.fr", "Fiche plantée")
    assert planted.owner_id is None, "an anonymous draft was given to the owner of its e-mail"

    # The victim signs in the ordinary way, and ignores the confirmation e-mail.
    victim_client = Client()
    page = sign_in_with_a_login_link(victim_client, "victim@example.fr")
    planted.refresh_from_db()
    assert planted.owner_id != victim.pk, "signing in adopted a draft planted by a stranger"
    assert planted.status == ModerationStatus.DRAFT, "signing in queued a planted draft"
    assert not ModerationEvent.objects.filter(actor=planted, action=Event.EMAIL_CONFIRMED).exists()
    home = unescape(victim_client.get(reverse("directory:owner-home")).content.decode())
    assert "Ferme de la victime" in home and "Fiche plantée" not in home, (
        "the planted draft shows on the victim's « Mes fiches »"
    )
    assert page.status_code == 200
    # The stranger's session keeps its draft, but never reaches the victim's listings.
    assert attacker.get(step(planted.pk, "qui")).status_code == 200
    cannot_edit(attacker, Actor.objects.get(name="Ferme de la victime"))


def test_the_registrant_confirms_by_following_the_link_mailed_to_them(blois):
    registrant = Client()
    actor = walk_registration(registrant, "marie@grouets.fr", "Ferme des Grouëts")
    assert actor.owner_id is None and actor.status == ModerationStatus.DRAFT
    confirm = mail.outbox[-1]
    assert confirm.to == ["marie@grouets.fr"]
    (url,) = [u for u in links(confirm) if "/inscription/confirmer/" in u]

    # Another device: the link shows what is confirmed; a GET changes nothing (mail
    # scanners open links), the button does.
    device = Client()
    page = device.get(url)
    assert page.status_code == 200 and "Ferme des Grouëts" in unescape(page.content.decode())
    actor.refresh_from_db()
    assert actor.owner_id is None and actor.status == ModerationStatus.DRAFT
    done = device.post(url, follow=True)
    assert "transmise à l'équipe de modération" in unescape(done.content.decode())
    actor.refresh_from_db()
    assert actor.status == ModerationStatus.PENDING
    assert actor.owner.email == "marie@grouets.fr" and actor.owner.last_login
    assert "Ferme des Grouëts" in unescape(
        device.get(reverse("directory:owner-home")).content.decode()
    )
    # The link is spent: it neither signs in again nor adopts anything else.
    again = Client()
    response = again.post(url)
    assert response.status_code < 500
    assert "_auth_user_id" not in again.session, "a spent confirmation link signed in again"


def test_a_confirmation_link_adopts_only_the_draft_it_was_minted_for(blois):
    first = walk_registration(Client(), "victim@example.fr", "Fiche plantée")
    planted_link = [u for u in links(mail.outbox[-1]) if "/inscription/confirmer/" in u][0]
    second = walk_registration(Client(), "victim@example.fr", "Autre fiche")
    # Confirming the first draft leaves the second one alone.
    Client().post(planted_link)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.owner is not None and second.owner_id is None
    assert second.status == ModerationStatus.DRAFT
    # A tampered token is refused.
    tampered = planted_link.rstrip("/")[:-3] + "abc/"
    assert Client().get(tampered).status_code in (400, 403, 404)


def test_a_signed_in_owner_owns_the_registration_at_once(blois, django_user_model):
    owner = django_user_model.objects.create_user("farmer@grouets.fr", "farmer@grouets.fr")
    signed_in = Client()
    sign_in_with_a_login_link(signed_in, "farmer@grouets.fr")
    actor = walk_registration(signed_in, "farmer@grouets.fr", "Deuxième ferme")
    assert actor.owner == owner
    assert actor.status == ModerationStatus.PENDING, "a confirmed owner's listing waits for nothing"
