"""Block L cases with a lab's own firmware material, named in the SUT description's [firmware] section.

The lab here is this test: its own manufacturer root, signing certificate (and an expired twin), a good
image in the reference station's format and an uninstallable one, signed with `cryptography`. The built-in
station is given the lab's root as a preinstalled ManufacturerRootCertificate (vendor value
ReferenceStation.ManufacturerRootCertificateFile), so it accepts only signing certificates that root issued
(L01.FR.02): the cases pass only if they send the description's material, never the harness's own.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support import TESTCASES, run_pytest

IMAGE = b"OCPP-CONFORMANCE-FIRMWARE/1\nversion: 9.9.9-lab\n" + b"lab image\n" * 32
UNINSTALLABLE = b"LAB-FIRMWARE (not for this station)\n" + b"lab image\n" * 32


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_lab(directory: Path) -> dict[str, Path]:
    """The lab's files: root, signing certificate, expired signing certificate, images and signatures."""
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)

    def build(subject: str, public: ec.EllipticCurvePublicKey, start: dt.datetime, days: int) -> bytes:
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(_name("lab manufacturer root"))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
        )
        if subject == "lab manufacturer root":
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        return _pem(builder.sign(root_key, hashes.SHA256()))

    files = {
        "root": build("lab manufacturer root", root_key.public_key(), now - dt.timedelta(days=1), 3650),
        "signing": build("lab firmware signing", key.public_key(), now - dt.timedelta(minutes=5), 365),
        "expired": build("lab firmware signing", key.public_key(), now - dt.timedelta(days=60), 30),
        "good.bin": IMAGE,
        "bad.bin": UNINSTALLABLE,
        "good.sig": key.sign(IMAGE, ec.ECDSA(hashes.SHA256())),  # raw DER: signature_file encodes it
    }
    paths = {}
    for name, data in files.items():
        paths[name] = directory / "lab" / (name if "." in name else f"{name}.pem")
        paths[name].parent.mkdir(exist_ok=True)
        paths[name].write_bytes(data)
    paths["bad.b64"] = directory / "lab" / "bad.b64"
    paths["bad.b64"].write_text(base64.b64encode(key.sign(UNINSTALLABLE, ec.ECDSA(hashes.SHA256()))).decode())
    return paths


def description(lab: dict[str, Path], firmware: str) -> str:
    return f"""
[sut]
type = "charging-station"

[device_model.values]
"ReferenceStation.ManufacturerRootCertificateFile" = "{lab["root"]}"

{firmware}
"""


FULL = """
[firmware]
image = "lab/good.bin"
signing_certificate = "lab/signing.pem"
signature_file = "lab/good.sig"
invalid_image = "lab/bad.bin"
invalid_signature = "{bad}"
expired_signing_certificate = "lab/expired.pem"
install_timeout = 20
"""


def _run(tmp_path: Path, text: str, selection: str, *extra: str) -> str:
    path = tmp_path / "sut.toml"
    path.write_text(text)
    result = run_pytest(
        str(TESTCASES / "cs" / "test_l_firmware.py"),
        "-k",
        selection,
        "--ocpp-config",
        str(path),
        "--ocpp-builtin",
        "--ocpp-timeout",
        "3",
        "--ocpp-reports",
        str(tmp_path / "reports"),
        "-rA",
        *extra,
        timeout=120,
    )
    return result.stdout + result.stderr


def test_cases_pass_with_the_labs_material(tmp_path: Path) -> None:
    lab = make_lab(tmp_path)
    firmware = FULL.format(bad=lab["bad.b64"].read_text())
    output = _run(
        tmp_path, description(lab, firmware), "TC_L_01_CS or TC_L_05_CS or TC_L_06_CS or TC_L_08_CS"
    )
    assert re.search(r"\b4 passed\b", output), output[-3000:]


def test_without_a_firmware_section_the_harness_certificate_is_refused(tmp_path: Path) -> None:
    """The discriminating half: a station trusting only the lab's root refuses the harness's generated
    signing certificate, so the pass above comes from the description's material."""
    lab = make_lab(tmp_path)
    output = _run(tmp_path, description(lab, ""), "TC_L_01_CS")
    assert re.search(r"\b1 failed\b", output), output[-3000:]
    assert re.search(r"UpdateFirmwareResponse\.status \(step 1-2\)", output), output[-3000:]
    assert "InvalidCertificate" in output, output[-3000:]


def test_a_missing_key_skips_the_case_naming_it(tmp_path: Path) -> None:
    lab = make_lab(tmp_path)
    firmware = '[firmware]\nimage = "lab/good.bin"\nsigning_certificate = "lab/signing.pem"\n'
    output = _run(tmp_path, description(lab, firmware), "TC_L_01_CS or TC_L_05_CS or TC_L_08_CS")
    assert re.search(r"\b3 skipped\b", output), output[-3000:]
    assert "lacks firmware.signature or firmware.signature_file (<Configured signature>)" in output
    # TC_L_08_CS needs the invalid firmware; the good one's keys are not asked for there.
    assert "lacks firmware.invalid_image or .invalid_location" in output, output[-3000:]


def test_checks_stay_the_same_with_the_labs_material(tmp_path: Path) -> None:
    """TC_L_06_CS still fails, naming its step, on a station that installs despite a wrong signature."""
    lab = make_lab(tmp_path)
    firmware = FULL.format(bad=lab["bad.b64"].read_text())
    text = description(lab, firmware)
    output = _run(tmp_path, text, "TC_L_06_CS", "--ocpp-mutant", "firmware-signature-unchecked")
    assert re.search(r"\b1 failed\b", output), output[-3000:]
    assert re.search(r"FirmwareStatusNotificationRequest\.status \(step 7-8\)", output), output[-3000:]


def test_a_station_under_test_without_a_firmware_section_skips_naming_it() -> None:
    """The generated material is signed by the harness's own root, which only the reference trusts: for a
    real station the cases skip (never fail with InvalidCertificate) until the description names its own."""
    import importlib.util
    import sys

    import pytest

    from conformance.config import SutDescription

    path = TESTCASES / "cs" / "test_l_firmware.py"
    spec = importlib.util.spec_from_file_location("_firmware_cases", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    with pytest.raises(pytest.skip.Exception, match=r"no \[firmware\] section"):
        module.firmware_material(SutDescription())
    assert module.firmware_material(SutDescription(builtin_sut=True)).valid().signature
