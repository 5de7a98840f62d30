from __future__ import annotations

import pytest

from config import ProductionConfig
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
