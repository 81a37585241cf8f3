"""Feedback on answers (the thumbs up/down buttons), for `python -m oilfx feedback`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from oilfx.store.keys import ThreadKey


@dataclass(frozen=True)
class Feedback:
    key: ThreadKey
    message_ts: str
    user: str
    value: str           # "good" | "bad"
    question: str
    answer: str
    engine: str
    at: datetime


class FeedbackLog(Protocol):
    def add_feedback(self, feedback: Feedback) -> None: ...

    def list_feedback(self, since: datetime) -> Iterator[Feedback]: ...
