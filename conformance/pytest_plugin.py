"""pytest glue: options, markers, fixtures, the async runner, and session-end reporting.

Registered once, through the `pytest11` entry point. It stays inert for test suites that hold no
OCPP test case (the SUTs start only when a test asks for them).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from conformance.errors import ActionUnsupported, ConfigError, HarnessError, NotApplicable
from conformance.settings import RunSettings, resolve_settings

_SETTINGS_KEY = pytest.StashKey[RunSettings]()
_LOOP_KEY = pytest.StashKey[asyncio.AbstractEventLoop]()
_OPTIONS = (
    # name, help, ini?
    ("sut", "what is under test: charging-station or csms (default: both, built-in)", True),
    ("listen", "HOST:PORT where the harness, as CSMS, waits for the station under test", True),
    ("csms-url", "URL of the CSMS under test (the station id is appended)", True),
    ("station-id", "station id (the station under test's, or the one the harness uses)", True),
    ("security-profile", "security profile 0-3 (plain, Basic auth, TLS + Basic auth, mutual TLS)", True),
    ("password", "Basic-auth password (or env OCPP_PASSWORD); never printed", False),
    ("ca", "CA certificate (PEM) to verify the peer", True),
    ("cert", "certificate (PEM) the harness presents", True),
    ("key", "private key (PEM) of --ocpp-cert", True),
    ("timeout", "seconds to wait for any one SUT response or message (default 10)", True),
    ("case-timeout", "seconds one whole test case may take (default 120)", True),
    ("config", "SUT description file (TOML): topology, tokens, features, driver", True),
    ("mutant", "run the built-in reference SUT as this named mutant (harness self-tests)", True),
)

_FUZZ_OPTIONS = (
    (
        "examples",
        "fuzz: examples per FZ case (env OCPP_FUZZ_EXAMPLES; default keeps the block near a minute)",
    ),
    ("strict", "fuzz: demand the one exact CALLERROR code per fault (env OCPP_FUZZ_STRICT)"),
    ("seed", "fuzz: Hypothesis seed, to replay a run (env OCPP_FUZZ_SEED)"),
    ("db", "fuzz: Hypothesis example database folder (env OCPP_FUZZ_DB; default <reports>/hypothesis-db)"),
    ("shrink-seconds", "fuzz: time allowed for shrinking a failure (env OCPP_FUZZ_SHRINK_SECONDS)"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ocpp", "OCPP 2.0.1 conformance (ocpp-conformance)")
    for name, help_text, has_ini in _OPTIONS:
        dest = "ocpp_" + name.replace("-", "_")
        group.addoption(f"--ocpp-{name}", dest=dest, default=None, help=help_text)
        if has_ini:
            parser.addini(dest, f"default for --ocpp-{name}", default=None)
    group.addoption(
        "--ocpp-builtin",
        dest="ocpp_builtin",
        action="store_true",
        default=False,
        help="start the built-in reference SUT of the type under test",
    )
    group.addoption(
        "--ocpp-profile",
        dest="ocpp_profile",
        action="append",
        default=[],
        help="run only the cases of this certification profile (repeatable), e.g. Core",
    )
    group.addoption(
        "--ocpp-reports", dest="ocpp_reports", default="reports", help="folder for readiness and reports"
    )
    group.addoption(
        "--ocpp-jobs",
        dest="ocpp_jobs",
        default=None,
        help="`ocpp-conformance run` only: parallel parts against the built-in SUTs (default: 4 against the"
        " built-in SUTs, 1 against an external SUT, which is one device)",
    )
    group.addoption(
        "--ocpp-cases",
        dest="ocpp_cases",
        default=None,
        help="run only these test-case ids (comma-separated), e.g. TC_A_01_CS,TC_B_50_CS",
    )
    group.addoption(
        "--ocpp-shard",
        dest="ocpp_shard",
        default=None,
        help="run part I of N (I/N, 1-based) of the selected cases, balanced by --ocpp-shard-weights",
    )
    group.addoption(
        "--ocpp-shard-weights",
        dest="ocpp_shard_weights",
        default=None,
        help="JSON file {case id: seconds} (e.g. an earlier readiness.json's durations) to balance shards",
    )
    group.addoption(
        "--ocpp-part-record",
        dest="ocpp_part_record",
        default=None,
        help="write this run's record (JSON) here instead of the reports: a part of `ocpp-conformance run`",
    )
    for name, help_text in _FUZZ_OPTIONS:
        dest = "ocpp_fuzz_" + name.replace("-", "_")
        if name == "strict":
            group.addoption(
                f"--ocpp-fuzz-{name}", dest=dest, action="store_true", default=False, help=help_text
            )
        else:
            group.addoption(f"--ocpp-fuzz-{name}", dest=dest, default=None, help=help_text)
        parser.addini(dest, f"default for --ocpp-fuzz-{name}", default=None)


def _option(config: pytest.Config, name: str) -> Any:
    dest = "ocpp_" + name.replace("-", "_")
    value = config.getoption(dest)
    if value is None:
        try:
            value = config.getini(dest)
        except ValueError:
            value = None
    return value or None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ocpp_case(id, requirements=(), catches=(), actions=()): an OCPP Part 6 test case"
    )
    config.addinivalue_line(
        "markers", "ocpp_fuzz(action, sut): a schema-driven fuzz case FZ_<Action>_<CS|CSMS> for that SUT type"
    )
    config.addinivalue_line(
        "markers",
        "ocpp_own_boot: the case takes the station's first BootNotification itself (the csms fixture"
        " otherwise waits for the station's boot before the run's first case body)",
    )
    options = {name.replace("-", "_"): _option(config, name) for name, _, _ in _OPTIONS}
    options["builtin"] = config.getoption("ocpp_builtin")
    options["profiles"] = config.getoption("ocpp_profile")
    try:
        config.stash[_SETTINGS_KEY] = resolve_settings(options)
    except ConfigError as exc:
        raise pytest.UsageError(f"ocpp-conformance: {exc}") from None


def pytest_unconfigure(config: pytest.Config) -> None:
    xml = getattr(config.option, "xmlpath", None)
    if xml:
        from pathlib import Path

        from conformance.reporting import rename_junit_cases

        rename_junit_cases(Path(xml))
    loop = config.stash.get(_LOOP_KEY, None)
    if loop is not None and not loop.is_closed():
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(_SETTINGS_KEY, None)
    return settings.header_lines() if settings else []


def settings_of(config: pytest.Config) -> RunSettings:
    return config.stash[_SETTINGS_KEY]


def loop_of(config: pytest.Config) -> asyncio.AbstractEventLoop:
    """The one event loop of the run: tests, fixtures and harness endpoints all live on it."""
    loop = config.stash.get(_LOOP_KEY, None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        config.stash[_LOOP_KEY] = loop
    return loop


# ---------------------------------------------------------------- collection
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    from conformance.selection import select_items, select_part

    select_items(config, settings_of(config), items)
    select_part(config, items)


# ---------------------------------------------------------------- running async tests
@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    function = pyfuncitem.obj
    if not inspect.iscoroutinefunction(function):
        return None
    settings = settings_of(pyfuncitem.config)
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    loop = loop_of(pyfuncitem.config)
    from conformance.fixtures import active_sessions

    async def run() -> None:
        await asyncio.wait_for(function(**kwargs), settings.case_timeout)
        for session in active_sessions(pyfuncitem):
            session.check_violations()

    try:
        loop.run_until_complete(run())
    except ActionUnsupported as exc:
        pytest.skip(f"[action] {exc}")
    except NotApplicable as exc:
        pytest.skip(f"[not-applicable] {exc}")
    except TimeoutError:
        pytest.fail(
            f"[timeout] the case did not finish within --ocpp-case-timeout {settings.case_timeout:g} s"
        )
    except HarnessError as exc:
        pytest.fail(f"[harness] {exc}")
    return True


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def ocpp_settings(pytestconfig: pytest.Config) -> RunSettings:
    return settings_of(pytestconfig)


@pytest.fixture(scope="session")
def ocpp_loop(pytestconfig: pytest.Config) -> asyncio.AbstractEventLoop:
    return loop_of(pytestconfig)


@pytest.fixture(scope="session")
def ocpp_runtime(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from conformance.fixtures import Runtime

    runtime = Runtime(settings_of(pytestconfig), loop_of(pytestconfig), tmp_path_factory.mktemp("ocpp"))
    yield runtime
    runtime.close()


@pytest.fixture
def csms(ocpp_runtime: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The harness playing the CSMS, with the charging station under test connected."""
    endpoint = ocpp_runtime.csms_for_test(request.node)
    yield endpoint
    ocpp_runtime.end_test(request.node)


