"""The merchant's policy document: read it, hold it to the statutory floors, build the Policy.

A document is a JSON-able mapping laid over a rule pack (RULES.md "Merchant rules"). Every key
is optional. `load_policy` reads it (`read.py`: types and shape, PolicyInputError naming each
bad field), refuses rules that would cut a statutory right (`floors.py`: PolicyRefused naming
each rule and right) and builds a `Policy` with a canonical form and its digest (`build.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from returns_portal.policy.document.build import (
    Fee,
    HolidayExtension,
    Policy,
    build_policy,
    canonical_document,
    canonical_json,
)
from returns_portal.policy.document.floors import pack_of, violations
from returns_portal.policy.document.read import PAID_BY, PolicyDocumentIn
from returns_portal.policy.errors import PolicyInputError, PolicyRefused
from returns_portal.policy.packs import DEFAULT_PACK, PACKS
from returns_portal.policy.validation import read

__all__ = [
    "PAID_BY",
    "Fee",
    "HolidayExtension",
    "Policy",
    "PolicyDocumentIn",
    "canonical_json",
    "default_document",
    "load_policy",
]


def default_document(pack: str = DEFAULT_PACK) -> dict[str, Any]:
    """Return the complete default document for `pack`: the law, and nothing more."""
    return canonical_document(PolicyDocumentIn(pack=pack), PACKS[pack])


def load_policy(doc: Mapping[str, Any], version: int | None = None) -> Policy:
    """Validate a merchant document over its pack; raise PolicyInputError or PolicyRefused."""
    if not isinstance(doc, Mapping):
        raise PolicyInputError({"": ["the policy document must be an object"]})
    document = read(PolicyDocumentIn, doc)
    refused = violations(document)
    if refused:
        raise PolicyRefused(refused)
    pack = pack_of(document)
    return build_policy(canonical_document(document, pack), pack, version)
