"""Several app servers: two gunicorn servers on two ports, sharing the database cache (the
production default) and media on S3-compatible object storage (MEDIA_STORAGE=s3, through
django-storages), against moto's S3 server as a local stand-in."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from io import BytesIO

import pytest
from PIL import Image

from tests.stack.processes import ROOT, DjangoProcess, migrated_database, production_env

BUCKET = "toutpres-media"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port, process, what):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited ({process.returncode})")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"{what} did not listen on {port}")


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (local servers)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def s3():
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, server, "moto's S3 server")
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=BUCKET)
        # What docs/operators.md asks of the operator: anyone may read the media bucket.
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{BUCKET}/*",
                }
            ],
        }
        client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
        yield f"http://127.0.0.1:{port}", client
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def stack_env(s3, tmp_path_factory):
    endpoint, _ = s3
    base = tmp_path_factory.mktemp("servers")
    env = production_env(
        base,
        DATABASE_URL=migrated_database(tmp_path_factory.mktemp("migrate")),
        MEDIA_STORAGE="s3",
        S3_ENDPOINT_URL=endpoint,
        S3_BUCKET=BUCKET,
        S3_REGION="us-east-1",
        S3_ACCESS_KEY_ID="test",
        S3_SECRET_ACCESS_KEY="test",
        STATIC_ROOT=str(base / "static"),
        API_RATE_LIMIT="6/hour",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return env


@pytest.fixture(scope="module")
def two_servers(stack_env):
    ports, servers = [_free_port(), _free_port()], []
    try:
        for port in ports:
            servers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "config.wsgi",
                        "-b",
                        f"127.0.0.1:{port}",
                        "-w",
                        "1",
                        "--access-logfile",
                        os.devnull,
                    ],
                    cwd=ROOT,
                    env=stack_env,
                )
            )
        for port, server in zip(ports, servers, strict=True):
            _wait_for_port(port, server, "gunicorn")
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)


def _jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def test_a_photo_lands_in_the_bucket_and_every_server_shows_it(s3, stack_env, two_servers):
    _, client = s3
    app = DjangoProcess(stack_env)
    try:
        slug, name, url = app.run(
            f"""
            from django.contrib.gis.geos import Point
            from django.core.files.uploadedfile import SimpleUploadedFile
            from directory.models import Actor, ActorKind, ActorPhoto, ModerationStatus
            actor = Actor.objects.create(
                name="Ferme au seau", slug="ferme-au-seau", kind=ActorKind.PRODUCER,
                status=ModerationStatus.PUBLISHED, location=Point(1.9, 47.9, srid=4326),
            )
            photo = ActorPhoto.objects.create(
                actor=actor, alt_text="Le seau",
                image=SimpleUploadedFile("seau.jpg", {_jpeg()!r}, content_type="image/jpeg"),
            )
            result = [actor.slug, photo.image.name, photo.image.url]
            """
        )
    finally:
        app.close()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert name in keys, f"the photo {name} is not in the bucket ({keys})"
    assert url.startswith(f"{stack_env['S3_ENDPOINT_URL']}/{BUCKET}/"), url
    status, body = _get(url)
    assert status == 200 and body == _jpeg(), "the photo's URL does not serve the photo"
    for server in two_servers:
        status, page = _get(f"{server}/acteurs/{slug}/")
        assert status == 200, f"{server}: {status}"
        assert url.encode() in page or re.escape(name).encode() in page, (
            f"{server}'s page does not show the photo from the bucket"
        )


def test_two_servers_share_the_rate_limits(two_servers):
    statuses = [
        _get(f"{two_servers[n % 2]}/api/v1/kinds/")[0]  # alternately on each server
        for n in range(8)
    ]
    assert statuses.count(200) == 6 and statuses[-2:] == [429, 429], (
        f"a limit of 6/hour, counted across two servers, gave {statuses}"
    )
