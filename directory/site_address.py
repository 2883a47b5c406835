"""The site's public address (SITE_URL): every link that leaves a request, in e-mails, open
data files, downloaded maps and import reports, is built from it, since there is no Host
header to read when a task or a command writes them."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.http.request import validate_host

LOCAL_NAMES = {"localhost", "localhost.localdomain"}


def _is_local(host: str) -> bool:
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs):
    """directory.W030: in production, SITE_URL must be the public https address this
    server answers to, or every link written outside a request points elsewhere."""
    url = urlsplit(settings.TOUTPRES_SITE_URL)
    host = url.hostname or ""
    problems = []
    if not host or _is_local(host):
        problems.append(f"its host ({host or '—'}) is this machine, not the public site")
    if url.scheme != "https":
        problems.append("it is not https")
    if host and not validate_host(host, settings.ALLOWED_HOSTS):
        problems.append("its host is not in ALLOWED_HOSTS")
    if not problems:
        return []
    return [
        checks.Warning(
            f"SITE_URL ({settings.TOUTPRES_SITE_URL}): {'; '.join(problems)}. Links in "
            "e-mails, open data files, downloaded maps and import reports are built from it.",
            hint="Set SITE_URL to the site's public address, e.g. https://toutpres.example.fr.",
            id="directory.W030",
        )
    ]
