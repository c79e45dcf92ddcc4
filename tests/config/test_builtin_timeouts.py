"""The built-in SUTs get tighter silence and timestamp windows; a description's own values and external
SUTs keep theirs (the lab defaults)."""

from __future__ import annotations

from pathlib import Path

from conformance.settings import resolve_settings


def test_builtin_run_uses_the_tighter_windows() -> None:
    settings = resolve_settings({"builtin": True}, environ={})
    timeouts = settings.description.timeouts
    assert (timeouts.default, timeouts.no_message, timeouts.timestamp_tolerance) == (3.0, 1.0, 2.0)
    assert settings.timeout == 3.0
    assert resolve_settings({"builtin": True, "timeout": "7"}, environ={}).timeout == 7.0


def test_an_external_sut_keeps_the_lab_windows() -> None:
    settings = resolve_settings({"listen": "127.0.0.1:0", "sut": "charging-station"}, environ={})
    assert not settings.builtin
    assert (settings.description.timeouts.no_message, settings.description.timeouts.timestamp_tolerance) == (
        3.0,
        4.0,
    )


def test_a_description_value_wins_over_the_builtin_default(tmp_path: Path) -> None:
    description = tmp_path / "sut.toml"
    description.write_text("[timeouts]\nno_message = 2.5\n")
    timeouts = resolve_settings(
        {"builtin": True, "config": str(description)}, environ={}
    ).description.timeouts
    assert (timeouts.no_message, timeouts.timestamp_tolerance) == (2.5, 2.0)
