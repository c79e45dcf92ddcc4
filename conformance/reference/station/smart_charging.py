"""Block K (smart charging) of the reference station: installed charging profiles and their composite.

SetChargingProfile (K01), GetChargingProfiles + ReportChargingProfiles (K09), ClearChargingProfile (K10),
GetCompositeSchedule (K08), the TxProfile of a RequestStartTransaction (K05), TransactionEvent
ChargingRateChanged when a transaction's limit changes, and external limits (K12 NotifyChargingLimit,
K13 ClearedChargingLimit). The profiles live in a store beside the StationCore (they survive a
reboot: K01.FR.27 / TC_K_13_CS). Requests are kept as received (camelCase), so a report gives back
exactly the profile that was set (TC_K_01/03/10_CS post-scenario validation).

Composite rules (K08.FR.02/04/06, TC_K_40/41_CS): per purpose the highest stackLevel profile that is
in force at an instant wins (a profile whose schedule has ended or is outside validFrom/validTo is not
in force, so a lower level shows through); a TxProfile of the EVSE's transaction overrules its
TxDefaultProfiles, an EVSE-specific TxDefaultProfile overrules an evseId 0 one; the result is capped
by ChargingStationMaxProfile and external constraints; a TxProfile that is valid overrules the
defaults even where its schedule has ended (TC_K_41_CS). Without any profile the local limit is the
EVSE's rated power. The composite for evseId 0 is the sum of the EVSEs' limits, capped the same way.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from conformance.reference.station.clock import format_time

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore
    from conformance.reference.station.model import Evse

TX_DEFAULT, TX, STATION_MAX, EXTERNAL = (
    "TxDefaultProfile",
    "TxProfile",
    "ChargingStationMaxProfile",
    "ChargingStationExternalConstraints",
)
VOLTAGE = 230.0  # V per phase, to convert between A and W
DEFAULT_PHASES = 3
RECURRENCE = {"Daily": 86400, "Weekly": 7 * 86400}
MAX_ENTRIES = 32  # SmartChargingCtrlr.Entries(ChargingProfiles) maxLimit


@dataclass
class Installed:
    evse_id: int
    profile: dict[str, Any]  # the ChargingProfileType as received
    source: str = "CSO"  # ChargingLimitSourceEnumType
    transaction_id: str | None = None  # TxProfile: the transaction it belongs to

    @property
    def id(self) -> int:
        return int(self.profile["id"])

    @property
    def purpose(self) -> str:
        return str(self.profile["chargingProfilePurpose"])

    @property
    def stack_level(self) -> int:
        return int(self.profile["stackLevel"])


@dataclass
class ProfileStore:
    profiles: list[Installed] = field(default_factory=list)
    tx_seen: dict[str, float] = field(default_factory=dict)  # transactionId -> first seen (Relative start)
    # K05: evseId -> (remoteStartId, TxProfile) of a RequestStartTransaction, until its transaction runs
    pending: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)


_STORES: weakref.WeakKeyDictionary[StationCore, ProfileStore] = weakref.WeakKeyDictionary()


def store(st: StationCore) -> ProfileStore:
    found = _STORES.get(st)
    if found is None:
        from conformance.reference.station.device_model import ComponentKey, VariableKey

        found = _STORES[st] = ProfileStore()
        key = (ComponentKey("SmartChargingCtrlr"), VariableKey("Entries", "ChargingProfiles"))
        entries = st.dm.variable(*key)
        if entries is not None:  # read live: a TxProfile leaves with its transaction
            entries.dynamic = lambda: str(len(_live(st)))
    return found


def enabled(st: StationCore) -> bool:
    """K01.FR.29 / TC_K_15_CS: a station without (enabled) smart charging answers NotSupported."""
    dm = st.dm
    return dm.get_bool("SmartChargingCtrlr", "Available") and dm.get_bool("SmartChargingCtrlr", "Enabled")


def rate_units(st: StationCore) -> list[str]:
    return st.dm.get_list("SmartChargingCtrlr", "RateUnit")


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _live(st: StationCore) -> list[Installed]:
    """The installed profiles, minus TxProfiles whose transaction has ended (they end with it)."""
    s = store(st)
    ongoing = {e.tx.transaction_id for e in st.evses.values() if e.tx is not None}
    s.profiles = [p for p in s.profiles if p.purpose != TX or p.transaction_id in ongoing]
    # A Relative TxProfile runs from the start of its transaction; this station takes the first
    # moment block K saw the transaction (every K request and get_state look).
    s.tx_seen = {tx_id: s.tx_seen.get(tx_id, st.clock.now()) for tx_id in ongoing}
    for evse_id, (remote_start_id, prof) in list(s.pending.items()):
        tx = st.evses[evse_id].tx
        if tx is not None and tx.remote_start_id == remote_start_id:
            del s.pending[evse_id]
            s.profiles = [p for p in s.profiles if p.id != prof["id"]]
            s.profiles.append(Installed(evse_id, prof, "CSO", tx.transaction_id))
    return s.profiles


def snapshot(st: StationCore) -> list[dict[str, Any]]:
    """get_state: the installed profiles, in a short form."""
    return [
        {
            "id": p.id,
            "evse_id": p.evse_id,
            "purpose": p.purpose,
            "stack_level": p.stack_level,
            "source": p.source,
            "transaction_id": p.transaction_id,
        }
        for p in _live(st)
    ]


def remote_start_profile(st: StationCore, evse_id: int, remote_start_id: int, prof: dict[str, Any]) -> None:
    """K05.FR.03 / TC_K_37_CS: the TxProfile of a RequestStartTransactionRequest governs the transaction
    it starts; a station without smart charging ignores it (F01.FR.12 / TC_K_38_CS)."""
    if (
        enabled(st)
        and prof.get("chargingProfilePurpose") == TX
        and not st.is_mutant("remote-start-profile-dropped")
    ):
        store(st).pending[evse_id] = (remote_start_id, dict(prof))


# -- K01 SetChargingProfile --------------------------------------------------------------------------
def set_charging_profile(st: StationCore, req: dict[str, Any]) -> tuple[str, str | None]:
    """(status, reasonCode when Rejected); installs the profile when Accepted."""
    evse_id = int(req["evseId"])
    profile = dict(req["chargingProfile"])
    purpose = profile["chargingProfilePurpose"]
    profiles = _live(st)
    evse = st.evses.get(evse_id)
    if evse_id != 0 and evse is None:  # K01.FR.28 / TC_K_14_CS
        return "Rejected", "UnknownEVSE"
    if purpose == EXTERNAL:  # set by external systems only, never by the CSMS
        return "Rejected", "InvalidProfile"
    if purpose == STATION_MAX and evse_id != 0:
        return "Rejected", "InvalidValue"
    tx_id: str | None = None
    if purpose == TX:
        if evse is None:  # K01.FR.16 / TC_K_11_CS: a TxProfile needs a specific EVSE
            return "Rejected", "InvalidValue"
        if evse.tx is None and not st.is_mutant("txprofile-without-transaction"):
            return "Rejected", "NoTransaction"  # K01.FR.09 / TC_K_02_CS
        wanted = profile.get("transactionId")
        if evse.tx is not None and wanted is not None and wanted != evse.tx.transaction_id:
            return "Rejected", "TxNotFound"  # K01.FR.33 / TC_K_16_CS
        tx_id = evse.tx.transaction_id if evse.tx is not None else wanted
    reason = _invalid(st, profile)
    if reason is not None:
        return "Rejected", reason
    same_slot = [
        p
        for p in profiles
        if p.id != profile["id"]
        and p.evse_id == evse_id
        and p.purpose == purpose
        and p.stack_level == profile["stackLevel"]
        and (purpose != TX or p.transaction_id == tx_id)
        and _overlap(p.profile, profile)
    ]
    if same_slot:
        return "Rejected", "DuplicateProfile"  # one profile per purpose, stackLevel and EVSE
    replaced = [p for p in profiles if p.id == profile["id"] and p.purpose != EXTERNAL]
    if len(profiles) - len(replaced) >= MAX_ENTRIES:
        return "Rejected", "TooManyProfiles"
    if not st.is_mutant("profile-not-replaced"):  # K01.FR.05 / TC_K_04_CS: same id replaces
        for old in replaced:
            profiles.remove(old)
    profiles.append(Installed(evse_id, profile, "CSO", tx_id))
    return "Accepted", None


def _invalid(st: StationCore, profile: dict[str, Any]) -> str | None:
    """Why a ChargingProfileType cannot be installed, or None when it is valid."""
    units = rate_units(st)
    if int(profile["stackLevel"]) > st.dm.get_int("SmartChargingCtrlr", "ProfileStackLevel"):
        return "InvalidStackLevel"
    kind = profile["chargingProfileKind"]
    if kind == "Recurring" and profile.get("recurrencyKind") not in RECURRENCE:
        return "InvalidValue"
    max_periods = st.dm.get_int("SmartChargingCtrlr", "PeriodsPerSchedule")
    for schedule in profile["chargingSchedule"]:
        if schedule["chargingRateUnit"] not in units and not st.is_mutant("rate-unit-unchecked"):
            return "UnsupportedRateUnit"  # K01.FR.26 / TC_K_12_CS
        if kind in ("Absolute", "Recurring") and "startSchedule" not in schedule:
            return "InvalidSchedule"  # an Absolute / Recurring schedule is anchored by startSchedule
        if kind == "Relative" and "startSchedule" in schedule:
            return "InvalidSchedule"
        periods = schedule["chargingSchedulePeriod"]
        starts = [int(p["startPeriod"]) for p in periods]
        if len(periods) > max_periods or starts[0] != 0 or starts != sorted(set(starts)):
            return "InvalidSchedule"
        for period in periods:
            if period.get("phaseToUse") is not None and period.get("numberPhases", DEFAULT_PHASES) != 1:
                return "InvalidValue"
            if float(period["limit"]) < 0:
                return "InvalidValue"
    if not _overlap(profile, profile):  # validTo not after validFrom: never in force
        return "InvalidValue"
    return None


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether the validity periods (validFrom..validTo, open-ended when absent) of two profiles meet."""
    a_from = parse_time(a["validFrom"]) if "validFrom" in a else -math.inf
    a_to = parse_time(a["validTo"]) if "validTo" in a else math.inf
    b_from = parse_time(b["validFrom"]) if "validFrom" in b else -math.inf
    b_to = parse_time(b["validTo"]) if "validTo" in b else math.inf
    return a_from < b_to and b_from < a_to


