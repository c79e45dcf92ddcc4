"""Fuzz settings (env over ini over defaults, CI derandomizes) and the code table decision of issue 8."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import HarnessError
from conformance.fuzz.codes import PAYLOAD_RULE_CODES
from conformance.fuzz.engine import DEFAULT_EXAMPLES, resolve_fuzz_settings


def test_defaults_keep_a_database_under_the_reports_folder() -> None:
    settings = resolve_fuzz_settings({}, {}, reports_dir=Path("out"))
    assert settings.examples == DEFAULT_EXAMPLES
    assert not settings.strict and not settings.derandomize and settings.seed is None
    assert settings.database == Path("out") / "hypothesis-db"


def test_env_wins_over_ini() -> None:
    ini = {"ocpp_fuzz_examples": "7", "ocpp_fuzz_strict": "true", "ocpp_fuzz_db": "ini-db"}
    settings = resolve_fuzz_settings(ini, {"OCPP_FUZZ_EXAMPLES": "3", "OCPP_FUZZ_SEED": "42"})
    assert settings.examples == 3 and settings.strict and settings.seed == 42
    assert settings.database == Path("ini-db")


def test_ci_derandomizes_without_a_database_unless_a_seed_is_given() -> None:
    ci = resolve_fuzz_settings({}, {"CI": "true"})
    assert ci.derandomize and ci.database is None
    replay = resolve_fuzz_settings({}, {"CI": "true", "OCPP_FUZZ_SEED": "9"})
    assert not replay.derandomize and replay.seed == 9 and replay.database is not None


@pytest.mark.parametrize("env", [{"OCPP_FUZZ_EXAMPLES": "many"}, {"OCPP_FUZZ_EXAMPLES": "0"}])
def test_bad_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(HarnessError, match="fuzz settings"):
        resolve_fuzz_settings({}, env)


def test_an_undeclared_field_may_get_format_violation_but_strict_wants_protocol_error() -> None:
    allowed, exact = PAYLOAD_RULE_CODES["additionalProperties"]
    assert exact == "ProtocolError"
    assert {"ProtocolError", "OccurrenceConstraintViolation", "FormatViolation"} <= allowed
    assert "GenericError" not in allowed and "TypeConstraintViolation" not in allowed
