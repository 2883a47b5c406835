"""Display sizes of editorial images: one upload, several widths for srcset.

Uploads first go through directory.photos.normalise (checked, upright, at most 1,600 px,
re-encoded without metadata); the smaller widths are made from that clean file here, by
the editor's save (a service, not Model.save), and deleted with the image.
"""

from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.signals import post_delete
from django.dispatch import receiver
from PIL import Image

from ..models.editorial import Article, ArticleImage

WIDTHS = (480, 960)


def make_sizes(field_file, current: dict) -> dict:
    """{"source": name, "480": name, "960": name} for the file in ``field_file``.

    Unchanged when ``current`` already describes this file (saving an article again does
    not redo its images). Widths at least as large as the original are skipped: the
    original serves them.
    """
    if not field_file:
        return {}
    if current.get("source") == field_file.name:
        return current
    delete_sizes(current)
    sizes = {"source": field_file.name}
    with field_file.open("rb") as handle, Image.open(handle) as original:
        original.load()
        base = field_file.name.rsplit(".", 1)[0]
        for width in WIDTHS:
            if width >= original.width:
                continue
            copy = original.copy()
            copy.thumbnail((width, width * 10), Image.Resampling.LANCZOS)
            out = BytesIO()
            resized = copy.convert("RGB")
            resized.info = {}  # Pillow writes a comment back from info: nothing is kept
            resized.save(out, "JPEG", quality=82, optimize=True, progressive=True)
            sizes[str(width)] = default_storage.save(
                f"{base}-{width}.jpg", ContentFile(out.getvalue())
            )
    return sizes


def delete_sizes(sizes: dict) -> None:
    for key, name in (sizes or {}).items():
        if key != "source" and name:
            default_storage.delete(name)


def refresh_article_images(article: Article) -> None:
    """Generate the missing display sizes of an article's cover and gallery."""
    sizes = make_sizes(article.cover, article.cover_sizes)
    if sizes != article.cover_sizes:
        Article.objects.filter(pk=article.pk).update(cover_sizes=sizes)
        article.cover_sizes = sizes
    for image in article.images.all():
        sizes = make_sizes(image.image, image.sizes)
        if sizes != image.sizes:
            ArticleImage.objects.filter(pk=image.pk).update(sizes=sizes)


def srcset(field_file, sizes: dict, width: int | None, absolute=str) -> str:
    """ "…-480.jpg 480w, …-960.jpg 960w, original 1600w" for an <img srcset>.

    ``absolute`` turns a URL into an absolute one (request.build_absolute_uri) for the API.
    """
    if not field_file:
        return ""
    parts = [
        f"{absolute(default_storage.url(name))} {key}w"
        for key, name in sizes.items()
        if key != "source"
    ]
    if width:
        parts.append(f"{absolute(field_file.url)} {width}w")
    return ", ".join(parts)


@receiver(post_delete, sender=Article)
def _delete_cover(sender, instance, **kwargs):
    if instance.cover:
        instance.cover.delete(save=False)
    delete_sizes(instance.cover_sizes)


@receiver(post_delete, sender=ArticleImage)
def _delete_image(sender, instance, **kwargs):
    if instance.image:
        instance.image.delete(save=False)
    delete_sizes(instance.sizes)