# -- K09 GetChargingProfiles ---------------------------------------------------------------------------
def get_charging_profiles(st: StationCore, req: dict[str, Any]) -> list[dict[str, Any]]:
    """The ReportChargingProfilesRequest payloads for a GetChargingProfilesRequest ([] = NoProfiles).

    One report per (evseId, chargingLimitSource); every one but the last says tbc true.
    """
    criteria = req["chargingProfile"]
    evse_id = req.get("evseId")  # K09.FR.04/05/06: one EVSE, the station (0), or all
    ids = criteria.get("chargingProfileId")
    sources = criteria.get("chargingLimitSource")
    matches = [
        p
        for p in _live(st)
        if (evse_id is None or p.evse_id == evse_id or st.is_mutant("get-profiles-ignores-evse"))
        and (ids is None or p.id in ids)
        and ("stackLevel" not in criteria or p.stack_level == criteria["stackLevel"])
        and ("chargingProfilePurpose" not in criteria or p.purpose == criteria["chargingProfilePurpose"])
        and (sources is None or p.source in sources)
    ]
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for p in sorted(matches, key=lambda p: (p.evse_id, p.source, p.id)):
        groups.setdefault((p.evse_id, p.source), []).append(p.profile)
    reports = [
        {
            "requestId": req["requestId"],
            "chargingLimitSource": source,
            "evseId": evse,
            "chargingProfile": items,
            "tbc": False,
        }
        for (evse, source), items in groups.items()
    ]
    for report in reports[:-1]:
        report["tbc"] = True
    return reports


