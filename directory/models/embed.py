"""Embed views per partner site and day: counted without cookies or personal data."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmbedView(models.Model):
    """How many times the embedded map was loaded from one site (the Referer's origin only,
    e.g. "https://www.chambre-agriculture-41.fr") on one day. No IP address, user agent,
    path or cookie is read or stored: the count is all there is."""

    day = models.DateField(_("jour"))
    origin = models.CharField(
        _("site partenaire"),
        max_length=200,
        blank=True,
        help_text=_(
            "Origine de la page qui intègre la carte ; vide si le navigateur ne la dit pas."
        ),
    )
    views = models.PositiveIntegerField(_("affichages"), default=0)

    class Meta:
        verbose_name = _("affichage de la carte intégrée")
        verbose_name_plural = _("affichages de la carte intégrée")
        ordering = ["-day", "-views", "origin"]
        constraints = [
            models.UniqueConstraint(fields=["day", "origin"], name="embed_view_unique_day_origin")
        ]

    def __str__(self):
        return f"{self.day} {self.origin or '?'} : {self.views}"
