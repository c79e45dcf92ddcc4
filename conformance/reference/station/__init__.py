"""The built-in reference charging station (OCPP 2.0.1), built on the `ocpp` library's v201 classes."""

from conformance.reference.station.actions import ControlError
from conformance.reference.station.config import EvseConfig, StationConfig
from conformance.reference.station.control import StationControl
from conformance.reference.station.runner import RunningStation, start_reference_station

__all__ = [
    "ControlError",
    "EvseConfig",
    "RunningStation",
    "StationConfig",
    "StationControl",
    "start_reference_station",
]
