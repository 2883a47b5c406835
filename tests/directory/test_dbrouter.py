"""The read replica's settings and middleware, without a replica (the real replication is
tested in tests/stack/test_replica.py): nothing changes when DATABASE_REPLICA_URL is unset,
and which requests may read the replica."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from directory import dbrouter
from tests.test_settings import settings_in_subprocess

REPLICA_SETTINGS = (
    "print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS, "
    "settings.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'))"
)


def test_without_a_replica_there_is_one_database_and_no_router(tmp_path):
    out = settings_in_subprocess(REPLICA_SETTINGS, TOUTPRES_VAR_DIR=str(tmp_path), SECRET_KEY="x")
    assert out == "['default'] [] None", out


def test_database_replica_url_adds_the_replica_and_its_router(tmp_path):
    out = settings_in_subprocess(
        REPLICA_SETTINGS,
        TOUTPRES_VAR_DIR=str(tmp_path),
        SECRET_KEY="x",
        DATABASE_URL="postgis://u:p@primary:5432/toutpres",
        DATABASE_REPLICA_URL="postgis://u:p@replica:5432/toutpres",
    )
    assert out == "['default', 'replica'] ['directory.dbrouter.PrimaryReplicaRouter'] default", out


class _User:
    is_authenticated = True


@pytest.fixture
def middleware(monkeypatch):
    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)
    seen = {}

    def view(request):
        seen["public"] = dbrouter._public_request.get()
        return HttpResponse("ok")

    return dbrouter.ReplicaMiddleware(view), seen


@pytest.mark.parametrize(
    ("method", "user", "cookies", "public"),
    [
        ("get", AnonymousUser(), {}, True),
        ("head", AnonymousUser(), {}, True),
        ("get", _User(), {}, False),  # owners and staff read their own writes
        ("get", AnonymousUser(), {dbrouter.STICKY_COOKIE: "1"}, False),  # wrote just now
        ("post", AnonymousUser(), {}, False),
    ],
)
def test_which_requests_may_read_the_replica(middleware, method, user, cookies, public):
    handler, seen = middleware
    request = getattr(RequestFactory(), method)("/")
    request.user, request.COOKIES = user, cookies
    response = handler(request)
    assert seen["public"] is public
    assert dbrouter._public_request.get() is False, "the mark leaked past the request"
    assert (dbrouter.STICKY_COOKIE in response.cookies) is (method == "post"), (
        "only a request that may write sets the read-your-writes cookie"
    )


def test_outside_requests_everything_reads_the_primary():
    from directory.models import Actor

    assert dbrouter.PrimaryReplicaRouter().db_for_read(Actor) == "default"
    assert dbrouter.PrimaryReplicaRouter().allow_migrate("replica", "directory") is False
