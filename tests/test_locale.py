"""The page's language: the browser's Accept-Language, region tags mapped to our locales."""

from __future__ import annotations

import re

import pytest

from returns_portal import locale_for_accept_language


def page_language(client, accept_language: str) -> str:
    page = client.get("/", headers={"Accept-Language": accept_language})
    match = re.search(r'<html lang="([^"]+)"', page.text)
    assert match, page.text[:200]
    return match.group(1)


@pytest.mark.parametrize(
    "header",
    ["zh-CN", "zh-Hans-CN", "zh-CN,en-US;q=0.9", "zh", "zh-SG", "zh-Hans", "zh_CN", "zh-hans-cn"],
)
def test_simplified_chinese_region_tags_get_simplified_chinese(client, header):
    assert page_language(client, header) == "zh-Hans"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-TW,en;q=0.8", "en"),
        ("zh-Hant-HK,es;q=0.5", "es"),
        ("zh-HK,zh-CN;q=0.5", "zh-Hans"),
        ("en-US,zh-CN;q=0.8", "en"),
        ("es-MX,en;q=0.5", "es"),
        ("ro-RO", "ro"),
        ("fr-FR", "en"),
        ("en;q=0.2,zh-CN;q=0.9", "zh-Hans"),
    ],
)
def test_the_best_liked_language_on_offer_wins(client, header, expected):
    assert page_language(client, header) == expected


def test_traditional_chinese_alone_gets_simplified_rather_than_english(client):
    # Traditional Chinese is not offered; a reader of it reads Simplified more easily than
    # the store's English, but any other language the browser names comes first.
    assert page_language(client, "zh-TW") == "zh-Hans"
    assert page_language(client, "zh-Hant") == "zh-Hans"


def test_a_refused_language_is_never_chosen():
    languages = ("en", "zh_Hans", "es", "ro")
    assert locale_for_accept_language([("zh-CN", 0.0), ("es", 0.5)], languages, "en") == "es"
    assert locale_for_accept_language([("*", 1.0)], languages, "en") == "en"
    assert locale_for_accept_language([], languages, "ro") == "ro"
