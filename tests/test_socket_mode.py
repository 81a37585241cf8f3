"""The Socket Mode staleness judgement by itself, on a controlled clock: silence on a punctual schedule is a dead
socket; a late monitor tick (a starved process), bytes waiting unread, a pong or any frame read are not.
(tests/test_socket_burst.py runs the whole client in `python bot.py`; tests/test_faults_slack.py the real drops.)"""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from oilfx.slack import socket_mode
from oilfx.slack.socket_mode import STALE_AFTER_PINGS, _Silence, unread_bytes

INTERVAL = 1.0
WALL = 1_700_000_000.0  # time.time() at monotonic 0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return WALL + self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(socket_mode, "time", SimpleNamespace(monotonic=c.monotonic, time=c.time))
    return c


@pytest.fixture
def session():
    ours, peer = socket.socketpair()
    yield SimpleNamespace(sock=ours, last_ping_pong_time=None, peer=peer)
    ours.close()
    peer.close()


def ticks(silence: _Silence, clock: Clock, session, times: list[float]) -> list[bool]:
    out = []
    for t in times:
        clock.now = t
        out.append(silence.stale(session))
    return out


def test_silence_on_a_punctual_schedule_is_a_dead_socket(clock, session):
    silence = _Silence(INTERVAL)
    verdicts = ticks(silence, clock, session, [0, 1, 2, 3, 4, 5])
    assert verdicts == [False] * (STALE_AFTER_PINGS + 1) + [True]


def test_a_late_tick_is_starvation_and_restarts_the_count(clock, session):
    silence = _Silence(INTERVAL)
    # Ticks 0..2 on time, then the process gets no CPU for 6 s: no verdict at 8, and a full count after it.
    verdicts = ticks(silence, clock, session, [0, 1, 2, 8, 9, 10, 11, 12, 13])
    assert verdicts == [False] * 8 + [True]


def test_pongs_and_frames_read_are_life(clock, session):
    silence = _Silence(INTERVAL)
    for t in range(0, 12):
        clock.now = float(t)
        if t % 3 == 0:
            session.last_ping_pong_time = clock.time() - 0.5  # a ping sent half a second ago was answered
        assert not silence.stale(session)
    session.last_ping_pong_time = None
    silence = _Silence(INTERVAL)
    for t in range(0, 12):
        clock.now = float(t)
        silence.heard = clock.now  # an envelope was read this second
        assert not silence.stale(session)


def test_bytes_waiting_unread_mean_the_reader_is_behind_not_the_peer_gone(clock, session):
    session.peer.sendall(b"x" * 3000)
    assert unread_bytes(session) == 3000
    silence = _Silence(INTERVAL)
    assert ticks(silence, clock, session, [0, 1, 2, 3, 4, 5, 6, 7]) == [False] * 8
    session.sock.recv(65536)
    assert unread_bytes(session) == 0
    assert ticks(silence, clock, session, [8, 9, 10, 11, 12]) == [False] * 4 + [True]


def test_a_new_session_starts_its_own_count(clock, session):
    silence = _Silence(INTERVAL)
    assert ticks(silence, clock, session, [0, 1, 2, 3, 4]) == [False] * 5
    other = SimpleNamespace(sock=None, last_ping_pong_time=None)
    assert ticks(silence, clock, other, [5, 6, 7, 8, 9, 10]) == [False] * 5 + [True]
