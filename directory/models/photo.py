"""Photos of a listing: the farm, the shop, the products."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


def photo_path(photo, filename: str) -> str:
    # A random name: uploaded file names can carry personal details, and guessable
    # names would reveal photos of listings that are not published yet.
    return f"acteurs/{photo.actor_id}/{uuid.uuid4().hex}.jpg"


class ActorPhoto(models.Model):
    actor = models.ForeignKey(
        "Actor", on_delete=models.CASCADE, related_name="photos", verbose_name=_("acteur")
    )
    image = models.ImageField(
        _("photo"),
        upload_to=photo_path,
        width_field="width",
        height_field="height",
        help_text=_("JPEG, PNG ou WebP, 10 Mo au plus. Réduite à 1 600 pixels, sans métadonnées."),
    )
    width = models.PositiveIntegerField(editable=False, null=True)
    height = models.PositiveIntegerField(editable=False, null=True)
    alt_text = models.CharField(
        _("ce que montre la photo"),
        max_length=200,
        help_text=_("Lu aux personnes aveugles ou malvoyantes, ex. « Chèvres au pré »."),
    )
    credit = models.CharField(_("crédit"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.alt_text
