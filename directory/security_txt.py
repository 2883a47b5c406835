"""/.well-known/security.txt (RFC 9116): where to report a vulnerability.

The contact is the operator's (SECURITY_CONTACT): a region runs the site, and reports must
reach the people who can act on that deployment. Without one the file does not exist, and
``manage.py check --deploy`` says so (directory.W010).
"""

import datetime

from django.conf import settings
from django.core import checks
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# RFC 9116 asks for an expiry under a year away; the file is generated, so it never goes stale.
VALID_FOR = datetime.timedelta(days=180)


def contacts() -> list[str]:
    """The configured contacts as URIs: a bare e-mail address becomes a mailto: URI."""
    uris = []
    for contact in settings.TOUTPRES_SECURITY_CONTACT:
        contact = contact.strip()
        if not contact:
            continue
        if "@" in contact and ":" not in contact:
            contact = f"mailto:{contact}"
        uris.append(contact)
    return uris


@require_GET
@cache_control(public=True, max_age=86400)
def security_txt(request):
    """GET /.well-known/security.txt."""
    uris = contacts()
    if not uris:
        raise Http404
    expires = (timezone.now() + VALID_FOR).replace(microsecond=0)
    lines = [f"Contact: {uri}" for uri in uris]
    lines += [
        f"Expires: {expires.astimezone(datetime.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: fr, en",
        f"Canonical: {settings.TOUTPRES_SITE_URL}/.well-known/security.txt",
    ]
    if settings.TOUTPRES_SECURITY_POLICY_URL:
        lines.append(f"Policy: {settings.TOUTPRES_SECURITY_POLICY_URL}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@checks.register(checks.Tags.security, deploy=True)
def check_security_contact(app_configs, **kwargs):
    if contacts():
        return []
    return [
        checks.Warning(
            "SECURITY_CONTACT is empty: /.well-known/security.txt is not served, so nobody "
            "knows where to report a vulnerability.",
            hint="Set SECURITY_CONTACT to an e-mail address or https:// URL of your team.",
            id="directory.W010",
        )
    ]
