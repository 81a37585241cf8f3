"""SqliteStore.purge_team (see purge.py for what is removed and why): one transaction, so a kill mid-purge leaves
the team's data whole or gone, never half."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

from oilfx.store.purge import Purged
from oilfx.store.records import AnswerRecord, LanguageChoice, PanelContext, StepsRecord
from oilfx.store.sqlite_alerts import delete_team_alerts


class SqlitePurge:
    _tx: Callable[[], AbstractContextManager[sqlite3.Connection]]

    def purge_team(self, team: str) -> Purged:
        with self._tx() as db:
            histories = db.execute("DELETE FROM histories WHERE conversation IN"
                                   " (SELECT ref FROM conversations WHERE team=?)", (team,)).rowcount
            conversations = db.execute("DELETE FROM conversations WHERE team=?", (team,)).rowcount
            messages = db.execute("DELETE FROM messages WHERE team=?", (team,)).rowcount
            # Records are JSON under a prefix; json_valid first: a value another version wrote is left alone.
            records = db.execute(
                "DELETE FROM meta WHERE json_valid(value) AND ("
                " (substr(name, 1, ?) = ? AND json_extract(value, '$.team') = ?)"
                " OR (substr(name, 1, ?) = ? AND json_extract(value, '$.team') = ?)"
                " OR (substr(name, 1, ?) = ? AND json_extract(value, '$.team_id') = ?)"
                " OR (substr(name, 1, ?) = ? AND substr(json_extract(value, '$.thread'), 1, ?) = ?))",
                (len(AnswerRecord.PREFIX), AnswerRecord.PREFIX, team,
                 len(LanguageChoice.PREFIX), LanguageChoice.PREFIX, team,
                 len(PanelContext.PREFIX), PanelContext.PREFIX, team,
                 len(StepsRecord.PREFIX), StepsRecord.PREFIX, len(team) + 1, team + "/")).rowcount
            feedback = db.execute("DELETE FROM feedback WHERE team=?", (team,)).rowcount
            replies = db.execute("DELETE FROM replies WHERE json_valid(request)"
                                 " AND json_extract(request, '$.team') = ?", (team,)).rowcount
            alerts = delete_team_alerts(db, team)
        return Purged(conversations=conversations, histories=histories, messages=messages, records=records,
                      feedback=feedback, open_replies=replies, alerts=alerts)
