"""Transcript: records, marks, JSONL and readable text."""

from __future__ import annotations

import orjson

from conformance.ocppj.transcript import Transcript, summarize
from conformance.ocppj.validation import Violation


def make() -> Transcript:
    t = Transcript()
    t.note("connection opened")
    t.add(
        "in",
        '[2,"id1","BootNotification",{"reason":"PowerUp"}]',
        [Violation("schema.required", "$.chargingStation", "required property 'chargingStation' is missing")],
    )
    t.add("out", '[3,"id1",{"status":"Accepted","interval":300}]')
    t.add("out", b"\x00\x01", deliberate_invalid=True)
    return t


def test_records_and_marks() -> None:
    t = Transcript()
    t.add("in", "[]")
    mark = t.mark()
    t.add("out", "[3]")
    assert [r.text for r in t.since(mark)] == ["[3]"]
    assert [r.seq for r in t.records] == [0, 1]
    assert t.since(t.mark()) == ()
    assert t.records[1].t_monotonic >= t.records[0].t_monotonic
    assert t.records[0].wall_time_iso.endswith("Z")


def test_jsonl_round_trips() -> None:
    t = make()
    lines = t.to_jsonl().splitlines()
    assert len(lines) == 4
    rows = [orjson.loads(line) for line in lines]
    assert rows[0]["direction"] == "note"
    assert rows[1]["violations"] == [
        {
            "rule": "schema.required",
            "path": "$.chargingStation",
            "message": "required property 'chargingStation' is missing",
        }
    ]
    assert rows[2]["text"] == '[3,"id1",{"status":"Accepted","interval":300}]'
    assert rows[3]["binary"] is True and rows[3]["deliberate_invalid"] is True
    assert t.to_jsonl(t.since(3)).count("\n") == 1


def test_text_is_readable() -> None:
    text = make().to_text()
    lines = text.splitlines()
    assert lines[0].endswith("-- connection opened")
    assert '<- CALL BootNotification id=id1 {"reason":"PowerUp"}' in lines[1]
    assert lines[2].strip().startswith("! schema.required at $.chargingStation")
    assert '-> CALLRESULT id=id1 {"status":"Accepted","interval":300}' in lines[3]
    assert "[binary]" in lines[4] and "[deliberately invalid]" in lines[4]
    assert Transcript().to_text() == ""


def test_summarize_odd_frames() -> None:
    assert summarize("nope").startswith("(not JSON)")
    assert summarize('{"a":1}').startswith("(not a frame)")
    assert summarize('[4,"e","NotSupported","x",{}]') == 'CALLERROR NotSupported id=e "x" {}'
    assert summarize('[3,"e"]') == "CALLRESULT id=e "
