"""schemas/MANIFEST.json matches the schema files, which are the 128 unmodified official schemas."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.resources import schema_root

ROOT = schema_root()
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "ocpp-2.0.1" / "schemas"


def _manifest() -> list[dict[str, Any]]:
    data = json.loads((ROOT / "MANIFEST.json").read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = data["files"]
    return entries


def test_every_listed_file_exists_with_its_digest() -> None:
    for entry in _manifest():
        path = ROOT / entry["file"]
        assert path.is_file(), entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], (
            f"{entry['file']} was modified"
        )
        assert entry["source"] == "OCPP 2.0.1 Part 3 JSON schemas (2020-03-31), Open Charge Alliance"


def test_every_schema_file_is_listed_once() -> None:
    listed = [e["file"] for e in _manifest()]
    assert len(listed) == len(set(listed))
    on_disk = sorted(f"ocpp-2.0.1/{p.name}" for p in (ROOT / "ocpp-2.0.1").iterdir())
    assert sorted(listed) == on_disk


def test_64_actions_each_with_request_and_response() -> None:
    names = {p.name for p in (ROOT / "ocpp-2.0.1").glob("*.json")}
    actions = {n.removesuffix("Request.json") for n in names if n.endswith("Request.json")}
    assert len(actions) == 64
    assert names == {f"{a}{kind}.json" for a in actions for kind in ("Request", "Response")}
    assert len(names) == 128


def test_licence_notice_present() -> None:
    text = (ROOT / "LICENSE.md").read_text(encoding="utf-8")
    assert "Open Charge Alliance" in text
    assert "https://creativecommons.org/licenses/by-nd/4.0/" in text
    assert "unmodified" in text


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared reference copy not present")
def test_copies_equal_the_shared_reference() -> None:
    ours = {p.name: p.read_bytes() for p in (ROOT / "ocpp-2.0.1").glob("*.json")}
    theirs = {p.name: p.read_bytes() for p in SHARED.glob("*.json")}
    assert ours.keys() == theirs.keys()
    assert [name for name in ours if ours[name] != theirs[name]] == []
