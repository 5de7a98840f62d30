"""Fuzz the JSON API from its own OpenAPI document: no input may make it answer 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from tests.fuzz.conftest import FUZZ, fresh_g


@pytest.fixture
def api_schema(app, session):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def operations(schema):
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 5, "the OpenAPI document lost operations"
    return found


def fuzz(operation, auth):
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @FUZZ
    @given(case=cases)
    def call(case):
        fresh_g()
        response = case.call(headers=auth)
        assert response.status_code < 500, (
            f"{operation.label} answered {response.status_code} for {case.as_curl_command()}"
        )

    call()


def test_no_api_operation_answers_a_server_error(api_schema, auth):
    """Schema-valid and schema-violating requests to every operation get 2xx or 4xx."""
    for operation in operations(api_schema):
        fuzz(operation, auth)
