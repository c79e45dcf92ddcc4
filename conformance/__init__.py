"""ocpp-conformance: an open, OCTT-style conformance test harness for OCPP 2.0.1."""

__version__ = "0.1.0"
OCPP_VERSION = "2.0.1"
SUBPROTOCOL = "ocpp2.0.1"
