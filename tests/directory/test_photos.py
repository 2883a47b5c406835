"""Listing photos: uploads are checked and cleaned, pages show them, deleting removes files."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import inlineformset_factory
from django.urls import reverse
from PIL import Image

from directory.models import Actor, ActorPhoto, ModerationStatus
from directory.photos import MAX_SIDE, PHOTOS_PER_ACTOR, PhotoForm, PhotoFormSet

from .test_pages import jsonld_of

GPS_IFD = 0x8825


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def phone_photo(size=(4000, 3000), fmt="JPEG", mode="RGB", name="IMG_2041.jpg", rotate=True):
    """A photo as phones send it: big, with EXIF orientation, maker and GPS position."""
    image = Image.new(mode, size, "red" if mode == "RGB" else (255, 0, 0, 0))
    exif = Image.Exif()
    if rotate:
        exif[0x0112] = 6  # "rotate 90° clockwise to display"
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (47.0, 54.0, 12.5), 3: "E", 4: (1.0, 54.0, 3.0)})
    out = BytesIO()
    image.save(out, fmt, exif=exif) if fmt != "PNG" else image.save(out, fmt)
    content = out.getvalue()
    if fmt == "JPEG":
        assert Image.open(BytesIO(content)).getexif().get_ifd(GPS_IFD)  # the test has teeth
    return SimpleUploadedFile(name, content, content_type=f"image/{fmt.lower()}")


Formset = inlineformset_factory(Actor, ActorPhoto, form=PhotoForm, formset=PhotoFormSet, extra=0)


def post(actor, photos):
    data = {
        "photos-TOTAL_FORMS": str(len(photos)),
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
    }
    files = {}
    for i, (upload, alt) in enumerate(photos):
        data[f"photos-{i}-alt_text"] = alt
        data[f"photos-{i}-position"] = str(i)
        if upload is not None:
            files[f"photos-{i}-image"] = upload
    return Formset(data, files, instance=actor, prefix="photos")


def test_upload_is_upright_resized_and_stripped_of_metadata(make_actor, media_root):
    farm = make_actor()
    formset = post(farm, [(phone_photo(), "Chèvres au pré")])
    assert formset.is_valid(), formset.errors
    (photo,) = formset.save()
    path = media_root / photo.image.name
    assert path.exists() and path.suffix == ".jpg"
    assert "IMG_2041" not in photo.image.name  # no user file name on disk
    stored = Image.open(path)
    assert stored.format == "JPEG"
    # 4000 × 3000 lying on its side, turned upright, then fitted into MAX_SIDE.
    assert stored.size == (MAX_SIDE * 3 // 4, MAX_SIDE)
    assert (photo.width, photo.height) == stored.size
    assert dict(stored.getexif()) == {}  # no maker, no orientation, no GPS position
    assert path.stat().st_size < 200_000


def test_transparent_png_becomes_a_white_backed_jpeg(make_actor, media_root):
    farm = make_actor()
    formset = post(farm, [(phone_photo((300, 200), "PNG", "RGBA", "logo.png"), "Logo")])
    assert formset.is_valid(), formset.errors
    (photo,) = formset.save()
    stored = Image.open(media_root / photo.image.name)
    assert stored.mode == "RGB" and stored.size == (300, 200)
    assert all(v > 240 for v in stored.getpixel((10, 10)))


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            SimpleUploadedFile("tarif.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg"),
            "image valide",  # Django's own check comes first
        ),
        (phone_photo((20, 20), "GIF", "RGB", "anim.gif", rotate=False), "Format GIF non accepté"),
    ],
)
def test_bad_files_get_a_clear_error_and_nothing_is_stored(make_actor, media_root, upload, message):
    farm = make_actor()
    formset = post(farm, [(upload, "Tarifs")])
    assert not formset.is_valid()
    assert message in str(formset.errors)
    assert not ActorPhoto.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.jpg"))


def test_too_heavy_and_too_many_pixels(make_actor, monkeypatch):
    from directory import photos

    farm = make_actor()
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 1000)
    formset = post(farm, [(phone_photo((800, 600)), "Vergers")])
    assert not formset.is_valid() and "Fichier trop lourd" in str(formset.errors)
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 10**8)
    monkeypatch.setattr(photos, "MAX_PIXELS", 1000)
    formset = post(farm, [(phone_photo((800, 600)), "Vergers")])
    assert not formset.is_valid() and "Image trop grande (800 × 600 pixels)" in str(formset.errors)


def test_alt_text_is_required_and_photos_are_limited(make_actor):
    farm = make_actor()
    formset = post(farm, [(phone_photo((50, 50)), "")])
    assert not formset.is_valid() and "alt_text" in formset.errors[0]
    many = [(phone_photo((50, 50)), f"Photo {i}") for i in range(PHOTOS_PER_ACTOR + 1)]
    formset = post(farm, many)
    assert not formset.is_valid()
    assert f"{PHOTOS_PER_ACTOR} photos au plus" in str(formset.non_form_errors())


def save_photo(actor, alt="Chèvres au pré", credit=""):
    formset = post(actor, [(phone_photo((1200, 800), rotate=False), alt)])
    assert formset.is_valid(), formset.errors
    (photo,) = formset.save()
    if credit:
        photo.credit = credit
        photo.save()
    return photo


def test_listing_shows_photos_with_alt_text_credit_and_sharing_tags(client, make_actor):
    farm = make_actor(name="Chèvrerie des Aulnes")
    photo = save_photo(farm, alt='Chèvres "au pré" <b>', credit="Marie D.")
    html = client.get(farm.get_absolute_url()).content.decode()
    assert f'src="/media/{photo.image.name}"' in html
    assert 'alt="Chèvres &quot;au pré&quot; &lt;b&gt;"' in html  # escaped
    assert 'width="1200" height="800"' in html
    assert "Photo : Marie D." in html
    absolute = f"http://testserver/media/{photo.image.name}"
    assert f'<meta property="og:image" content="{absolute}">' in html
    assert '<meta property="og:image:width" content="1200">' in html
    assert 'content="summary_large_image"' in html
    assert jsonld_of(html)["image"] == [absolute]


def test_listing_without_photos_has_no_gallery(client, make_actor):
    farm = make_actor()
    html = client.get(farm.get_absolute_url()).content.decode()
    assert 'class="photos"' not in html and "og:image" not in html
    assert "image" not in jsonld_of(html)


def test_deleting_a_photo_or_its_listing_removes_the_files(make_actor, media_root):
    farm = make_actor()
    first, second = save_photo(farm), save_photo(farm, alt="Fromages")
    first_path, second_path = media_root / first.image.name, media_root / second.image.name
    first.delete()
    assert not first_path.exists() and second_path.exists()
    farm.delete()
    assert not second_path.exists()


def test_admin_change_form_takes_photo_uploads(client, django_user_model, make_actor):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "pw"))
    farm = make_actor(status=ModerationStatus.PUBLISHED)
    save_photo(farm)
    html = client.get(reverse("admin:directory_actor_change", args=[farm.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'name="photos-0-alt_text"' in html and "Chèvres au pré" in html
    assert f'src="/media/{farm.photos.get().image.name}"' in html  # preview
