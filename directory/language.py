"""The language menu's form: posted without a CSRF token, refused when another site sends it.

Public pages hold no CSRF token so that they can be kept in the page cache
(directory.pagecache), and the language menu is the only form they carry. Without a token,
what tells a visitor's own choice from a hidden form on another site is what every current
browser says of a request's origin: ``Sec-Fetch-Site`` and ``Origin``.
"""

from django.conf import settings
from django.views.csrf import csrf_failure
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language as django_set_language


def same_site(request) -> bool:
    """False when the browser says another site sent this request."""
    if request.headers.get("Sec-Fetch-Site", "") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    if origin is None:  # a browser that predates both headers, or a script
        return True
    own = f"{request.scheme}://{request.get_host()}"
    return origin == own or origin in settings.CSRF_TRUSTED_ORIGINS


@csrf_exempt
def set_language(request):
    if request.method == "POST" and not same_site(request):
        return csrf_failure(request, reason="language change sent by another site")
    return django_set_language(request)
