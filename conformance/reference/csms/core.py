"""The reference CSMS's engine: a websockets 17 server (OCPP-J, security profiles 0-3), one
`CsmsChargePoint` per connected station, and CSMS-initiated requests. Runs inside one event loop."""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import functools
import hmac
import json
import ssl
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import unquote

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from conformance.errors import ConfigError
from conformance.reference.csms.config import CsmsConfig
from conformance.reference.csms.errors import ControlError
from conformance.reference.csms.handlers import TRIGGERED_ACTION, CsmsChargePoint
from conformance.reference.csms.ocppj_filter import (
    IncomingCall,
    IncomingResponse,
    Reject,
    call_error,
    has_overlong_string,
    payload_problem,
    screen,
)
from conformance.reference.csms.signing import SigningCa
from conformance.reference.csms.state import CsmsState, StationState, utc_now

SUBPROTOCOL: Final = "ocpp2.0.1"
CSMS_THREAD_NAME: Final = "reference-csms"
MAX_MESSAGE_BYTES: Final = 1 << 20
# B02 / TC_B_02_CSMS (uses cases B05-B08) and TC_B_31_CSMS: what a CSMS may send a Pending station.
PENDING_ALLOWED_REQUESTS: Final = frozenset(
    {"GetVariables", "SetVariables", "GetBaseReport", "GetReport", "TriggerMessage"}
)


@dataclass(frozen=True)
class FrameEvent:
    """One websocket message to or from a station (for the live log)."""

    wall_time: float
    station_id: str
    direction: str  # "in" (from the station) or "out"
    text: str
    action: str  # the CALL's action, or the action a response answers ("" if unknown)


FrameListener = Callable[[FrameEvent], None]


class FrameConnection:
    """The connection the library's ChargePoint talks to: logs every frame both ways and tells
    each response's action by its message id."""

    def __init__(self, ws: ServerConnection, station_id: str, core: CsmsCore) -> None:
        self.ws = ws
        self.station_id = station_id
        self.core = core
        self._open: dict[str, str] = {}  # message id -> action, both directions

    def note(self, direction: str, text: str | bytes) -> None:
        if not self.core.listeners:
            return
        shown = text if isinstance(text, str) else f"<{len(text)} binary bytes>"
        action = ""
        try:
            frame = json.loads(shown)
            if isinstance(frame, list) and len(frame) > 2 and isinstance(frame[1], str):
                if frame[0] == 2 and isinstance(frame[2], str):
                    action = self._open[frame[1]] = frame[2]
                elif frame[0] in (3, 4):
                    action = self._open.pop(frame[1], "")
        except ValueError:
            pass
        event = FrameEvent(time.time(), self.station_id, direction, shown, action)
        for listener in self.core.listeners:
            listener(event)

    async def send(self, text: str) -> None:
        self.note("out", text)
        await self.ws.send(text)

    async def recv(self) -> str | bytes:
        raw = await self.ws.recv()
        self.note("in", raw)
        return raw


def server_ssl_context(config: CsmsConfig, mutant: str | None = None) -> ssl.SSLContext | None:
    """Profiles 2 and 3: TLS 1.2 minimum; profile 3 also requires a client certificate."""
    if config.security_profile < 2:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(config.certfile), str(config.keyfile))
        # A00.FR.318: the TLS_RSA_* suites need an RSA key; OpenSSL serves EC and RSA chains side by side.
        if config.rsa_certfile and config.rsa_keyfile and mutant != "tls-no-rsa-suites":
            ctx.load_cert_chain(str(config.rsa_certfile), str(config.rsa_keyfile))
            from conformance.transport.pki import TLS_RSA_SUITES

            tls12 = ":".join(c["name"] for c in ctx.get_ciphers() if c.get("protocol") == "TLSv1.2")
            ctx.set_ciphers(f"{tls12}:{TLS_RSA_SUITES}")
        if config.security_profile == 3:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(cafile=str(config.cafile))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"reference CSMS TLS files: {exc}") from None
    return ctx


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if header is None or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def _common_name(cert: Any) -> str | None:
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


def station_id_of(path: str) -> str:
    """The last path segment, percent-decoded: stations connect to <any base path>/<stationId>."""
    path = path.split("?", 1)[0]
    return "" if path.endswith("/") else unquote(path.rsplit("/", 1)[-1])


