"""WebSocket transport for OCPP-J 2.0.1 in both roles, security profiles 0-3, and a test PKI.

See ARCHITECTURE.md (`conformance.transport`) for the contract with the session layer.
"""

from conformance.transport.client import connect_station, station_url
from conformance.transport.connection import AuthFacts, WsConnection
from conformance.transport.errors import ConnectFailed, HandshakeRejection, TransportClosed
from conformance.transport.pki import TestPki, make_test_pki
from conformance.transport.security import (
    ClientSecurity,
    ServerSecurity,
    basic_auth_header,
    client_ssl_context,
    parse_basic_auth,
    server_ssl_context,
)
from conformance.transport.server import OCPP201, CsmsServer

__all__ = [
    "OCPP201",
    "AuthFacts",
    "ClientSecurity",
    "ConnectFailed",
    "CsmsServer",
    "HandshakeRejection",
    "ServerSecurity",
    "TestPki",
    "TransportClosed",
    "WsConnection",
    "basic_auth_header",
    "client_ssl_context",
    "connect_station",
    "make_test_pki",
    "parse_basic_auth",
    "server_ssl_context",
    "station_url",
]
