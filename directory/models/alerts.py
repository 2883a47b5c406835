"""« Nouveau près de chez moi » : a consumer's e-mail alert for new or reopened listings
around a place, confirmed by e-mail (double opt-in), sent as a weekly digest."""

import uuid

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from .taxonomy import Category


class AlertQuerySet(models.QuerySet):
    def active(self):
        """Confirmed and not unsubscribed: the alerts that get digests."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Alert(models.Model):
    email = models.EmailField(_("e-mail"), db_index=True)
    place = models.CharField(_("lieu"), max_length=150)
    # Read one alert at a time (its digest searches the listings around it): no index.
    location = models.PointField(_("position"), srid=4326, spatial_index=False)
    radius_km = models.PositiveSmallIntegerField(_("rayon (km)"))
    categories = models.ManyToManyField(
        Category, blank=True, related_name="+", verbose_name=_("catégories")
    )
    # Secret of the confirmation and unsubscribe links: whoever has it manages this alert.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    language = models.CharField(max_length=8, default="fr")
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("désabonnée le"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("dernier envoi"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alerte « nouveau près de chez moi »")
        verbose_name_plural = _("alertes « nouveau près de chez moi »")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.email} — {self.place} ({self.radius_km} km)"


class AlertDelivery(models.Model):
    """A listing sent to an alert: never sent to it again."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    actor = models.ForeignKey("Actor", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("fiche envoyée")
        verbose_name_plural = _("fiches envoyées")
        constraints = [
            models.UniqueConstraint(fields=["alert", "actor"], name="alert_delivery_once")
        ]
