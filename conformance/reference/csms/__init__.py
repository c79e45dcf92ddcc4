"""The built-in reference CSMS: an `ocpp` (v201) CSMS behind a conformant OCPP-J front door."""

from conformance.reference.csms.config import CsmsConfig, StationRecord, TokenRecord
from conformance.reference.csms.control import CsmsControl
from conformance.reference.csms.core import FrameEvent
from conformance.reference.csms.errors import ControlError
from conformance.reference.csms.runner import RunningCsms, start_reference_csms

__all__ = [
    "ControlError",
    "CsmsConfig",
    "CsmsControl",
    "FrameEvent",
    "RunningCsms",
    "StationRecord",
    "TokenRecord",
    "start_reference_csms",
]
