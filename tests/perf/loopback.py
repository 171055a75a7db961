"""A lean asyncio loopback server for benchmarks: Ollama's protocol and OpenAI's
`/v1/chat/completions` (which inspect-ai's `ollama` provider speaks), with a fixed latency
per chat request held inside one of `parallel` slots, so the ideal wall time of any
workload is known.

It is leaner than `tests/ollama_server.FakeOllama` (no faults, no request log, one event
loop instead of a thread per connection), so that on a 2-core machine its own cost stays
far below what it measures. Benchmarks run it as a separate process::

    python tests/perf/loopback.py --latency 0.05 --parallel 8     # prints "PORT 41234"

`GET /_stats` answers `{"chats": n, "max_active": n}`; `POST /_reset` zeroes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ollama_replies import default_responder

_JSON = b"application/json"
_GRADE = "GRADE: C"  # what inspect-ai's model_graded_qa looks for in the grader's reply


class Loopback:
    """Counts, slots and replies shared by every connection."""

    def __init__(self, latency: float, parallel: int, models: list[str]) -> None:
        self.latency = latency
        self.models = models
        self.slots = asyncio.Semaphore(parallel)
        self.chats = 0
        self.active = 0
        self.max_active = 0

    async def hold(self) -> None:
        """Occupy one slot for `latency` seconds, as a model generating would."""
        async with self.slots:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            try:
                if self.latency > 0:
                    await asyncio.sleep(self.latency)
            finally:
                self.active -= 1

    async def route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """The response (status, JSON payload) for one request; chats take a slot."""
        if path == "/api/chat" or path == "/v1/chat/completions":
            self.chats += 1
            await self.hold()
            reply = _reply_text(body)
            return 200, _ollama(body, reply) if path == "/api/chat" else _openai(body, reply)
        if path == "/api/version":
            return 200, {"version": "0.6.5"}
        if path == "/api/tags":
            return 200, {"models": [{"name": name, "model": name} for name in self.models]}
        if path == "/api/show":
            return 200, {"model_info": {"general.architecture": "gemma3"}, "capabilities": []}
        if path == "/_stats":
            return 200, {"chats": self.chats, "max_active": self.max_active}
        if path == "/_reset":
            self.chats = self.max_active = 0
            return 200, {}
        return 404, {"error": f"no route {method} {path}"}


def _reply_text(body: Any) -> str:
    body = body if isinstance(body, dict) else {}
    fmt = body.get("format")
    response_format = body.get("response_format") or {}
    if isinstance(response_format, dict) and "json_schema" in response_format:
        fmt = response_format["json_schema"].get("schema")
    if isinstance(fmt, dict):
        return default_responder({**body, "format": fmt})
    text = json.dumps(body.get("messages") or [])
    if "GRADE" in text:
        return f"The answer meets the criterion. {_GRADE}"
    return default_responder(body)


def _ollama(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "model": body.get("model"),
        "created_at": "2026-04-14T09:00:00Z",
        "message": {"role": "assistant", "content": text},
        "done": True,
        "done_reason": "stop",
        "total_duration": 1_000_000,
        "load_duration": 1_000,
        "prompt_eval_count": 10,
        "prompt_eval_duration": 10_000,
        "eval_count": len(text.split()),
        "eval_duration": 100_000,
    }


def _openai(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, Any, bool] | None:
    """One HTTP/1.1 request: method, path, parsed JSON body, and whether it streams."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    length = int(headers.get("content-length") or 0)
    raw = await reader.readexactly(length) if length else b""
    body = json.loads(raw) if raw else None
    streams = isinstance(body, dict) and body.get("stream", target == "/api/chat") is True
    return method, target.split("?", 1)[0], body, streams


async def _serve(loop_server: Loopback, reader: Any, writer: Any) -> None:
    try:
        while (request := await _read_request(reader)) is not None:
            method, path, body, streams = request
            status, payload = await loop_server.route(method, path, body)
            if streams and path == "/api/chat" and status == 200:
                _write_stream(writer, payload)
            else:
                data = json.dumps(payload).encode()
                writer.write(
                    b"HTTP/1.1 %d OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s"
                    % (status, _JSON, len(data), data)
                )
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def _write_stream(writer: Any, final: dict[str, Any]) -> None:
    """Ollama's NDJSON stream: the content in one chunk, then the final object."""
    first = {**final, "done": False, "message": final["message"]}
    last = {**final, "message": {"role": "assistant", "content": ""}}
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n")
    writer.write(b"Transfer-Encoding: chunked\r\n\r\n")
    for part in (first, last):
        data = json.dumps(part).encode() + b"\n"
        writer.write(b"%x\r\n%s\r\n" % (len(data), data))
    writer.write(b"0\r\n\r\n")


async def main(
    latency: float, parallel: int, port: int, models: list[str], forever: bool = False
) -> None:
    """Serve until stdin closes (the parent benchmark ended or died), or forever."""
    state = Loopback(latency, parallel, models)
    server = await asyncio.start_server(
        lambda r, w: _serve(state, r, w), "127.0.0.1", port, backlog=1024
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    if forever:
        await server.serve_forever()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per chat request")
    parser.add_argument("--parallel", type=int, default=8, help="chat requests served at once")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--models", default="", help="comma-separated names for /api/tags")
    parser.add_argument("--forever", action="store_true", help="ignore stdin; serve until killed")
    args = parser.parse_args()
    names = [m for m in args.models.split(",") if m]
    asyncio.run(main(args.latency, args.parallel, args.port, names, args.forever))
