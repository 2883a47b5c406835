"""Open-air markets' authorisation to open (in spring 2020 prefects authorised them one by one)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MarketAuthorisation(models.Model):
    class Status(models.TextChoices):
        AUTHORISED = "authorised", _("Autorisé")
        SUSPENDED = "suspended", _("Suspendu")
        UNKNOWN = "unknown", _("Non communiqué")

    market = models.OneToOneField(
        "Actor",
        on_delete=models.CASCADE,
        related_name="authorisation",
        verbose_name=_("marché"),
        limit_choices_to={"kind": "market"},
    )
    status = models.CharField(
        _("autorisation"), max_length=20, choices=Status.choices, default=Status.UNKNOWN
    )
    since = models.DateField(_("depuis le"), null=True, blank=True)
    note = models.CharField(
        _("remarque"), max_length=200, blank=True, help_text=_("Arrêté, conditions…")
    )

    class Meta:
        verbose_name = _("autorisation d'ouverture")
        verbose_name_plural = _("autorisations d'ouverture")

    def __str__(self):
        return f"{self.market}: {self.get_status_display()}"
