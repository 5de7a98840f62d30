from __future__ import annotations

import stat
from pathlib import Path

import pytest

from config import KNOWN_SECRET_KEYS, DevelopmentConfig, ProductionConfig, TestingConfig
from returns_portal import create_app


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "STRIPE_API_KEY"])
def test_production_refuses_to_start_without_its_secrets(monkeypatch, missing):
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/returns")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_x")
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        create_app(ProductionConfig)


def test_an_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("RETURNS_PORTAL_ENV", "staging")
    with pytest.raises(RuntimeError, match="RETURNS_PORTAL_ENV='staging'"):
        create_app()


def test_the_landing_page_follows_the_browsers_language(client):
    response = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert response.status_code == 200
    assert '<html lang="es">' in response.get_data(as_text=True)


def test_the_language_chosen_in_the_url_wins_over_the_browser(client):
    response = client.get("/?lang=zh_Hans", headers={"Accept-Language": "es"})
    assert '<html lang="zh-Hans">' in response.get_data(as_text=True)


def production_env(monkeypatch, key: str) -> None:
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/returns")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_x")


@pytest.mark.parametrize("key", ["dev-only-not-secret", "testing-not-secret", "s" * 31])
def test_production_refuses_a_published_or_short_secret_key(monkeypatch, key):
    production_env(monkeypatch, key)
    with pytest.raises(RuntimeError, match="SECRET_KEY is a known or weak key"):
        create_app(ProductionConfig)


def test_the_wsgi_entry_point_runs_production_unless_told_otherwise(monkeypatch):
    import importlib
    import sys

    monkeypatch.delenv("RETURNS_PORTAL_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delitem(sys.modules, "wsgi", raising=False)
    with pytest.raises(RuntimeError, match="Production configuration is missing: SECRET_KEY"):
        importlib.import_module("wsgi")


@pytest.fixture
def instance_dir(monkeypatch, tmp_path):
    import config

    folder = tmp_path / "instance"
    monkeypatch.setattr(config, "INSTANCE_DIR", folder)
    return folder


class KeylessDevelopment(DevelopmentConfig):
    SECRET_KEY = None  # as without SECRET_KEY in the environment


def test_development_makes_a_private_random_key_once_and_keeps_it(instance_dir):
    first = create_app(KeylessDevelopment)
    key_file = instance_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32 and key not in KNOWN_SECRET_KEYS
    assert key_file.read_text().strip() == key
    # a second start on the same instance folder signs with the same key: sessions survive
    assert create_app(KeylessDevelopment).config["SECRET_KEY"] == key


def test_two_instance_folders_never_share_a_key(tmp_path, monkeypatch):
    import config

    keys = []
    for name in ("a", "b"):
        monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / name)
        keys.append(create_app(KeylessDevelopment).config["SECRET_KEY"])
    assert keys[0] != keys[1]


def test_a_secret_key_from_the_environment_is_used_as_given(instance_dir):
    class Keyed(DevelopmentConfig):
        SECRET_KEY = "k" * 40

    assert create_app(Keyed).config["SECRET_KEY"] == "k" * 40
    assert not (instance_dir / "secret_key").exists()


def test_an_unusable_key_file_is_refused_not_signed_with(instance_dir):
    instance_dir.mkdir()
    (instance_dir / "secret_key").write_text("short\n")
    with pytest.raises(RuntimeError, match="holds no usable secret key"):
        create_app(KeylessDevelopment)


def test_make_run_listens_on_this_machine_only_unless_host_is_given():
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    assert "HOST ?= 127.0.0.1" in makefile
    assert "flask run --host $(HOST)" in makefile
    assert "0.0.0.0" not in makefile.replace("HOST=0.0.0.0", "")


@pytest.mark.parametrize(("hops", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_the_client_address_comes_from_the_proxy_only_when_one_is_configured(hops, seen):
    from flask import request

    class Behind(TestingConfig):
        PROXY_FIX_X_FOR = hops

    app = create_app(Behind)
    app.add_url_rule("/address", "address", lambda: request.remote_addr or "")
    response = app.test_client().get(
        "/address",
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.text == seen
