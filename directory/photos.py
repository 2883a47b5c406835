"""Photo uploads: checked, turned upright, resized and re-encoded before they are stored.

Re-encoding is the point: phone photos carry EXIF metadata, often with the GPS position
of a home-based producer whose address the site deliberately hides; they are also 4 to
12 MB, far too heavy for a consumer on a phone network.
"""

from io import BytesIO

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .models import ActorPhoto

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
# 50 megapixels: any camera's photo, but not a "decompression bomb" that would fill memory.
MAX_PIXELS = 50_000_000
FORMATS = {"JPEG", "PNG", "WEBP"}
PHOTOS_PER_ACTOR = 5


def normalise(upload) -> ContentFile:
    """A clean JPEG of the upload, at most MAX_SIDE px, without metadata.

    Raises forms.ValidationError with a message a producer can act on.
    """
    if upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(
            _("Fichier trop lourd (%(size)s) : %(max)s au plus."),
            params={"size": filesizeformat(upload.size), "max": filesizeformat(MAX_UPLOAD_BYTES)},
            code="too_big",
        )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if image.format not in FORMATS:
                raise forms.ValidationError(
                    _("Format %(format)s non accepté : envoyez une photo JPEG, PNG ou WebP."),
                    params={"format": image.format},
                    code="format",
                )
            if image.width * image.height > MAX_PIXELS:
                raise forms.ValidationError(
                    _("Image trop grande (%(w)d × %(h)d pixels)."),
                    params={"w": image.width, "h": image.height},
                    code="too_many_pixels",
                )
            image = ImageOps.exif_transpose(image)  # phones store "rotate me" in EXIF
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            if image.mode in ("RGBA", "LA", "P"):
                # Transparency becomes white, as on the page.
                image = image.convert("RGBA")
                background = Image.new("RGB", image.size, "white")
                background.paste(image, mask=image.getchannel("A"))
                image = background
            elif image.mode != "RGB":
                image = image.convert("RGB")
            out = BytesIO()
            # No exif= argument: nothing of the original metadata is written back.
            image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise forms.ValidationError(
            _("Ce fichier n'est pas une image lisible : envoyez une photo JPEG, PNG ou WebP."),
            code="invalid",
        ) from None
    return ContentFile(out.getvalue(), name="photo.jpg")


def normalise_if_new(value):
    """A fresh upload normalised; a file already stored (the form's initial value) kept."""
    return normalise(value) if isinstance(value, UploadedFile) else value


class PhotoForm(forms.ModelForm):
    """Used by the admin and by owners: every new upload goes through normalise()."""

    class Meta:
        model = ActorPhoto
        fields = ["image", "alt_text", "credit", "position"]

    def clean_image(self):
        return normalise_if_new(self.cleaned_data.get("image"))


class PhotoFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            f
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("image")
        ]
        if len(kept) > PHOTOS_PER_ACTOR:
            raise forms.ValidationError(
                _("%(max)d photos au plus par fiche."), params={"max": PHOTOS_PER_ACTOR}
            )


@receiver(post_delete, sender=ActorPhoto)
def delete_file(sender, instance, **kwargs):
    """A deleted photo takes its file along (also when its listing is deleted)."""
    if instance.image:
        instance.image.storage.delete(instance.image.name)
