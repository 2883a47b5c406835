"""Template helpers."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

register = template.Library()

# The same escapes as django.utils.html.json_script: the JSON cannot close the <script>.
_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def ld_json(value) -> str:
    """A <script type="application/ld+json"> block, safe for any user-provided text inside."""
    payload = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')  # noqa: S308 (escaped above)


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (Django's dot lookup cannot take a variable key)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def distance(km_value, approximate=False) -> str:
    """A distance in kilometres written as everywhere else (the API, the map's popups, the
    e-mails): « 440 m », « 3,2 km », « 42 km », « environ 12 km » to a commune's pin."""
    from directory.serializers import km

    return km(km_value, approximate=bool(approximate))


@register.filter
def out_of_season(season) -> bool:
    """Whether today (Paris) is outside ``season`` (a Season, or None: never)."""
    from directory.schedule import paris_now

    return season is not None and not season.contains(paris_now().date())
