"""`make run` serves where its mails and QR codes link to: PUBLIC_URL follows HOST and PORT."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def public_url(*args: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "PUBLIC_URL"} | env
    dry = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, env=environ, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    found = re.search(r"PUBLIC_URL=(\S+?);", dry.stdout)
    assert found, dry.stdout
    return found.group(1)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "http://localhost:5000"),
        (("PORT=5123",), "http://localhost:5123"),
        (("HOST=10.0.0.5", "PORT=8000"), "http://10.0.0.5:8000"),
    ],
)
def test_the_links_follow_the_port_make_run_serves_on(args, expected):
    assert public_url(*args) == expected


def test_a_public_url_given_is_kept():
    assert public_url("PORT=5123", PUBLIC_URL="https://returns.example.com") == (
        "https://returns.example.com"
    )
