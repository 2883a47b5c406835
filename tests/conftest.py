"""Shared fixtures: real territories imported once per test session, small factories."""

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command

from directory.models import Actor, ActorKind, ModerationStatus
from geodata.models import Commune

# The configured region (Centre-Val de Loire) and every département bordering it.
REGION_COMMUNES = {"18": 286, "28": 363, "36": 241, "37": 272, "41": 267, "45": 325}


def ensure_territories():
    """Import the default territories unless present (transactional tests flush them)."""
    if not Commune.objects.filter(departement__code="45").exists():
        call_command("import_territories", verbosity=0)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_territories()


@pytest.fixture(autouse=True)
def _private_import_dir(settings, tmp_path_factory):
    # Uploaded partner lists go to a throw-away folder, never to the checkout's var/.
    settings.TOUTPRES_IMPORT_DIR = tmp_path_factory.mktemp("imports")


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    # Tests change rows inside a transaction that never commits, so the data version the
    # page cache keys on never moves: pages are rendered afresh unless a test turns the
    # cache on (tests/directory/test_page_cache.py; the stack tests run it as deployed).
    settings.TOUTPRES_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def page_cache(settings):
    """The page cache on, as deployed, empty; the site's clock running again afterwards."""
    from django.core.cache import caches

    from directory import clock

    settings.TOUTPRES_PAGE_CACHE_SECONDS = 300
    caches["pages"].clear()
    yield
    caches["pages"].clear()
    clock.thaw()


@pytest.fixture(autouse=True)
def _empty_cache():
    # Geocoding answers are cached; each test starts from a clean slate.
    from django.core.cache import cache, caches

    from directory import ratelimit

    cache.clear()
    caches["pages"].clear()
    # The closed windows' counts each process remembers would outlive the cache: a quota
    # filled by an earlier test in the previous minute would still weigh on this one.
    ratelimit.forget_closed_windows()


@pytest.fixture(autouse=True)
def reference_data(request):
    """Transactional tests flush the database, migration data included: seed it again."""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from directory.models import Category, Label, SaleMode
    from directory.reference_data import seed
    from tests.conftest import ensure_territories

    seed(Category, Label, SaleMode)
    # A previous transactional test may have flushed the territories too.
    ensure_territories()


@pytest.fixture
def territories(db):
    ensure_territories()


@pytest.fixture
def make_actor(db):
    counter = {"n": 0}

    def make(lat=47.9, lon=1.9, **fields):
        counter["n"] += 1
        fields.setdefault("name", f"Ferme de test {counter['n']}")
        fields.setdefault("kind", ActorKind.PRODUCER)
        fields.setdefault("status", ModerationStatus.PUBLISHED)
        return Actor.objects.create(location=Point(lon, lat, srid=4326), **fields)

    return make


def backend(connection) -> str:
    return "spatialite" if connection.vendor == "sqlite" else "postgis"


DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every test that wrote to the database and passed: no actor's stored category
    keys (Actor.category_keys, what a search's page shows) differ from its categories.
    Whatever way a test wrote them (forms, moderation, imports, merges, the admin, demo
    data), the keys must have followed."""
    result = yield
    uses_database = item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(
        getattr(item, "fixturenames", ())
    )
    if uses_database:
        from django.db import Error

        from directory.models import Actor

        try:
            stale = list(Actor.objects.stale_category_keys().values_list("name", flat=True)[:5])
        except Error:  # the test cut the database off on purpose (tests/directory/test_outage.py)
            stale = []
        except RuntimeError as error:  # its own "db" fixture (tests/stack/): Django's is closed
            if "Database access not allowed" not in str(error):
                raise
            stale = []
        assert not stale, f"stored category keys out of step with the categories: {stale}"
    return result
