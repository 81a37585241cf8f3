"""The fakes' HTTP server: socketserver listens with a backlog of 5, so a burst of 100 new connections (slack_sdk
and httpx open one per concurrent call) overflowed it and the kernel dropped SYNs, which clients retry after
1-3 s -- a limit of the fakes' hosting, not of Slack, OpenAI or oilfx. Listen with a real server's backlog."""

from __future__ import annotations

from http.server import ThreadingHTTPServer


class LoopbackHTTPServer(ThreadingHTTPServer):
    request_queue_size = 256
