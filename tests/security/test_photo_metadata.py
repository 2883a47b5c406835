"""Uploaded photos keep no metadata (EXIF and its GPS position, XMP, IPTC, JPEG comments,
PNG text), and an image too large to decode safely is refused before it is decoded."""

import struct
import zlib
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, PngImagePlugin

pytestmark = pytest.mark.django_db

SECRET = "47.90347N 1.90083E chez Marie, 3 chemin des Noues"
GPS_IFD = 0x8825


def _insert_after_soi(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    segment = struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def loaded_jpeg(size=(1200, 900)) -> bytes:
    """A JPEG with every kind of metadata a phone or a photo editor writes."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x010E] = SECRET  # ImageDescription
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (47.0, 54.0, 12.5), 3: "E", 4: (1.0, 54.0, 3.0)})
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        f'22-rdf-syntax-ns#"><rdf:Description>{SECRET}</rdf:Description></rdf:RDF></x:xmpmeta>'
    )
    out = BytesIO()
    Image.new("RGB", size, "green").save(
        out, "JPEG", exif=exif, comment=SECRET.encode(), xmp=xmp.encode()
    )
    data = out.getvalue()
    # IPTC (Photoshop APP13), as photo agencies and editors write it.
    iptc = b"\x1c\x02\x78" + struct.pack(">H", len(SECRET)) + SECRET.encode()
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    data = _insert_after_soi(data, 0xED, b"Photoshop 3.0\x00" + resource)
    with Image.open(BytesIO(data)) as check:  # the test has teeth
        assert check.info.get("comment") == SECRET.encode()
        assert check.getexif().get_ifd(GPS_IFD)
    return data


def loaded_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET)
    info.add_itxt("XML:com.adobe.xmp", SECRET)
    out = BytesIO()
    Image.new("RGB", (900, 600), "blue").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def huge_header_png(width=60_000, height=60_000) -> bytes:
    """A few hundred bytes that claim 3.6 gigapixels: decoding it would fill memory."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def huge_header_jpeg(width=40_000, height=30_000) -> bytes:
    """A small JPEG whose frame header says 1.2 gigapixels."""
    out = BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def owner_listing(client, make_actor, django_user_model, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    owner = django_user_model.objects.create_user("o@example.org", "o@example.org")
    actor = make_actor(owner=owner)
    client.force_login(owner)
    return actor


def upload(client, actor, content: bytes, name: str, kind="image/jpeg"):
    data = {
        "phone": "02 38 44 44 44",
        "photos-TOTAL_FORMS": "1",
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "5",
        "photos-0-alt_text": "Les chèvres",
        "photos-0-position": "0",
        "photos-0-image": SimpleUploadedFile(name, content, kind),
    }
    return client.post(reverse("directory:owner-step", args=[actor.pk, "contacts"]), data)


def assert_clean(stored: bytes):
    assert SECRET.encode() not in stored, "the secret text survived in the stored file"
    assert b"\xff\xfe" not in stored.split(b"\xff\xda", 1)[0], "a JPEG comment survived"
    assert b"Exif\x00\x00" not in stored, "EXIF survived"
    assert b"http://ns.adobe.com/xap/1.0/" not in stored, "XMP survived"
    assert b"Photoshop 3.0" not in stored, "IPTC survived"
    with Image.open(BytesIO(stored)) as image:
        leftovers = set(image.info) & {"comment", "exif", "xmp", "photoshop", "icc_profile"}
        assert not leftovers, f"metadata survived: {leftovers}"
        assert not image.getexif(), "EXIF survived"


@pytest.mark.parametrize(
    "content,name,kind",
    [
        (loaded_jpeg(), "IMG_2041.jpg", "image/jpeg"),
        (loaded_png(), "capture.png", "image/png"),
    ],
    ids=["jpeg", "png"],
)
def test_no_metadata_survives_the_upload_form(client, owner_listing, content, name, kind):
    response = upload(client, owner_listing, content, name, kind)
    assert response.status_code == 302, response.content.decode()[-3000:]
    photo = owner_listing.photos.get()
    with photo.image.open("rb") as handle:
        assert_clean(handle.read())


@pytest.mark.parametrize(
    "content,name",
    [
        (huge_header_png(), "bombe.png"),
        # PNG cannot be decoded at a reduced size: 49 megapixels would take 150 MB or more.
        (huge_header_png(8_500, 5_800), "49mp.png"),
        (huge_header_jpeg(), "bombe.jpg"),
    ],
    ids=["decompression-bomb-png", "49-megapixel-png", "gigapixel-jpeg-header"],
)
def test_too_many_pixels_is_refused_before_decoding(client, owner_listing, content, name):
    response = upload(client, owner_listing, content, name)
    assert response.status_code == 400, f"expected a form error, got {response.status_code}"
    html = response.content.decode()
    assert "Image trop grande" in html, "the producer is not told why"
    assert not owner_listing.photos.exists()