@pytest.fixture
def station(ocpp_runtime: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The harness playing a charging station towards the CSMS under test (not yet connected)."""
    endpoint = ocpp_runtime.station_for_test(request.node)
    yield endpoint
    ocpp_runtime.end_test(request.node)


@pytest.fixture
def actions(ocpp_runtime: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The action driver for the SUT this test case is about."""
    driver = ocpp_runtime.driver_for(request.node)
    yield driver
    ocpp_runtime.loop.run_until_complete(driver.restore())


@pytest.fixture
def sut(ocpp_runtime: Any) -> Any:
    """The SUT description: topology, tokens, features, configured values, tolerances."""
    return ocpp_runtime.settings.description


# ---------------------------------------------------------------- reporting
def pytest_runtest_setup(item: pytest.Item) -> None:
    from conformance.fixtures import case_id_of, sut_type_of

    case_id = case_id_of(item)
    if case_id is not None:
        from conformance.catalogue import Catalogue
        from conformance.report.allure_labels import apply_case_labels

        info = Catalogue.load().get(case_id)
        # allure-pytest renames the result after this hook from this attribute; set it so the title stays.
        item.obj.__allure_display_name__ = f"{info.id} {info.title}"  # type: ignore[attr-defined]
        apply_case_labels(info, sut_type_of(case_id))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    from conformance.fixtures import record_outcome

    record_outcome(item, report)
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from conformance.fixtures import finish_session

    finish_session(session.config, exitstatus)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    from conformance.fixtures import summary_lines

    for line in summary_lines(config):
        terminalreporter.write_line(line)
