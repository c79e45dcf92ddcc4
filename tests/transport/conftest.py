"""Shared fixtures for the transport tests: one test PKI per session (generation takes milliseconds)."""

from __future__ import annotations

import pytest

from conformance.transport.pki import TestPki, make_test_pki

STATION = "CS001"


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return make_test_pki(tmp_path_factory.mktemp("pki"), STATION)
