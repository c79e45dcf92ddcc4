"""The SUT description: defaults, every kind of mistake with its message, secrets, redaction."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest

from conformance.config import (
    IdToken,
    SutDescription,
    Tokens,
    load_sut_description,
    parse_sut_description,
    placeholders,
    redact_url,
)
from conformance.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp_path: Path, text: str, name: str = "sut.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def mistake(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_sut_description(path)
    message = str(info.value)
    assert str(path) in message  # every message names the file
    return message


# ------------------------------------------------------------------ defaults
def test_none_gives_defaults_matching_an_empty_file(tmp_path: Path) -> None:
    default = load_sut_description(None)
    empty = load_sut_description(write(tmp_path, ""))
    assert dataclasses.replace(empty, source=None) == default
    assert empty.source == tmp_path / "sut.toml"
    assert default.sut.type is None and default.sut.security_profile == 0
    assert default.connectors() == [(1, 1)]
    assert default.evses[0].connectors[0].type == "cType2"
    assert default.timeouts.default == 10.0 and default.timeouts.timestamp_tolerance == 4.0
    assert default.driver.type == "builtin"
    assert dict(default.features) == {}
    names = default.tokens.named()
    roles = {"valid", "valid2", "invalid", "blocked", "expired", "unknown", "group", "master_pass"}
    assert set(names) == roles
    assert len({t.id_token for t in names.values()}) == len(names)  # all distinct
    assert default.tokens.group.group_id_token is not None


def test_full_description_is_typed(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    for name in ("ca.pem", "cs.pem", "cs.key"):
        (tmp_path / "pki" / name).write_text("x")
    path = write(
        tmp_path,
        """
        [sut]
        type = "charging-station"
        station_id = "LAB-CS-7"
        security_profile = 3
        password_env = "LAB_PASSWORD"
        vendor_name = "ACME"
        model = "Wallbox 2"

        [[evse]]
        id = 1
        [[evse.connector]]
        id = 1
        type = "cCCS2"
        [[evse.connector]]
        id = 2
        [[evse]]
        id = 2

        [tokens]
        valid = { id_token = "AABBCCDD", type = "ISO15693" }
        blocked = "BLOCKED01"
        group = { id_token = "G1", group_id_token = { id_token = "FLEET", type = "Central" } }

        [features]
        claimed = ["C-01", "C-30"]
        "C-40" = false
        SmartCharging = true

        [device_model.values]
        "OCPPCommCtrlr.HeartbeatInterval" = 60
        "AuthCtrlr.Enabled" = true
        OCPPCommCtrlr.MessageTimeout = "30"

        [timeouts]
        default = 5
        connect = 60.5

        [tls]
        ca = "pki/ca.pem"
        cert = "pki/cs.pem"
        key = "pki/cs.key"
        """,
    )
    d = load_sut_description(path)
    assert d.sut.type == "charging-station" and d.sut.station_id == "LAB-CS-7"
    assert d.sut.security_profile == 3 and d.sut.password_env == "LAB_PASSWORD"
    assert (d.sut.vendor_name, d.sut.model, d.sut.serial_number) == ("ACME", "Wallbox 2", "REF-0001")
    assert d.connectors() == [(1, 1), (1, 2), (2, 1)]
    assert [c.type for c in d.evses[0].connectors] == ["cCCS2", "cType2"]
    assert d.tokens.valid == IdToken("AABBCCDD", "ISO15693")
    assert d.tokens.blocked == IdToken("BLOCKED01", "ISO14443")
    assert d.tokens.group.group_id_token == IdToken("FLEET", "Central")
    assert d.tokens.invalid == Tokens().invalid  # untouched roles keep their defaults
    assert dict(d.features) == {"C-01": True, "C-30": True, "C-40": False, "SmartCharging": True}
    assert dict(d.device_model.values) == {
        "OCPPCommCtrlr.HeartbeatInterval": "60",
        "AuthCtrlr.Enabled": "true",
        "OCPPCommCtrlr.MessageTimeout": "30",
    }
    assert d.device_model.get("OCPPCommCtrlr", "HeartbeatInterval") == "60"
    assert d.timeouts.default == 5.0 and d.timeouts.connect == 60.5 and d.timeouts.no_message == 3.0
    assert d.tls.ca == (tmp_path / "pki" / "ca.pem").resolve()  # relative to the TOML file
    assert d.tls.key == (tmp_path / "pki" / "cs.key").resolve()
    # frozen and replace-friendly
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.sut.station_id = "other"  # type: ignore[misc]
    assert (
        dataclasses.replace(d, timeouts=dataclasses.replace(d.timeouts, default=1.0)).timeouts.default == 1.0
    )


def test_token_status_for_what_a_station_sends() -> None:
    tokens = Tokens()
    assert tokens.status_for(tokens.valid.as_ocpp()) == "Accepted"
    assert tokens.status_for({"idToken": tokens.blocked.id_token.lower(), "type": "ISO14443"}) == "Blocked"
    assert tokens.status_for(tokens.expired.id_token) == "Expired"
    assert tokens.status_for(tokens.invalid.as_ocpp()) == "Invalid"
    assert tokens.status_for(tokens.unknown.as_ocpp()) == "Unknown"
    assert tokens.status_for({"idToken": "NEVER-SEEN", "type": "ISO14443"}) == "Unknown"
    assert tokens.status_for({"idToken": "", "type": "NoAuthorization"}) == "Accepted"
    info = tokens.id_token_info(tokens.group.as_ocpp())
    assert info == {"status": "Accepted", "groupIdToken": {"idToken": "GROUP-0001", "type": "Central"}}
    assert tokens.id_token_info(tokens.valid.as_ocpp()) == {"status": "Accepted"}


# ------------------------------------------------------------------ mistakes, one kind each
def test_out_of_range_value_names_file_key_and_expectation(tmp_path: Path) -> None:
    message = mistake(tmp_path, "[sut]\nsecurity_profile = 5\n")
    assert message == f"{tmp_path / 'sut.toml'}: sut.security_profile: expected 0, 1, 2 or 3, got 5"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[sut]\nsecurity_profile = "2"\n', 'sut.security_profile: expected 0, 1, 2 or 3, got "2"'),
        ("[sut]\nsecurity_profile = true\n", "sut.security_profile: expected 0, 1, 2 or 3, got true"),
        ("[timeouts]\ndefault = 0\n", "timeouts.default: expected a positive number of seconds, got 0"),
        ('[timeouts]\nconnect = "10"\n', 'timeouts.connect: expected a positive number of seconds, got "10"'),
        ("sut = 3\n", "sut: expected a table, got 3"),
        ('[sut]\nstation_id = "a b"\n', "sut.station_id: expected 1 to 48 characters"),
        (f'[sut]\nstation_id = "{"x" * 49}"\n', "sut.station_id: expected 1 to 48 characters"),
        ('[sut]\nmodel = "' + "m" * 21 + '"\n', "sut.model: expected a string of 1 to 20 characters"),
        (
            '[sut]\npassword_env = "not a name"\n',
            "sut.password_env: expected the name of an environment variable",
        ),
        (
            '[tokens]\nvalid = { id_token = "A", type = "RFID" }\n',
            'tokens.valid.type: expected "Central", "eMAID", "ISO14443"',
        ),
        ('[tokens]\nvalid = { type = "ISO14443" }\n', "tokens.valid.id_token: missing"),
        (
            '[tokens]\nvalid = { id_token = "' + "9" * 37 + '" }\n',
            "tokens.valid.id_token: expected a string of 1 to 36",
        ),
        ('[tokens]\nvalid = "SAME"\ninvalid = "same"\n', "tokens.invalid: same id token as tokens.valid"),
        ('[features]\nclaimed = "C-01"\n', "features.claimed: expected an array of feature ids"),
        ('[features]\n"C-01" = "yes"\n', 'features.C-01: expected true or false, got "yes"'),
        ('[features]\nclaimed = ["C-01"]\n"C-01" = false\n', "features.C-01: is false but also listed"),
        (
            "[device_model.values]\nHeartbeat = 60\n",
            'device_model.values."Heartbeat": expected a key "Component.Variable"',
        ),
        ("[[evse]]\nid = 2\n", "evse[0].id: expected 1 (ids are numbered 1, 2, ... in order), got 2"),
        (
            "[[evse]]\nid = 1\n[[evse.connector]]\nid = 0\n",
            "evse[0].connector[0].id: expected an integer >= 1, got 0",
        ),
        ('[[evse]]\n[[evse.connector]]\ntype = "CCS2"\n', "got \"CCS2\" (did you mean 'cCCS2'?)"),
        (
            '[driver]\ntype = "ssh"\n',
            'driver.type: expected "builtin", "command", "http" or "prompt", got "ssh"',
        ),
        ('[driver]\ntype = "command"\n', 'driver.command.actions: driver.type is "command" but no action'),
        ('[driver]\ntype = "http"\n', 'driver.http.base_url: required when driver.type is "http"'),
        (
            '[driver.http]\nbase_url = "ftp://x"\n',
            "driver.http.base_url: expected an http:// or https:// URL",
        ),
        (
            '[driver.http.actions.Reset]\npath = "no-slash"\n',
            "driver.http.actions.Reset.path: expected a path starting with '/'",
        ),
        ('[driver.http.actions.Reset]\nmethod = "FETCH"\n', "driver.http.actions.Reset.method: expected"),
        (
            "[driver.command]\ntimeout = -1\n",
            "driver.command.timeout: expected a positive number of seconds, got -1",
        ),
    ],
)
def test_each_mistake_has_its_message(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in mistake(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[sut]\nstation_idd = 'x'\n", "sut.station_idd: unknown key (did you mean 'station_id'?)"),
        ("[timout]\n", "timout: unknown section (did you mean 'timeouts'?)"),
        ("[[evses]]\nid = 1\n", "evses: unknown section (did you mean 'evse'?)"),
        ("[tokens]\nvalids = 'A'\n", "tokens.valids: unknown key (did you mean 'valid'?)"),
        ("[tls]\ncacert = 'x'\n", "tls.cacert: unknown key"),
        (
            "[driver.command.actions]\nplugin = 'x'\n",
            "driver.command.actions.plugin: unknown action (did you mean 'plug_in'?)",
        ),
        (
            "[driver.http.actions.RequestStartTransactions]\npath = '/x'\n",
            "unknown action (did you mean 'RequestStartTransaction'?)",
        ),
        (
            "[driver.command.actions]\nplug_in = 'lab plug {evse}'\n",
            "driver.command.actions.plug_in: unknown placeholder {evse} (did you mean 'evse_id'?)",
        ),
        (
            "[driver.http.actions.Reset]\npath = '/x'\nbody = { s = '{station}' }\n",
            "unknown placeholder {station} (did you mean 'station_id'?)",
        ),
    ],
)
def test_unknown_keys_are_errors_with_a_hint(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in mistake(tmp_path, text)


def test_several_mistakes_are_reported_together(tmp_path: Path) -> None:
    message = mistake(tmp_path, '[sut]\nsecurity_profile = 9\ntype = "csm"\n[timeouts]\ndefault = -1\n')
    assert message.startswith(f"{tmp_path / 'sut.toml'}: 3 mistakes:\n")
    assert "sut.security_profile: expected 0, 1, 2 or 3, got 9" in message
    assert 'sut.type: expected "charging-station" or "csms", got "csm" (did you mean \'csms\'?)' in message
    assert "timeouts.default: expected a positive number of seconds, got -1" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: SUT description file not found"):
        load_sut_description(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_sut_description(tmp_path)


def test_bad_toml_syntax_names_the_line(tmp_path: Path) -> None:
    message = mistake(tmp_path, '[sut]\nstation_id = "CS1"\nsecurity_profile = \n')
    assert "invalid TOML" in message and "line 3" in message


def test_tls_files_must_exist_relative_to_the_toml_file(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    sub = tmp_path / "conf"
    sub.mkdir()
    path = write(sub, '[tls]\nca = "../ca.pem"\ncert = "cs.pem"\nkey = "cs.key"\n')
    with pytest.raises(ConfigError) as info:
        load_sut_description(path)
    message = str(info.value)
    assert f"tls.cert: file not found: {sub / 'cs.pem'}" in message
    assert f"tls.key: file not found: {sub / 'cs.key'}" in message
    assert "tls.ca" not in message  # that one exists, one directory up
    only_cert = write(tmp_path, '[tls]\ncert = "ca.pem"\n')
    with pytest.raises(ConfigError, match=r"tls\.key: required with tls\.cert"):
        load_sut_description(only_cert)


# ------------------------------------------------------------------ secrets
def test_password_in_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    message = mistake(tmp_path, '[sut]\npassword = "hunter2-secret"\n')
    assert "sut.password: a password may not be written in the file" in message
    assert "password_env" in message and "OCPP_PASSWORD" in message
    assert "hunter2" not in message


def test_redacted_hides_secrets_and_is_json(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [sut]
        password_env = "LAB_PASSWORD"
        [driver]
        type = "http"
        [driver.http]
        base_url = "https://op:s3cret-pw@csms.example:8443/api"
        [driver.http.headers]
        Authorization = "Bearer ${API_TOKEN}"
        X-Api-Key = "literal-key-123"
        Accept-Language = "en"
        [driver.http.actions.Reset]
        path = "/stations/{station_id}/reset"
        """,
    )
    with pytest.warns(UserWarning, match="X-Api-Key: looks like a credential"):
        d = load_sut_description(path)
    assert any("X-Api-Key" in w for w in d.warnings)
    shown = json.dumps(d.redacted())
    assert "s3cret-pw" not in shown and "literal-key-123" not in shown
    red = d.redacted()
    assert red["sut"]["password_env"] == "LAB_PASSWORD"  # the name, never a value
    assert red["driver"]["http"]["base_url"] == "https://op:***@csms.example:8443/api"
    assert red["driver"]["http"]["headers"] == {
        "Authorization": "Bearer ${API_TOKEN}",
        "X-Api-Key": "(hidden)",
        "Accept-Language": "en",
    }
    assert red["driver"]["http"]["actions"]["Reset"]["path"] == "/stations/{station_id}/reset"
    # the description itself keeps the header for the driver (only printing is redacted)
    assert d.driver.http.headers["X-Api-Key"] == "literal-key-123"
    assert redact_url("http://csms.example/api") == "http://csms.example/api"


def test_placeholders_syntax() -> None:
    assert placeholders("lab {evse_id} ${HOME} {{x}} {request.idToken.idToken} { not } {}") == [
        "evse_id",
        "request.idToken.idToken",
    ]


def test_parse_without_a_file_resolves_against_base_dir(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    d = parse_sut_description({"tls": {"ca": "ca.pem"}}, base_dir=tmp_path)
    assert d.tls.ca == (tmp_path / "ca.pem").resolve()
    with pytest.raises(ConfigError, match=r"^<sut description>: sut.type"):
        parse_sut_description({"sut": {"type": "x"}})


@pytest.mark.parametrize("name", ["builtin.toml", "station-command.toml", "csms-http.toml"])
def test_examples_load(name: str) -> None:
    d = load_sut_description(EXAMPLES / name)
    assert isinstance(d, SutDescription)
    assert d.driver.type in ("builtin", "command", "http")
