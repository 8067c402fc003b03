"""Checking and cleaning an uploaded organisation logo, before anything is stored.

Never trusts the file's name or declared type: the content must be a PNG, JPEG or WebP
(by its magic numbers, read by `filetype`, and by Pillow, which must open, verify and
decode it). Dimensions are read from the header before any pixel is decoded, so a
"decompression bomb" (a small file that expands to gigapixels) is refused without being
expanded. The picture is then drawn onto a new, empty image and saved again, so nothing
of the original file survives but its pixels: no EXIF (camera, GPS position), XMP,
ICC profile, text chunks or trailing bytes.
"""

import io
import logging
import warnings
from dataclasses import dataclass
from typing import NoReturn

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 4000  # pixels, in either direction, of the uploaded image
STORED_SIDE = 300  # the stored logo fits in a square of this many pixels (shown as it is)
# Image.MAX_IMAGE_PIXELS keeps Pillow's default (about 89 million): we refuse far earlier,
# by the header, and Pillow's own guard (its warning made an error here) backs that up.

# Content type read from the bytes -> (Pillow's name for it, stored extension).
ACCEPTED = {
    "image/png": ("PNG", "png"),
    "image/jpeg": ("JPEG", "jpg"),
    "image/webp": ("WEBP", "webp"),
}
CONTENT_TYPES = {extension: mime for mime, (_, extension) in ACCEPTED.items()}


TOO_LARGE = f"The logo must be at most {MAX_SIDE} by {MAX_SIDE} pixels. Choose a smaller picture."


UNREADABLE = (
    "The file could not be read as an image: it may be damaged. "
    "Save the logo again as a PNG, JPEG or WebP and upload that."
)
log = logging.getLogger(__name__)


class LogoError(ValueError):
    """The file cannot be a logo; the message says what to do instead."""


@dataclass(frozen=True)
class CleanLogo:
    content: bytes
    extension: str
    width: int
    height: int


def _refuse(message: str) -> NoReturn:
    raise LogoError(message)


def clean_logo(upload) -> CleanLogo:
    """Check an uploaded file and return it re-encoded, or raise LogoError."""
    if upload.size > MAX_BYTES:
        _refuse("The logo must be smaller than 2 MB. Choose a smaller file.")
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        _refuse("The logo must be smaller than 2 MB. Choose a smaller file.")
    mime = filetype.guess_mime(data[:8192])
    if mime not in ACCEPTED:
        _refuse("The logo must be a PNG, JPEG or WebP image. Choose a picture in one of these.")
    pillow_format, extension = ACCEPTED[mime]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as probe:
                width, height = probe.size
                if width > MAX_SIDE or height > MAX_SIDE:
                    _refuse(TOO_LARGE)
                probe.verify()
            # verify() leaves the image unusable: open it again to decode the pixels.
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
                image.load()
                picture = ImageOps.exif_transpose(image)  # keep it the right way up
                return _re_encode(picture, pillow_format, extension)
    except LogoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(TOO_LARGE)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        _refuse(UNREADABLE)
    except Exception:  # noqa: BLE001
        # A crafted file can make a decoder raise almost anything (struct.error,
        # IndexError, ...): whatever it is, the file is not a picture we can take.
        log.warning("An uploaded logo could not be decoded", exc_info=True)
        _refuse(UNREADABLE)


def _re_encode(picture: Image.Image, pillow_format: str, extension: str) -> CleanLogo:
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    mode = "RGB" if pillow_format == "JPEG" or not has_alpha else "RGBA"
    picture = picture.convert(mode)
    picture.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.LANCZOS)
    # A new image holds the pixels only: none of the original's metadata comes along.
    clean = Image.new(mode, picture.size)
    clean.paste(picture)
    out = io.BytesIO()
    options = {"JPEG": {"quality": 88, "optimize": True}, "PNG": {"optimize": True}}
    clean.save(out, format=pillow_format, **options.get(pillow_format, {"quality": 90}))
    return CleanLogo(out.getvalue(), extension, clean.width, clean.height)
