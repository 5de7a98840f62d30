"""Where uploads (photos) live: behind a small interface, a folder by default."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app

KEY = re.compile(r"^[a-z0-9]{32}\.(jpg|png|webp)$")


class Storage(Protocol):
    """Store bytes under random keys; S3-compatible storage can stand in for the folder."""

    def save(self, data: bytes, suffix: str) -> str:
        """Store `data` and return its new random key."""
        ...

    def load(self, key: str) -> bytes:
        """Return the bytes stored under `key`; raise KeyError if there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove what is stored under `key` (nothing happens if there is none)."""
        ...

    def stored_before(self, moment: float) -> list[str]:
        """Return the keys stored before `moment` (a POSIX timestamp)."""
        ...


class FolderStorage:
    """Files in a folder outside static/, named by random keys."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes, suffix: str) -> str:
        key = f"{secrets.token_hex(16)}.{suffix}"
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{key}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.root / key)  # readers never see half a file
        return key

    def load(self, key: str) -> bytes:
        if not KEY.match(key):  # keys are ours: nothing else may reach the file system
            raise KeyError(key)
        path = self.root / key
        if not path.is_file():
            raise KeyError(key)
        return path.read_bytes()

    def delete(self, key: str) -> None:
        if KEY.match(key):
            (self.root / key).unlink(missing_ok=True)

    def stored_before(self, moment: float) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in os.scandir(self.root)
            if KEY.match(entry.name) and entry.stat().st_mtime < moment
        )


def init_app(app: Flask) -> None:
    """Create the upload storage the configuration names."""
    root = Path(app.config.get("UPLOAD_FOLDER") or Path(app.instance_path) / "uploads")
    app.extensions["storage"] = FolderStorage(root)


def storage() -> Storage:
    """Return the current app's upload storage."""
    store: Storage = current_app.extensions["storage"]
    return store