def send_reports(st: StationCore, reports: list[dict[str, Any]]) -> None:
    for report in reports:
        st.outbox.post("ReportChargingProfiles", report)


# -- K10 ClearChargingProfile -------------------------------------------------------------------------
def clear_charging_profile(st: StationCore, req: dict[str, Any]) -> str:
    """Accepted when at least one profile was cleared, else Unknown (K10.FR.01, TC_K_07/08_CS)."""
    profiles = _live(st)
    profile_id = req.get("chargingProfileId")
    criteria = req.get("chargingProfileCriteria") or {}
    if profile_id is not None:  # K10.FR.03 / TC_K_05_CS
        doomed = [p for p in profiles if p.id == profile_id]
    elif criteria:  # K10.FR.04 / TC_K_06/24_CS: every profile matching all given criteria
        doomed = [
            p
            for p in profiles
            if ("evseId" not in criteria or p.evse_id == criteria["evseId"])
            and ("chargingProfilePurpose" not in criteria or p.purpose == criteria["chargingProfilePurpose"])
            and ("stackLevel" not in criteria or p.stack_level == criteria["stackLevel"])
        ]
    else:
        doomed = list(profiles)
    doomed = [p for p in doomed if p.purpose != EXTERNAL]  # external limits are not the CSMS's to clear
    if st.is_mutant("clear-profile-keeps-first") and doomed:
        doomed = doomed[1:]  # answers Accepted but one profile stays installed: broken on purpose
        if not doomed:
            return "Accepted"
    for p in doomed:
        profiles.remove(p)
    return "Accepted" if doomed else "Unknown"


