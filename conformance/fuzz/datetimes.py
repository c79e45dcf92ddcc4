"""Date-times: the OCPP form (generated) and strict RFC 3339 (checked).

OCPP's dateTime is RFC 3339; in practice CSMSs expect UTC with a `Z` and at most millisecond
precision (see /work/shared/notes/ocpp-library-pitfalls.md), so generated values take exactly that
form. The checker is strict RFC 3339 (section 5.6 grammar plus real calendar dates), for use as the
`date-time` format of a jsonschema `FormatChecker`.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime

from hypothesis import strategies as st
from jsonschema import FormatChecker

# RFC 3339 section 5.6; section 5.6's note allows lower-case 't' / 'z'.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_OCPP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z", re.ASCII)

_EARLIEST = datetime(2000, 1, 1)
_LATEST = datetime(2099, 12, 31, 23, 59, 59, 999_000)


def is_rfc3339_datetime(value: str) -> bool:
    """True for an RFC 3339 `date-time` naming a real instant (leap second 60 allowed)."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return False
    offset_ok = match.group(8) is None or (int(match.group(9)) <= 23 and int(match.group(10)) <= 59)
    return hour <= 23 and minute <= 59 and second <= 60 and offset_ok


def is_ocpp_datetime(value: str) -> bool:
    """True for the form OCPP peers expect: RFC 3339, UTC 'Z', 0-3 fractional digits."""
    return _OCPP.fullmatch(value) is not None and is_rfc3339_datetime(value)


def strict_format_checker() -> FormatChecker:
    """A FormatChecker whose only format is a strict RFC 3339 `date-time` (non-strings pass, as
    JSON Schema formats apply to strings only)."""
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_date_time_format)
    return checker


def _date_time_format(instance: object) -> bool:
    return not isinstance(instance, str) or is_rfc3339_datetime(instance)


def _render(moment: datetime, digits: int) -> str:
    fraction = f".{moment.microsecond:06d}"[: digits + 1] if digits else ""
    return f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}Z"


def ocpp_datetimes() -> st.SearchStrategy[str]:
    """UTC RFC 3339 date-times with 'Z' and 0-3 fractional digits, years 2000-2099.

    Shrinks towards 2000-01-01T00:00:00Z without a fraction."""
    return st.builds(_render, st.datetimes(min_value=_EARLIEST, max_value=_LATEST), st.integers(0, 3))
