"""The configuration-state helper (conformance.testing.configuration) against the reference station."""

from __future__ import annotations

import pytest

from conformance.errors import ConformanceFailure
from conformance.session.endpoints import HarnessCsms
from conformance.testing import Setting, configured, preserved, read_variable, setting

RETRIES = setting("OCPPCommCtrlr.ResetRetries", 7)
QUEUE_ALL = setting("OCPPCommCtrlr.QueueAllMessages", True)
READ_ONLY = setting("OCPPCommCtrlr.MessageTimeout", 5, instance="Default")
UNKNOWN = setting("OCPPCommCtrlr.NoSuchVariable", "x")


def test_setting_renders_values_and_names() -> None:
    assert QUEUE_ALL.value == "true" and setting("A.b", False).value == "false" and RETRIES.value == "7"
    assert RETRIES.name == "OCPPCommCtrlr.ResetRetries"
    assert READ_ONLY.name == "OCPPCommCtrlr.MessageTimeout[Default]"
    scoped = Setting("Connector", "Enabled", True, evse_id=1, connector_id=2)
    assert scoped.ref == {
        "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 2}},
        "variable": {"name": "Enabled"},
    }
    assert READ_ONLY.ref["variable"] == {"name": "MessageTimeout", "instance": "Default"}
    assert scoped.name == "Connector.Enabled (EVSE 1, connector 2)"
    with pytest.raises(ValueError):
        setting("NoDot", 1)


async def test_configured_sets_then_restores(csms: HarnessCsms) -> None:
    before = [await read_variable(csms, s) for s in (RETRIES, QUEUE_ALL)]
    assert before == ["2", "false"]
    async with configured(csms, [RETRIES, QUEUE_ALL]):
        assert [await read_variable(csms, s) for s in (RETRIES, QUEUE_ALL)] == ["7", "true"]
    assert [await read_variable(csms, s) for s in (RETRIES, QUEUE_ALL)] == before


async def test_rejected_setting_fails_naming_it_and_restores_the_others(csms: HarnessCsms) -> None:
    with pytest.raises(ConformanceFailure, match=r"MessageTimeout\[Default\] = '5' is Rejected"):
        async with configured(csms, [RETRIES, READ_ONLY]):
            raise AssertionError("the body must not run")
    assert await read_variable(csms, RETRIES) == "2"


async def test_unknown_variable_fails_unless_only_if_writable(csms: HarnessCsms) -> None:
    with pytest.raises(ConformanceFailure, match=r"NoSuchVariable is UnknownVariable"):
        async with configured(csms, [UNKNOWN]):
            pass
    optional = [
        Setting("OCPPCommCtrlr", "NoSuchVariable", "x", only_if_writable=True),
        Setting("OCPPCommCtrlr", "MessageTimeout", 5, instance="Default", only_if_writable=True),
    ]
    ran = False
    async with configured(csms, optional):
        ran = True
    assert ran and await read_variable(csms, READ_ONLY) != "5"


async def test_body_failure_is_not_masked_and_values_are_restored(csms: HarnessCsms) -> None:
    with pytest.raises(ConformanceFailure, match="the case's own failure"):
        async with configured(csms, [RETRIES]):
            raise ConformanceFailure("the case's own failure")
    assert await read_variable(csms, RETRIES) == "2"


async def test_preserved_restores_what_the_body_changed(csms: HarnessCsms) -> None:
    async with preserved(csms, [RETRIES, UNKNOWN]):
        await csms.call_ok("SetVariables", {"setVariableData": [{**RETRIES.ref, "attributeValue": "9"}]})
        assert await read_variable(csms, RETRIES) == "9"
    assert await read_variable(csms, RETRIES) == "2"
