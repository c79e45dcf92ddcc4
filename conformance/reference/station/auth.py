"""Authorization (C01, C10-C12): Authorize against the CSMS, the authorization cache, the local list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.reference.station.outbox import CallFailed, Offline

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore


def _key(id_token: dict[str, Any]) -> str:
    return f"{id_token.get('type', '')}:{id_token.get('idToken', '')}"


def remember(st: StationCore, id_token: dict[str, Any], info: dict[str, Any]) -> None:
    """C10: keep the idTokenInfo of every Authorize / TransactionEvent response in the cache."""
    if st.dm.get_bool("AuthCacheCtrlr", "Enabled"):
        st.auth_cache[_key(id_token)] = dict(info)


def _local_status(st: StationCore, id_token: dict[str, Any]) -> str | None:
    key = _key(id_token)
    if st.dm.get_bool("LocalAuthListCtrlr", "Enabled") and key in st.local_list:
        return str(st.local_list[key].get("status", "Invalid"))
    if st.dm.get_bool("AuthCacheCtrlr", "Enabled") and key in st.auth_cache:
        return str(st.auth_cache[key].get("status", "Invalid"))
    return None


async def authorize(st: StationCore, id_token: dict[str, Any]) -> dict[str, Any]:
    """The idTokenInfo for a presented token: local (pre-)authorization, else AuthorizeRequest."""
    local = _local_status(st, id_token)
    if local == "Accepted" and st.dm.get_bool("AuthCtrlr", "LocalPreAuthorize"):
        return {"status": "Accepted", "source": "local"}
    try:
        response = await st.outbox.call("Authorize", {"idToken": id_token})
    except (Offline, CallFailed):
        if local == "Accepted" and st.dm.get_bool("AuthCtrlr", "LocalAuthorizeOffline"):
            return {"status": "Accepted", "source": "local-offline"}
        if st.dm.get_bool("AuthCtrlr", "OfflineTxForUnknownIdEnabled") and local is None:
            return {"status": "Accepted", "source": "offline-unknown"}
        return {"status": "Unknown", "source": "offline"}
    info = dict(response.get("idTokenInfo", {}))
    remember(st, id_token, info)
    return info | {"source": "csms"}


def send_local_list(st: StationCore, payload: dict[str, Any]) -> str:
    """D01/D02: apply a SendLocalListRequest; returns the status."""
    version = int(payload["versionNumber"])
    entries = payload.get("localAuthorizationList", [])
    if payload["updateType"] == "Full":
        st.local_list = {}
    elif version <= st.local_list_version:
        return "VersionMismatch"
    for entry in entries:
        key = _key(entry["idToken"])
        if "idTokenInfo" in entry:
            st.local_list[key] = dict(entry["idTokenInfo"])
        else:
            st.local_list.pop(key, None)
    st.local_list_version = version
    return "Accepted"