# -- K08 GetCompositeSchedule -------------------------------------------------------------------------
def _to_unit(limit: float, unit: str, phases: int, wanted: str) -> float:
    if unit == wanted:
        return limit
    return limit * VOLTAGE * phases if wanted == "W" else limit / (VOLTAGE * phases)


def _schedule_start(st: StationCore, p: Installed, evse: Evse | None, at: float) -> float | None:
    schedule = p.profile["chargingSchedule"][0]
    kind = p.profile["chargingProfileKind"]
    if kind == "Relative":
        if evse is not None and evse.tx is not None:
            return store(st).tx_seen.get(evse.tx.transaction_id, at)
        return None  # outside a transaction a Relative profile starts "now": see _anchor
    start = parse_time(schedule["startSchedule"])
    if kind == "Recurring":
        period = RECURRENCE[p.profile["recurrencyKind"]]
        return start + math.floor((at - start) / period) * period
    return start


def _valid_at(prof: dict[str, Any], at: float) -> bool:
    """Whether `at` lies within validFrom..validTo of a profile (open-ended where absent)."""
    if "validFrom" in prof and at < parse_time(prof["validFrom"]):
        return False
    return not ("validTo" in prof and at >= parse_time(prof["validTo"]))


def _limit_at(
    st: StationCore, p: Installed, evse: Evse | None, at: float, anchor: float, unit: str
) -> float | None:
    """The limit profile `p` imposes at time `at` (in `unit`), or None when it is not in force then."""
    prof = p.profile
    if not _valid_at(prof, at):
        return None
    schedule = prof["chargingSchedule"][0]
    if prof["chargingProfileKind"] == "Recurring" and at < parse_time(schedule["startSchedule"]):
        return None
    start = _schedule_start(st, p, evse, at)
    offset = at - (anchor if start is None else start)
    if offset < 0 or ("duration" in schedule and offset >= int(schedule["duration"])):
        return None
    current = None
    for period in schedule["chargingSchedulePeriod"]:
        if int(period["startPeriod"]) <= offset:
            current = period
    if current is None:
        return None
    phases = int(current.get("numberPhases", DEFAULT_PHASES))
    return _to_unit(float(current["limit"]), schedule["chargingRateUnit"], phases, unit)


def _top(
    st: StationCore, candidates: Iterable[Installed], evse: Evse | None, at: float, anchor: float, unit: str
) -> float | None:
    """The limit of the highest stackLevel profile in force at `at` among `candidates`."""
    ranked = sorted(candidates, key=lambda p: p.stack_level, reverse=not st.is_mutant("stack-level-inverted"))
    for p in ranked:
        limit = _limit_at(st, p, evse, at, anchor, unit)
        if limit is not None:
            return limit
    return None


