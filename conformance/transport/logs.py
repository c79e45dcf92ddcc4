"""The logger handed to websockets, with credentials redacted.

websockets logs every handshake header at DEBUG level ("> Authorization: Basic ..."); base64 is not
secrecy, so the Authorization value is replaced before any handler sees it.
"""

from __future__ import annotations

import logging

from conformance.transport.connection import REDACTED

_HEADER_FORMATS = ("> %s: %s", "< %s: %s")
_SECRET_HEADERS = ("authorization", "proxy-authorization")


class RedactCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            record.msg in _HEADER_FORMATS
            and isinstance(args, tuple)
            and len(args) == 2
            and str(args[0]).lower() in _SECRET_HEADERS
        ):
            record.args = (args[0], REDACTED)
        return True


def websockets_logger(role: str) -> logging.Logger:
    """`conformance.transport.server` / `.client`: the logger passed to websockets' serve/connect."""
    logger = logging.getLogger(f"conformance.transport.{role}")
    if not any(isinstance(f, RedactCredentials) for f in logger.filters):
        logger.addFilter(RedactCredentials())
    return logger
