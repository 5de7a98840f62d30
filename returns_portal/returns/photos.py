"""Customer photos: only real JPEG/PNG/WebP images, re-encoded so no metadata survives."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from returns_portal.extensions import db
from returns_portal.receiving.models import InspectionItem
from returns_portal.returns.models import ReturnItem
from returns_portal.storage import storage
from returns_portal.types import utcnow

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they fill memory
MAX_SIDE = 2000  # photos are evidence, not prints: keep them light


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; the message is for the customer."""


def accept_photo(data: bytes) -> str:
    """Check, re-encode and store one uploaded photo; return its storage key."""
    limit = int(current_app.config.get("PHOTO_MAX_BYTES", 8 * 1024 * 1024))
    if len(data) > limit:
        raise PhotoRejected(_("too large (at most %(mb)d MB)", mb=limit // (1024 * 1024)))
    if not data:
        raise PhotoRejected(_("empty file"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                probe.verify()
            with Image.open(io.BytesIO(data)) as opened:
                opened.load()
                image: Image.Image = opened
                suffix = FORMATS.get(kind or "")
                if suffix is None:
                    raise PhotoRejected(_("not a JPEG, PNG or WebP image"))
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                if image.mode not in {"RGB", "RGBA", "L", "LA"}:
                    image = image.convert("RGBA" if "transparency" in image.info else "RGB")
                if kind == "JPEG" and image.mode != "RGB" and image.mode != "L":
                    image = image.convert("RGB")
                # A new image from the raw pixels alone: EXIF (location, device), ICC and
                # text chunks have nowhere to come from.
                clean = Image.frombytes(image.mode, image.size, image.tobytes())
                out = io.BytesIO()
                clean.save(out, format=kind, **({"quality": 85} if kind != "PNG" else {}))
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:  # fmt: skip
        raise PhotoRejected(_("not a JPEG, PNG or WebP image")) from exc
    return storage().save(out.getvalue(), suffix)


def accept_photos(
    uploads: dict[str, list[FileStorage]],
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Store each line's uploaded photos; return their keys and any per-line errors."""
    keys: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    for line_id, files in uploads.items():
        for upload in files:
            try:
                keys.setdefault(line_id, []).append(accept_photo(upload.read()))
            except PhotoRejected as exc:
                errors.setdefault(line_id, []).append(
                    _("%(name)s: %(problem)s", name=upload.filename or "photo", problem=str(exc))
                )
    return keys, errors


def discard_photos(keys: Iterable[str]) -> None:
    """Delete photos a refused step stored but nothing kept."""
    for key in keys:
        storage().delete(key)


def sweep_photos(older_than: timedelta) -> int:
    """Delete stored photos older than `older_than` that no return and no inspection claims
    (a draft abandoned with its photos, a step refused); return how many."""
    moment = (utcnow() - older_than).timestamp()
    candidates = storage().stored_before(moment)
    if not candidates:
        return 0
    claimed: set[str] = set()
    for model in (ReturnItem, InspectionItem):
        for photos in db.session.scalars(select(model.photos)):
            claimed.update(photos or ())
    db.session.commit()
    orphans = [key for key in candidates if key not in claimed]
    discard_photos(orphans)
    return len(orphans)