def _evse_limit(
    st: StationCore, evse: Evse, profiles: list[Installed], at: float, anchor: float, unit: str
) -> float:
    tx_id = evse.tx.transaction_id if evse.tx is not None else None
    tx = [
        p
        for p in profiles
        if tx_id is not None and p.purpose == TX and p.evse_id == evse.evse_id and p.transaction_id == tx_id
    ]
    groups = [
        [p for p in profiles if p.purpose == TX_DEFAULT and p.evse_id == evse.evse_id],
        [p for p in profiles if p.purpose == TX_DEFAULT and p.evse_id == 0],
    ]
    if any(_valid_at(p.profile, at) for p in tx) and not st.is_mutant("tx-profile-not-overruling"):
        # A TxProfile overrules the TxDefaultProfiles for the transaction, also where its schedule
        # has ended (TC_K_41_CS: the defaults do not show through after the TxProfile's duration).
        groups = [tx]
    else:
        groups.insert(0, tx)
    for group in groups:
        limit = _top(st, group, evse, at, anchor, unit)
        if limit is not None:
            return limit
    return _to_unit(evse.power_w, "W", DEFAULT_PHASES, unit)  # no profile: the EVSE's own rating


def limit_at(st: StationCore, evse_id: int, at: float, unit: str, anchor: float | None = None) -> float:
    """The composite limit of EVSE `evse_id` (0: the grid connection) at station time `at`."""
    profiles = _live(st)
    anchor = at if anchor is None else anchor
    if evse_id == 0:
        total = sum(_evse_limit(st, e, profiles, at, anchor, unit) for e in st.evses.values())
    else:
        total = _evse_limit(st, st.evses[evse_id], profiles, at, anchor, unit)
    for purpose in (STATION_MAX, EXTERNAL):  # external limits may also be per EVSE (K12)
        capping = [p for p in profiles if p.purpose == purpose and p.evse_id in (0, evse_id)]
        cap = _top(st, capping, None, at, anchor, unit)
        if cap is not None and not st.is_mutant("station-max-ignored"):
            total = min(total, cap)
    return total


