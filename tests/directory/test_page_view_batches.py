"""Page views are counted in the shared cache and written to the figures' table in batches
(directory.figures.counting.flush_page_views): a page view is a cache increment, not a
database write, and no view is lost or counted twice when a flush runs meanwhile."""

import io
import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from directory.figures import counting
from directory.figures.counting import flush_page_views, record_page_view
from directory.models import PageViewDay
from directory.roles import EDITORS

AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
DATABASE_CACHE = {
    "default": {
        "BACKEND": "directory.cache.DatabaseCache",
        "LOCATION": "hperf_test_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}


def pending():
    day = counting.today()
    names = [
        counting._pending_key(day, "accueil", f, shard)
        for f in ("views", "entries")
        for shard in range(counting.SHARDS)
    ]
    return {k: v for k, v in caches["default"].get_many(names).items() if v}


@pytest.mark.django_db
def test_a_page_view_writes_nothing_until_a_flush(client, settings, territories):
    settings.TOUTPRES_PAGE_VIEWS_FLUSH_SECONDS = 0  # the timer only
    for _ in range(3):
        assert client.get("/", HTTP_USER_AGENT=AGENT).status_code == 200
    assert not PageViewDay.objects.exists(), "a page view wrote to the table"
    out = io.StringIO()
    call_command("flush_page_views", stdout=out)
    assert "3 page(s) vue(s)" in out.getvalue()
    row = PageViewDay.objects.get(day=timezone.localdate(), page="accueil")
    assert (row.views, row.entries) == (3, 3)
    assert pending() == {}, "flushed counts are still in the cache"
    call_command("flush_page_views", stdout=io.StringIO())
    row.refresh_from_db()
    assert row.views == 3, "a second flush counted the same views again"


@pytest.mark.django_db
def test_the_first_view_of_each_period_flushes(client, settings, territories, monkeypatch):
    settings.TOUTPRES_PAGE_VIEWS_FLUSH_SECONDS = 60
    monkeypatch.setattr(counting, "_next_flush_check", 0.0)  # this process has not asked yet
    client.get("/", HTTP_USER_AGENT=AGENT)  # due: this one flushes (itself included)
    client.get("/", HTTP_USER_AGENT=AGENT)  # not due for another minute
    assert PageViewDay.objects.get(page="accueil").views == 1
    caches["default"].delete(counting.FLUSH_DUE)  # a minute later
    counting._next_flush_check = 0.0
    client.get("/", HTTP_USER_AGENT=AGENT)
    assert PageViewDay.objects.get(page="accueil").views == 3


@pytest.mark.django_db
def test_the_staff_figures_include_views_not_yet_flushed(client, settings, django_user_model):
    settings.TOUTPRES_PAGE_VIEWS_FLUSH_SECONDS = 0
    for _ in range(4):
        record_page_view("accueil", entry=False)
    editor = django_user_model.objects.create_user("redac", "redac@example.org", "pw")
    editor.groups.add(Group.objects.get(name=EDITORS))
    client.force_login(editor)
    today = timezone.localdate().isoformat()
    body = client.get(f"/staff/chiffres/visites.csv?du={today}&au={today}&par=jour")
    assert body.status_code == 200
    assert body.content.decode().strip().splitlines()[-1].endswith(";4;0"), body.content


# The database cache under threads on PostgreSQL; SQLite's test database lives in memory in
# shared-cache mode, where concurrent connections get "table is locked" instead of waiting.
CACHE_KINDS = ["memory"] + (
    [] if "spatialite" in settings.DATABASES["default"]["ENGINE"] else ["database"]
)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_kind", CACHE_KINDS)
def test_no_view_lost_or_counted_twice_while_flushes_run(settings, cache_kind):
    settings.TOUTPRES_PAGE_VIEWS_FLUSH_SECONDS = 0
    if cache_kind == "database":
        settings.CACHES = DATABASE_CACHE
        call_command("createcachetable", verbosity=0)
    caches["default"].clear()
    visitors, each = 4, 40
    done = threading.Event()
    moved, errors = [], []

    def visit():
        try:
            for n in range(each):
                record_page_view("accueil", entry=n % 2 == 0)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def flush():
        try:
            while not done.is_set():
                moved.append(flush_page_views())
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    flushers = [threading.Thread(target=flush) for _ in range(2)]  # two timers at once
    threads = [threading.Thread(target=visit) for _ in range(visitors)]
    for thread in flushers + threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    for thread in flushers:
        thread.join()
    moved.append(flush_page_views())
    assert errors == [], errors
    assert sum(moved) == visitors * each, f"flushes moved {sum(moved)} views"
    row = PageViewDay.objects.get(page="accueil")
    assert (row.views, row.entries) == (visitors * each, visitors * each // 2), (
        "views lost or counted twice"
    )
    assert pending() == {}, "views left in the cache"
    assert sum(1 for m in moved if m) >= 1


@pytest.mark.django_db
def test_a_process_asks_whether_a_flush_is_due_once_per_period(
    client, settings, territories, monkeypatch
):
    settings.TOUTPRES_PAGE_VIEWS_FLUSH_SECONDS = 60
    monkeypatch.setattr(counting, "_next_flush_check", 0.0)
    asked = []
    add = counting.cache.add
    monkeypatch.setattr(
        counting.cache,
        "add",
        lambda key, *a, **k: (asked.append(key), add(key, *a, **k))[1],
    )
    for _ in range(5):
        client.get("/", HTTP_USER_AGENT=AGENT)
    assert asked.count(counting.FLUSH_DUE) == 1, (
        f"the flush-due entry was asked {asked.count(counting.FLUSH_DUE)} times for 5 views"
    )
