"""Enumerations shared by the directory models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    PRODUCER = "producer", _("Producteur")
    FARM_SHOP = "farm_shop", _("Producteur avec boutique")
    SHOP = "shop", _("Magasin de producteurs, épicerie")
    ARTISAN = "artisan", _("Artisan des métiers de bouche")
    MARKET = "market", _("Marché de plein air")
    PICKUP = "pickup", _("Point de retrait, drive fermier")
    BASKET = "basket", _("AMAP, paniers")

    @classmethod
    def places(cls) -> list[str]:
        """Kinds other actors sell through (the targets of distribution links)."""
        return [cls.MARKET, cls.PICKUP, cls.SHOP, cls.BASKET]


class ModerationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PENDING = "pending", _("En attente de modération")
    PUBLISHED = "published", _("Publiée")
    REJECTED = "rejected", _("Refusée")
    # Withdrawn by its owner (can publish it again), or hidden for want of confirmation.
    UNPUBLISHED = "unpublished", _("Retirée par le propriétaire")
    STALE = "stale", _("Masquée : à reconfirmer")
    ARCHIVED = "archived", _("Archivée")


class Weekday(models.IntegerChoices):
    # Python's date.weekday() numbering, so comparisons need no translation.
    MONDAY = 0, _("lundi")
    TUESDAY = 1, _("mardi")
    WEDNESDAY = 2, _("mercredi")
    THURSDAY = 3, _("jeudi")
    FRIDAY = 4, _("vendredi")
    SATURDAY = 5, _("samedi")
    SUNDAY = 6, _("dimanche")