def abp_mutated_request(mutant: str | None, action: str, request: dict[str, Any]) -> dict[str, Any]:
    """The request as a block A/B/P mutant sends it (the conformant CSMS sends it as asked)."""
    if mutant == "component-name-typo" and action in ("GetVariables", "SetVariables"):  # B05/B06
        key = "getVariableData" if action == "GetVariables" else "setVariableData"
        entries = [dict(e) for e in request.get(key, [])]
        for entry in entries:
            if entry.get("component", {}).get("name") == "OCPPCommCtrlr":
                entry["component"] = {**entry["component"], "name": "OCPPCommCtrl"}
        return {**request, key: entries}
    if mutant == "set-variables-target-attribute" and action == "SetVariables":  # B05.FR.01
        entries = [{**e, "attributeType": "Target"} for e in request.get("setVariableData", [])]
        return {**request, "setVariableData": entries}
    if action == "Reset":  # B11/B12: a station reset has no evseId; OnIdle stays OnIdle
        if mutant == "reset-evse-id" and "evseId" not in request:
            return {**request, "evseId": 1}
        if mutant == "reset-evse-dropped":  # an EVSE reset keeps its evseId
            return {k: v for k, v in request.items() if k != "evseId"}
        if mutant == "reset-always-immediate":
            return {**request, "type": "Immediate"}
    if mutant == "base-report-summary" and action == "GetBaseReport":  # B07.FR.07/08: the asked reportBase
        return {**request, "reportBase": "SummaryInventory"}
    if mutant == "network-profile-ocpp16" and action == "SetNetworkProfile":  # B09.FR.01
        data = {**request.get("connectionData", {}), "ocppVersion": "OCPP16"}
        return {**request, "connectionData": data}
    return request


