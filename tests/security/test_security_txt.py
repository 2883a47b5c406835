"""/.well-known/security.txt tells a finder where to report (RFC 9116)."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def test_security_txt_lists_the_configured_contacts(client, settings):
    settings.TOUTPRES_SECURITY_CONTACT = ["securite@region.example", "https://region.example/cve"]
    settings.TOUTPRES_SECURITY_POLICY_URL = "https://region.example/politique"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    fields = [line.split(": ", 1) for line in response.content.decode().splitlines()]
    assert ("Contact", "mailto:securite@region.example") in map(tuple, fields)
    assert ("Contact", "https://region.example/cve") in map(tuple, fields)
    assert ("Policy", "https://region.example/politique") in map(tuple, fields)
    expires = dict(fields)["Expires"]
    when = datetime.datetime.strptime(expires, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    left = when - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(days=30) < left < datetime.timedelta(days=365), (
        "RFC 9116 wants an expiry less than a year away, and not about to lapse"
    )


def test_no_contact_no_file_and_the_deploy_check_warns(client, settings):
    settings.TOUTPRES_SECURITY_CONTACT = []
    assert client.get("/.well-known/security.txt").status_code == 404
    with pytest.raises(SystemCheckError, match="directory.W010"):
        call_command("check", deploy=True, fail_level="WARNING", tags=["security"])
