"""Uploaded photos nobody keeps don't pile up: a refused step deletes its own, and the sweep
deletes old ones no return or inspection claims."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from returns_portal.extensions import db
from returns_portal.returns.models import ReturnItem
from returns_portal.storage import storage
from tests.returns.conftest import photo_bytes


def stored(app) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {p.name for p in folder.glob("*.jpg")} if folder.is_dir() else set()


def test_a_refused_step_keeps_its_photos_in_the_draft_and_stores_no_spare(app, customer):
    customer.find()
    before = stored(app)
    for count in (5, 2):  # refused twice; the second try adds photos beyond the five kept
        response = customer.choose(
            {"qty-L1": "99", "reason-L1": "defective"},  # more than was bought: refused
            **{"photos-L1": [(io.BytesIO(photo_bytes()), f"IMG_{n}.jpg") for n in range(count)]},
        )
        assert response.status_code == 200  # the step again, with the error
    # Nothing the customer sent is lost (five photos per item are kept for the next try),
    # and nothing beyond what the draft holds stays in storage.
    with customer.client.session_transaction() as session:
        held = {key for item in session["return_draft"]["items"] for key in item["photos"]}
    assert len(held) == 5
    assert stored(app) - before == held


def test_photos_kept_by_the_draft_stay(app, customer):
    customer.find()
    before = stored(app)
    response = customer.choose(
        {"qty-L1": "1", "reason-L1": "defective"},
        **{"photos-L1": (io.BytesIO(photo_bytes()), "IMG_1.jpg")},
    )
    assert response.status_code == 302
    assert len(stored(app) - before) == 1


def test_the_sweep_deletes_old_unclaimed_photos_only(app, customer, cli):
    customer.find()
    customer.choose(
        {"qty-L1": "1", "reason-L1": "defective"},
        **{"photos-L1": (io.BytesIO(photo_bytes()), "IMG_1.jpg")},
    )
    customer.options()
    assert customer.confirm().status_code == 302  # the return claims its photo
    claimed = {k for item in db.session.scalars(db.select(ReturnItem)) for k in item.photos}
    assert len(claimed) == 1
    old_orphan = storage().save(photo_bytes(), "jpg")
    new_orphan = storage().save(photo_bytes(), "jpg")
    folder = Path(app.config["UPLOAD_FOLDER"])
    two_days_ago = time.time() - 2 * 86400
    for key in (old_orphan, *claimed):
        os.utime(folder / key, (two_days_ago, two_days_ago))
    result = cli.invoke(args=["photos", "sweep"])
    assert result.exit_code == 0, result.output
    left = stored(app)
    assert old_orphan not in left
    assert new_orphan in left  # a draft in progress may still claim it
    assert claimed <= left
