"""Schemathesis against the live OpenAPI schema: no 5xx, no response outside the contract."""

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from django.core.management import call_command
from django.test import Client, override_settings

from directory.models import Actor, ActorKind

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_server, tmp_path):
    call_command("demo_data", "--size", "150", "--seed", "3", "--no-progress")
    assert Actor.objects.published().filter(kind=ActorKind.MARKET).exists()
    # The fuzzer sends thousands of requests from one address; the limit is tested apart.
    with override_settings(TOUTPRES_API_RATE="1000000/hour"):
        run = subprocess.run(  # noqa: S603 (our own virtualenv's schemathesis)
            [
                str(SCHEMATHESIS),
                "run",
                f"{live_server.url}/api/schema/?format=json",
                "--checks",
                CHECKS,
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "40",
                "--seed",
                "20261123",
                "--workers",
                "1",
                "--no-color",
                "--generation-database",
                "none",
                "--report",
                "junit",
                "--report-junit-path",
                str(tmp_path / "junit.xml"),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,
        )
        schema = json.loads(Client().get("/api/schema/", {"format": "json"}).content)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]
    # It really tested every operation of the contract (an empty run would pass too).
    report = ElementTree.parse(tmp_path / "junit.xml")  # noqa: S314 (written by schemathesis, just now)
    cases = report.getroot().iter("testcase")
    tested = {case.get("name") for case in cases}
    assert tested == {f"GET {path}" for path in schema["paths"]}, tested
    assert len(tested) == 11
