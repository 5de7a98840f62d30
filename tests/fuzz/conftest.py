"""Settings shared by the fuzz tests: bounded, seeded, and longer on request.

FUZZ_MAX_EXAMPLES sets the examples per API operation and per form (README: "Fuzzing").
"""

from __future__ import annotations

import os

from flask import g, has_app_context
from hypothesis import HealthCheck, settings

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "40"))

FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same examples on every run and machine: a failure reproduces
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def fresh_g() -> None:
    """Start each fuzzed request with an empty `g`, as a real request would."""
    if has_app_context():
        g.__dict__.clear()
