"""directory.bulk_insert writes exactly what bulk_create() writes, and an import's history
records copied in SQL are the ones simple_history would have written."""

import datetime
import uuid

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from directory import bulk_insert
from directory.imports import creating
from directory.models import Actor, ActorKind, ModerationStatus
from geodata.models import Commune


def _listing(n: int, commune, **fields) -> Actor:
    point = Point(1.3359 + n / 1000, 47.5861, srid=4326)
    values = {
        "name": f"Ferme « l'Épi » n°{n} <b>",
        "slug": f"ferme-{n}",
        "kind": ActorKind.MARKET,
        "status": ModerationStatus.PENDING,
        "description": "Légumes\nœufs = 2 + 2",
        "products": "Pommes, poires",
        "phone": "02 54 00 00 00",
        "commune_id": commune.pk,
        "location": point,
        "public_location": point,
        "location_is_approximate": False,
        "closed_on_public_holidays": True,
        "closed_until": datetime.date(2027, 1, 15),
        "consent_at": timezone.now(),
        "registration_token": uuid.uuid4(),
        "source": "partenaire",
        "source_key": f"K-{n}",
        "hours_text": None,
    }
    values.update(fields)
    if values["hours_text"] is None:
        values["hours_text"] = ""
    return Actor(**values)


def _stored(actor) -> dict:
    row = Actor.objects.filter(pk=actor.pk).values().get()
    for name in ("id", "slug", "source_key", "registration_token", "created_at", "updated_at"):
        row.pop(name)
    row["location"] = row["location"].coords
    row["public_location"] = row["public_location"].coords
    return row


@pytest.mark.django_db
def test_every_column_is_written_as_bulk_create_writes_it(territories):
    commune = Commune.objects.get(code="41018")
    ours = _listing(1, commune)
    theirs = _listing(1, commune, slug="ferme-1-django", source_key="K-django")
    ours.consent_at = theirs.consent_at
    bulk_insert.insert([ours])
    Actor.objects.bulk_create([theirs])
    assert ours.pk and theirs.pk and ours.pk != theirs.pk, "primary keys set from RETURNING"
    assert not ours._state.adding, "the instance is saved, as after bulk_create()"
    assert _stored(ours) == _stored(theirs), "a column differs from Django's bulk_create()"
    stored = Actor.objects.get(pk=ours.pk)
    assert stored.name == ours.name and stored.created_at and stored.updated_at, (
        "auto_now dates set, text unchanged"
    )


@pytest.mark.django_db
def test_a_position_in_another_projection_is_transformed_as_bulk_create_does(territories):
    commune = Commune.objects.get(code="41018")
    lambert = Point(573_000, 6_720_000, srid=2154)
    ours = _listing(2, commune, location=lambert.clone())
    theirs = _listing(3, commune, location=lambert.clone())
    bulk_insert.insert([ours])
    Actor.objects.bulk_create([theirs])
    mine, django = (Actor.objects.get(pk=a.pk).location for a in (ours, theirs))
    assert mine.srid == 4326 and mine.coords == pytest.approx(django.coords, abs=1e-9)


@pytest.mark.django_db
def test_rows_over_several_statements_keep_their_own_keys(territories, monkeypatch):
    monkeypatch.setattr(bulk_insert, "ROWS_PER_STATEMENT", 7)
    commune = Commune.objects.get(code="41018")
    actors = [_listing(n, commune) for n in range(20)]
    bulk_insert.insert(actors)
    assert len({a.pk for a in actors}) == 20
    stored = dict(Actor.objects.filter(pk__in=[a.pk for a in actors]).values_list("pk", "slug"))
    assert stored == {a.pk: a.slug for a in actors}, "a key was given to another row"


@pytest.mark.django_db
def test_instances_with_their_key_go_through_bulk_create(territories):
    commune = Commune.objects.get(code="41018")
    actor = _listing(4, commune, id=987_654)
    bulk_insert.insert([actor])
    assert Actor.objects.filter(pk=987_654, slug="ferme-4").exists()


@pytest.mark.django_db
def test_history_copied_in_sql_is_the_record_simple_history_writes(territories, django_user_model):
    commune = Commune.objects.get(code="41018")
    staff = django_user_model.objects.create_user("chargee", "c@example.org", "x")
    ours, theirs = _listing(5, commune), _listing(6, commune)
    bulk_insert.insert([ours, theirs])
    records = creating._history([ours], staff)
    Actor.history.bulk_history_create([theirs], default_user=staff)
    mine = Actor.history.get(history_id=records[ours.pk])
    django = Actor.history.get(id=theirs.pk)
    tracked = [f.attname for f in Actor.history.model.tracked_fields]
    for record, actor in ((django, theirs), (mine, ours)):
        stored = Actor.objects.get(pk=actor.pk)
        assert {f: getattr(record, f) for f in tracked} == {
            f: getattr(stored, f) for f in tracked
        }, f"record {record.history_id} is not its listing as stored"
    extra = ("history_type", "history_user_id", "history_change_reason")
    assert [getattr(mine, f) for f in extra] == [getattr(django, f) for f in extra]
    assert abs(mine.history_date - django.history_date) < datetime.timedelta(minutes=1)
