"""Template context shared by every page."""

from django.conf import settings


def site(request):
    return {"REGION": settings.TOUTPRES_REGION}