def _has_custom_data(value: Any) -> bool:
    """Whether a payload carries customData at any depth (Part 3 CustomDataType)."""
    if isinstance(value, dict):
        return "customData" in value or any(_has_custom_data(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_custom_data(v) for v in value)
    return False


class CsmsCore:
    def __init__(self, config: CsmsConfig, mutant: str | None = None) -> None:
        self.config = config
        self.mutant = mutant
        self.state = CsmsState()
        self.stations: dict[str, CsmsChargePoint] = {}
        self.listeners: list[FrameListener] = []
        if config.signing_ca_certfile and config.signing_ca_keyfile:
            self.signing_ca = SigningCa.load(config.signing_ca_certfile, config.signing_ca_keyfile)
        else:
            self.signing_ca = SigningCa.generate()
        self.ssl = server_ssl_context(config, mutant)
        if self.ssl is not None and mutant == "accepts-tls11":  # A00.FR.3xx/4xx: TLS 1.2 is the minimum
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                self.ssl.minimum_version = ssl.TLSVersion.TLSv1
            self.ssl.set_ciphers("DEFAULT:@SECLEVEL=0")
        self._server: Server | None = None
        self.host = "127.0.0.1"
        # A05 / TC_A_19_CSMS: a second endpoint at security profile + 1 (profiles 1 and 2 with TLS files);
        # a station that connected there is refused at its old profile (station id -> new profile).
        self._upgrade_server: Server | None = None
        self.upgrade_ssl = self._upgrade_ssl_context()
        self.upgraded: dict[str, int] = {}

    # ------------------------------------------------------------ lifecycle
    async def start(self, host: str, port: int) -> None:
        self.host = host
        self._server = await serve(
            self._handler,
            host,
            port,
            ssl=self.ssl,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            compression=None,
            max_size=MAX_MESSAGE_BYTES,
            open_timeout=10,
            close_timeout=2,
            ping_interval=None,  # keepalive is the station's Heartbeat; pings only add noise
        )
        if self.upgrade_ssl is not None:
            self._upgrade_server = await serve(
                self._handler,
                host,
                0,
                ssl=self.upgrade_ssl,
                process_request=functools.partial(
                    self._process_request, profile=self.config.security_profile + 1
                ),
                select_subprotocol=self._select_subprotocol,
                compression=None,
                max_size=MAX_MESSAGE_BYTES,
                open_timeout=10,
                close_timeout=2,
                ping_interval=None,
            )

    def _upgrade_ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context of the endpoint at security profile + 1 (A05), None when there is none: only
        profiles 1 and 2 can be upgraded, and it needs the server certificate files."""
        cfg = self.config
        if cfg.security_profile not in (1, 2) or not (cfg.certfile and cfg.keyfile):
            return None
        if cfg.security_profile == 2 and not cfg.cafile:
            return None
        higher = dataclasses.replace(cfg, security_profile=cfg.security_profile + 1)
        ctx = server_ssl_context(higher, self.mutant)
        assert ctx is not None
        if cfg.security_profile == 2:  # profile 3: certificates it signed (A02 / A05 memory state) too
            from cryptography.hazmat.primitives.serialization import Encoding

            ctx.load_verify_locations(cadata=self.signing_ca.cert.public_bytes(Encoding.PEM).decode())
        return ctx

    @property
    def upgrade_url(self) -> str | None:
        """The endpoint at security profile + 1 (A05), if any; stations append their id."""
        if self._upgrade_server is None:
            return None
        port = int(self._upgrade_server.sockets[0].getsockname()[1])
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"wss://{host}:{port}/"

    async def stop(self) -> None:
        if self._upgrade_server is not None:
            upgrade, self._upgrade_server = self._upgrade_server, None
            upgrade.close(close_connections=True)
            await asyncio.wait_for(upgrade.wait_closed(), 5.0)
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close(close_connections=True)
        await asyncio.wait_for(server.wait_closed(), 5.0)

    @property
    def port(self) -> int:
        assert self._server is not None, "CSMS not started"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        scheme = "wss" if self.ssl is not None else "ws"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/"

    # ------------------------------------------------------------ handshake
    def _refuse(self, connection: ServerConnection, status: HTTPStatus, sid: str, why: str) -> Response:
        self.state.rejected_handshakes.append({"stationId": sid, "status": str(status.value), "reason": why})
        response = connection.respond(status, why + "\n")
        if status is HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Basic realm="OCPP", charset="UTF-8"'
        return response

    def _process_request(
        self, connection: ServerConnection, request: Request, *, profile: int | None = None
    ) -> Response | None:
        """`profile`: the security profile of the listener (None: the configured one)."""
        sid = station_id_of(request.path)
        if not sid:
            return self._refuse(connection, HTTPStatus.NOT_FOUND, "", f"no station id in {request.path!r}")
        cfg, record = self.config, self.config.station(sid)
        profile = cfg.security_profile if profile is None else profile
        upgraded = self.upgraded.get(sid)
        if upgraded is not None and profile < upgraded and self.mutant != "upgrade-keeps-old-profile":
            why = f"station {sid!r} was upgraded to security profile {upgraded}; profile {profile} is refused"
            return self._refuse(connection, HTTPStatus.FORBIDDEN, sid, why + " (A05.FR.07)")
        refusal = self._security_refusal(connection, request, sid, record, profile)
        if refusal is None and profile > cfg.security_profile:
            self.upgraded[sid] = profile  # A05: from now on the lower profile is refused
        return refusal

    def _security_refusal(
        self, connection: ServerConnection, request: Request, sid: str, record: Any, profile: int
    ) -> Response | None:
        cfg = self.config
        if profile in (1, 2):
            refusal = self._basic_auth_refusal(request.headers.get("Authorization"), sid)
            if refusal is not None:
                return self._refuse(connection, HTTPStatus.UNAUTHORIZED, sid, refusal)
        elif record is None and not cfg.accept_unknown_stations:
            return self._refuse(connection, HTTPStatus.NOT_FOUND, sid, f"unknown station {sid!r}")
        if profile == 3:
            cn = _common_name(connection.transport.get_extra_info("peercert"))
            if cn != sid:  # A00.FR.? profile 3: the client certificate's CN is the station id
                why = f"client certificate CN {cn!r} is not the station id {sid!r}"
                return self._refuse(connection, HTTPStatus.FORBIDDEN, sid, why)
        return None

    def _basic_auth_refusal(self, header: str | None, sid: str) -> str | None:
        """None if the Basic credentials are right, else why not (never containing a password)."""
        credentials = _basic_credentials(header)
        if self.mutant == "basic-auth-scheme-case" and not (header or "").startswith("basic "):
            credentials = None  # RFC 7617: the scheme name is case-insensitive; "Basic" is the usual one
        if credentials is None:
            return "missing or malformed HTTP Basic authentication"
        username, password = credentials
        record = self.config.station(sid)
        if username != sid and self.mutant != "basic-auth-username-unchecked":  # A00.FR.204
            return f"Basic auth username {username!r} is not the station id {sid!r}"
        if record is None or record.password is None:
            return f"no password is registered for station {sid!r}"
        if self.mutant == "accepts-bad-password":  # A00 profile 1/2: the password must match
            return None
        if not hmac.compare_digest(password.encode(), record.password.encode()):
            return f"wrong Basic auth password for station {sid!r}"
        return None

    def _select_subprotocol(
        self, connection: ServerConnection, subprotocols: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        if self.mutant == "no-subprotocol":  # Part 4 3.1.2: the server selects ocpp2.0.1
            return None
        if self.mutant == "subprotocol-first-offered" and subprotocols:  # TC_B_58_CSMS
            return subprotocols[0]
        if self.mutant == "subprotocol-not-offered":  # TC_B_58_CSMS: RFC 6455 allows only an offered one
            return Subprotocol(SUBPROTOCOL)
        # None completes the handshake without the header; the handler then closes (Part 4).
        return Subprotocol(SUBPROTOCOL) if SUBPROTOCOL in subprotocols else None

    # ------------------------------------------------------------ connection
    async def _handler(self, ws: ServerConnection) -> None:
        sid = station_id_of(ws.request.path if ws.request else "")
        if ws.subprotocol is None and self.mutant != "no-subprotocol":
            self.state.rejected_handshakes.append(
                {"stationId": sid, "status": "1002", "reason": "no ocpp2.0.1 subprotocol offered"}
            )
            await ws.close(1002, "subprotocol ocpp2.0.1 required")
            return
        previous = self.stations.get(sid)
        if previous is not None:  # a station reconnecting replaces its old connection
            await previous._connection.ws.close(1000, "replaced by a new connection")
        connection = FrameConnection(ws, sid, self)
        cp = CsmsChargePoint(sid, connection, self)
        self.stations[sid] = cp
        cp.record.connected = True
        cp.record.connections += 1
        try:
            while True:
                raw = await connection.recv()
                await self._dispatch(cp, raw)
        except ConnectionClosed:
            pass
        finally:
            cp.closed.set()
            cp.cancel_tasks()
            if self.stations.get(sid) is cp:
                del self.stations[sid]
                cp.record.connected = False

    async def _dispatch(self, cp: CsmsChargePoint, raw: str | bytes) -> None:
        if self.mutant == "wrong-callerror-code":  # Part 4 4.3: the library's own error handling
            await self._dispatch_unfiltered(cp, raw)
            return
        if self.mutant == "closes-on-long-string" and has_overlong_string(raw):
            await cp._connection.ws.close(1011, "closes-on-long-string mutant")  # breaks Part 4 4.2.3
            return
        screened = screen(raw)
        if isinstance(screened, Reject):
            cp.record.refused.append({"code": screened.code, "description": screened.description})
            if screened.answer:
                await cp._send(screened.frame())
            return
        if isinstance(screened, IncomingResponse):
            await cp.route_message(raw)
            return
        await self._dispatch_call(cp, screened, raw)

    async def _dispatch_call(self, cp: CsmsChargePoint, call: IncomingCall, raw: str | bytes) -> None:
        rec = cp.record
        refusal = self._boot_state_refusal(rec, call.action)
        if refusal is not None:  # B02.FR.09 / B03.FR.07 / TC_B_30_CSMS
            rec.refused.append({"code": "SecurityError", "action": call.action, "description": refusal})
            await cp._send(call_error(call.unique_id, "SecurityError", refusal))
            return
        handlers = cp.route_map.get(call.action, {})
        if "_on_action" not in handlers:  # a known action the CSMS does not take (e.g. Reset)
            description = f"{call.action} is not supported by a CSMS"
            rec.refused.append({"code": "NotSupported", "action": call.action, "description": description})
            await cp._send(call_error(call.unique_id, "NotSupported", description))
            return
        if self.mutant == "rejects-custom-data" and _has_custom_data(call.payload):  # Part 3 customData
            description = "customData is not supported"
            rec.refused.append({"code": "PropertyConstraintViolation", "action": call.action})
            await cp._send(call_error(call.unique_id, "PropertyConstraintViolation", description))
            return
        rec.record(call.action, call.payload)
        cp.current = call
        try:
            await cp.route_message(raw)
        finally:
            cp.current = None

    async def _dispatch_unfiltered(self, cp: CsmsChargePoint, raw: str | bytes) -> None:
        try:
            frame = json.loads(raw)
            if frame[0] == 2 and isinstance(frame[3], dict):
                cp.current = IncomingCall(str(frame[1]), str(frame[2]), frame[3])
                cp.record.record(str(frame[2]), frame[3])
        except (ValueError, TypeError, IndexError, KeyError):
            pass
        try:
            await cp.route_message(raw)
        finally:
            cp.current = None

    def _boot_state_refusal(self, rec: StationState, action: str) -> str | None:
        if action == "BootNotification" or self.mutant == "pending-no-security-error":
            return None
        if rec.boot_status == "Rejected":
            return "the station's boot was Rejected: only BootNotification is allowed"
        if rec.boot_status == "Pending" and action not in rec.allowed_while_pending:
            return f"the station's boot is Pending: {action} was not requested by the CSMS"
        return None

    # ------------------------------------------------------------ CSMS-initiated requests
    async def send_request(
        self,
        station_id: str,
        action: str,
        request: dict[str, Any],
        *,
        timeout: float | None = None,
        check: bool = True,
    ) -> dict[str, Any]:
        """Send one request to a connected station; {"response": ...} or {"error": {...}}."""
        cp = self.stations.get(station_id)
        if cp is None:
            connected = ", ".join(sorted(self.stations)) or "none"
            raise ControlError(f"station {station_id!r} is not connected (connected: {connected})")
        rec = cp.record
        if check:
            self._check_boot_state(rec, action)
        if self.mutant == "clear-cache-extra-field" and action == "ClearCache":  # schema: customData only
            request = {**request, "evseId": 1}
        if self.mutant == "stop-wrong-transaction" and action == "RequestStopTransaction":  # F03.FR.01
            request = {**request, "transactionId": f"CSMS-{len(rec.transactions)}"}
        request = abp_mutated_request(self.mutant, action, request)
        if action == "GetTransactionStatus":  # E14.FR.02 / E14.FR.06: the id is there iff asked for
            if self.mutant == "transaction-status-drops-id":
                request = {k: v for k, v in request.items() if k != "transactionId"}
            elif self.mutant == "transaction-status-adds-id" and "transactionId" not in request:
                request = {**request, "transactionId": f"CSMS-{len(rec.transactions)}"}
        if action == "TriggerMessage":
            requested = str(request.get("requestedMessage", ""))
            rec.allowed_while_pending.add(TRIGGERED_ACTION.get(requested, requested))
        elif action in ("GetBaseReport", "GetReport"):
            rec.allowed_while_pending.add("NotifyReport")
        if self.mutant is not None:
            request = self._lmn_request_faults(action, request, rec)
            request = self._fgj_request_faults(action, request)
        entry: dict[str, Any] = {"action": action, "request": request, "time": utc_now()}
        rec.sent.append(entry)
        outcome = await self._await_response(cp, action, request, timeout or self.config.response_timeout)
        entry.update(outcome)
        status = outcome.get("response", {}).get("status")
        failed = action == "SetNetworkProfile" and status == "Failed"
        if self.mutant == "network-profile-failed-disconnects" and failed:  # B09.FR.03: handle Failed
            await cp._connection.ws.close(1011, "SetNetworkProfile failed")
        if action == "SetVariables":  # TC_A_09/10_CSMS: an Accepted new BasicAuthPassword is the password
            self._adopt_new_password(station_id, request, outcome)
        answered = outcome.get("response", {}).get("status")
        not_implemented = action == "TriggerMessage" and answered == "NotImplemented"
        if self.mutant == "trigger-not-implemented-closes" and not_implemented:
            await cp._connection.ws.close(1011, "unexpected TriggerMessage status")  # breaks F06.FR.08
        return outcome

    def _fgj_request_faults(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        """Blocks F/G mutants (mutants/csms_fgj.py): how a faulty CSMS composes the operator's request."""
        m, evse = self.mutant, request.get("evse")
        if action == "RequestStartTransaction" and m == "remote-start-central-token":  # F01/F02
            request = {**request, "idToken": {**request["idToken"], "type": "Central"}}
        elif action == "UnlockConnector" and m == "unlock-connector-zero-based":  # F05 / TC_F_06_CSMS
            request = {**request, "connectorId": int(request["connectorId"]) - 1}
        elif action == "TriggerMessage" and m == "trigger-drops-evse":  # F06.FR.02 / TC_F_11/13/23/24_CSMS
            request = {k: v for k, v in request.items() if k != "evse"}
        elif action == "ChangeAvailability":  # G03/G04: the scope is given by evse / evse.connectorId
            if m == "availability-station-as-evse-0" and evse is None:
                request = {**request, "evse": {"id": 0}}
            elif m == "availability-evse-adds-connector" and evse is not None and "connectorId" not in evse:
                request = {**request, "evse": {**evse, "connectorId": 1}}
            elif m == "availability-connector-dropped" and evse is not None and "connectorId" in evse:
                request = {**request, "evse": {"id": evse["id"]}}
        return request

    def _lmn_request_faults(self, action: str, request: dict[str, Any], rec: StationState) -> dict[str, Any]:
        """Blocks L/M/N mutants (mutants/csms_lmn.py): how a faulty CSMS composes the operator's request."""
        m, request = self.mutant, json.loads(json.dumps(request))
        if action == "UpdateFirmware" and m == "update-firmware-unsigned":  # L01: secure update
            for key in ("signingCertificate", "signature"):
                request.get("firmware", {}).pop(key, None)
        elif action == "UpdateFirmware" and m == "update-firmware-schedule-ignored":  # C-15 schedules
            request.get("firmware", {}).pop("installDateTime", None)
            request.get("firmware", {})["retrieveDateTime"] = utc_now()
        elif action == "InstallCertificate" and m == "install-certificate-type-swapped":  # M05.FR.01
            swap = {"CSMSRootCertificate": "ManufacturerRootCertificate"}
            swap.update({v: k for k, v in swap.items()})
            kind = str(request.get("certificateType"))
            request["certificateType"] = swap.get(kind, kind)
        elif action == "GetInstalledCertificateIds":  # M03.FR.01: the filter the operator chose
            if m == "get-installed-certificates-type-dropped":
                request.pop("certificateType", None)
            elif m == "get-installed-certificates-default-filter" and not request.get("certificateType"):
                request["certificateType"] = ["CSMSRootCertificate"]
        elif action == "DeleteCertificate" and m == "delete-certificate-decimal-serial":  # M04.FR.01
            data = request.get("certificateHashData", {})
            if "serialNumber" in data:
                data["serialNumber"] = str(int(str(data["serialNumber"]), 16))
        elif action == "GetLog":  # N01
            log = request.get("log", {})
            if m == "get-log-timestamp-no-offset" and "oldestTimestamp" in log:  # RFC 3339 needs an offset
                log["oldestTimestamp"] = str(log["oldestTimestamp"])[:19]
            elif m == "get-log-type-swapped":
                swapped = {"DiagnosticsLog": "SecurityLog", "SecurityLog": "DiagnosticsLog"}
                request["logType"] = swapped[request["logType"]]
            elif m == "get-log-reuses-request-id":
                earlier = [e["request"]["requestId"] for e in rec.sent if e["action"] == "GetLog"]
                request["requestId"] = earlier[-1] if earlier else request["requestId"]
        elif action == "CustomerInformation":  # N09.FR.01 / N10.FR.08: report and clear as asked
            if m == "customer-information-no-report":
                request["report"] = False
            elif m == "customer-information-clear-dropped":
                request["clear"] = False
        return request

    def _check_boot_state(self, rec: StationState, action: str) -> None:
        if rec.boot_status == "Rejected":  # B03: the CSMS sends nothing to a Rejected station
            raise ControlError(f"station {rec.station_id!r} is Rejected: the CSMS must not send {action}")
        pending = rec.boot_status == "Pending" and action not in PENDING_ALLOWED_REQUESTS
        if pending and self.mutant != "ignores-pending":
            allowed = ", ".join(sorted(PENDING_ALLOWED_REQUESTS))
            raise ControlError(
                f"station {rec.station_id!r} is Pending: the CSMS may only send {allowed} (B02), not {action}"
            )

    async def _await_response(
        self, cp: CsmsChargePoint, action: str, request: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        call = asyncio.ensure_future(cp.call_raw(action, request, timeout))
        closed = asyncio.ensure_future(cp.closed.wait())
        try:
            done, _ = await asyncio.wait({call, closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
        if call not in done:
            call.cancel()
            if cp.closed.is_set():
                return {"error": {"code": "Disconnected", "description": "the station disconnected"}}
            return {"error": {"code": "Timeout", "description": f"no response within {timeout:g} s"}}
        try:
            outcome = call.result()
        except TimeoutError:
            return {"error": {"code": "Timeout", "description": f"no response within {timeout:g} s"}}
        except ConnectionClosed:
            return {"error": {"code": "Disconnected", "description": "the station disconnected"}}
        if "response" in outcome:
            problem = payload_problem(action, "Response", outcome["response"])
            if problem is not None:  # recorded, not fatal: the caller decides what it means
                outcome["responseViolation"] = {"code": problem.code, "description": problem.describe()}
        return outcome

    def _adopt_new_password(self, station_id: str, request: dict[str, Any], outcome: dict[str, Any]) -> None:
        """TC_A_09/10_CSMS: a BasicAuthPassword the station Accepted replaces the old one; a Rejected
        one does not (the station keeps using its old password)."""
        record = self.config.station(station_id)
        results = outcome.get("response", {}).get("setVariableResult", [])
        if record is None or not isinstance(results, list):
            return
        for entry in request.get("setVariableData", []):
            is_password = entry.get("component", {}).get("name") == "SecurityCtrlr" and (
                entry.get("variable", {}).get("name") == "BasicAuthPassword"
            )
            accepted = any(
                r.get("attributeStatus") == "Accepted"
                and r.get("component", {}).get("name") == "SecurityCtrlr"
                and r.get("variable", {}).get("name") == "BasicAuthPassword"
                for r in results
                if isinstance(r, dict)
            )
            if self.mutant == "adopts-rejected-password":  # TC_A_10_CSMS: a Rejected password is not used
                accepted = accepted or any(r.get("attributeStatus") == "Rejected" for r in results)
            if self.mutant == "ignores-new-password":  # TC_A_09_CSMS: an Accepted one replaces the old
                accepted = False
            if is_password and accepted:
                record.password = str(entry.get("attributeValue", ""))

    async def upgrade_security_profile(
        self, station_id: str, slot: int, profile: int, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """A05 / TC_A_19_CSMS step 1: SetNetworkProfile for this CSMS's endpoint at `profile`."""
        url = self.upgrade_url
        if url is None or profile != self.config.security_profile + 1:
            offered = self.config.security_profile + 1 if url is not None else "none"
            raise ControlError(
                f"upgrade_security_profile: this CSMS has no endpoint at security profile {profile}"
                f" (configured profile {self.config.security_profile}; upgrade endpoint: {offered})"
            )
        sent = self.config.security_profile if self.mutant == "upgrade-same-profile" else profile
        data = {
            "ocppVersion": "OCPP20",
            "ocppTransport": "JSON",
            "ocppCsmsUrl": url,
            "messageTimeout": 30,
            "securityProfile": sent,
            "ocppInterface": "Wired0",
        }
        request = {"configurationSlot": slot, "connectionData": data}
        return await self.send_request(station_id, "SetNetworkProfile", request, timeout=timeout)

    async def restore_security_profile(self, station_id: str) -> dict[str, Any]:
        """Undo an A05 upgrade (operator clean-up, not OCPP): the configured profile is accepted again."""
        previous = self.upgraded.pop(station_id, None)
        profile = self.config.security_profile
        return {"stationId": station_id, "upgradedTo": previous, "securityProfile": profile}

    def configure_boot_status(self, station_id: str, status: str, interval: int | None) -> dict[str, Any]:
        rec = self.state.station(station_id)
        rec.next_boot_status, rec.next_boot_interval = status, interval
        return {"stationId": station_id, "nextBootStatus": status, "interval": interval}

    async def snapshot(self) -> dict[str, Any]:
        return self.state.snapshot()
