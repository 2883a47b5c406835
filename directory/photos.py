"""Photo uploads: checked, turned upright, resized and re-encoded before they are stored.

Re-encoding is the point: phone photos carry EXIF metadata, often with the GPS position
of a home-based producer whose address the site deliberately hides; they are also 4 to
12 MB, far too heavy for a consumer on a phone network. Nothing of the original's
metadata is written back: no EXIF (GPS included), XMP, IPTC, JPEG comment or PNG text;
colours described by an ICC profile are converted to sRGB, and the profile dropped.

Memory stays bounded whatever the upload claims: dimensions are read from the header and
checked before anything is decoded, JPEGs are decoded directly at a reduced scale (1/2,
1/4 or 1/8, by the JPEG decoder itself), and formats that cannot be decoded smaller (PNG,
WebP) are refused past MAX_DECODED_PIXELS.
"""

from io import BytesIO

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .models import ActorPhoto

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
# Any camera's photo (108-megapixel phones included), refused past this from the header.
MAX_PIXELS = 120_000_000
# The most pixels ever decoded at once: 16 megapixels is 48 MB in RGB, 64 MB in CMYK.
# A JPEG is decoded at the scale that brings it nearest above MAX_SIDE (a 48-megapixel
# photo at 1/4, about 3 megapixels); a PNG or WebP is decoded whole.
MAX_DECODED_PIXELS = 16_000_000
FORMATS = {"JPEG", "PNG", "WEBP"}
PHOTOS_PER_ACTOR = 5
_SRGB = ImageCms.createProfile("sRGB")


def _too_big(width: int, height: int, max_pixels: int) -> forms.ValidationError:
    return forms.ValidationError(
        _("Image trop grande (%(w)d × %(h)d pixels) : %(max)d mégapixels au plus."),
        params={"w": width, "h": height, "max": max_pixels // 1_000_000},
        code="too_many_pixels",
    )


def _reduced_decode(image: Image.Image) -> None:
    """Decode a JPEG at the smallest DCT scale still at least MAX_SIDE (Image.draft), and
    refuse what would still decode too big."""
    width, height = image.size
    factor = max(width, height) / MAX_SIDE
    if image.format == "JPEG" and factor > 1:
        image.draft("RGB", (int(width / factor), int(height / factor)))
    if image.size[0] * image.size[1] > MAX_DECODED_PIXELS:
        if image.format == "JPEG":
            raise _too_big(width, height, MAX_PIXELS)
        raise forms.ValidationError(
            _(
                "Image trop grande (%(w)d × %(h)d pixels) : %(max)d mégapixels au plus en PNG "
                "ou WebP. Envoyez-la en JPEG, ou réduisez-la."
            ),
            params={"w": width, "h": height, "max": MAX_DECODED_PIXELS // 1_000_000},
            code="too_many_pixels",
        )
    image.load()


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Colours as they were meant (Display P3, Adobe RGB…) in sRGB, the web's space."""
    if not icc_profile or image.mode not in ("RGB", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unreadable profile: keep the pixels as they are


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
        with Image.open(upload) as image:  # reads the header only
            if image.format not in FORMATS:
                raise forms.ValidationError(
                    _("Format %(format)s non accepté : envoyez une photo JPEG, PNG ou WebP."),
                    params={"format": image.format},
                    code="format",
                )
            if image.width * image.height > MAX_PIXELS:
                raise _too_big(image.width, image.height, MAX_PIXELS)
            _reduced_decode(image)
            icc_profile = image.info.get("icc_profile")
            ImageOps.exif_transpose(image, in_place=True)  # phones store "rotate me" in EXIF
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            image = _to_srgb(image, icc_profile)
            if image.mode in ("RGBA", "LA", "P", "PA"):
                # Transparency becomes white, as on the page.
                image = image.convert("RGBA")
                background = Image.new("RGB", image.size, "white")
                background.paste(image, mask=image.getchannel("A"))
                image = background
            elif image.mode != "RGB":
                image = image.convert("RGB")
            # Pillow writes some of image.info back (a JPEG's comment): start from nothing.
            image.info = {}
            out = BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    except Image.DecompressionBombError:
        # Past Pillow's own limit (Image.MAX_IMAGE_PIXELS), refused from the header.
        raise forms.ValidationError(
            _("Image trop grande : %(max)d mégapixels au plus."),
            params={"max": MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise forms.ValidationError(
            _("Ce fichier n'est pas une image lisible : envoyez une photo JPEG, PNG ou WebP."),
            code="invalid",
        ) from None
    return ContentFile(out.getvalue(), name="photo.jpg")


class PhotoField(forms.ImageField):
    """Django's image field, saying "too large" of a decompression bomb rather than "not
    an image" (its own check opens the file before normalise() does)."""

    def to_python(self, data):
        try:
            return super().to_python(data)
        except forms.ValidationError as error:
            if isinstance(error.__cause__, Image.DecompressionBombError):
                raise forms.ValidationError(
                    _("Image trop grande : %(max)d mégapixels au plus."),
                    params={"max": MAX_PIXELS // 1_000_000},
                    code="too_many_pixels",
                ) from None
            raise


def normalise_if_new(value):
    """A fresh upload normalised; a file already stored (the form's initial value) kept."""
    return normalise(value) if isinstance(value, UploadedFile) else value


class PhotoForm(forms.ModelForm):
    """Used by the admin and by owners: every new upload goes through normalise()."""

    class Meta:
        model = ActorPhoto
        fields = ["image", "alt_text", "credit", "position"]
        field_classes = {"image": PhotoField}

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
