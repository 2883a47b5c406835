"""/alertes/: subscribe, confirm (double opt-in), unsubscribe in one click."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import tasks
from ..models import Alert
from ..registration.ratelimit import allow_request
from . import services
from .forms import AlertForm


def subscribe(request):
    form = AlertForm(request.POST or None, initial={"place": request.GET.get("place", "")[:150]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not allow_request(request, "alert", data["email"]):
            form.add_error(None, _("Trop de demandes : réessayez dans une heure."))
        else:
            # Looked up and answered by e-mail in a background task, and the same page for
            # every address: nobody learns whether it subscribed, nor how often.
            tasks.subscribe_alert.enqueue(
                data["email"],
                data["place"],
                data["point"].x,
                data["point"].y,
                data["radius_km"],
                [category.slug for category in data["categories"]],
                (get_language() or settings.LANGUAGE_CODE)[:8],
            )
            return render(request, "alerts/sent.html", {"email": data["email"]})
    return render(
        request, "alerts/subscribe.html", {"form": form}, status=400 if form.errors else 200
    )


def confirm(request, token):
    """GET shows a button, POST confirms: mail scanners that open links confirm nothing."""
    alert = get_object_or_404(Alert, token=token)
    if request.method == "POST":
        if services.confirm(alert):
            return redirect("directory:alert-confirm", token=token)
        return _over_limit(request, alert)
    return render(request, "alerts/confirm.html", {"alert": alert})


def _over_limit(request, alert):
    """Only the holder of the alert's link gets here: telling the cap reveals nothing."""
    return render(
        request,
        "alerts/confirm.html",
        {"alert": alert, "over_limit": services.MAX_ALERTS_PER_EMAIL},
        status=409,
    )


@csrf_exempt  # the token is the secret; mail clients' one-click POST carries no CSRF token
def unsubscribe(request, token):
    """One click: the link in the e-mail unsubscribes at once (GET), as does the RFC 8058
    POST of mail clients. The page offers to undo it."""
    alert = get_object_or_404(Alert, token=token)
    services.unsubscribe(alert)
    if request.method == "POST":
        return HttpResponse(
            _("Désabonnement enregistré."), content_type="text/plain; charset=utf-8"
        )
    return render(request, "alerts/unsubscribed.html", {"alert": alert})


@require_POST
def resubscribe(request, token):
    alert = get_object_or_404(Alert, token=token)
    if not services.confirm(alert):
        return _over_limit(request, alert)
    return redirect("directory:alert-confirm", token=token)
