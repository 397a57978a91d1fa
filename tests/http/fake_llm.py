"""A fake LLM provider on 127.0.0.1 speaking OpenAI's /v1/chat/completions and
Anthropic's /v1/messages, JSON and SSE, with scripted faults.

The real SDKs talk real HTTP to it. Each request pops the next scripted
reply; with none scripted it answers a valid grade ("auto"), built from the
rubric names found in the request, so app and browser tests can run many turns.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def grade_payload(criteria: list[str], score: float = 7.0, citations=(1,), **over) -> dict:
    """A valid grade payload for the given rubric criteria."""
    body = {
        "feedback": "You explained the core idea correctly [1] but did not cover the costs.",
        "criteria": [{"name": n, "score": score, "reason": f"{n} reason"} for n in criteria],
        "covered": ["the core idea"], "missing": ["the costs and trade-offs"],
        "citations": list(citations),
        "model_answer": ["State the idea", "Name the trade-off", "Give an example"],
        "follow_up": "What does this cost you in production, and how would you measure it?",
    }
    body.update(over)
    return body


def criteria_in(request_body: dict) -> list[str]:
    """Rubric criterion names from the rendered user prompt."""
    messages = request_body.get("messages", [])
    text = " ".join(m["content"] for m in messages if isinstance(m.get("content"), str))
    return re.findall(r"^- (.+?) \(weight \d+%\):", text, flags=re.M)


def _chunks(text: str, size: int = 16) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def openai_json(content: str, refusal: str | None = None, finish: str = "stop") -> dict:
    """A chat.completion object."""
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": "fake-model",
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": content, "refusal": refusal}}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200}}


def openai_sse(content: str, refusal: str | None = None) -> list[str]:
    """chat.completion.chunk events ending with a usage chunk and [DONE]."""
    def chunk(delta, finish=None, usage=None, choices=True):
        obj = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
               "created": int(time.time()), "model": "fake-model",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if choices else []}
        if usage:
            obj["usage"] = usage
        return f"data: {json.dumps(obj)}\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    if refusal:
        events.append(chunk({"refusal": refusal}, "stop"))
    else:
        events += [chunk({"content": part}) for part in _chunks(content)]
        events.append(chunk({}, "stop"))
    events.append(chunk({}, usage={"prompt_tokens": 120, "completion_tokens": 80,
                                   "total_tokens": 200}, choices=False))
    return events + ["data: [DONE]\n\n"]


def anthropic_json(tool_input: dict | None, stop: str = "tool_use") -> dict:
    """A Messages API response with one tool_use block."""
    content = [] if tool_input is None else [
        {"type": "tool_use", "id": "toolu_fake", "name": "submit_grade", "input": tool_input}]
    return {"id": "msg_fake", "type": "message", "role": "assistant", "model": "fake-claude",
            "content": content, "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": 130, "output_tokens": 90}}


def anthropic_sse(tool_json: str, stop: str = "tool_use") -> list[str]:
    """Messages API stream events for one tool_use block."""
    def ev(name, data):
        return f"event: {name}\ndata: {json.dumps(data)}\n\n"

    msg = anthropic_json(None, stop=None)
    msg["usage"] = {"input_tokens": 130, "output_tokens": 1}
    events = [ev("message_start", {"type": "message_start", "message": msg})]
    if stop != "refusal":
        events.append(ev("content_block_start", {
            "type": "content_block_start", "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_fake", "name": "submit_grade",
                              "input": {}}}))
        for part in _chunks(tool_json):
            events.append(ev("content_block_delta", {
                "type": "content_block_delta", "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": part}}))
        events.append(ev("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(ev("message_delta", {"type": "message_delta",
                                       "delta": {"stop_reason": stop, "stop_sequence": None},
                                       "usage": {"output_tokens": 90}}))
    events.append(ev("message_stop", {"type": "message_stop"}))
    return events


class FakeLLM:
    """The server, its script of replies and the requests it received."""

    def __init__(self):
        self.script: list[dict] = []
        self.requests: list[dict] = []
        self.auto_score = 7.0
        self.transcript = "Retrieval augmented generation adds retrieved passages to the prompt."
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL without the /v1 suffix."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeLLM":
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()

    def add(self, **reply) -> None:
        """Script the next reply: kind=json|sse|status|raw|sleep."""
        self.script.append(reply)

    def paths(self) -> list[str]:
        """Paths of the requests received, in order."""
        return [r["path"] for r in self.requests]

    def _reply_for(self, path: str, body: dict) -> dict:
        if self.script:
            return self.script.pop(0)
        if path.endswith("/audio/transcriptions"):
            return {"kind": "json", "body": {
                "text": self.transcript, "duration": 4.0, "language": "english",
                "words": [{"word": w, "start": 0.4 * i, "end": 0.4 * i + 0.3}
                          for i, w in enumerate(self.transcript.split())]}}
        payload = json.dumps(grade_payload(criteria_in(body), score=self.auto_score))
        streaming = bool(body.get("stream"))
        if path.endswith("/messages"):
            return ({"kind": "sse", "events": anthropic_sse(payload)} if streaming else
                    {"kind": "json", "body": anthropic_json(json.loads(payload))})
        return ({"kind": "sse", "events": openai_sse(payload)} if streaming else
                {"kind": "json", "body": openai_json(payload)})

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                if self.headers.get("content-type", "").startswith("multipart/"):
                    # An upload (speech to text): keep its size, not its bytes.
                    body = {"multipart_bytes": len(raw)}
                else:
                    body = json.loads(raw.decode("utf-8")) if raw else {}
                fake.requests.append({"path": self.path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": body, "time": time.time()})
                reply = fake._reply_for(self.path, body)
                kind = reply["kind"]
                if kind == "sleep":
                    time.sleep(reply["seconds"])
                    reply = reply.get("then") or {"kind": "status", "code": 500}
                    kind = reply["kind"]
                try:
                    if kind == "json":
                        self._send(200, json.dumps(reply["body"]), "application/json")
                    elif kind == "raw":
                        self._send(200, reply["body"], "application/json")
                    elif kind == "status":
                        error = reply.get("body") or {"error": {"message": "scripted failure",
                                                                "type": "server_error"}}
                        self._send(reply["code"], json.dumps(error), "application/json",
                                   reply.get("headers", {}))
                    elif kind == "sse":
                        self.send_response(200)
                        self.send_header("content-type", "text/event-stream")
                        self.send_header("cache-control", "no-cache")
                        self.end_headers()
                        for event in reply["events"]:
                            self.wfile.write(event.encode("utf-8"))
                            self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _send(self, code, text, ctype, headers=None):
                data = text.encode("utf-8")
                self.send_response(code)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def main() -> None:
    """Run a fake server in the foreground (for the browser test's app process)."""
    import sys

    fake = FakeLLM().start()
    print(fake.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
