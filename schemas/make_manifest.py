"""Regenerate schemas/MANIFEST.json from the schema files: `python schemas/make_manifest.py`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

SOURCE = "OCPP 2.0.1 Part 3 JSON schemas (2020-03-31), Open Charge Alliance"
HERE = Path(__file__).resolve().parent
SCHEMA_DIR = HERE / "ocpp-2.0.1"


def build() -> dict[str, object]:
    files = [
        {
            "file": f"ocpp-2.0.1/{path.name}",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "source": SOURCE,
        }
        for path in sorted(SCHEMA_DIR.glob("*.json"))
    ]
    return {
        "description": "The official OCPP 2.0.1 JSON schemas, unmodified (see LICENSE.md)",
        "license": "CC BY-ND 4.0, (c) Open Charge Alliance",
        "files": files,
    }


def main() -> None:
    (HERE / "MANIFEST.json").write_text(json.dumps(build(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
