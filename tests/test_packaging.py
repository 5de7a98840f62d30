"""`pip install .` gives a working portal: the wheel carries templates, static files,
migrations and compiled translations, and runs under gunicorn (the `production` extra).

Built and installed into a fresh virtualenv from the same package index as the dev tools;
then the production config upgrades an empty database and serves pages in two languages.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.notifications.test_mailer import free_port

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True,
                          timeout=600, **kwargs)  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT)
    (built,) = out.glob("returns_portal-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", f"{wheel}[production]")
    return venv


def test_the_wheel_carries_what_the_portal_needs_beside_its_code(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "returns_portal/templates/base.html",
        "returns_portal/static/css/portal.css",
        "returns_portal/migrations/env.py",
        "returns_portal/migrations/versions/0001_initial_schema.py",
        "returns_portal/translations/zh_Hans/LC_MESSAGES/messages.mo",
        "config.py",
        "wsgi.py",
    ):
        assert needed in names, needed
    assert not any(n.startswith("tests/") for n in names)
    metadata = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        .decode()
    )
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    # localstripe is for the demo and the tests; gunicorn comes with the production extra.
    assert any("localstripe" in r and "extra ==" in r for r in requires)
    assert not any("localstripe" in r and "extra ==" not in r for r in requires)
    assert any("gunicorn" in r and 'extra == "production"' in r for r in requires)


def test_the_installed_wheel_upgrades_a_database_and_serves_pages_under_gunicorn(
    installed, tmp_path
):
    env = {
        "PATH": f"{installed / 'bin'}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "RETURNS_PORTAL_ENV": "production",
        "RETURNS_PORTAL_INSTANCE": str(tmp_path / "instance"),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "STRIPE_API_KEY": "sk_test_packaging",
        "FLASK_APP": "returns_portal",
    }
    # Not from the checkout: the working directory holds nothing of the source tree.
    upgraded = run(installed / "bin" / "flask", "db", "upgrade", env=env, cwd=tmp_path)
    assert "Running upgrade" in upgraded.stderr
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [installed / "bin" / "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        pages = {}
        for path in ("/healthz", "/?lang=zh_Hans", "/static/css/portal.css"):
            for _ in range(100):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as reply:
                        pages[path] = (reply.status, reply.read().decode())
                    break
                except OSError:
                    time.sleep(0.1)
        assert server.poll() is None, log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert pages["/healthz"][0] == 200
    status, home = pages["/?lang=zh_Hans"]
    assert status == 200 and 'lang="zh' in home and "退货" in home
    assert pages["/static/css/portal.css"][0] == 200
