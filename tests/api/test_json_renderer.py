"""The API's JSON is written by orjson (directory.api.base.JSONRenderer): it must say
exactly what DRF's own renderer said, so that no client sees a change of format."""

import datetime
import decimal
import json
import uuid

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from directory.api.base import GeoJSONRenderer, JSONRenderer

VALUES = {
    "accents": "Marché de Châteauroux — « bio »",
    "html": '<script>alert(1)</script> & "quotes"',
    "separators": "ligne\u2028paragraphe\u2029fin",
    "emoji": "🥕",
    "when": datetime.datetime(2026, 12, 2, 8, 30, 5, 123456, tzinfo=datetime.UTC),
    "naive": datetime.datetime(2026, 12, 2, 8, 30),
    "day": datetime.date(2026, 12, 24),
    "opens": datetime.time(8, 0),
    "amount": decimal.Decimal("12.50"),
    "lazy": gettext_lazy("Marché"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "numbers": [0, -1, 2**53, 0.1, 1e-7, 47.123456, -1.5],
    "nested": {"a": [None, True, False], "b": ()},
    3: "integer key",
}


def test_same_bytes_as_drf():
    ours = JSONRenderer().render(VALUES)
    theirs = DRFJSONRenderer().render(VALUES)
    assert json.loads(ours) == json.loads(theirs), "orjson's JSON says something else than DRF's"
    # Byte for byte but for number spelling (1e-07 / 1e-7): same text otherwise.
    without_numbers = {k: v for k, v in VALUES.items() if k != "numbers"}
    assert JSONRenderer().render(without_numbers) == DRFJSONRenderer().render(without_numbers)


def test_line_separators_are_escaped_as_drf_does():
    content = JSONRenderer().render({"text": "a\u2028b\u2029c"})
    assert content == b'{"text":"a\\u2028b\\u2029c"}', content


def test_not_a_number_is_null_not_an_error():
    assert JSONRenderer().render({"x": float("nan"), "y": float("inf")}) == b'{"x":null,"y":null}'


def test_nothing_is_an_empty_body_and_geojson_shares_the_writer():
    assert JSONRenderer().render(None) == b""
    assert GeoJSONRenderer().render({"type": "FeatureCollection", "features": []}) == (
        b'{"type":"FeatureCollection","features":[]}'
    )


def test_search_api_answers_utf8_json(client, db):
    response = client.get("/api/v1/kinds/", secure=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content.decode("utf-8"))
    assert data, "the kinds list is empty"
    assert "\\u00e9" not in response.content.decode(), "accents must be written as they are"
