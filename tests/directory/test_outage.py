"""A database outage answers 503 with Retry-After and a French page, never a bare 500."""

import json

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from django.urls import get_resolver

from directory import outage

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    """Every query fails as it does while PostgreSQL restarts."""

    def refused(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "cursor", refused)
    monkeypatch.setattr(connection, "chunked_cursor", refused)


def assert_outage_page(response):
    assert response.status_code == 503, response.status_code
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert "Service momentanément indisponible" in text, text[:500]
    assert '<html lang="fr">' in text
    assert "Traceback" not in text and "OperationalError" not in text


@pytest.mark.parametrize("path", ["/", "/marches/", "/acteurs/une-ferme/", "/fenetre-sur/"])
def test_pages_answer_503_in_french(client, database_down, path):
    assert_outage_page(client.get(path))


def test_the_api_answers_json(client, database_down):
    response = client.get("/api/v1/markets/?format=json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert set(json.loads(response.content)) == {"detail"}


def test_a_registration_post_answers_503(client, database_down):
    from tests.directory.test_registration import identity

    assert_outage_page(client.post("/inscription/", identity()))


def test_interface_errors_too(client, monkeypatch):
    def closed(*args, **kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(connection, "cursor", closed)
    assert_outage_page(client.get("/marches/"))


def test_retry_after_is_a_setting(client, database_down, settings):
    settings.TOUTPRES_OUTAGE_RETRY_AFTER = 30
    assert client.get("/")["Retry-After"] == "30"


def test_english_visitors_read_it_in_english(client, database_down):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert '<html lang="en">' in response.content.decode()


def test_it_is_logged(client, database_down, caplog):
    with caplog.at_level("WARNING", logger="directory.outage"):
        client.get("/marches/")
    logged = [r for r in caplog.records if "Database unavailable" in r.getMessage()]
    assert logged, caplog.text
    # The same exceptions come from bugs too: an operator must see them as errors, with a trace.
    assert logged[0].levelname == "ERROR" and logged[0].exc_info, "a 503 must not hide the error"


class FailingResponseMiddleware:
    """A middleware that reaches the database after the view (as saving a session does)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.get_response(request)
        raise OperationalError("terminating connection due to administrator command")


def test_errors_outside_the_view_are_503_too(settings):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "tests.directory.test_outage.FailingResponseMiddleware",
    ]
    client = Client(raise_request_exception=False)
    assert_outage_page(client.get("/marches/"))
    response = client.get("/api/v1/kinds/?format=json")
    assert response.status_code == 503 and "detail" in json.loads(response.content)


def test_the_site_uses_the_outage_handler():
    assert get_resolver().resolve_error_handler(500) is outage.server_error


def test_other_errors_stay_500():
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    try:
        raise ValueError("a bug, not an outage")
    except ValueError:
        answer = outage.server_error(request)
    assert answer.status_code == 500
    assert "Retry-After" not in answer


def test_the_next_request_works_once_the_database_is_back(client, monkeypatch):
    calls = {"n": 0}
    real = connection.cursor

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("the database system is starting up")
        return real(*args, **kwargs)

    monkeypatch.setattr(connection, "cursor", flaky)
    assert client.get("/marches/").status_code == 503
    assert client.get("/marches/").status_code == 200


def test_persistent_connections_are_checked_before_reuse(tmp_path):
    from tests.test_settings import settings_in_subprocess

    code = "d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    var = str(tmp_path)
    postgis = "postgis://u:p@127.0.0.1:5432/x"
    assert settings_in_subprocess(code, TOUTPRES_VAR_DIR=var, DATABASE_URL=postgis) == "60 True"
    assert settings_in_subprocess(code, TOUTPRES_VAR_DIR=var) == "0 True"
    assert (
        settings_in_subprocess(
            code, TOUTPRES_VAR_DIR=var, DATABASE_URL=postgis, DB_CONN_MAX_AGE="5"
        )
        == "5 True"
    )
