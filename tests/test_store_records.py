"""store/records.py: typed records in meta, on both backends; records written by the earlier dict-based code (the
same keys and JSON) stay readable, so an answer's buttons from before a deploy still work."""

from __future__ import annotations

import json

import pytest

from oilfx.config import Settings
from oilfx.store import open_store, records
from oilfx.store.records import RECORD_TTL, AnswerRecord, PanelContext, PanelTitled, StepsRecord, panel_key


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        settings = Settings(db_path=str(tmp_path / "oilfx.db"))
    else:
        settings = Settings(redis_url=request.getfixturevalue("redis_url"))
    opened = open_store(settings)
    yield opened
    opened.close()


class Recorder:
    """A Meta that records what set_meta was given."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[str, float | None]] = {}

    def get_meta(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None

    def set_meta(self, name: str, value: str, ttl: float | None = None) -> None:
        self.values[name] = (value, ttl)

    def export_meta(self):
        return iter(sorted((name, value) for name, (value, _) in self.values.items()))


def test_each_record_declares_its_prefix_and_ttl():
    assert (StepsRecord.PREFIX, StepsRecord.TTL) == ("steps:", RECORD_TTL)
    assert (AnswerRecord.PREFIX, AnswerRecord.TTL) == ("answer:", RECORD_TTL)
    assert (PanelContext.PREFIX, PanelContext.TTL) == ("assistant_context:", None)
    assert (PanelTitled.PREFIX, PanelTitled.TTL) == ("assistant_titled:", None)


def test_records_are_written_as_the_json_the_dict_based_code_wrote():
    meta = Recorder()
    steps_key = records.keep(meta, StepsRecord(thread="T/C/1.2", breakdown="Run steps: ₩"))
    answer_key = records.keep(meta, AnswerRecord(team="T", channel="C", thread_ts="1.2", question="q", answer="a",
                                                 engine="responses gpt"))
    records.put(meta, panel_key("D1", "1.2"), PanelContext("C9", "T", None))
    records.put(meta, panel_key("D1", "1.2"), PanelTitled())
    assert meta.values["steps:" + steps_key] == (json.dumps({"thread": "T/C/1.2", "breakdown": "Run steps: ₩"},
                                                            ensure_ascii=False), RECORD_TTL)
    assert meta.values["answer:" + answer_key] == (json.dumps(
        {"team": "T", "channel": "C", "thread_ts": "1.2", "question": "q", "answer": "a", "engine": "responses gpt"}),
        RECORD_TTL)
    assert json.loads(meta.values["assistant_context:D1:1.2"][0]) == {"channel_id": "C9", "team_id": "T",
                                                                      "enterprise_id": None}
    assert meta.values["assistant_titled:D1:1.2"] == ("1", None)
    assert len(steps_key) <= 64 and steps_key != answer_key


def test_records_written_before_the_typed_records_are_read(store):
    store.set_meta("steps:old1", json.dumps({"thread": "T/C/1", "breakdown": "Run steps"}), ttl=60)
    store.set_meta("answer:old2", json.dumps({"team": "T", "channel": "C", "thread_ts": "1", "question": "q",
                                              "answer": "a", "engine": "chat"}), ttl=60)
    store.set_meta("assistant_context:D1:1.2", json.dumps({"channel_id": "C9", "team_id": "T",
                                                           "enterprise_id": None, "thread_entry_point": "app_home"}))
    store.set_meta("assistant_titled:D1:1.2", "1")
    assert records.load(store, StepsRecord, "old1") == StepsRecord(thread="T/C/1", breakdown="Run steps")
    assert records.load(store, AnswerRecord, "old2") == AnswerRecord("T", "C", "1", "q", "a", "chat")
    context = records.load(store, PanelContext, panel_key("D1", "1.2"))
    assert context is not None and context.as_slack() == {"channel_id": "C9", "team_id": "T", "enterprise_id": None,
                                                          "thread_entry_point": "app_home"}
    assert records.load(store, PanelTitled, panel_key("D1", "1.2")) == PanelTitled()
    assert records.load(store, PanelTitled, panel_key("D1", "9.9")) is None


def test_a_record_round_trips_through_either_backend(store):
    key = records.keep(store, AnswerRecord(team="T", question="원유 가격?", answer="₩1"))
    assert records.load(store, AnswerRecord, key) == AnswerRecord(team="T", question="원유 가격?", answer="₩1")
    assert records.load(store, StepsRecord, key) is None  # another kind's prefix: not found


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", json.dumps({"thread": "T/C/1"}),
                                 json.dumps({"breakdown": 3})])
def test_an_unreadable_or_incomplete_steps_record_is_gone(store, raw):
    store.set_meta("steps:bad", raw, ttl=60)
    assert records.load(store, StepsRecord, "bad") is None


def test_a_panel_context_without_a_channel_is_gone(store):
    store.set_meta("assistant_context:D1:1.2", json.dumps({"team_id": "T"}))
    assert records.load(store, PanelContext, panel_key("D1", "1.2")) is None
