"""The SUT description's `[firmware]` section: Part 6's configured firmware values for block L."""

from __future__ import annotations

import base64
import re
import textwrap
from pathlib import Path

import pytest

from conformance.config import FirmwareConfig, SutDescription, load_sut_description
from conformance.errors import ConfigError
from tests.support import self_signed_pem


def _certificate_pem() -> str:
    return self_signed_pem("lab firmware signing", ca=False)


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A lab directory with the files a [firmware] section names (relative to the description)."""
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "good.bin").write_bytes(b"image")
    (tmp_path / "fw" / "bad.bin").write_bytes(b"bad image")
    (tmp_path / "fw" / "signing.pem").write_text(_certificate_pem())
    (tmp_path / "fw" / "expired.pem").write_text(_certificate_pem())
    (tmp_path / "fw" / "good.sig").write_bytes(b"\x30\x45\x02\x21" + bytes(range(40)))  # raw DER bytes
    (tmp_path / "fw" / "bad.sig.b64").write_text(base64.b64encode(b"other signature").decode() + "\n")
    return tmp_path


def load(directory: Path, body: str) -> SutDescription:
    path = directory / "sut.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return load_sut_description(path)


def mistake(directory: Path, body: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(directory, body)
    message = str(info.value)
    assert str(directory / "sut.toml") in message  # every message names the file
    return message


def test_absent_section_is_not_present(tmp_path: Path) -> None:
    assert load(tmp_path, "[sut]\n").firmware == FirmwareConfig()
    assert SutDescription().firmware.present is False


def test_full_section_is_typed_and_resolved_against_the_file(lab: Path) -> None:
    fw = load(
        lab,
        """
        [firmware]
        image = "fw/good.bin"
        signing_certificate = "fw/signing.pem"
        signature_file = "fw/good.sig"
        invalid_location = "https://files.lab.example/fw/bad.bin"
        invalid_signature_file = "fw/bad.sig.b64"
        expired_signing_certificate = "fw/expired.pem"
        install_timeout = 120
        """,
    ).firmware
    assert fw.present
    assert fw.image == (lab / "fw" / "good.bin").resolve()
    assert fw.location is None
    assert fw.signing_certificate == (lab / "fw" / "signing.pem").read_text()
    # A binary signature file is base64-encoded; a base64 text file is taken as written (no newline).
    assert fw.signature is not None
    assert base64.b64decode(fw.signature) == (lab / "fw" / "good.sig").read_bytes()
    assert fw.invalid_signature == base64.b64encode(b"other signature").decode()
    assert fw.invalid_location == "https://files.lab.example/fw/bad.bin"
    assert fw.invalid_signing_certificate is None  # the cases fall back to signing_certificate
    assert fw.expired_signing_certificate == (lab / "fw" / "expired.pem").read_text()
    assert fw.install_timeout == 120.0


def test_inline_signature_and_location(lab: Path) -> None:
    sig = base64.b64encode(b"sig").decode()
    fw = load(
        lab,
        f"""
        [firmware]
        location = "ftp://files.lab.example/fw/good.bin"
        signature = "{sig[:2]} {sig[2:]}"
        """,
    ).firmware
    assert fw.location == "ftp://files.lab.example/fw/good.bin"
    assert fw.signature == sig  # whitespace (e.g. a wrapped TOML string) dropped


def test_empty_section_is_present_with_nothing_configured(tmp_path: Path) -> None:
    fw = load(tmp_path, "[firmware]\n").firmware
    assert fw.present and fw.image is None and fw.location is None and fw.signature is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('firmware = "x"', r"firmware: expected a table, got \"x\""),
        ('[firmware]\nimgae = "fw/good.bin"', r"firmware\.imgae: unknown key \(did you mean 'image'\?\)"),
        ('[firmware]\nimage = "fw/none.bin"', r"firmware\.image: file not found: .*none\.bin"),
        ("[firmware]\nimage = 3", r"firmware\.image: expected a string, got 3"),
        (
            '[firmware]\nimage = "fw/good.bin"\nlocation = "https://x.example/a"',
            r"firmware\.location: give firmware\.image or firmware\.location, not both",
        ),
        (
            '[firmware]\ninvalid_image = "fw/bad.bin"\ninvalid_location = "https://x.example/a"',
            r"firmware\.invalid_location: give firmware\.invalid_image or firmware\.invalid_location",
        ),
        ('[firmware]\nlocation = "files/fw.bin"', r"firmware\.location: expected a URL"),
        (f'[firmware]\nlocation = "https://x.example/{"a" * 500}"', r"of at most 497 characters"),
        ('[firmware]\nsigning_certificate = "fw/good.bin"', r"firmware\.signing_certificate: expected a PEM"),
        (
            '[firmware]\nexpired_signing_certificate = "fw/no.pem"',
            r"expired_signing_certificate: file not found",
        ),
        ('[firmware]\nsignature = "not base64!"', r"firmware\.signature: expected base64 text"),
        (
            '[firmware]\nsignature = "QUJD"\nsignature_file = "fw/good.sig"',
            r"firmware\.signature_file: give firmware\.signature or firmware\.signature_file, not both",
        ),
        (f'[firmware]\ninvalid_signature = "{"QUJD" * 201}"', r"invalid_signature: 804 base64 characters"),
        ('[firmware]\ninvalid_signature_file = "fw/x.sig"', r"invalid_signature_file: file not found"),
        ("[firmware]\ninstall_timeout = 0", r"firmware\.install_timeout: expected a positive number"),
        ('[firmware]\ninstall_timeout = "1m"', r"firmware\.install_timeout: expected a positive number"),
    ],
)
def test_each_mistake_names_the_key(lab: Path, body: str, expected: str) -> None:
    assert re.search(expected, mistake(lab, body))


def test_certificate_over_the_schema_limit(lab: Path) -> None:
    pem = (lab / "fw" / "signing.pem").read_text()
    (lab / "fw" / "big.pem").write_text(pem * 12)
    message = mistake(lab, '[firmware]\nsigning_certificate = "fw/big.pem"')
    assert "signingCertificate allows 5500" in message
