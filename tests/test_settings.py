"""Configuration comes from the environment and is checked at start-up."""

import os
import subprocess
import sys
from pathlib import Path

import environ
import pytest
from django.test import override_settings

from geodata.checks import check_geocoder, check_region

ROOT = Path(__file__).resolve().parent.parent
# What the test run itself sets (the browser tests allow async-unsafe ORM calls) must not
# leak into the "production" processes these tests start.
TEST_ONLY = ("DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")


def clean_environment() -> dict:
    return {k: v for k, v in os.environ.items() if k not in TEST_ONLY}


def test_database_url_selects_the_backend():
    env = environ.Env()
    spatialite = env.db_url_config("spatialite:////tmp/x.sqlite3")
    postgis = env.db_url_config("postgis://u:p@127.0.0.1:5432/tp")
    assert spatialite["ENGINE"] == "django.contrib.gis.db.backends.spatialite"
    assert postgis["ENGINE"] == "django.contrib.gis.db.backends.postgis"
    assert (postgis["HOST"], postgis["PORT"], postgis["NAME"]) == ("127.0.0.1", 5432, "tp")


def settings_in_subprocess(code: str, **env) -> str:
    environment = clean_environment()
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; {code}",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_defaults_are_spatialite_in_the_project_and_centre_val_de_loire(tmp_path):
    out = settings_in_subprocess(
        "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'], "
        "settings.TOUTPRES_REGION['NAME'], ','.join(settings.TOUTPRES_REGION['DEPARTEMENTS']), settings.DEBUG)",
        TOUTPRES_VAR_DIR=str(tmp_path),
    )
    assert out == (
        f"django.contrib.gis.db.backends.spatialite {tmp_path}/toutpres.sqlite3 "
        "Centre-Val de Loire 18,28,36,37,41,45 False"
    )
    # A per-install secret key, not a shared default.
    assert len((tmp_path / "secret_key").read_text()) >= 50


def test_region_is_configuration(tmp_path):
    out = settings_in_subprocess(
        "print(settings.TOUTPRES_REGION)",
        TOUTPRES_VAR_DIR=str(tmp_path),
        REGION_NAME="Bretagne",
        REGION_DEPARTEMENTS="22,29,35,56",
        REGION_MAP_CENTER="48.2,-2.9",
        REGION_MAP_ZOOM="8",
    )
    assert (
        out
        == "{'NAME': 'Bretagne', 'DEPARTEMENTS': ['22', '29', '35', '56'], 'MAP_CENTER': [48.2, -2.9], 'MAP_ZOOM': 8}"
    )


def test_deploy_check_is_clean_in_production_mode(tmp_path):
    environment = clean_environment()
    environment.update(
        TOUTPRES_VAR_DIR=str(tmp_path),
        SECRET_KEY="x" * 20 + "production-grade-secret-key-0123456789-abcdefghijkl",
        ALLOWED_HOSTS="toutpres.example",
        SITE_URL="https://toutpres.example",
        SECURITY_CONTACT="securite@toutpres.example",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_region_check_rejects_unknown_departements():
    region = {
        "NAME": "X",
        "DEPARTEMENTS": ["45", "99", "2C"],
        "MAP_CENTER": [47.0, 2.0],
        "MAP_ZOOM": 8,
    }
    with override_settings(TOUTPRES_REGION=region):
        errors = check_region(None)
    assert [e.id for e in errors] == ["geodata.E001"]
    assert "99" in errors[0].msg and "2C" in errors[0].msg


@pytest.mark.parametrize("center", [[95.0, 2.0], [float("nan"), 2.0], [47.0]])
def test_region_check_rejects_bad_map_centre(center):
    region = {"NAME": "X", "DEPARTEMENTS": ["45"], "MAP_CENTER": center, "MAP_ZOOM": 8}
    with override_settings(TOUTPRES_REGION=region):
        assert [e.id for e in check_region(None)] == ["geodata.E002"]


def test_default_configuration_passes_checks():
    assert check_region(None) == [] and check_geocoder(None) == []


def test_geocoder_check():
    with override_settings(TOUTPRES_GEOCODER={"BACKEND": "google", "TIMEOUT": 3}):
        assert [e.id for e in check_geocoder(None)] == ["geodata.E004"]
    with override_settings(TOUTPRES_GEOCODER={"BACKEND": "ban", "TIMEOUT": 0}):
        assert [e.id for e in check_geocoder(None)] == ["geodata.E005"]
    for broken in ({"BREAKER_FAILURES": 0}, {"BREAKER_COOLDOWN": 0}, {"BREAKER_WINDOW": -1}):
        with override_settings(TOUTPRES_GEOCODER={"BACKEND": "ban", "TIMEOUT": 1.5, **broken}):
            assert [e.id for e in check_geocoder(None)] == ["geodata.E006"], broken


def test_production_queues_tasks_in_the_database_and_immediate_is_an_opt_in(tmp_path):
    backend = "print(settings.TASKS['default']['BACKEND'])"
    assert settings_in_subprocess(backend, TOUTPRES_VAR_DIR=str(tmp_path)) == (
        "django_tasks_db.DatabaseBackend"
    ), "production must not send e-mails inside requests"
    immediate = settings_in_subprocess(
        backend, TOUTPRES_VAR_DIR=str(tmp_path), TASKS_BACKEND="immediate"
    )
    assert immediate == "django_tasks.backends.immediate.ImmediateBackend"
    timeout = settings_in_subprocess(
        "print(settings.TOUTPRES_GEOCODER['TIMEOUT'])", TOUTPRES_VAR_DIR=str(tmp_path)
    )
    assert timeout == "1.5", "the geocoder's default time-out is the short one"