def _breakpoints(st: StationCore, start: float, end: float) -> list[float]:
    """Every instant in [start, end) where some profile's limit may change."""
    points = {start}
    for p in _live(st):
        prof = p.profile
        for key in ("validFrom", "validTo"):
            if key in prof:
                points.add(parse_time(prof[key]))
        schedule = prof["chargingSchedule"][0]
        offsets = [int(x["startPeriod"]) for x in schedule["chargingSchedulePeriod"]]
        if "duration" in schedule:
            offsets.append(int(schedule["duration"]))
        kind = prof["chargingProfileKind"]
        if kind == "Relative":
            evse = st.evses.get(p.evse_id)
            anchor = _schedule_start(st, p, evse, start)
            origins = [start if anchor is None else anchor]
        else:
            first = parse_time(schedule["startSchedule"])
            origins = [first]
            if kind == "Recurring":
                period = RECURRENCE[prof["recurrencyKind"]]
                n = max(0, math.floor((start - first) / period))
                origins = [first + k * period for k in range(n, n + 2 + int((end - start) // period))]
        points.update(origin + offset for origin in origins for offset in offsets)
    return sorted(t for t in points if start <= t < end)


def composite_schedule(st: StationCore, req: dict[str, Any]) -> dict[str, Any] | None:
    """The CompositeScheduleType for a GetCompositeScheduleRequest, or None when it must be Rejected."""
    evse_id = int(req["evseId"])
    units = rate_units(st)
    unit = req.get("chargingRateUnit") or (units[0] if units else "W")
    if evse_id != 0 and evse_id not in st.evses:  # K08.FR.05 / TC_K_47_CS
        return None
    if unit not in units:  # K08.FR.07 / TC_K_42_CS
        return None
    duration = int(req["duration"])
    start = math.floor(st.clock.now() * 1000) / 1000  # scheduleStart carries milliseconds
    periods: list[dict[str, Any]] = []
    # The schema wants at least one period: a zero-length request still gets the limit at its start.
    for at in _breakpoints(st, start, start + max(duration, 1)):
        limit = round(limit_at(st, evse_id, at, unit, anchor=start), 1)
        offset = round(at - start)
        if periods and periods[-1]["startPeriod"] == offset:  # a change within the same second wins
            periods.pop()
        if periods and periods[-1]["limit"] == limit:
            continue
        periods.append({"startPeriod": offset, "limit": limit})
    return {
        "evseId": evse_id,
        "duration": duration,
        "scheduleStart": format_time(start),
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": periods,
    }


# -- limits in transactions ---------------------------------------------------------------------------
def tx_limits(st: StationCore) -> dict[int, float]:
    """The limit (W) in force now on every EVSE with a transaction."""
    now = st.clock.now()
    return {e.evse_id: limit_at(st, e.evse_id, now, "W") for e in st.evses.values() if e.tx is not None}


def report_rate_changes(st: StationCore, before: dict[int, float]) -> None:
    """TransactionEvent Updated / ChargingRateChanged (TC_K_57/58_CS) for each transaction whose limit
    in force changed by at least SmartChargingCtrlr.LimitChangeSignificance percent."""
    from conformance.reference.station.transactions import send_tx_event

    try:
        significance = float(st.dm.get("SmartChargingCtrlr", "LimitChangeSignificance"))
    except ValueError:
        significance = 0.0
    for evse_id, now in tx_limits(st).items():
        previous = before.get(evse_id)
        if previous is None or st.is_mutant("rate-change-unreported"):
            continue
        changed = abs(now - previous)
        if changed == 0 or (previous > 0 and changed * 100 / previous < significance):
            continue
        send_tx_event(st, st.evses[evse_id], "Updated", "ChargingRateChanged")


# -- K12 / K13 external charging limits -----------------------------------------------------------------
EXTERNAL_ID_BASE = 1_000_000  # ids of the profiles that stand for external limits (one per EVSE)


def set_external_limit(
    st: StationCore, evse_id: int, limit: float, unit: str = "A", source: str = "EMS"
) -> dict[str, Any]:
    """K12 (TC_K_52_CS): an external system imposes a limit on an EVSE (0: the grid connection).

    It is kept as a ChargingStationExternalConstraints profile (reported by GetChargingProfiles with
    its chargingLimitSource) and announced with a NotifyChargingLimitRequest.
    """
    pid = EXTERNAL_ID_BASE + evse_id
    schedule = {
        "id": pid,
        "startSchedule": format_time(st.clock.now()),
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
    }
    prof = {
        "id": pid,
        "stackLevel": 0,
        "chargingProfilePurpose": EXTERNAL,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [schedule],
    }
    before = tx_limits(st)
    s = store(st)
    s.profiles = [p for p in _live(st) if p.id != pid]
    s.profiles.append(Installed(evse_id, prof, source))
    payload: dict[str, Any] = {"chargingLimit": {"chargingLimitSource": source}}
    if evse_id:
        payload["evseId"] = evse_id
    if st.dm.get_bool("SmartChargingCtrlr", "NotifyChargingLimitWithSchedules"):
        payload["chargingSchedule"] = [schedule]
    st.outbox.post("NotifyChargingLimit", payload)
    report_rate_changes(st, before)
    return prof


def clear_external_limit(st: StationCore, evse_id: int) -> bool:
    """K13: the external limit on `evse_id` is released; ClearedChargingLimitRequest tells the CSMS."""
    pid = EXTERNAL_ID_BASE + evse_id
    found = next((p for p in _live(st) if p.id == pid), None)
    if found is None:
        return False
    before = tx_limits(st)
    store(st).profiles.remove(found)
    payload: dict[str, Any] = {"chargingLimitSource": found.source}
    if evse_id:
        payload["evseId"] = evse_id
    st.outbox.post("ClearedChargingLimit", payload)
    report_rate_changes(st, before)
    return True
