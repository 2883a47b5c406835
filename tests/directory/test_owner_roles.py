"""Who may change what: the role matrix for every mutating route, and owners' self-service."""

import datetime
import json
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from directory.models import (
    Actor,
    ActorKind,
    Claim,
    Event,
    ModerationEvent,
    ModerationStatus,
    OpeningSlot,
)
from directory.roles import MODERATORS

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    make = django_user_model.objects.create_user
    moderator = make("moderatrice", "mod@example.org", "pw")
    moderator.groups.add(Group.objects.get(name=MODERATORS))
    return {
        "anonymous": None,
        "owner_a": make("a@example.org", "a@example.org"),
        "owner_b": make("b@example.org", "b@example.org"),
        "moderator": moderator,
        "admin": django_user_model.objects.create_superuser("root", "root@example.org", "pw"),
    }


@pytest.fixture
def listing(make_actor, people):
    actor = make_actor(
        name="Ferme de A",
        owner=people["owner_a"],
        contact_name="Alice Privée",
        contact_email="alice.privee@example.org",
        contact_phone="06 99 88 77 66",
        lat=47.86,
        lon=1.9,
    )
    OpeningSlot.objects.create(
        actor=actor, weekday=5, opens=datetime.time(9), closes=datetime.time(12)
    )
    return actor


def as_(client, people, role):
    client.logout()
    if people[role] is not None:
        client.force_login(people[role])
    return client


def owner_routes(actor):
    pk = actor.pk
    return {
        "edit name": (
            reverse("directory:owner-step", args=[pk, "qui"]),
            {
                "name": "Piraté",
                "kind": "producer",
                "contact_name": "X",
                "contact_email": "x@example.org",
            },
        ),
        "edit contacts": (
            reverse("directory:owner-step", args=[pk, "contacts"]),
            {
                "phone": "01 00 00 00 00",
                "photos-TOTAL_FORMS": "0",
                "photos-INITIAL_FORMS": "0",
                "photos-MIN_NUM_FORMS": "0",
                "photos-MAX_NUM_FORMS": "5",
            },
        ),
        "closure": (
            reverse("directory:owner-closure", args=[pk]),
            {"closed_until": str(timezone.localdate() + datetime.timedelta(days=3))},
        ),
        "unpublish": (reverse("directory:owner-publication", args=[pk]), {}),
        "deletion": (reverse("directory:owner-deletion", args=[pk]), {}),
        "confirm": (reverse("directory:owner-confirm", args=[pk]), {}),
    }


def snapshot(actor):
    actor = Actor.objects.get(pk=actor.pk)
    return (
        actor.name,
        actor.phone,
        actor.closed_until,
        actor.status,
        actor.deletion_requested_at,
        actor.confirmed_at,
    )


OWNER_MATRIX = {
    "anonymous": False,
    "owner_a": True,
    "owner_b": False,
    "moderator": True,  # moderators hold change_actor: they correct listings
    "admin": True,
}


@pytest.mark.parametrize("role, allowed", OWNER_MATRIX.items())
@pytest.mark.parametrize(
    "route", ["edit name", "edit contacts", "closure", "unpublish", "deletion", "confirm"]
)
def test_owner_routes_role_matrix(client, people, listing, role, allowed, route):
    url, data = owner_routes(listing)[route]
    before = snapshot(listing)
    response = as_(client, people, role).post(url, data)
    after = snapshot(listing)
    if allowed:
        assert response.status_code == 302, (route, role, response.status_code)
        assert after != before or route == "edit name"  # the name waits for review
    else:
        # Not found (nobody learns the listing is there), and nothing changed.
        assert response.status_code == 404, (route, role, response.status_code)
        assert after == before


def moderation_routes(actor, claim):
    return {
        "decide listing": (
            reverse("directory:moderation-actor", args=[actor.pk]),
            {"decision": "approve"},
        ),
        "merge": (reverse("directory:moderation-merge", args=[actor.pk]), {"into": actor.pk}),
        "attach owner": (
            reverse("directory:moderation-attach", args=[actor.pk]),
            {"email": "b@example.org"},
        ),
        "delete": (reverse("directory:moderation-delete", args=[actor.pk]), {}),
        "decide claim": (
            reverse("directory:moderation-claim", args=[claim.pk]),
            {"decision": "approve"},
        ),
    }


