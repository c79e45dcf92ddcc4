"""Schema-driven Hypothesis strategies for fuzzing OCPP 2.0.1 peers (issue 8).

Built from our own schemas (`conformance.resources.schema_dir()`), pure (no global randomness), so a
Hypothesis seed plus its example database replays exactly.
"""

from conformance.fuzz.datetimes import (
    is_ocpp_datetime,
    is_rfc3339_datetime,
    ocpp_datetimes,
    strict_format_checker,
)
from conformance.fuzz.framing import FAULTS, FramingFault, framing_faults, message_ids
from conformance.fuzz.invalid import RULES, InvalidPayload, invalid_payloads
from conformance.fuzz.paths import json_path
from conformance.fuzz.schemas import actions, load_schema, unknown_keywords
from conformance.fuzz.valid import valid_payloads

__all__ = [
    "FAULTS",
    "RULES",
    "FramingFault",
    "InvalidPayload",
    "actions",
    "framing_faults",
    "invalid_payloads",
    "is_ocpp_datetime",
    "is_rfc3339_datetime",
    "json_path",
    "load_schema",
    "message_ids",
    "ocpp_datetimes",
    "strict_format_checker",
    "unknown_keywords",
    "valid_payloads",
]
