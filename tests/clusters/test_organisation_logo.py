"""Organisation logos (issue #12): only an organisation's admins upload one; it is checked by
its content, re-encoded without its metadata and stored under a random name; a bad file
changes nothing; staff can remove it."""

import io
import struct
import zlib

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clusters.models import Organisation
from staff.roles import MODERATOR, TRIAGER
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image_bytes(fmt="PNG", size=(120, 80), mode="RGB", **save):
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 30, 30, 128)).convert(mode).save(out, format=fmt, **save)
    return out.getvalue()


def upload(data, name="logo.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def details(organisation, **extra):
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "description": organisation.description,
        "website": organisation.website,
        "size": "",
        "location": "",
        **extra,
    }


def edit(client, organisation, **extra):
    return client.post(
        reverse("clusters:organisation-edit", args=[organisation.ref]),
        details(organisation, **extra),
    )


def stored(organisation):
    organisation.refresh_from_db()
    if not organisation.logo:
        return None
    with organisation.logo.open("rb") as handle:
        return handle.read()


def test_an_admin_uploads_a_logo_shown_on_the_public_page(client, member, organisation, media):
    client.force_login(member)
    form_page = client.get(reverse("clusters:organisation-edit", args=[organisation.ref]))
    assert 'enctype="multipart/form-data"' in form_page.content.decode()
    response = edit(client, organisation, logo=upload(image_bytes(), name="Our Logo.png"))
    assert response.status_code == 302
    organisation.refresh_from_db()
    name = organisation.logo.name
    assert name.startswith("organisation-logos/") and name.endswith(".png")
    assert "Our" not in name and len(name.rsplit("/", 1)[-1]) == 32 + 4  # random hex name
    assert (media / name).is_file()

    client.logout()
    html = client.get(organisation.get_public_url()).content.decode()
    assert f'<img src="{organisation.logo_url}" alt="{organisation.name}">' in html
    served = client.get(organisation.logo_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert served["Cache-Control"] == "public, max-age=3600"
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (120, 80)


@pytest.mark.parametrize(
    ("fmt", "mode", "extension"),
    [("WEBP", "RGBA", "webp"), ("JPEG", "CMYK", "jpg"), ("PNG", "P", "png"), ("PNG", "LA", "png")],
)
def test_webp_jpeg_and_png_in_any_colour_mode_are_accepted(
    client, member, organisation, fmt, mode, extension
):
    client.force_login(member)
    name = f"picture.{extension}"
    response = edit(client, organisation, logo=upload(image_bytes(fmt, mode=mode), name))
    assert response.status_code == 302
    logo = Image.open(io.BytesIO(stored(organisation)))
    assert organisation.logo.name.endswith(extension) and logo.format == fmt
    assert logo.mode == ("RGB" if mode == "CMYK" else "RGBA")  # transparency kept


def test_a_new_logo_replaces_the_old_file(
    client, member, organisation, media, django_capture_on_commit_callbacks
):
    client.force_login(member)
    edit(client, organisation, logo=upload(image_bytes()))
    first = stored(organisation) and organisation.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        edit(client, organisation, logo=upload(image_bytes("JPEG"), "new.jpg", "image/jpeg"))
    organisation.refresh_from_db()
    assert organisation.logo.name != first and organisation.logo.name.endswith(".jpg")
    assert not (media / first).exists()
    # The old address no longer serves anything.
    assert (
        client.get(
            reverse("clusters:organisation-logo", args=[organisation.ref, first.split("/")[-1]])
        ).status_code
        == 404
    )


def test_exif_and_gps_are_stripped_and_a_large_picture_is_made_smaller(
    client, member, organisation
):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"  # Make
    exif[0x8825] = {1: "N", 2: (53.0, 44.0, 30.0), 3: "W", 4: (0.0, 20.0, 10.0)}  # GPS
    original = image_bytes("JPEG", size=(1600, 1000), exif=exif.tobytes())
    assert b"SpyCam" in original and Image.open(io.BytesIO(original)).getexif()
    client.force_login(member)
    edit(client, organisation, logo=upload(original, "photo.jpg", "image/jpeg"))
    data = stored(organisation)
    assert data is not None
    assert b"SpyCam" not in data and b"Exif" not in data
    picture = Image.open(io.BytesIO(data))
    assert not picture.getexif()
    assert picture.getexif().get_ifd(0x8825) == {}
    assert picture.format == "JPEG"
    assert max(picture.size) == 300 and picture.size == (300, 188)


def test_png_text_chunks_are_stripped_and_transparency_kept(client, member, organisation):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Secret Person")
    original = image_bytes("PNG", mode="RGBA", pnginfo=info)
    assert b"Secret Person" in original
    client.force_login(member)
    edit(client, organisation, logo=upload(original))
    data = stored(organisation)
    assert b"Secret Person" not in data
    assert Image.open(io.BytesIO(data)).mode == "RGBA"


def png_claiming(width, height):
    """A real 1x1 PNG whose header claims another size (a decompression bomb's shape)."""
    data = bytearray(image_bytes(size=(1, 1)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "must be a PNG, JPEG or WebP"),
        (image_bytes("GIF"), "must be a PNG, JPEG or WebP"),
        (image_bytes("BMP"), "must be a PNG, JPEG or WebP"),
        (image_bytes("PNG")[:60], "could not be read as an image"),
        (image_bytes("PNG", size=(4001, 10)), "at most 4000 by 4000 pixels"),
        (png_claiming(100_000, 100_000), "at most 4000 by 4000 pixels"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "smaller than 2 MB"),
    ],
    ids=["html", "gif", "bmp", "truncated", "too-wide", "bomb", "too-big"],
)
def test_a_bad_file_named_png_gives_a_clear_error_and_keeps_the_old_logo(
    client, member, organisation, data, message
):
    client.force_login(member)
    edit(client, organisation, logo=upload(image_bytes()))
    before = stored(organisation)
    name_before = organisation.logo.name
    response = edit(
        client, organisation, logo=upload(data, "logo.png"), description="Changed meanwhile"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert stored(organisation) == before and organisation.logo.name == name_before
    assert organisation.description != "Changed meanwhile"  # nothing else saved either


def test_a_member_who_is_not_an_admin_cannot_upload_or_remove(client, member, organisation):
    client.force_login(member)
    edit(client, organisation, logo=upload(image_bytes()))
    logo = stored(organisation)
    plain = MembershipFactory(organisation=organisation, role="member").user
    client.force_login(plain)
    edit(client, organisation, remove_logo="on")
    assert stored(organisation) == logo
    organisation.logo = ""
    organisation.save()
    page = client.get(reverse("clusters:organisation-edit", args=[organisation.ref]))
    assert 'name="logo"' not in page.content.decode()
    response = edit(client, organisation, logo=upload(image_bytes()))
    assert response.status_code == 302  # the other details save as before
    assert stored(organisation) is None


def test_another_organisations_member_cannot_upload(client, organisation, outsider):
    client.force_login(outsider)
    assert edit(client, organisation, logo=upload(image_bytes())).status_code == 404
    assert stored(organisation) is None


def test_an_admin_removes_the_logo(
    client, member, organisation, media, django_capture_on_commit_callbacks
):
    client.force_login(member)
    edit(client, organisation, logo=upload(image_bytes()))
    assert stored(organisation) is not None
    path = media / organisation.logo.name
    assert path.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        edit(client, organisation, remove_logo="on")
    assert stored(organisation) is None
    assert not path.exists()
    assert "<img" not in client.get(organisation.get_public_url()).content.decode()


def test_logo_of_an_organisation_not_approved_is_shown_only_to_its_members(client, outsider):
    membership = MembershipFactory(organisation__status=Organisation.Status.PENDING)
    organisation = membership.organisation
    client.force_login(membership.user)
    edit(client, organisation, logo=upload(image_bytes()))
    organisation.refresh_from_db()
    response = client.get(organisation.logo_url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    client.force_login(outsider)
    assert client.get(organisation.logo_url).status_code == 404
    client.logout()
    assert client.get(organisation.logo_url).status_code == 404
    # Staff who review organisations see it before approving; a triager does not.
    triager = UserFactory(is_staff=True)
    triager.groups.add(Group.objects.get(name=TRIAGER))
    client.force_login(triager)
    assert client.get(organisation.logo_url).status_code == 404
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Group.objects.get(name=MODERATOR))
    client.force_login(moderator)
    response = client.get(organisation.logo_url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def run_action(client, pks, reason):
    return client.post(
        reverse("admin:clusters_organisation_changelist"),
        {"action": "remove_logo", "_selected_action": pks, "apply": "1", "reason": reason},
    )


def test_a_moderator_removes_a_logo_with_a_reason_and_the_admins_are_told(
    client, member, organisation, django_capture_on_commit_callbacks
):
    client.force_login(member)
    edit(client, organisation, logo=upload(image_bytes()))
    triager = UserFactory(is_staff=True)
    triager.groups.add(Group.objects.get(name=TRIAGER))
    client.force_login(triager)
    assert run_action(client, [organisation.pk], "Offensive").status_code == 403
    assert stored(organisation) is not None

    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Group.objects.get(name=MODERATOR))
    client.force_login(moderator)
    change_page = client.get(reverse("admin:clusters_organisation_change", args=[organisation.pk]))
    assert organisation.logo_url in change_page.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, [organisation.pk], "It shows a registered trade mark.")
    assert response.status_code == 302
    assert stored(organisation) is None
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert "It shows a registered trade mark." in mail.outbox[0].body


def test_a_decoder_failing_in_an_unexpected_way_is_a_form_error_not_a_500(
    client, member, organisation, monkeypatch
):
    def crash(image):
        raise IndexError("crafted file")

    monkeypatch.setattr("clusters.logos.ImageOps.exif_transpose", crash)
    client.force_login(member)
    response = edit(client, organisation, logo=upload(image_bytes()))
    assert response.status_code == 200
    assert "could not be read as an image" in response.content.decode()
    assert stored(organisation) is None
