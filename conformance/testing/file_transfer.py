"""Where the harness serves files to a station under test (firmware images, log uploads: blocks L, N)."""

from __future__ import annotations

import urllib.parse

from conformance.session.endpoints import HarnessCsms
from conformance.testing.configuration import read_variable, setting


async def protocols_without_http(csms: HarnessCsms) -> str | None:
    """The station's OCPPCommCtrlr.FileTransferProtocols when it lacks HTTP (the harness's file servers
    speak HTTP only), else None. A station that does not report the variable is given the benefit."""
    protocols = await read_variable(csms, setting("OCPPCommCtrlr.FileTransferProtocols"))
    if protocols is None or "HTTP" in [p.strip().upper() for p in protocols.split(",")]:
        return None
    return protocols


def file_server_host(csms: HarnessCsms) -> str:
    """The host the station already reaches the harness CSMS on; loopback when that is a wildcard."""
    host = urllib.parse.urlsplit(csms.url).hostname or "127.0.0.1"
    return "127.0.0.1" if host in ("0.0.0.0", "::", "localhost") else host
