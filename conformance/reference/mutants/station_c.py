"""Faults of block C (Authorization) of the reference charging station.

Each is honoured at the one place the rule lives, in `reference/station/auth.py`.
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutants_station import Mutant


def _m(name: str, breaks: str, description: str) -> Mutant:
    return Mutant(name=name, target="station", breaks=breaks, description=description)


MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        _m(
            "authorize-status-ignored",
            "C01.FR.02 / TC_C_02_CS, TC_C_06_CS, TC_C_07_CS, TC_C_56_CS",
            "authorizes the driver whatever idTokenInfo.status the AuthorizeResponse carries",
        ),
        _m(
            "stops-with-other-token",
            "C01.FR.03, C09.FR.03 (stop only by the starting idToken or its GroupId) / TC_C_04_CS",
            "stops the transaction when any other idToken is presented and accepted, whatever its GroupId",
        ),
        _m(
            "no-group-stop",
            "C09.FR.03 (an idToken of the same GroupId stops the transaction) / TC_C_39_CS",
            "ignores idTokenInfo.groupIdToken: only the starting idToken stops its transaction",
        ),
        _m(
            "group-stop-ignores-status",
            "C09.FR.11 (only an Accepted idToken of the same GroupId stops) / TC_C_42_CS, TC_C_44_CS",
            "stops the transaction for an idToken of the same GroupId even when it is not Accepted",
        ),
        _m(
            "clear-cache-rejected",
            "C11.FR.03 (ClearCache Accepted while the cache is enabled) / TC_C_37_CS",
            "answers ClearCacheRequest Rejected (and keeps the cache) while AuthCacheCtrlr.Enabled is true",
        ),
        _m(
            "clear-cache-while-disabled",
            "C11.FR.04 (ClearCache Rejected while the cache is disabled) / TC_C_38_CS",
            "answers ClearCacheRequest Accepted while AuthCacheCtrlr.Enabled is false",
        ),
        _m(
            "cached-status-not-reauthorized",
            "C10.FR.03, C12.FR.05 (cached non-Accepted: authorize online) / TC_C_09_CS .. TC_C_12_CS",
            "takes a cached Invalid / Blocked / Expired status as final and sends no AuthorizeRequest",
        ),
        _m(
            "local-preauthorize-ignored",
            "C10 (AuthCtrlr.LocalPreAuthorize false: authorize online) / TC_C_36_CS",
            "skips the AuthorizeRequest for a cached Accepted idToken even with LocalPreAuthorize false",
        ),
        _m(
            "cache-lost-on-reboot",
            "C10.FR.02 (the Authorization Cache persists over a reboot) / TC_C_32_CS",
            "empties its Authorization Cache on every reboot or reset",
        ),
        _m(
            "cache-not-stored",
            "C10.FR.01, C12.FR.02 (cached Accepted idToken, LocalPreAuthorize) / TC_C_08_CS, TC_C_13_CS",
            "never stores idTokenInfo in its Authorization Cache, so it always sends an AuthorizeRequest",
        ),
        _m(
            "stop-tx-on-invalid-id-ignored",
            "C12.FR.04, E05 (StopTxOnInvalidId false: suspend, do not end) / TC_C_17_CS",
            "ends the transaction (Deauthorized) on a non-Accepted idTokenInfo even when StopTxOnInvalidId"
            " is false",
        ),
        _m(
            "queued-events-not-offline",
            "E04 (TransactionEventRequests queued while offline carry offline true) / TC_C_16_CS, TC_C_17_CS",
            "leaves the offline flag out of the TransactionEventRequests it queued while offline",
        ),
        _m(
            "post-authorize-not-disabled",
            "C12.FR.05, C10.FR.03 with AuthCacheCtrlr.DisablePostAuthorize true / TC_C_57_CS",
            "ignores AuthCacheCtrlr.DisablePostAuthorize: still sends AuthorizeRequest for a cached idToken"
            " that is not Accepted",
        ),
        _m(
            "cache-lifetime-ignored",
            "C10.FR.08 (AuthCacheCtrlr.LifeTime) / TC_C_46_CS",
            "keeps Authorization Cache entries for ever, whatever AuthCacheCtrlr.LifeTime says",
        ),
        _m(
            "master-pass-ignored",
            "C16.FR.02, C16.FR.03 (AuthCtrlr.MasterPassGroupId) / TC_C_45_CS, TC_C_49_CS",
            "treats an idToken of the MasterPassGroupId as any other: it starts charging, stops nothing",
        ),
        _m(
            "offline-unknown-id-refused",
            "C15.FR.02 (OfflineTxForUnknownIdEnabled: offline, unknown idTokens are authorized) / TC_C_26_CS",
            "refuses an unknown idToken while offline even with AuthCtrlr.OfflineTxForUnknownIdEnabled true",
        ),
        _m(
            "max-energy-on-invalid-id-ignored",
            "E05 / C-03 (TxCtrlr.MaxEnergyOnInvalidId, StopTxOnInvalidId false) / TC_C_15_CS",
            "suspends the energy transfer at once for a non-Accepted idToken, ignoring MaxEnergyOnInvalidId",
        ),
        _m(
            "cache-not-updated-by-tx-response",
            "C10.FR.05 (TransactionEventResponse idTokenInfo updates the cache) / TC_C_34_CS",
            "keeps its cached idTokenInfo when a TransactionEventResponse carries a new status",
        ),
    )
}
