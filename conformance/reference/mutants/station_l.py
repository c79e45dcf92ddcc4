"""Faults of block L (secure firmware update, L01) of the reference station, for
TC_L_02/03/07/08/11/12/13/16/18_CS (L_11/12/13/16 under SUT descriptions: NOT C-60, NOT AQ-7, C-43).

Each is honoured at the one place its rule lives, in `reference/station/firmware.py` (the L01 faults of
TC_L_01/05/06/12/14_CS are in `station_lmno.py`).
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
            "firmware-install-time-ignored",
            "L01.FR.16 (installDateTime) / TC_L_02_CS",
            "ignores firmware.installDateTime: installs at once instead of reporting InstallScheduled",
        ),
        _m(
            "firmware-retrieve-time-ignored",
            "L01 (retrieveDateTime) / TC_L_03_CS",
            "ignores firmware.retrieveDateTime: downloads at once instead of reporting DownloadScheduled",
        ),
        _m(
            "firmware-http-status-ignored",
            "L01 / TC_L_07_CS",
            "takes the body of any HTTP answer (a 404 page) as the downloaded firmware: no DownloadFailed",
        ),
        _m(
            "firmware-install-unverified",
            "L01 / TC_L_08_CS",
            "installs a (correctly signed) image it cannot verify and reports Installed",
        ),
        _m(
            "firmware-boot-reason-wrong",
            "L01 / Reusable States RebootBeforeFirmwareInstallation/Activation step 3 (TC_L_03_CS)",
            "boots with reason PowerUp, not FirmwareUpdate, after the reboot that activates new firmware",
        ),
        _m(
            "firmware-updated-event-missing",
            "L01 / TC_L_01_CS step 20 (SecurityEventNotification FirmwareUpdated)",
            "sends no SecurityEventNotification FirmwareUpdated after installing new firmware",
        ),
        _m(
            "firmware-cancel-keeps-request-id",
            "L01.FR.24 / TC_L_10_CS",
            "after AcceptedCanceled, reports the new update's statuses under the cancelled one's requestId",
        ),
        _m(
            "firmware-unsigned-accepted",
            "L01 / TC_L_18_CS",
            "accepts an UpdateFirmwareRequest without signingCertificate and signature (a non-secure update)",
        ),
        _m(
            "firmware-cancel-unsupported",
            "L01.FR.27 / TC_L_11_CS (NOT C-60)",
            "a station that cannot cancel an ongoing firmware update answers a second one AcceptedCanceled",
        ),
        _m(
            "firmware-download-during-transaction",
            "L01.FR.06 / TC_L_12_CS, TC_L_13_CS (NOT AQ-7)",
            "a station that cannot download with a transaction ongoing downloads at once anyway",
        ),
        _m(
            "firmware-c43-waits-for-transaction",
            "L01.FR.06 / TC_L_16_CS (C-43)",
            "a station able to update during a transaction reports InstallScheduled and waits for it to end",
        ),
    )
}
