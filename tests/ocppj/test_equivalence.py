"""The fast path (jsonschema-rs) and the reference walk (jsonschema + strict date-time checker) give the
same valid/invalid verdict, for every one of the 128 schemas, on valid and mutated instances."""

from __future__ import annotations

import random
import string

import jsonschema_rs
import pytest

from conformance.ocppj.schemas import KINDS, Kind, default_store
from conformance.ocppj.validation import FrameValidator, is_ocpp_datetime
from tests.ocppj.schema_examples import _BAD_DATES, _GOOD_DATES, example, mutations

MUTANTS_PER_SCHEMA = 12
SCHEMAS = [(action, kind) for action in sorted(default_store().actions) for kind in KINDS]


@pytest.fixture(scope="module")
def fv() -> FrameValidator:
    return FrameValidator()


def test_all_128_schemas_covered() -> None:
    assert len(SCHEMAS) == 128


@pytest.mark.parametrize(("action", "kind"), SCHEMAS, ids=[f"{a}{k.title()}" for a, k in SCHEMAS])
def test_fast_and_reference_verdicts_agree(fv: FrameValidator, action: str, kind: Kind) -> None:
    schema = fv.store.raw(action, kind)
    fast = fv.fast_validator(action, kind)
    reference = fv.reference_validator(action, kind)
    rng = random.Random(f"{action}{kind}")
    valid = [example(schema, full=True), example(schema, full=False)]
    invalid_seen = 0
    for instance in valid:
        assert fast.is_valid(instance) and reference.is_valid(instance), instance
        for mutant in mutations(instance, rng, MUTANTS_PER_SCHEMA):
            fast_ok, ref_ok = fast.is_valid(mutant), reference.is_valid(mutant)
            assert fast_ok == ref_ok, f"{action}{kind}: fast={fast_ok} reference={ref_ok} for {mutant!r}"
            # An invalid verdict always comes with at least one reported violation.
            assert bool(fv.check_payload(action, kind, mutant)) == (not ref_ok)
            invalid_seen += not ref_ok
    assert invalid_seen > 0, "the mutations never produced an invalid instance: the test could not fail"


def test_mutation_corpus_is_a_few_thousand_frames() -> None:
    assert len(SCHEMAS) * 2 * MUTANTS_PER_SCHEMA >= 3000


_DATE_EDGES = [*_BAD_DATES, *_GOOD_DATES]


def _near_dates(rng: random.Random, count: int) -> list[str]:
    """Random strings close to date-times: a valid one with characters changed, added or removed."""
    alphabet = string.digits + "TtZz+-:. 6"
    out: list[str] = []
    for _ in range(count):
        base = list(rng.choice([*_GOOD_DATES, "2024-12-31T23:59:60Z", "2000-02-29T12:30:45.5+05:30"]))
        for _ in range(rng.randrange(1, 3)):
            i = rng.randrange(len(base))
            op = rng.randrange(3)
            if op == 0:
                base[i] = rng.choice(alphabet)
            elif op == 1:
                base.insert(i, rng.choice(alphabet))
            else:
                del base[i]
        out.append("".join(base))
    return out


def test_is_ocpp_datetime_agrees_with_jsonschema_rs_except_its_digit_bug() -> None:
    """Differential check against jsonschema-rs's own date-time: equal wherever every digit position
    holds a digit. Where one does not, jsonschema-rs 0.60 wrongly accepts, which is why the fast path
    uses `is_ocpp_datetime` as its date-time format too."""
    rs = jsonschema_rs.Draft6Validator({"type": "string", "format": "date-time"}, validate_formats=True)
    samples = _DATE_EDGES + _near_dates(random.Random(2024), 5000)
    disagreements = [s for s in samples if rs.is_valid(s) != is_ocpp_datetime(s)]
    assert all(rs.is_valid(s) and not is_ocpp_datetime(s) for s in disagreements)
    assert all(not _digits_in_digit_positions(s) for s in disagreements), disagreements
    assert any(is_ocpp_datetime(s) for s in samples) and not all(is_ocpp_datetime(s) for s in samples)


def _digits_in_digit_positions(s: str) -> bool:
    """True unless a position that must hold a digit (date, time, fraction, offset) holds another char."""
    if len(s) < 20:
        return True  # no excuse for disagreeing on these
    positions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
    end = len(s) - 1 if s[-1] in "Zz" else len(s) - 6
    if s[-1] not in "Zz":
        positions += [len(s) - 5, len(s) - 4, len(s) - 2, len(s) - 1]
    if s[19] == ".":
        positions += list(range(20, end))
    return all(0 <= i < len(s) and s[i].isdigit() for i in positions)


@pytest.mark.parametrize("value", ["2024-01-0-T00:00:00Z", "+024-06-30T23:59:60Z", "2024-01-01T0-:00:00Z"])
def test_fast_path_rejects_what_jsonschema_rs_builtin_wrongly_accepts(fv: FrameValidator, value: str) -> None:
    violations = fv.check_payload("Heartbeat", "response", {"currentTime": value})
    assert [(v.rule, v.path) for v in violations] == [("format.date-time", "$.currentTime")]
    assert not fv.fast_validator("Heartbeat", "response").is_valid({"currentTime": value})


def test_fast_and_reference_agree_on_thousands_of_near_date_times(fv: FrameValidator) -> None:
    fast = fv.fast_validator("Heartbeat", "response")
    reference = fv.reference_validator("Heartbeat", "response")
    samples = _DATE_EDGES + _near_dates(random.Random(7), 5000)
    verdicts = [(fast.is_valid({"currentTime": s}), reference.is_valid({"currentTime": s})) for s in samples]
    assert [s for s, (f, r) in zip(samples, verdicts, strict=True) if f != r] == []
    assert {f for f, _ in verdicts} == {True, False}


def test_fast_path_and_slow_path_decode_alike(fv: FrameValidator) -> None:
    text = '[2,"f1","Heartbeat",{}]'
    first, second = fv.decode(text), fv.decode(text)  # the first compiles, the second takes the fast path
    assert first == second
