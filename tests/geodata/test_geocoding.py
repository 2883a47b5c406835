"""Geocoding: the BAN adapter against a local stand-in of the BAN API, and the offline fallback."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import override_settings

from geodata.geocoding import (
    BANGeocoder,
    FallbackGeocoder,
    GazetteerGeocoder,
    GeocodingError,
    geocode,
    get_geocoder,
)

pytestmark = pytest.mark.django_db

FEATURE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [1.909110, 47.902890]},
    "properties": {
        "label": "Place de l'Étape 45000 Orléans",
        "score": 0.97,
        "type": "street",
        "citycode": "45234",
        "city": "Orléans",
        "postcode": "45000",
    },
}


class StandIn(BaseHTTPRequestHandler):
    """Answers like api-adresse.data.gouv.fr/search/, or fails as told by the query."""

    def do_GET(self):  # noqa: N802 (http.server API)
        url = urlparse(self.path)
        query = parse_qs(url.query).get("q", [""])[0]
        self.server.requests.append((url.path, query))
        if query.startswith("lent"):
            time.sleep(1.5)
        if query.startswith("panne"):
            return self.reply(503, b'{"message": "Service Unavailable"}')
        if query.startswith("charabia"):
            return self.reply(200, b"<html>not json</html>")
        if query.startswith("horsborne"):
            feature = dict(FEATURE, geometry={"type": "Point", "coordinates": [200.0, 95.0]})
            return self.reply(200, json.dumps({"features": [feature]}).encode())
        features = [] if query.startswith("introuvable") else [FEATURE]
        self.reply(200, json.dumps({"type": "FeatureCollection", "features": features}).encode())

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def ban_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture
def ban(ban_server):
    host, port = ban_server.server_address
    return BANGeocoder(domain=f"{host}:{port}", scheme="http", timeout=0.5)


def test_ban_adapter_maps_the_answer(ban, ban_server):
    result = ban.geocode("1 place de l'Étape, Orléans")
    assert (result.latitude, result.longitude) == (47.90289, 1.90911)
    assert result.label == "Place de l'Étape 45000 Orléans"
    assert (result.commune_code, result.precision, result.source) == ("45234", "street", "ban")
    assert not result.approximate
    assert result.point.srid == 4326
    assert ban_server.requests[-1] == ("/search", "1 place de l'Étape, Orléans")


def test_ban_nothing_found_is_none(ban):
    assert ban.geocode("introuvable rue") is None
    assert ban.geocode("  ") is None


@pytest.mark.parametrize("query", ["panne générale", "charabia", "horsborne"])
def test_ban_errors_raise_geocoding_error(ban, query):
    with pytest.raises(GeocodingError):
        ban.geocode(query)


def test_ban_timeout_raises_geocoding_error_quickly(ban):
    started = time.monotonic()
    with pytest.raises(GeocodingError, match="délai"):
        ban.geocode("lent à répondre")
    assert time.monotonic() - started < 1.4  # the 0.5 s timeout applied, not the server's 1.5 s


def test_unreachable_service_raises_geocoding_error():
    # A port nobody listens on: connection refused, immediately.
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(GeocodingError):
        BANGeocoder(domain=f"127.0.0.1:{port}", scheme="http", timeout=0.5).geocode("Orléans")


@pytest.mark.parametrize(
    "query", ["panne générale 45000 Orléans", "lent 45000 Orléans", "introuvable 45000 Orléans"]
)
def test_fallback_to_gazetteer_when_ban_fails_or_finds_nothing(ban, query):
    result = FallbackGeocoder(ban, GazetteerGeocoder()).geocode(query)
    assert result.source == "gazetteer"
    assert result.commune_code == "45234"
    assert result.approximate


def test_fallback_keeps_the_ban_answer_when_it_works(ban):
    result = FallbackGeocoder(ban, GazetteerGeocoder()).geocode("1 place de l'Étape Orléans")
    assert result.source == "ban"


def test_a_bare_commune_is_answered_by_the_gazetteer_without_the_ban(ban, ban_server):
    """Only street addresses go to the service: a commune or postal code resolves locally."""
    before = len(ban_server.requests)
    for query in ("Orléans", "45000", "45000 Orléans", "Tours 37", "TOURS"):
        result = FallbackGeocoder(ban, GazetteerGeocoder()).geocode(query)
        assert result is not None and result.source == "gazetteer", query
    assert len(ban_server.requests) == before, "a commune name reached the BAN"


@pytest.mark.parametrize(
    "query, code",
    [
        ("45000", "45234"),
        ("45000 Orléans", "45234"),
        ("Orléans", "45234"),
        ("orleans", "45234"),
        ("12 rue des Lilas, 45160 Olivet", "45232"),
        ("3 rue Nationale 37000 Tours", "37261"),
        ("8 chemin des Vignes Saint-Jean-de-Braye", "45284"),
        ("st jean de braye", "45284"),
        ("Vendôme", "41269"),
    ],
)
def test_offline_geocoder_resolves_postal_codes_and_communes(query, code):
    result = GazetteerGeocoder().geocode(query)
    assert result.commune_code == code
    assert result.precision == "municipality"


def test_offline_geocoder_gives_the_town_hall():
    result = GazetteerGeocoder().geocode("Bourges")
    assert (result.latitude, result.longitude) == (
        pytest.approx(47.0799, abs=1e-3),
        pytest.approx(2.3991, abs=1e-3),
    )


@pytest.mark.parametrize("query", ["", "zzqxw", "99999"])
def test_offline_geocoder_unknown_is_none(query):
    assert GazetteerGeocoder().geocode(query) is None


def test_settings_choose_the_geocoder(ban_server):
    assert isinstance(get_geocoder(), GazetteerGeocoder)
    host, port = ban_server.server_address
    config = {
        "BACKEND": "ban",
        "BAN_DOMAIN": f"{host}:{port}",
        "BAN_SCHEME": "http",
        "TIMEOUT": 0.5,
        "USER_AGENT": "test",
    }
    with override_settings(TOUTPRES_GEOCODER=config):
        geocoder = get_geocoder()
        assert isinstance(geocoder, FallbackGeocoder)
        assert geocode("1 place de l'Étape Orléans").source == "ban"
        assert geocode("panne 37000 Tours").commune_code == "37261"


def test_geocode_answers_are_cached(ban_server):
    host, port = ban_server.server_address
    config = {
        "BACKEND": "ban",
        "BAN_DOMAIN": f"{host}:{port}",
        "BAN_SCHEME": "http",
        "TIMEOUT": 0.5,
        "USER_AGENT": "t",
    }
    with override_settings(TOUTPRES_GEOCODER=config):
        before = len(ban_server.requests)
        first = geocode("2 place de l'Étape, Orléans")
        again = geocode("2 PLACE DE L'ETAPE ORLEANS")  # same address, typed differently
        assert first == again and first.source == "ban"
        assert len(ban_server.requests) == before + 1
