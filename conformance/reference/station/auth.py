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
    if st.dm.get_bool("AuthCacheCtrlr", "Enabled") and not st.is_mutant("cache-not-stored"):  # C10.FR.01
        st.auth_cache[_key(id_token)] = dict(info) | {"_cached_at": st.clock.now()}  # C10.FR.08


def _expired(st: StationCore, entry: dict[str, Any]) -> bool:
    """C10.FR.08 / TC_C_46_CS: a cache entry lives AuthCacheCtrlr.LifeTime seconds (station time)."""
    lifetime = st.dm.get_int("AuthCacheCtrlr", "LifeTime")
    if lifetime <= 0 or st.is_mutant("cache-lifetime-ignored"):  # broken on purpose by the mutant
        return False
    return bool(st.clock.now() - float(entry.get("_cached_at", st.clock.now())) >= lifetime)


def _from_cache(st: StationCore, id_token: dict[str, Any]) -> bool:
    """Is the token's local status the cache's (not the local list's, which takes precedence)?"""
    key = _key(id_token)
    listed = st.dm.get_bool("LocalAuthListCtrlr", "Enabled") and key in st.local_list
    return not listed and st.dm.get_bool("AuthCacheCtrlr", "Enabled") and key in st.auth_cache


def _local_status(st: StationCore, id_token: dict[str, Any]) -> str | None:
    key = _key(id_token)
    if st.dm.get_bool("LocalAuthListCtrlr", "Enabled") and key in st.local_list:
        return str(st.local_list[key].get("status", "Invalid"))
    if st.dm.get_bool("AuthCacheCtrlr", "Enabled") and key in st.auth_cache:
        if _expired(st, st.auth_cache[key]):
            del st.auth_cache[key]
            return None
        return str(st.auth_cache[key].get("status", "Invalid"))
    return None


def _local_info(st: StationCore, id_token: dict[str, Any]) -> dict[str, Any]:
    """The stored idTokenInfo behind `_local_status` (its groupIdToken matters for C09)."""
    key = _key(id_token)
    if st.dm.get_bool("LocalAuthListCtrlr", "Enabled") and key in st.local_list:
        return dict(st.local_list[key])
    return {k: v for k, v in st.auth_cache.get(key, {}).items() if k != "_cached_at"}


async def authorize(st: StationCore, id_token: dict[str, Any]) -> dict[str, Any]:
    """The idTokenInfo for a presented token: local (pre-)authorization, else AuthorizeRequest."""
    local = _local_status(st, id_token)
    pre_authorize = st.dm.get_bool("AuthCtrlr", "LocalPreAuthorize") or st.is_mutant(
        "local-preauthorize-ignored"  # C10 / TC_C_36_CS: only with LocalPreAuthorize; broken on purpose
    )
    if local == "Accepted" and pre_authorize:
        return _local_info(st, id_token) | {"status": "Accepted", "source": "local"}
    if st.dm.get_bool("AuthCtrlr", "DisableRemoteAuthorization") and not st.is_mutant(
        "disable-remote-authorization-ignored"  # C01.FR.02 / TC_E_52_CS broken on purpose
    ):
        if local == "Accepted":
            return _local_info(st, id_token) | {"status": "Accepted", "source": "local"}
        return {"status": local or "Unknown", "source": "local"}  # refused without asking the CSMS
    if local is not None and local != "Accepted" and st.is_mutant("cached-status-not-reauthorized"):
        return {"status": local, "source": "local"}  # C10.FR.03 / C12.FR.05 broken on purpose
    post_authorize_disabled = st.dm.get_bool("AuthCacheCtrlr", "DisablePostAuthorize") and not st.is_mutant(
        "post-authorize-not-disabled"  # C12.FR.05 exception / TC_C_57_CS broken on purpose
    )
    if local not in (None, "Accepted") and post_authorize_disabled and _from_cache(st, id_token):
        return {"status": local, "source": "local"}  # DisablePostAuthorize: the cached status is final
    try:
        response = await st.outbox.call("Authorize", {"idToken": id_token})
    except (Offline, CallFailed):
        if local == "Accepted" and st.dm.get_bool("AuthCtrlr", "LocalAuthorizeOffline"):
            # The stored groupIdToken too: offline, a token of the same GroupId may stop (E08 / TC_E_45_CS).
            return _local_info(st, id_token) | {"status": "Accepted", "source": "local-offline"}
        unknown_ok = not st.is_mutant("offline-unknown-id-refused")  # C15.FR.02 / TC_C_26_CS
        if st.dm.get_bool("AuthCtrlr", "OfflineTxForUnknownIdEnabled") and local is None and unknown_ok:
            return {"status": "Accepted", "source": "offline-unknown"}
        return {"status": "Unknown", "source": "offline"}
    info = dict(response.get("idTokenInfo", {}))
    remember(st, id_token, info)
    if st.is_mutant("authorize-status-ignored"):  # C01.FR.02: only Accepted authorizes; broken on purpose
        info["status"] = "Accepted"
    return info | {"source": "csms"}


def is_master_pass(st: StationCore, info: dict[str, Any]) -> bool:
    """C16: an Accepted idToken whose GroupId is AuthCtrlr.MasterPassGroupId (empty: no Master Pass)."""
    master_group = st.dm.get("AuthCtrlr", "MasterPassGroupId").strip()
    group = info.get("groupIdToken")
    if not master_group or info.get("status") != "Accepted" or not isinstance(group, dict):
        return False
    if st.is_mutant("master-pass-ignored"):  # C16.FR.02 / C16.FR.03 broken on purpose
        return False
    return str(group.get("idToken", "")).casefold() == master_group.casefold()


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
