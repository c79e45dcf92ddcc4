"""Allure labels for a test case, the results directory's environment/executor files, and failure categories.

Message convention (what the categories match on): the message of every exception the harness raises for
a test outcome starts with a bracketed key, chosen by exception type (`MESSAGE_PREFIXES`, `tag_message`):

    [schema]          SchemaViolationFailure   a SUT frame broke OCPP-J framing or the JSON schema
    [timeout]         SutTimeout               the SUT did not act within the timeout
    [disconnected]    SutDisconnected          the SUT dropped the connection
    [conformance]     ConformanceFailure       any other SUT non-conformance
    [harness]         HarnessError/ConfigError a fault of the harness or its configuration
    [unsupported]     ActionUnsupported        the driver lacks an action the case needs (skip)
    [not-applicable]  NotApplicable            the case's condition is false for the SUT (skip)

allure-pytest stores a failure's message as "<exception type>: <message>" (and a skip's as
"Skipped: <reason>"), so the patterns allow such a prefix before the key. The same rules are written for
Allure 2 (`categories.json` in the results directory; `messageRegex` must match the whole message, Java
`matches`) and Allure 3 (`categories` in `allurerc.mjs`; the same regex is searched): `^...[\\s\\S]*` works
for both.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import allure

from conformance import OCPP_VERSION, __version__
from conformance.catalogue import CaseInfo, block_label
from conformance.errors import (
    ActionUnsupported,
    ConformanceFailure,
    HarnessError,
    NotApplicable,
    SchemaViolationFailure,
    SutDisconnected,
    SutTimeout,
)

# allure-commons is untyped; one Any-typed handle keeps mypy strict elsewhere.
_dynamic: Any = allure.dynamic

EPIC = f"OCPP {OCPP_VERSION}"
PARENT_SUITES = {"charging-station": "Charging Station under test", "csms": "CSMS under test"}

# Most specific first: subclasses before ConformanceFailure.
MESSAGE_PREFIXES: tuple[tuple[type[BaseException], str], ...] = (
    (SchemaViolationFailure, "[schema]"),
    (SutTimeout, "[timeout]"),
    (SutDisconnected, "[disconnected]"),
    (ConformanceFailure, "[conformance]"),
    (HarnessError, "[harness]"),
    (ActionUnsupported, "[unsupported]"),
    (NotApplicable, "[not-applicable]"),
)

# Keys whose value must never reach a report file.
_ESCAPED_SPACE = "\\ "
_SECRET_WORDS = ("password", "passwd", "secret", "token", "private", "key")


def prefix_for(error: BaseException | type[BaseException]) -> str:
    """The message key for an exception (instance or class); '' for anything else."""
    cls = error if isinstance(error, type) else type(error)
    return next((prefix for base, prefix in MESSAGE_PREFIXES if issubclass(cls, base)), "")


def tag_message(error: BaseException | type[BaseException], message: str) -> str:
    """'[schema] message' (unchanged when it already starts with its key)."""
    prefix = prefix_for(error)
    if not prefix or message.startswith(prefix):
        return message
    return f"{prefix} {message}"


def apply_case_labels(case: CaseInfo, sut_type: str, *, fuzz: bool = False) -> None:
    """Label the running test (call from inside it, or a fixture) as Part 6 case `case`."""
    if sut_type not in PARENT_SUITES:
        raise ValueError(f"sut_type must be one of {tuple(PARENT_SUITES)}, not {sut_type!r}")
    _dynamic.epic(EPIC)
    _dynamic.parent_suite(PARENT_SUITES[sut_type])
    _dynamic.suite(block_label(case.block))
    if case.use_cases:
        _dynamic.feature(*case.use_cases)
    _dynamic.title(f"{case.id} {case.title}")
    _dynamic.id(case.id)
    tags = [str(mark) for mark in case.profiles]
    if fuzz:
        tags.append("fuzz")
    if tags:
        _dynamic.tag(*tags)
    _dynamic.severity(severity_for(case, fuzz=fuzz))


def severity_for(case: CaseInfo, *, fuzz: bool = False) -> allure.severity_level:
    """critical when mandatory in any profile, normal when only conditional, minor for fuzz tests."""
    if fuzz:
        return allure.severity_level.MINOR
    if any(mark.requirement == "M" for mark in case.profiles):
        return allure.severity_level.CRITICAL
    return allure.severity_level.NORMAL


def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def _properties_escape(text: str) -> str:
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return out.replace("=", "\\=").replace(":", "\\:")


def environment_mapping(
    *,
    vendor: str = "",
    model: str = "",
    firmware: str = "",
    station_id: str = "",
    security_profile: int | None = None,
    sut_type: str = "",
) -> dict[str, str]:
    """The standard environment keys; empty values are left out."""
    values = {
        "SUT type": sut_type,
        "SUT vendor": vendor,
        "SUT model": model,
        "SUT firmware": firmware,
        "Station id": station_id,
        "Security profile": "" if security_profile is None else str(security_profile),
        "OCPP version": OCPP_VERSION,
        "Harness version": f"ocpp-conformance {__version__}",
    }
    return {k: v for k, v in values.items() if v}


def write_environment(results_dir: Path, mapping: Mapping[str, object]) -> Path:
    """environment.properties. Keys that look secret (password, key, token, ...) are refused, not written."""
    secret = [k for k in mapping if _is_secret(k)]
    if secret:
        raise ValueError(f"refusing to write secret-looking keys to environment.properties: {secret}")
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "environment.properties"
    # Java properties: a space in a key must be escaped, or the key ends there.
    lines = [
        f"{_properties_escape(str(k)).replace(' ', _ESCAPED_SPACE)}={_properties_escape(str(v))}"
        for k, v in mapping.items()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_executor(
    results_dir: Path,
    *,
    name: str = "ocpp-conformance",
    build_name: str = "",
    build_url: str = "",
    report_url: str = "",
    executor_type: str = "local",
) -> Path:
    """executor.json: who ran the suite (shown on the report's overview)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    data: dict[str, str] = {
        "name": name,
        "type": executor_type,
        "buildName": build_name or f"ocpp-conformance {__version__} on {platform.node() or 'localhost'}",
    }
    if build_url:
        data["buildUrl"] = build_url
    if report_url:
        data["reportUrl"] = report_url
    path = results_dir / "executor.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def _rule(name: str, statuses: Sequence[str], key: str | None) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": name, "matchedStatuses": list(statuses)}
    if key is not None:
        # optional "<Type>: " / "Skipped: " that allure-pytest puts in front, then the bracketed key
        rule["messageRegex"] = r"^(?:[\w.]+: )?\[" + key + r"\][\s\S]*"
    return rule


