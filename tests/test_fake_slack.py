"""Self-tests of the fake Slack, driven by the real slack_sdk / slack_bolt clients (no mocks)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from tests.fakes.slack_server import MAX_BLOCKS, MAX_SECTION_TEXT, MAX_TEXT, FakeSlack
from tests.fakes.slack_signing import http_body, signed_request


@pytest.fixture
def web(slack_server: FakeSlack) -> WebClient:
    return WebClient(token=slack_server.bot_token, base_url=slack_server.api_url)


# -- Web API ------------------------------------------------------------------------------------------------------


def test_auth_test_identifies_the_bot(slack_server: FakeSlack, web: WebClient) -> None:
    r = web.auth_test()
    ws = slack_server.workspace
    assert (r["ok"], r["user_id"], r["bot_id"], r["team_id"]) == (True, ws.bot_user_id, ws.bot_id, ws.team_id)
    call = slack_server.calls_to("auth.test")[0]
    assert call.token == slack_server.bot_token


def test_unknown_token_and_wrong_token_type_are_refused(slack_server: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as bad:
        WebClient(token="xoxb-not-ours", base_url=slack_server.api_url).auth_test()
    assert bad.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as app_on_post:
        WebClient(token=slack_server.app_token, base_url=slack_server.api_url).chat_postMessage(channel="C1", text="x")
    assert app_on_post.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as bot_on_open:
        WebClient(token=slack_server.bot_token, base_url=slack_server.api_url).apps_connections_open(
            app_token=slack_server.bot_token)
    assert bot_on_open.value.response["error"] == "not_allowed_token_type"


def test_post_update_delete_and_thread_view(slack_server: FakeSlack, web: WebClient) -> None:
    parent = slack_server.next_ts()
    first = web.chat_postMessage(channel="C1", thread_ts=parent, text="Looking up crude prices…")
    second = web.chat_postMessage(channel="C1", thread_ts=parent, text="temporary")
    other = web.chat_postMessage(channel="C2", text="elsewhere")
    assert float(parent) < float(first["ts"]) < float(second["ts"]) < float(other["ts"])
    assert first["message"]["thread_ts"] == parent

    web.chat_update(channel="C1", ts=first["ts"], text="WTI ₩98,492",
                    blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*WTI* ₩98,492"}}])
    web.chat_delete(channel="C1", ts=second["ts"])

    texts = slack_server.thread_texts("C1", parent)
    assert len(texts) == 1 and "*WTI* ₩98,492" in texts[0]
    msg = slack_server.message("C1", first["ts"])
    assert [v["method"] for v in msg.versions] == ["chat.postMessage", "chat.update"]
    assert [m.channel for m in slack_server.posted()] == ["C1", "C2"]
    with pytest.raises(SlackApiError) as gone:
        web.chat_update(channel="C1", ts=second["ts"], text="again")
    assert gone.value.response["error"] == "message_not_found"


def test_form_encoded_calls_parse_json_arguments(slack_server: FakeSlack, web: WebClient) -> None:
    # slack_sdk sends chat.postEphemeral as a form with `blocks` JSON-encoded in a field.
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "only you"}}]
    web.chat_postEphemeral(channel="C1", user="U1", text="only you", blocks=blocks)
    web.reactions_add(channel="C1", timestamp="1700000000.000100", name="eyes")
    assert slack_server.ephemerals[0]["blocks"] == blocks
    assert slack_server.reactions[0]["name"] == "eyes"
    with pytest.raises(SlackApiError) as twice:
        web.reactions_add(channel="C1", timestamp="1700000000.000100", name="eyes")
    assert twice.value.response["error"] == "already_reacted"
    assert web.users_info(user="U1")["user"]["tz"] == "Asia/Seoul"
    assert web.conversations_info(channel="D1")["channel"]["is_im"] is True
    with pytest.raises(SlackApiError) as unknown:  # Slack has no such method: HTTP 200, ok false, as its API says
        web.api_call("bots.infoo", params={"bot": "B1"})
    assert unknown.value.response.status_code == 200
    assert unknown.value.response.data == {"ok": False, "error": "unknown_method", "req_method": "bots.infoo"}
    assert slack_server.calls_to("bots.infoo")[0].params == {"bot": "B1"}  # still recorded


def test_calls_missing_a_required_argument_are_refused_as_slack_does(slack_server: FakeSlack, web: WebClient) -> None:
    refused = {
        "chat.postMessage": ({"text": "hi"}, "channel_not_found"),
        "chat.update": ({"channel": "C1", "text": "hi"}, "message_not_found"),
        "users.info": ({}, "user_not_found"),
        "reactions.add": ({"channel": "C1", "timestamp": "1700000000.000100"}, "invalid_name"),
        "assistant.threads.setTitle": ({"channel_id": "D1", "thread_ts": "1700000000.000100"}, "invalid_arguments"),
        "chat.startStream": ({"channel": "D1"}, "invalid_arguments"),
    }
    for method, (params, error) in refused.items():
        with pytest.raises(SlackApiError) as refusal:
            web.api_call(method, json=params)
        assert refusal.value.response["error"] == error, method
    assert slack_server.calls_to("assistant.threads.setTitle")[0].response["response_metadata"] == {
        "messages": ["[ERROR] missing required field: title"]}


def test_limits_msg_too_long_and_invalid_blocks(slack_server: FakeSlack, web: WebClient) -> None:
    with pytest.raises(SlackApiError) as long_text:
        web.chat_postMessage(channel="C1", text="x" * (MAX_TEXT + 1))
    assert long_text.value.response["error"] == "msg_too_long"
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}
    with pytest.raises(SlackApiError) as many:
        web.chat_postMessage(channel="C1", text="t", blocks=[section] * (MAX_BLOCKS + 1))
    assert many.value.response["error"] == "invalid_blocks"
    big = {"type": "section", "text": {"type": "mrkdwn", "text": "y" * (MAX_SECTION_TEXT + 1)}}
    with pytest.raises(SlackApiError) as too_big:
        web.chat_postMessage(channel="C1", text="t", blocks=[big])
    assert too_big.value.response["error"] == "invalid_blocks"
    assert web.chat_postMessage(channel="C1", text="x" * MAX_TEXT, blocks=[section] * MAX_BLOCKS)["ok"]


def test_injected_faults_then_recovery(slack_server: FakeSlack, web: WebClient) -> None:
    slack_server.fail("chat.postMessage", "channel_not_found", when=lambda p: p.get("channel") == "C0GONE")
    with pytest.raises(SlackApiError) as gone:
        web.chat_postMessage(channel="C0GONE", text="hi")
    assert gone.value.response["error"] == "channel_not_found"
    assert web.chat_postMessage(channel="C0GONE", text="hi")["ok"]  # times=1: only the next call failed

    slack_server.fail("chat.update", "invalid_auth", times=2)
    ts = web.chat_postMessage(channel="C1", text="a")["ts"]
    errors = []
    for _ in range(3):
        try:
            web.chat_update(channel="C1", ts=ts, text="b")
            errors.append(None)
        except SlackApiError as e:
            errors.append(e.response["error"])
    assert errors == ["invalid_auth", "invalid_auth", None]


def test_ratelimited_is_429_with_retry_after_and_sdk_retry_handler_waits(slack_server: FakeSlack) -> None:
    retry_after = 1
    slack_server.fail("chat.postMessage", "ratelimited", retry_after=retry_after)
    plain = WebClient(token=slack_server.bot_token, base_url=slack_server.api_url)
    with pytest.raises(SlackApiError) as limited:
        plain.chat_postMessage(channel="C1", text="first")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == str(retry_after)

    slack_server.fail("chat.postMessage", "ratelimited", retry_after=retry_after)
    patient = WebClient(token=slack_server.bot_token, base_url=slack_server.api_url,
                        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert patient.chat_postMessage(channel="C1", text="second")["ok"]
    limited_call, ok_call = slack_server.calls_to("chat.postMessage")[-2:]
    assert (limited_call.status, ok_call.status) == (429, 200)
    assert ok_call.time - limited_call.time >= retry_after
    assert [m.text for m in slack_server.posted()] == ["second"]


def test_assistant_methods_and_streaming_record_chunks_in_order(slack_server: FakeSlack, web: WebClient) -> None:
    ws = slack_server.workspace
    thread = slack_server.next_ts()
    web.assistant_threads_setStatus(channel_id="D1", thread_ts=thread, status="is checking prices…")
    web.assistant_threads_setSuggestedPrompts(channel_id="D1", thread_ts=thread,
                                              prompts=[{"title": "WTI", "message": "WTI in won now"}])
    assert slack_server.calls_to("assistant.threads.setSuggestedPrompts")[0].params["prompts"][0]["title"] == "WTI"

    stream = web.chat_stream(channel="C1", thread_ts=thread, recipient_team_id=ws.team_id,
                             recipient_user_id=ws.user_id, buffer_size=1)
    task = {"type": "task_update", "id": "t1", "title": "Fetching WTI", "status": "in_progress"}
    stream.append(chunks=[task])
    stream.append(chunks=[{**task, "status": "complete"}])
    stream.append(markdown_text="WTI is ₩98,492")
    feedback = [{"type": "context_actions", "elements": [{"type": "feedback_buttons", "action_id": "fb",
                 "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": "up"},
                 "negative_button": {"text": {"type": "plain_text", "text": "👎"}, "value": "down"}}]}]
    stream.stop(blocks=feedback)

    msg = slack_server.wait_for_message(thread_ts=thread, contains="₩98,492", final=True)
    kinds = [(c["type"], c.get("status")) for c in msg.chunks()]
    assert kinds == [("task_update", "in_progress"), ("task_update", "complete"), ("markdown_text", None)]
    assert msg.blocks == feedback and not msg.streaming
    with pytest.raises(SlackApiError) as stopped:
        web.chat_appendStream(channel="C1", ts=msg.ts, markdown_text="late")
    assert stopped.value.response["error"] == "message_not_in_streaming_state"
    with pytest.raises(SlackApiError) as no_recipient:
        web.chat_startStream(channel="C1", thread_ts=thread, markdown_text="x")
    assert no_recipient.value.response["error"] == "missing_recipient_team_id"


def test_workspace_without_ai_features_refuses_streaming(slack_server: FakeSlack, web: WebClient) -> None:
    slack_server.disable_ai_features()
    for call in (lambda: web.chat_startStream(channel="D1", thread_ts="1700000000.000100", markdown_text="x"),
                 lambda: web.assistant_threads_setStatus(channel_id="D1", thread_ts="1.2", status="…")):
        with pytest.raises(SlackApiError) as refused:
            call()
        assert refused.value.response["error"] == "not_allowed_token_type"
    assert web.chat_postMessage(channel="D1", text="plain path still works")["ok"]
    slack_server.clear_faults()
    assert web.chat_startStream(channel="D1", thread_ts="1700000000.000100", markdown_text="x")["ok"]


def test_wait_for_message_wakes_on_a_post_from_another_thread(slack_server: FakeSlack, web: WebClient) -> None:
    t = threading.Timer(0.2, lambda: web.chat_postMessage(channel="C9", text="late answer ₩1"))
    t.start()
    msg = slack_server.wait_for_message(channel="C9", contains="₩", timeout=5)
    t.join()
    assert msg.text == "late answer ₩1"
    with pytest.raises(AssertionError, match="timed out"):
        slack_server.wait_for_message(channel="C9", contains="never", timeout=0.2)
    slack_server.reset()
    assert slack_server.posted() == [] and slack_server.calls == []


# -- Socket Mode ----------------------------------------------------------------------------------------------------


def _shut(client: SocketModeClient, fake: FakeSlack) -> None:
    """Close a built-in client quickly: its receive loop would otherwise sit out a 3 s socket timeout."""
    client.auto_reconnect_enabled = client.default_auto_reconnect_enabled = False
    fake.drop()
    client.close()


@pytest.fixture
def sdk_client(slack_server: FakeSlack) -> Iterator[SocketModeClient]:
    client = SocketModeClient(app_token=slack_server.app_token,
                              web_client=WebClient(token=slack_server.bot_token, base_url=slack_server.api_url))
    yield client
    _shut(client, slack_server)


def test_builtin_socket_mode_client_gets_hello_and_acks(slack_server: FakeSlack, sdk_client: SocketModeClient) -> None:
    hellos: list[dict] = []
    got: list[SocketModeRequest] = []

    def on_message(client: SocketModeClient, message: dict, raw: str | None) -> None:
        if message.get("type") == "hello":
            hellos.append(message)

    def on_request(client: SocketModeClient, req: SocketModeRequest) -> None:
        got.append(req)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    sdk_client.message_listeners.append(on_message)
    sdk_client.socket_mode_request_listeners.append(on_request)
    sdk_client.connect()
    slack_server.wait_connections(1)

    payload = slack_server.app_mention("WTI in won?")
    eid = slack_server.deliver("events_api", payload)
    ack = slack_server.wait_ack(eid)
    assert ack == {"envelope_id": eid}
    assert slack_server.acks[eid].latency >= 0
    retry = slack_server.redeliver(eid, retry_attempt=1, retry_reason="timeout")
    slack_server.wait_ack(retry)
    assert [r.payload["event_id"] for r in got] == [payload["event_id"]] * 2
    assert [r.retry_attempt for r in got] == [0, 1]
    assert hellos and hellos[0]["connection_info"]["app_id"] == slack_server.workspace.app_id


def test_disconnect_message_and_reused_ticket(slack_server: FakeSlack, sdk_client: SocketModeClient) -> None:
    sdk_client.connect()
    [first] = slack_server.wait_connections(1)
    slack_server.send_disconnect(first)  # Slack's "refresh_requested": the client opens a new connection
    second = slack_server.wait_new_connection(after=first)
    assert len(slack_server.calls_to("apps.connections.open")) == 2 and second > first
    # A ticket is good for one connection only.
    import websockets.sync.client as wsc
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus):
        wsc.connect(sdk_client.wss_uri, open_timeout=5)


def _bolt_app(fake: FakeSlack) -> App:
    app = App(client=WebClient(token=fake.bot_token, base_url=fake.api_url))

    @app.event("app_mention")
    def answer(event: dict, say) -> None:
        say(text=f"answer to: {event['text']}", thread_ts=event.get("thread_ts") or event["ts"])

    @app.command("/oilprice")
    def oilprice(ack, respond, command: dict) -> None:
        ack(text="working…")
        respond(response_type="in_channel", text=f"table for {command['channel_id']}")

    return app


def test_bolt_app_mention_round_trip_and_reconnect(slack_server: FakeSlack) -> None:
    # After a server-side close, slack_sdk's built-in client reconnects from its state monitor, which runs every
    # ping_interval seconds (default 5; the first reconnect took ~10 s): a short interval keeps this test fast.
    handler = SocketModeHandler(_bolt_app(slack_server), slack_server.app_token, ping_interval=1)
    handler.connect()
    try:
        [conn] = slack_server.wait_connections(1)
        payload = slack_server.app_mention("what does WTI cost?", channel="C0CHAN001")
        eid = slack_server.deliver("events_api", payload)
        assert slack_server.wait_ack(eid)["envelope_id"] == eid
        ts = payload["event"]["ts"]
        reply = slack_server.wait_for_message(channel="C0CHAN001", thread_ts=ts, contains="what does WTI cost?")
        assert reply.thread_ts == ts

        slack_server.drop(conn)  # the client must reconnect through apps.connections.open
        new_conn = slack_server.wait_new_connection(after=conn)
        again = slack_server.app_mention("and Brent?", thread_ts=ts)
        slack_server.wait_ack(slack_server.deliver("events_api", again, connection=new_conn))
        slack_server.wait_for_message(thread_ts=ts, contains="and Brent?")
        assert len(slack_server.posted(thread_ts=ts)) == 2
        assert len(slack_server.calls_to("apps.connections.open")) >= 2

        cmd = slack_server.slash_command("/oilprice", "", channel="C0CHAN001")
        cid = slack_server.deliver("slash_commands", cmd)
        assert slack_server.wait_ack(cid)["payload"]["text"] == "working…"
        posted = slack_server.wait_for_response()
        assert posted["body"]["response_type"] == "in_channel"
        assert posted["url"] == cmd["response_url"]
    finally:
        _shut(handler.client, slack_server)


def test_round_robin_over_two_connections(slack_server: FakeSlack) -> None:
    clients = []
    for _ in range(2):
        c = SocketModeClient(app_token=slack_server.app_token,
                             web_client=WebClient(token=slack_server.bot_token, base_url=slack_server.api_url))
        c.socket_mode_request_listeners.append(
            lambda cl, req: cl.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id)))
        c.connect()
        clients.append(c)
    try:
        conns = slack_server.wait_connections(2)
        assert sorted(slack_server.connections_of(os.getpid())) == sorted(conns)
        eids = [slack_server.deliver("events_api", slack_server.dm_message(f"q{i}")) for i in range(4)]
        acked_on = [slack_server.acks[e].connection for e in eids if slack_server.wait_ack(e)]
        assert sorted(set(acked_on)) == sorted(conns)
        assert acked_on[0] != acked_on[1] and acked_on[0] == acked_on[2]
    finally:
        for c in clients:
            _shut(c, slack_server)


def test_payload_builders_match_slack_shapes(slack_server: FakeSlack) -> None:
    ws = slack_server.workspace
    dm = slack_server.dm_message("hi")["event"]
    assert dm["channel_type"] == "im" and dm["user"] == ws.user_id
    mention = slack_server.app_mention("hi")
    assert mention["event"]["text"].startswith(f"<@{ws.bot_user_id}>")
    assert mention["event_id"] != slack_server.app_mention("hi")["event_id"]
    assert slack_server.message_changed()["event"]["subtype"] == "message_changed"
    edit = slack_server.edited(mention, f"<@{ws.bot_user_id}> WTI?")
    assert edit["event"]["ts"] == mention["event"]["ts"] and edit["event_id"] != mention["event_id"]
    assert edit["event"]["edited"]["user"] == ws.user_id and "edited" not in mention["event"]
    assert slack_server.with_files(slack_server.dm_message("chart"))["event"]["subtype"] == "file_share"
    assert "subtype" not in slack_server.with_files(mention)["event"]
    own = slack_server.bot_message("mine")["event"]
    assert own["bot_id"] == ws.bot_id and "subtype" not in own
    assert slack_server.bot_message("theirs", own=False)["event"]["subtype"] == "bot_message"
    started = slack_server.assistant_thread_started()["event"]
    assert started["assistant_thread"]["channel_id"].startswith("D")
    msg = {"type": "message", "text": "answer", "ts": "1700000000.000900", "thread_ts": "1700000000.000800"}
    action = slack_server.block_action("oilfx_show_steps", value="k1", message=msg)
    assert action["container"]["message_ts"] == msg["ts"] and action["actions"][0]["value"] == "k1"
    assert slack_server.slash_command("/oilprice", "help")["response_url"].startswith(slack_server.base_url)


# -- HTTP mode signing ----------------------------------------------------------------------------------------------


class _Verifier(BaseHTTPRequestHandler):
    """A tiny request URL that checks signatures with slack_sdk's own SignatureVerifier."""

    secret = "fake-signing-secret"
    seen: ClassVar[list[dict]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ok = SignatureVerifier(self.secret).is_valid_request(body, dict(self.headers))
        self.seen.append({"ok": ok, "retry": self.headers.get("X-Slack-Retry-Num"), "body": body})
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_signed_request_passes_slack_sdk_verification_and_bad_ones_do_not(slack_server: FakeSlack) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Verifier)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    secret = _Verifier.secret
    try:
        event = slack_server.app_mention("hi")
        assert signed_request(url, event, secret).status_code == 200
        assert signed_request(url, event, secret, retry_num=1).status_code == 200
        assert _Verifier.seen[-1]["retry"] == "1" and json.loads(_Verifier.seen[-1]["body"]) == event
        assert signed_request(url, event, "wrong-secret").status_code == 401
        assert signed_request(url, event, secret, signature="v0=" + "0" * 64).status_code == 401
        assert signed_request(url, event, secret, timestamp=time.time() - 6 * 60).status_code == 401
        assert signed_request(url, event, secret, omit=("X-Slack-Signature",)).status_code == 401
        form, ctype = http_body("slash_commands", slack_server.slash_command())
        assert ctype == "application/x-www-form-urlencoded" and b"command=%2Foilprice" in form
        assert signed_request(url, slack_server.slash_command(), secret, kind="slash_commands").status_code == 200
    finally:
        server.shutdown()
        server.server_close()


def test_more_than_four_suggested_prompts_are_refused(web: WebClient) -> None:
    """Slack sets "up to four suggested prompts" in an assistant thread; the bot's own list must fit."""
    from oilfx.i18n import EN, KO
    from oilfx.slack.listeners.assistant.thread_started import prompts

    five = [{"title": f"p{i}", "message": f"question {i}"} for i in range(5)]
    with pytest.raises(SlackApiError) as refused:
        web.assistant_threads_setSuggestedPrompts(channel_id="D1", thread_ts="1.2", prompts=five)
    assert refused.value.response["error"] == "invalid_arguments"
    for reader in (EN, KO):  # each language's list fits
        ours = prompts(reader)
        assert web.assistant_threads_setSuggestedPrompts(channel_id="D1", thread_ts="1.2", prompts=ours)["ok"]