MODERATION_MATRIX = {
    "anonymous": False,
    "owner_a": False,
    "owner_b": False,
    "moderator": True,
    "admin": True,
}


@pytest.mark.parametrize("role, allowed", MODERATION_MATRIX.items())
@pytest.mark.parametrize(
    "route", ["decide listing", "merge", "attach owner", "delete", "decide claim"]
)
def test_moderation_routes_role_matrix(client, people, listing, role, allowed, route):
    listing.status = ModerationStatus.PENDING
    listing.deletion_requested_at = timezone.now()
    listing.save()
    claim = Claim.objects.create(actor=listing, user=people["owner_b"], message="C'est moi")
    url, data = moderation_routes(listing, claim)[route]
    response = as_(client, people, role).post(url, data)
    listing_after = Actor.objects.filter(pk=listing.pk).first()
    claim_after = Claim.objects.filter(pk=claim.pk).first()
    if allowed:
        assert response.status_code in (302, 404), response.status_code  # 404: merge into self
    else:
        assert response.status_code == 403, (route, role, response.status_code)
        assert listing_after is not None and listing_after.status == ModerationStatus.PENDING
        assert listing_after.owner == people["owner_a"]
        assert claim_after.status == "pending"


def test_owner_b_cannot_see_owner_a_private_contact_anywhere(client, people, listing):
    as_(client, people, "owner_b")
    pages = [
        listing.get_absolute_url(),
        reverse("directory:owner-home"),
        reverse("directory:owner-step", args=[listing.pk, "qui"]),
        reverse("directory:moderation-actor", args=[listing.pk]),
        reverse("directory:moderation-queue"),
        "/api/v1/actors/?near=47.86,1.9&radius=5",
        reverse("admin:directory_actor_change", args=[listing.pk]),
    ]
    for url in pages:
        body = client.get(url).content.decode()
        for secret in ("Alice Privée", "alice.privee@example.org", "06 99 88 77 66"):
            assert secret not in body, (url, secret)


