"""Where the packaged data lives: in a checkout (repo root) or inside an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"none of these exists: {', '.join(str(c) for c in candidates)}")


def schema_dir() -> Path:
    """The official OCPP 2.0.1 JSON schemas (our verbatim copy)."""
    return _first_existing(_REPO / "schemas" / "ocpp-2.0.1", _PACKAGE / "_bundled" / "schemas" / "ocpp-2.0.1")


def schema_root() -> Path:
    """The `schemas/` folder: the schema files, the manifest and the licence notice."""
    return schema_dir().parent


def testcases_dir() -> Path:
    """The OCTT-mirroring test cases (run by `ocpp-conformance run`)."""
    return _first_existing(_REPO / "testcases", _PACKAGE / "_bundled" / "testcases")


def data_dir() -> Path:
    """Catalogue data shipped with the package (test-case ids, profile matrix)."""
    return _PACKAGE / "data"
