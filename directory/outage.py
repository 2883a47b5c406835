"""A database outage (restart, failover, connection lost) answers 503 with Retry-After.

The middleware turns the errors raised by views into the 503 page; ``server_error`` (the
handler500) does the same for errors raised elsewhere (another middleware saving the
session, counting a page view). Both answer JSON under /api/. Neither touches the
database, and the next request reconnects by itself (CONN_HEALTH_CHECKS).
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, InterfaceError)


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def outage_response(request, exc: BaseException):
    """The 503 answer: the French page (JSON under /api/), never cached, with Retry-After."""
    # An error, with its traceback: the same exceptions also come from a bug (SQLite's « no
    # such column », a cancelled statement), which a 503 must not hide from the operator.
    logger.error(
        "Database unavailable while serving %s %s: %s: %s",
        request.method,
        request.path,
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        exc_info=exc,
    )
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": _("Service momentanément indisponible : réessayez dans un instant.")},
            status=503,
        )
    else:
        # No request context: context processors may read the database, which is down.
        html = loader.get_template("503.html").render({"retry_after": retry_after()})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(retry_after())
    add_never_cache_headers(response)
    return response


def retry_after() -> int:
    return settings.TOUTPRES_OUTAGE_RETRY_AFTER


class DatabaseOutageMiddleware:
    """Database errors raised by a view become a 503 (logged as an error, with its traceback)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_outage(exception):
            return outage_response(request, exception)
        return None


def server_error(request, template_name="500.html"):
    """handler500: a database error raised outside the view is an outage too (503)."""
    exc = sys.exc_info()[1]
    if is_outage(exc):
        return outage_response(request, exc)
    return django_server_error(request, template_name=template_name)
