"""`ocpp-conformance certs`: write the test PKI for security profiles 2/3 and list what was written.

Only paths and certificate facts are printed, never key material.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.transport.pki import WRONG_HOST, make_test_pki

_ROLES = {
    "ca_cert": "root CA certificate (trust anchor for both sides)",
    "ca_key": "root CA private key (for signing CSRs in certificate tests)",
    "server_cert": "CSMS server certificate (SAN 127.0.0.1, localhost, --host)",
    "server_key": "CSMS server private key",
    "station_cert": "station client certificate (CN = station id), profile 3",
    "station_key": "station client private key",
    "expired_server_cert": "bad: expired CSMS server certificate",
    "expired_server_key": "bad: its private key",
    "untrusted_ca_cert": "bad: a second CA nobody trusts",
    "untrusted_server_cert": "bad: CSMS server certificate from the untrusted CA",
    "untrusted_server_key": "bad: its private key",
    "wrong_host_server_cert": f"bad: CSMS server certificate for {WRONG_HOST}",
    "wrong_host_server_key": "bad: its private key",
    "expired_station_cert": "bad: expired station certificate",
    "expired_station_key": "bad: its private key",
    "untrusted_station_cert": "bad: station certificate from the untrusted CA",
    "untrusted_station_key": "bad: its private key",
    "server_rsa_cert": "CSMS server certificate with an RSA 2048 key (TLS_RSA_* suites), beside the EC one",
    "server_rsa_key": "its private key",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocpp-conformance certs",
        description="Write a throw-away test PKI (EC P-256, plus an RSA 2048 CSMS server certificate)"
        " for OCPP security profiles 2 and 3.",
    )
    parser.add_argument("--out", required=True, type=Path, help="directory to write the PEM files to")
    parser.add_argument("--station-id", default="CS001", help="station id: CN of the client certificate")
    parser.add_argument("--host", default="127.0.0.1", help="extra host name/IP in the server certificate")
    parser.add_argument("--force", action="store_true", help="regenerate even if a valid set exists")
    return parser


def certs_main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if ":" in args.station_id:
        print("error: a station id may not contain ':' (it is the Basic-auth username)", file=sys.stderr)
        return 2
    try:
        pki = make_test_pki(args.out, args.station_id, args.host, reuse=not args.force)
    except OSError as exc:
        print(f"error: cannot write the test PKI to {args.out}: {exc}", file=sys.stderr)
        return 1
    print(f"test PKI for station {args.station_id!r}, host {args.host!r} in {pki.ca_cert.parent}:")
    for name, path in pki.files().items():
        print(f"  {path.name:<28} {_ROLES.get(name, name)}")
    print("private keys (*.key.pem) are unencrypted, mode 0600: for tests only.")
    return 0


if __name__ == "__main__":
    raise SystemExit(certs_main())