def categories() -> list[dict[str, Any]]:
    """Failure categories, first match wins (Allure 2 and 3 alike)."""
    return [
        _rule("Schema violation (SUT)", ["failed"], "schema"),
        _rule("SUT timeout", ["failed"], "timeout"),
        _rule("SUT disconnected", ["failed"], "disconnected"),
        _rule("SUT non-conformance", ["failed"], "conformance"),
        _rule("Harness error", ["failed", "broken"], "harness"),
        _rule("Not applicable to this SUT", ["skipped"], "not-applicable"),
        _rule("Action not supported by the driver", ["skipped"], "unsupported"),
        _rule("Unclassified failure (assertion without a key)", ["failed"], None),
        _rule("Harness error (unexpected exception)", ["broken"], None),
    ]


def write_categories(results_dir: Path) -> Path:
    """categories.json for Allure 2 (Allure 3 ignores it: see write_allurerc)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "categories.json"
    path.write_text(json.dumps(categories(), indent=2) + "\n", encoding="utf-8")
    return path


def allurerc_text(*, name: str = "OCPP 2.0.1 conformance", single_file: bool = True) -> str:
    """An Allure 3 config module: report name, the awesome report (single file), our categories."""
    config = {
        "name": name,
        "plugins": {"awesome": {"options": {"singleFile": single_file, "groupBy": ["parentSuite", "suite"]}}},
        "categories": {"rules": categories()},
    }
    header = "// Generated by ocpp-conformance (conformance/report/allure_labels.py).\n"
    return f"{header}export default {json.dumps(config, indent=2)};\n"


def write_allurerc(
    directory: Path, *, name: str = "OCPP 2.0.1 conformance", single_file: bool = True
) -> Path:
    """allurerc.mjs in `directory` (Allure 3 picks it up there, or pass it with --config)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "allurerc.mjs"
    path.write_text(allurerc_text(name=name, single_file=single_file), encoding="utf-8")
    return path


__all__ = [
    "EPIC",
    "MESSAGE_PREFIXES",
    "PARENT_SUITES",
    "allurerc_text",
    "apply_case_labels",
    "categories",
    "environment_mapping",
    "prefix_for",
    "severity_for",
    "tag_message",
    "write_allurerc",
    "write_categories",
    "write_environment",
    "write_executor",
]
