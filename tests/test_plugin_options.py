"""The pytest plugin's options, header, selection and error handling, as a user meets them."""

from __future__ import annotations

from tests.support import TESTCASES, run_pytest


def test_help_shows_the_ocpp_option_group() -> None:
    result = run_pytest("--help")
    assert result.returncode == 0
    assert "OCPP 2.0.1 conformance" in result.stdout
    for option in (
        "--ocpp-sut",
        "--ocpp-builtin",
        "--ocpp-listen",
        "--ocpp-csms-url",
        "--ocpp-station-id",
        "--ocpp-security-profile",
        "--ocpp-password",
        "--ocpp-ca",
        "--ocpp-cert",
        "--ocpp-key",
        "--ocpp-timeout",
        "--ocpp-config",
        "--ocpp-profile",
    ):
        assert option in result.stdout, option


def test_header_masks_the_password() -> None:
    result = run_pytest(
        "--collect-only",
        str(TESTCASES),
        "--ocpp-sut",
        "csms",
        "--ocpp-csms-url",
        "ws://127.0.0.1:9/",
        "--ocpp-security-profile",
        "1",
        "--ocpp-password",
        "s3cret-pass",
    )
    assert "s3cret-pass" not in result.stdout + result.stderr
    assert "(set, hidden)" in result.stdout


def test_password_from_environment_is_not_echoed() -> None:
    result = run_pytest(
        "--collect-only",
        str(TESTCASES),
        "--ocpp-sut",
        "csms",
        "--ocpp-csms-url",
        "ws://127.0.0.1:9/",
        "--ocpp-security-profile",
        "1",
        env={"OCPP_PASSWORD": "env-s3cret"},
    )
    assert "env-s3cret" not in result.stdout + result.stderr
    assert "(set, hidden)" in result.stdout


def test_cases_for_the_other_sut_type_are_deselected() -> None:
    result = run_pytest(
        "--collect-only", "-q", str(TESTCASES), "--ocpp-sut", "csms", "--ocpp-csms-url", "ws://127.0.0.1:9/"
    )
    assert "test_TC_B_01_CSMS" in result.stdout
    assert "test_TC_B_01_CS " not in result.stdout and "test_TC_B_01_CS\n" not in result.stdout
    assert "deselected" in result.stdout


def test_k_selects_exactly_one_case() -> None:
    result = run_pytest("--collect-only", "-q", str(TESTCASES), "-k", "TC_B_01_CS and not CSMS")
    collected = [line for line in result.stdout.splitlines() if "::test_TC_" in line]
    assert collected == [line for line in collected if line.endswith("test_TC_B_01_CS")]
    assert len(collected) == 1


def test_bad_option_is_a_clear_usage_error() -> None:
    result = run_pytest("--collect-only", str(TESTCASES), "--ocpp-security-profile", "7")
    assert result.returncode == 4
    assert "--ocpp-security-profile: expected 0, 1, 2 or 3, got 7" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file_is_a_clear_usage_error() -> None:
    result = run_pytest("--collect-only", str(TESTCASES), "--ocpp-config", "/nonexistent/sut.toml")
    assert result.returncode == 4
    assert "/nonexistent/sut.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_external_csms_needs_a_url() -> None:
    result = run_pytest(
        "--collect-only", str(TESTCASES), "--ocpp-sut", "csms", "--ocpp-listen", "127.0.0.1:9"
    )
    assert result.returncode == 4
    assert "--ocpp-csms-url" in result.stderr


def test_profile_selects_only_its_cases() -> None:
    core = run_pytest(
        "--collect-only",
        "-q",
        str(TESTCASES / "cs" / "test_b_provisioning.py"),
        "--ocpp-profile",
        "Core",
        "--ocpp-sut",
        "charging-station",
    )
    assert "test_TC_B_01_CS" in core.stdout
    other = run_pytest(
        "--collect-only",
        "-q",
        str(TESTCASES / "cs" / "test_b_provisioning.py"),
        "--ocpp-profile",
        "SmartCharging",
        "--ocpp-sut",
        "charging-station",
    )
    assert "test_TC_B_01_CS" not in other.stdout and "deselected" in other.stdout
