"""The optional rewording against a small local fake OpenAI-compatible server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from weibao.chat import llm


@contextmanager
def fake_llm(answer: str | None = None, status: int = 200, delay: float = 0.0) -> Iterator[tuple[str, list]]:
    """Serves /v1/chat/completions on 127.0.0.1; records the request bodies it gets."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            seen.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
            time.sleep(delay)
            payload = {"choices": [{"message": {"role": "assistant", "content": answer}}]}
            data = json.dumps(payload).encode() if status == 200 else b"boom"
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


REWORDED = "先清洁打印头，再调高打印浓度 [1]。"


def test_rewording_uses_only_the_passages_and_keeps_citations(make_chat) -> None:  # type: ignore[no-untyped-def]
    with fake_llm(REWORDED) as (url, seen):
        chat = make_chat(chat_llm_url=url, chat_llm_model="local-qwen", chat_llm_timeout=5)
        grounded = make_chat().say("检验报告打印不出来").reply
        reply = chat.say("检验报告打印不出来").reply
    assert reply.text == REWORDED
    assert reply.citations == grounded.citations  # citations unchanged
    (request,) = seen
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "local-qwen"
    system, user = request["body"]["messages"]
    assert "不得加入资料中没有的任何事实" in system["content"]
    for citation in grounded.citations:
        assert citation["passage"][:40] in user["content"]


def test_no_rewording_for_follow_ups_greetings_or_ticket_status(make_chat) -> None:  # type: ignore[no-untyped-def]
    with fake_llm(REWORDED) as (url, seen):
        chat = make_chat(chat_llm_url=url, chat_llm_model="m")
        chat.say("你好")
        chat.say("打印不出来")
    assert seen == []


@pytest.mark.parametrize(
    "server",
    [
        {"status": 500},
        {"answer": "请重启服务器 [7]"},  # cites a passage that does not exist
        {"answer": "请重启服务器。"},  # cites nothing
        {"answer": REWORDED, "delay": 2.0},  # slower than the timeout
    ],
    ids=["server error", "invented citation", "no citation", "timeout"],
)
def test_failures_fall_back_to_the_grounded_reply(make_chat, server) -> None:  # type: ignore[no-untyped-def]
    grounded = make_chat().say("检验报告打印不出来").reply
    with fake_llm(**server) as (url, _):
        reply = make_chat(chat_llm_url=url, chat_llm_model="m", chat_llm_timeout=0.5).say(
            "检验报告打印不出来"
        ).reply
    assert reply.text == grounded.text and reply.citations == grounded.citations


def test_unreachable_endpoint_falls_back() -> None:
    assert llm.reword(
        url="http://127.0.0.1:9/v1", model="m", timeout=0.5, question="q", draft="d [1]",
        passages=["p"], lang="zh",
    ) is None


def test_endpoint_url_forms() -> None:
    for base in ("http://h:1", "http://h:1/v1", "http://h:1/v1/", "http://h:1/v1/chat/completions"):
        assert llm.chat_completions_url(base) == "http://h:1/v1/chat/completions"
