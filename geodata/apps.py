from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeodataConfig(AppConfig):
    name = "geodata"
    verbose_name = _("Territoires et géographie")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
