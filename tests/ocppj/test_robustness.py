"""`decode` and `check_payload` never raise, whatever arrives (Hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.ocppj.frames import Call, CallError, CallResult, serialize
from conformance.ocppj.validation import Decoded, FrameValidator

FV = FrameValidator()
ACTIONS = sorted(FV.actions)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
frame_like = st.lists(
    st.one_of(
        st.sampled_from([2, 3, 4, "2", 7]),
        st.sampled_from(["id", "x" * 40]),
        st.sampled_from(ACTIONS),
        json_values,
    ),
    max_size=6,
)


def _check(decoded: Decoded) -> None:
    assert isinstance(decoded, Decoded)
    if decoded.frame is None:
        assert decoded.violations, "a frame that could not be built must say why"
    for v in decoded.violations:
        assert v.rule and isinstance(v.message, str)


@settings(max_examples=300)
@given(st.text() | st.binary())
def test_decode_never_raises_on_any_message(raw: str | bytes) -> None:
    _check(FV.decode(raw))


@settings(max_examples=300)
@given(frame_like)
def test_decode_never_raises_on_frame_like_arrays(items: list[Any]) -> None:
    import json

    _check(FV.decode(json.dumps(items)))


@settings(max_examples=200)
@given(st.sampled_from(ACTIONS), st.sampled_from(["request", "response"]), json_values)
def test_check_payload_never_raises(action: str, kind: str, payload: Any) -> None:
    violations = FV.check_payload(action, kind, payload)  # type: ignore[arg-type]
    assert isinstance(violations, tuple)


@settings(max_examples=200)
@given(
    st.text(max_size=36),
    st.sampled_from(ACTIONS),
    st.dictionaries(st.text(max_size=8), json_values, max_size=3),
)
def test_serialized_frames_decode_back(unique_id: str, action: str, payload: dict[str, Any]) -> None:
    for frame in (
        Call(unique_id, action, payload),
        CallResult(unique_id, payload),
        CallError(unique_id, "GenericError", "d", payload),
    ):
        decoded = FV.decode(serialize(frame))
        if isinstance(frame, Call) and decoded.violations:
            assert all(v.rule.startswith(("schema.", "format.")) for v in decoded.violations)
        else:
            assert decoded.frame == frame
