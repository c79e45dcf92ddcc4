"""What the reusable states of both roles share."""

from __future__ import annotations

from typing import Any

from conformance.session.responders import ocpp_now


def connectors_of(sut: Any) -> list[tuple[int, int]]:
    """(evseId, connectorId) of every connector in the SUT description's topology."""
    return [(evse.id, connector.id) for evse in sut.evses for connector in evse.connectors]


def first_connector(sut: Any) -> tuple[int, int]:
    """Part 6's <Configured evseId> / <Configured connectorId>: the first connector of the topology."""
    return connectors_of(sut)[0]


def id_token_of(token: Any) -> dict[str, str]:
    """An OCPP IdTokenType for a configured token."""
    return {"idToken": token.id_token, "type": token.type}


def now() -> str:
    return ocpp_now()
