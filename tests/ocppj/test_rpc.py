"""RpcTracker: correlation and the one-CALL-at-a-time rules (Part 4, 4.1.1 / 4.1.4)."""

from __future__ import annotations

from conformance.ocppj.frames import Call, CallError, CallResult
from conformance.ocppj.rpc import RpcTracker


def rules(violations: tuple[object, ...]) -> list[str]:
    return [v.rule for v in violations]  # type: ignore[attr-defined]


def test_response_resolves_our_call_to_its_action() -> None:
    t = RpcTracker()
    assert t.outgoing_call(Call("a1", "GetVariables", {})) == ()
    assert dict(t.open_outgoing) == {"a1": "GetVariables"}
    action, violations = t.incoming_response(CallResult("a1", {}))
    assert (action, violations) == ("GetVariables", ())
    assert dict(t.open_outgoing) == {}


def test_callerror_resolves_too() -> None:
    t = RpcTracker()
    t.outgoing_call(Call("a1", "Reset", {}))
    assert t.incoming_response(CallError("a1", "NotSupported", "", {})) == ("Reset", ())


def test_unexpected_response() -> None:
    t = RpcTracker()
    action, violations = t.incoming_response(CallResult("nobody", {}))
    assert action is None
    assert rules(violations) == ["rpc.unexpected-response"]
    assert "nobody" in violations[0].message


def test_second_response_to_the_same_call_is_unexpected() -> None:
    t = RpcTracker()
    t.outgoing_call(Call("a1", "Reset", {}))
    t.incoming_response(CallResult("a1", {}))
    assert rules(t.incoming_response(CallResult("a1", {}))[1]) == ["rpc.unexpected-response"]


def test_late_answer_after_expiry_is_unexpected() -> None:
    t = RpcTracker()
    t.outgoing_call(Call("a1", "Reset", {}))
    assert t.expire_outgoing("a1") == "Reset"
    assert rules(t.incoming_response(CallResult("a1", {}))[1]) == ["rpc.unexpected-response"]


def test_second_incoming_call_while_one_is_open() -> None:
    t = RpcTracker()
    assert t.incoming_call(Call("s1", "BootNotification", {})) == ()
    violations = t.incoming_call(Call("s2", "Heartbeat", {}))
    assert rules(violations) == ["rpc.second-call"]
    assert "BootNotification" in violations[0].message


def test_answered_call_allows_the_next() -> None:
    t = RpcTracker()
    t.incoming_call(Call("s1", "BootNotification", {}))
    assert t.outgoing_response("s1") == "BootNotification"
    assert t.incoming_call(Call("s2", "Heartbeat", {})) == ()


def test_reused_open_id() -> None:
    t = RpcTracker()
    t.incoming_call(Call("dup", "BootNotification", {}))
    assert rules(t.incoming_call(Call("dup", "Heartbeat", {}))) == ["rpc.duplicate-id"]
    t.outgoing_call(Call("mine", "Reset", {}))
    assert rules(t.outgoing_call(Call("mine", "Reset", {}))) == ["rpc.duplicate-id"]


def test_reusing_an_answered_id_is_allowed() -> None:
    # Errata 2024-09 to Part 4, 4.1.4: a retried message MAY reuse the id.
    t = RpcTracker()
    t.incoming_call(Call("r", "Heartbeat", {}))
    t.outgoing_response("r")
    assert t.incoming_call(Call("r", "Heartbeat", {})) == ()


def test_directions_are_independent_and_reset_clears() -> None:
    t = RpcTracker()
    t.outgoing_call(Call("x", "Reset", {}))
    assert t.incoming_call(Call("x", "Heartbeat", {})) == ()  # same id, other direction: fine
    t.reset()
    assert dict(t.open_outgoing) == {} and dict(t.open_incoming) == {}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_unanswered_call_is_forgotten_after_the_message_timeout() -> None:
    clock = FakeClock()
    t = RpcTracker(10.0, clock=clock)
    assert t.incoming_call(Call("m1", "TransactionEvent", {})) == ()
    clock.now += 10.0  # the peer timed out: its resend (same message, new id) is legitimate
    assert t.incoming_call(Call("m2", "TransactionEvent", {})) == ()
    assert dict(t.open_incoming) == {"m2": "TransactionEvent"}


def test_second_call_inside_the_message_timeout_is_still_flagged() -> None:
    clock = FakeClock()
    t = RpcTracker(10.0, clock=clock)
    t.incoming_call(Call("m1", "TransactionEvent", {}))
    clock.now += 8.5  # younger than the timeout (less its 1 s grace)
    assert rules(t.incoming_call(Call("m2", "Heartbeat", {}))) == ["rpc.second-call"]


def test_resend_with_the_same_id_after_the_timeout_is_no_duplicate() -> None:
    clock = FakeClock()
    t = RpcTracker(2.0, clock=clock)
    t.incoming_call(Call("m1", "TransactionEvent", {}))
    clock.now += 1.9  # grace: 10 % of a short timeout
    assert t.incoming_call(Call("m1", "TransactionEvent", {})) == ()


def test_without_a_message_timeout_calls_stay_open() -> None:
    clock = FakeClock()
    t = RpcTracker(clock=clock)
    t.incoming_call(Call("m1", "Heartbeat", {}))
    clock.now += 3600.0
    assert rules(t.incoming_call(Call("m2", "Heartbeat", {}))) == ["rpc.second-call"]
    t.outgoing_response("m1")
    t.outgoing_response("m2")
    assert dict(t.open_incoming) == {}
