"""Exceptions shared by every layer. None of them knows pytest; the plugin maps them to outcomes."""

from __future__ import annotations


class HarnessError(Exception):
    """A fault of the harness or its configuration, not of the SUT."""


class ConfigError(HarnessError):
    """The SUT description or the command-line options are wrong; the message says which and how."""


class ConformanceFailure(AssertionError):
    """The SUT did something the specification forbids (or failed to do what it requires)."""

    def __init__(self, message: str, *, rule: str = "", frame: str | None = None, path: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.frame = frame
        self.path = path


class SchemaViolationFailure(ConformanceFailure):
    """A frame from the SUT broke the OCPP-J framing rules or the action's JSON schema."""


class SutTimeout(ConformanceFailure):
    """The SUT did not do the expected thing within the configured timeout."""


class SutDisconnected(ConformanceFailure):
    """The SUT dropped the connection when the test needed it."""


class ActionUnsupported(Exception):
    """The configured action driver cannot perform an action a test needs: the test is skipped."""

    def __init__(self, action: str, driver: str, detail: str = "") -> None:
        self.action = action
        self.driver = driver
        text = f"action '{action}' is not available with the '{driver}' driver"
        super().__init__(f"{text}: {detail}" if detail else text)


class NotApplicable(Exception):
    """A conditional test case whose condition over the SUT's declared features is false."""
