"""The message catalogues: Chinese is complete, and no language loses a placeholder.

The .mo files are compiled by `make translations`; the autouse fixture compiles them again so
that running pytest directly tests the catalogues as they are in the work tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale

import returns_portal
from returns_portal.extensions import babel
from returns_portal.policy import reasons as policy_reasons
from returns_portal.returns.reasons import explain

TRANSLATIONS = Path(returns_portal.__file__).parent / "translations"
LANGUAGES = ("zh_Hans", "es", "ro")
READY_FOR_TRANSLATORS = ("es", "ro")

# %(name)s / %(count)d style and {name} style (with an optional !conversion or :format).
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[a-zA-Z]|\{[^{}]*\}")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# A half-width comma, full stop, colon, semicolon, question or exclamation mark touching a
# Chinese character: Chinese sentences take the full-width forms (，。：；？！).
HALF_WIDTH_PUNCTUATION = re.compile(
    r"[\u4e00-\u9fff][,.:;?!]|[,.:;?!][\u4e00-\u9fff]|[\u4e00-\u9fff]\s*[()]|[()]\s*[\u4e00-\u9fff]"
)


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def read_catalogue(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def template() -> Catalog:
    return read_catalogue(TRANSLATIONS / "messages.pot")


def catalogue(language: str) -> Catalog:
    return read_catalogue(po_path(language), locale=language)


def key(message: Message) -> str:
    """The singular English text, which names a message in a catalogue."""
    return message.id[0] if message.pluralizable else message.id


def sources(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if message.pluralizable else (message.id,)


def translations(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if message.pluralizable else (message.string,)


def is_translated(message: Message) -> bool:
    return all(translations(message))


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def messages(cat: Catalog) -> list[Message]:
    return [m for m in cat if m.id]


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues(app: Flask) -> Iterator[None]:
    """Compile every catalogue to its .mo, and drop translations the app already loaded."""
    for language in LANGUAGES:
        with po_path(language).with_suffix(".mo").open("wb") as f:
            write_mo(f, catalogue(language))
    with app.app_context():
        babel.domain_instance.cache.clear()
    yield


def test_the_placeholder_pattern_finds_both_styles_of_placeholder():
    found = placeholders("%(num)d of {requested} for %(name)s by {last_day:%Y}; 100% done")
    assert found == {"%(num)d", "{requested}", "%(name)s", "{last_day:%Y}"}


def test_every_message_of_the_template_is_translated_into_chinese():
    chinese = catalogue("zh_Hans")
    untranslated = [
        key(m)
        for m in messages(template())
        if chinese.get(m.id) is None or not is_translated(chinese.get(m.id))
    ]
    assert untranslated == []


def test_no_chinese_translation_is_fuzzy():
    assert [key(m) for m in messages(catalogue("zh_Hans")) if m.fuzzy] == []


def test_chinese_has_a_single_plural_form_that_is_filled():
    chinese = catalogue("zh_Hans")
    assert chinese.num_plurals == 1
    plurals = [m for m in messages(chinese) if m.pluralizable]
    assert plurals, "the catalogue has plural messages to check"
    assert [key(m) for m in plurals if len(m.string) != 1 or not m.string[0]] == []


def test_chinese_sentences_use_full_width_punctuation():
    chinese = catalogue("zh_Hans")
    half_width = [
        text
        for m in messages(chinese)
        for text in translations(m)
        if HALF_WIDTH_PUNCTUATION.search(PLACEHOLDER.sub("", text))
    ]
    assert half_width == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_the_placeholders_of_its_english_text(language):
    broken = []
    for m in messages(catalogue(language)):
        wanted = set().union(*(placeholders(text) for text in sources(m)))
        for text in translations(m):
            if text and placeholders(text) != wanted:
                broken.append((key(m), text))
    assert broken == []


@pytest.mark.parametrize("language", READY_FOR_TRANSLATORS)
def test_the_catalogue_is_ready_for_translators_with_every_english_message(language):
    cat = catalogue(language)
    assert [key(m) for m in messages(template()) if cat.get(m.id) is None] == []


def test_the_landing_page_speaks_chinese_when_asked(client):
    heading = catalogue("zh_Hans").get("Return or exchange an item").string
    assert CHINESE.search(heading), "the heading is translated into Chinese"
    html = client.get("/?lang=zh_Hans").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert f"<h1>{heading}</h1>" in html
    assert "Return or exchange an item" not in html


def test_a_policy_reason_reads_in_chinese_with_the_date_in_chinese_style(app):
    window = policy_reasons.reason(
        "window_open", policy_reasons.WINDOW_OPEN, last_day=date(2026, 12, 1)
    )
    with app.test_request_context(), force_locale("zh_Hans"):
        sentence = explain(window)
    assert "2026年12月1日" in sentence
    assert CHINESE.search(sentence.replace("2026年12月1日", ""))
    assert "日日" not in sentence and "年2026" not in sentence
