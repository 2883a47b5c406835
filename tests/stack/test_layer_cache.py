"""nginx's cache of the map layer's tiles (deploy/nginx/toutpres.conf, « proxy_cache »): a
tile of the current data version is answered by nginx alone and is the same for every
visitor; a write gives new URLs, which reach the application; time-dependent and
free-text tiles are never kept by nginx."""

import gzip
import json
import math

import psycopg2
import pytest

from tests.stack.http import StackClient

CELLS_PER_TILE = 8  # directory.layercells


@pytest.fixture
def client(stack_url, insecure_tls):
    return StackClient(stack_url, insecure_tls)


@pytest.fixture
def db(stack_database_url):
    url = stack_database_url.replace("postgis://", "postgresql://", 1)
    connection = psycopg2.connect(url)
    connection.autocommit = True
    yield connection
    connection.close()


def tile_path(lon, lat, zoom):
    size = 90 / 2**zoom
    x = math.floor((lon + 180) / size) // CELLS_PER_TILE
    y = math.floor((lat + 90) / size) // CELLS_PER_TILE
    return f"/api/v1/layer/{zoom}/{x}/{y}.geojson"


def names(answer):
    assert answer.status == 200, (answer.status, answer.text[:300])
    return sorted(f["properties"].get("name", "") for f in json.loads(answer.text)["features"])


def bump(db):
    with db.cursor() as cursor:
        cursor.execute("UPDATE directory_dataversion SET value = value + 1 WHERE name = 'data'")


def test_current_tiles_are_answered_by_nginx_and_a_write_gives_new_ones(client, db):
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT id, name, ST_X(public_location), ST_Y(public_location) FROM directory_actor "
            "WHERE status = 'published' AND public_location IS NOT NULL ORDER BY id LIMIT 1"
        )
        row = cursor.fetchone()
    assert row, "the stack's demo data has no published actor"
    pk, name, lon, lat = row
    path = tile_path(lon, lat, 14)
    version = client.get(path).headers["X-Data-Version"]
    assert version, "tiles name their data version"
    first = client.get(f"{path}?v={version}")
    assert first.headers["X-Cache-Status"] in ("MISS", "EXPIRED"), first.headers
    assert name in names(first)
    second = client.get(f"{path}?v={version}")
    assert second.headers["X-Cache-Status"] == "HIT", "nginx did not keep the current tile"
    assert second.text == first.text
    # Another visitor (cookies, another language) gets the very same answer from nginx.
    other = client.get(
        f"{path}?v={version}",
        headers={"Cookie": "sessionid=someone; csrftoken=abc", "Accept-Language": "en"},
    )
    assert other.headers["X-Cache-Status"] == "HIT" and other.text == first.text
    assert not other.headers.get_all("Set-Cookie"), "a cached tile sets a cookie"
    try:
        with db.cursor() as cursor:
            cursor.execute(
                "UPDATE directory_actor SET name = name || ' (modifié)' WHERE id = %s", [pk]
            )
        bump(db)
        new_version = client.get(path).headers["X-Data-Version"]
        assert int(new_version) > int(version)
        fresh = client.get(f"{path}?v={new_version}")
        assert fresh.headers["X-Cache-Status"] != "HIT", "the new version's URL came from cache"
        assert f"{name} (modifié)" in names(fresh), "the write does not show"
    finally:
        with db.cursor() as cursor:
            cursor.execute("UPDATE directory_actor SET name = %s WHERE id = %s", [name, pk])
        bump(db)


@pytest.mark.parametrize("query", ["open=now", "q=ferme", "open=saturday", "kind=producer&x=1"])
def test_time_dependent_free_text_and_odd_tiles_are_not_kept_by_nginx(client, query):
    path = tile_path(1.9, 47.9, 9)
    version = client.get(path).headers["X-Data-Version"]
    url = f"{path}?{query}&v={version}"
    answers = [client.get(url) for _ in range(2)]
    for answer in answers:
        assert answer.status == 200, answer.text[:300]
        assert answer.headers.get("X-Cache-Status") != "HIT", (
            f"nginx kept {query}: it could serve it past its minute, or any client could "
            "fill its cache"
        )
        assert answer.max_age() <= 3600
    if query == "open=now":
        assert answers[0].max_age() <= 60, answers[0].cache_control()


def test_cached_tiles_go_out_compressed_as_nginx_keeps_them(client):
    path = tile_path(1.9, 47.9, 9)
    version = client.get(path).headers["X-Data-Version"]
    url = f"{path}?v={version}"
    client.get(url)  # nginx keeps it
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["X-Cache-Status"] == "HIT", packed.headers
    assert packed.headers.get("Content-Encoding") == "gzip", "the cached tile was not compressed"
    # A client that accepts no compression gets the same tile, unpacked by nginx.
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.headers["X-Cache-Status"] == "HIT" and not plain.headers.get("Content-Encoding")
    assert json.loads(gzip.decompress(packed.body)) == json.loads(plain.text)
    assert json.loads(plain.text)["features"], "the tile around Orléans is empty"