def test_owner_b_can_only_claim_through_review(client, people, listing):
    as_(client, people, "owner_b")
    response = client.post(
        reverse("directory:claim", args=[listing.slug]), {"message": "Je suis la gérante."}
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.owner == people["owner_a"]
    claim = Claim.objects.get(actor=listing)
    assert claim.user == people["owner_b"] and claim.status == "pending"
    # A second claim does not pile up.
    client.post(reverse("directory:claim", args=[listing.slug]), {"message": "Encore"})
    assert Claim.objects.count() == 1
    # The moderator verifies, then ownership moves and B is told.
    as_(client, people, "moderator").post(
        reverse("directory:moderation-claim", args=[claim.pk]),
        {"decision": "approve", "reason": "Vérifié par téléphone."},
    )
    listing.refresh_from_db()
    assert listing.owner == people["owner_b"]
    assert mail.outbox[-1].to == ["b@example.org"]
    assert ModerationEvent.objects.filter(actor=listing, action=Event.CLAIM_APPROVED).exists()


def test_anonymous_claim_asks_for_an_email_first(client, listing):
    response = client.get(reverse("directory:claim", args=[listing.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("directory:owner-link"))
    assert f"next=%2Facteurs%2F{listing.slug}%2Frevendiquer%2F" in response["Location"]


def test_staff_attach_a_listing_to_its_owner(client, people, make_actor):
    actor = make_actor(name="Créée pour quelqu'un")
    as_(client, people, "moderator").post(
        reverse("directory:moderation-attach", args=[actor.pk]),
        {"email": "nouveau@example.org"},
    )
    actor.refresh_from_db()
    assert actor.owner.email == "nouveau@example.org"
    assert mail.outbox[-1].to == ["nouveau@example.org"] and "/mes-fiches/" in mail.outbox[-1].body


def test_one_person_owns_several_listings(client, people, listing, make_actor):
    second = make_actor(name="Boutique de A", owner=people["owner_a"])
    make_actor(name="Ferme de B", owner=people["owner_b"])
    html = as_(client, people, "owner_a").get(reverse("directory:owner-home")).content.decode()
    assert "Ferme de A" in html and "Boutique de A" in html and "Ferme de B" not in html
    assert reverse("directory:owner-step", args=[second.pk, "quand"]) in html


def test_closed_for_holidays_is_shown_and_excluded_from_open_now(client, people, listing):
    until = timezone.localdate() + datetime.timedelta(days=10)
    as_(client, people, "owner_a").post(
        reverse("directory:owner-closure", args=[listing.pk]),
        {"closed_until": str(until), "closed_note": "Congés <b>d'été</b>"},
    )
    listing.refresh_from_db()
    assert listing.closed_until == until and listing.closed_note == "Congés d'été"
    client.logout()
    html = unescape(client.get(listing.get_absolute_url()).content.decode())
    assert "Fermé jusqu'au" in html and "Congés d'été" in html
    saturday = client.get("/api/v1/actors/", {"near": "47.86,1.9", "radius": 5, "open": "saturday"})
    assert saturday.json()["count"] == 0
    # A past date is refused with a clear message.
    response = as_(client, people, "owner_a").post(
        reverse("directory:owner-closure", args=[listing.pk]), {"closed_until": "2020-01-01"}
    )
    assert response.status_code == 400
    assert "Choisissez une date à venir" in unescape(response.content.decode())


def test_unpublish_and_publish_again(client, people, listing):
    as_(client, people, "owner_a")
    client.post(reverse("directory:owner-publication", args=[listing.pk]))
    listing.refresh_from_db()
    assert listing.status == ModerationStatus.UNPUBLISHED
    client.logout()
    assert client.get(listing.get_absolute_url()).status_code == 404
    as_(client, people, "owner_a").post(reverse("directory:owner-publication", args=[listing.pk]))
    listing.refresh_from_db()
    assert listing.status == ModerationStatus.PUBLISHED


def test_a_rejected_listing_cannot_publish_itself(client, people, listing):
    listing.status = ModerationStatus.REJECTED
    listing.save()
    response = as_(client, people, "owner_a").post(
        reverse("directory:owner-publication", args=[listing.pk])
    )
    assert response.status_code == 404
    listing.refresh_from_db()
    assert listing.status == ModerationStatus.REJECTED


def test_gdpr_deletion_is_requested_then_carried_out_and_logged(client, people, listing):
    as_(client, people, "owner_a").post(reverse("directory:owner-deletion", args=[listing.pk]))
    listing.refresh_from_db()
    assert listing.deletion_requested_at is not None
    queue = as_(client, people, "moderator").get(reverse("directory:moderation-queue"))
    assert "Ferme de A" in queue.content.decode()
    client.post(reverse("directory:moderation-delete", args=[listing.pk]))
    assert not Actor.objects.filter(pk=listing.pk).exists()
    assert not Actor.history.filter(id=listing.pk).exists()  # private data goes too
    logged = ModerationEvent.objects.filter(actor_name="Ferme de A").values_list(
        "action", flat=True
    )
    assert set(logged) == {Event.DELETION_REQUESTED, Event.DELETED}
    assert mail.outbox[-1].to == ["a@example.org"]


def test_merge_moves_links_and_redirects_the_duplicate(client, people, listing, make_actor):
    from directory.models import DistributionLink

    duplicate = make_actor(
        name="Ferme de A (doublon)", lat=47.8601, lon=1.9001, phone="02 38 00 00 01"
    )
    market = make_actor(name="Marché", kind=ActorKind.MARKET, lat=47.87, lon=1.9)
    DistributionLink.objects.create(actor=duplicate, place=market, weekday=5)
    as_(client, people, "moderator").post(
        reverse("directory:moderation-merge", args=[duplicate.pk]), {"into": listing.pk}
    )
    duplicate.refresh_from_db()
    listing.refresh_from_db()
    assert duplicate.status == ModerationStatus.ARCHIVED and duplicate.merged_into == listing
    assert DistributionLink.objects.get(place=market).actor == listing
    assert listing.phone == "02 38 00 00 01"  # filled from the duplicate where empty
    client.logout()
    response = client.get(duplicate.get_absolute_url())
    assert response.status_code == 301 and response["Location"] == listing.get_absolute_url()


def test_moderation_queue_lists_everything_waiting(client, people, listing, make_actor):
    make_actor(name="Nouvelle ferme", status=ModerationStatus.PENDING)
    Claim.objects.create(actor=listing, user=people["owner_b"], message="moi")
    html = as_(client, people, "moderator").get(reverse("directory:moderation-queue")).content
    html = unescape(html.decode())
    assert "Nouvelle ferme" in html and "b@example.org" in html


def test_moderator_group_has_what_it_needs_and_no_more(people):
    moderator = people["moderator"]
    assert moderator.has_perm("directory.moderate_actor")
    assert moderator.has_perm("directory.change_actor")
    assert not moderator.has_perm("auth.change_user")
    assert not moderator.has_perm("auth.change_group")
    assert not moderator.has_perm("directory.change_category")
    assert not people["owner_a"].has_perm("directory.moderate_actor")


def test_moderation_log_is_read_only_in_the_admin(client, people, listing):
    as_(client, people, "admin")
    ModerationEvent.objects.create(actor=listing, actor_name=listing.name, action=Event.CLOSED)
    event = ModerationEvent.objects.get()
    url = reverse("admin:directory_moderationevent_change", args=[event.pk])
    client.post(url, {"reason": "réécrit"})
    event.refresh_from_db()
    assert event.reason == ""
    assert json.loads(json.dumps(event.details)) == {}


def test_history_lists_versions_and_a_version_can_be_restored(client, people, listing):
    as_(client, people, "owner_a").post(*owner_routes(listing)["edit contacts"])
    listing.refresh_from_db()
    assert listing.phone == "01 00 00 00 00"
    versions = listing.history.order_by("history_date", "history_id")
    first, latest = versions.first(), versions.last()
    assert latest.history_user == people["owner_a"] and first.phone == ""
    people["moderator"].is_staff = True  # staff status: moderators use the admin's history
    people["moderator"].save()
    as_(client, people, "moderator")
    page = client.get(reverse("admin:directory_actor_history", args=[listing.pk]))
    assert page.status_code == 200
    revert = reverse("admin:directory_actor_simple_history", args=[listing.pk, first.history_id])
    assert revert in page.content.decode()
    assert client.get(revert).status_code == 200  # the form to restore that version
    # What the form's "save" does: the old version becomes the listing again.
    first.instance.save()
    listing.refresh_from_db()
    assert listing.phone == ""
    assert listing.history.count() == versions.count()  # and the restore is a version too


class _FormFields(HTMLParser):
    """The values a browser would submit from the admin's change form (first form with a
    CSRF token): inputs, checked boxes, selected options, textareas."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.data, self._select, self._textarea, self._in_form = [], None, None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self._in_form = True
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "file", "button"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value", "on")))
                return
            self.data.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data.append(tuple(self._textarea))
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def test_restoring_a_version_from_the_admin_is_logged(client, people, listing):
    as_(client, people, "owner_a").post(*owner_routes(listing)["edit contacts"])
    listing.refresh_from_db()
    assert listing.phone == "01 00 00 00 00"
    first = listing.history.order_by("history_date", "history_id").first()
    people["moderator"].is_staff = True
    people["moderator"].save()
    as_(client, people, "moderator")
    revert = reverse("admin:directory_actor_simple_history", args=[listing.pk, first.history_id])
    form = _FormFields(client.get(revert).content.decode())
    data = {}
    for name, value in form.data:
        data.setdefault(name, []).append(value)
    response = client.post(revert, data)
    errors = re.findall(r"<ul class=\"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    assert response.status_code == 302, errors
    listing.refresh_from_db()
    assert listing.phone == ""  # the old version is the listing again
    event = ModerationEvent.objects.filter(actor=listing, action=Event.RESTORED).get()
    assert event.by == people["moderator"] and event.details == {"version": first.history_id}
    assert listing.history.first().history_user == people["moderator"]
