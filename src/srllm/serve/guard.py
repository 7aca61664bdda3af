"""The OpenAI-compatible guard: ``POST /v1/chat/completions`` moderated on both sides.

Input: the last user message is classified; by policy an unsafe one is blocked (a refusal with
``finish_reason="content_filter"``), rewritten into a benign variation before it reaches the model,
or passed with its labels. Output: the answer (from the upstream OpenAI-compatible server, or the
engine's local chat model) is split into sentences; each unsafe sentence is rewritten (policy
``rewrite``), or the whole answer is replaced by the refusal (``block``), or labelled (``pass``).
With ``stream: true`` a sentence is sent only after it has passed the check.

Actions: ``none`` (nothing to check), ``checked`` (safe), ``passed`` (unsafe, let through by
policy), ``rewritten``, ``blocked``. What changed is reported in the ``srllm`` field of the
response (of the last chunk when streaming; a chunk whose sentence was changed carries that change)
and in the ``X-SRLLM-Input`` / ``X-SRLLM-Output`` headers (input only when streaming).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from srllm.serve.engine import to_dict
from srllm.serve.schemas import ChatRequest
from srllm.serve.service import ServeError, Service
from srllm.serve.settings import ServeSettings

#: the end of a sentence: terminal punctuation (and closing quotes / brackets) then white space, or a newline
SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*\s+|\n+")


class SentenceBuffer:
    """Collects streamed text and hands out complete sentences (with their trailing white space)."""

    def __init__(self) -> None:
        self.text = ""

    def feed(self, delta: str) -> list[str]:
        self.text += delta
        out: list[str] = []
        while True:
            match = SENTENCE_END.search(self.text)
            if match is None or match.end() == len(self.text) and not self.text.endswith("\n"):
                # a boundary at the very end may still grow ("..." or "?!"); wait for more text
                break
            out.append(self.text[: match.end()])
            self.text = self.text[match.end():]
        return out

    def flush(self) -> list[str]:
        rest, self.text = self.text, ""
        return [rest] if rest else []


def split_sentences(text: str) -> list[str]:
    """`text` as sentences that join back into it exactly."""
    buffer = SentenceBuffer()
    return buffer.feed(text) + buffer.flush()


def message_text(content: Any) -> str:
    """The text of an OpenAI message content (a string or a list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content if part.get("type") == "text")


@dataclass
class Report:
    """What the guard did, as returned in the ``srllm`` field."""

    input: dict[str, Any] = field(default_factory=lambda: {"action": "none"})
    output: dict[str, Any] = field(default_factory=lambda: {"action": "none", "sentences": 0, "changed": []})

    def header_input(self) -> str:
        return self.input["action"]

    def header_output(self) -> str:
        out = self.output
        return f"{out['action']}; changed={len(out['changed'])}/{out['sentences']}"

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "output": self.output}


class Guard:
    """Moderates chat completions with a `Service`; talks to the upstream server when configured."""

    def __init__(self, service: Service, settings: ServeSettings, client: httpx.AsyncClient | None = None):
        self.service = service
        self.settings = settings
        self.client = client

    # --- models -------------------------------------------------------------------------------

    async def models(self) -> dict[str, Any]:
        if self.client is None:
            return {"object": "list", "data": [
                {"id": self.settings.chat_model, "object": "model", "created": 0, "owned_by": "srllm"}]}
        response = await self._upstream("GET", "models")
        return response.json()

    # --- input --------------------------------------------------------------------------------

    async def check_input(self, request: ChatRequest, report: Report) -> list[dict[str, Any]] | None:
        """The messages to send on (the last user turn possibly rewritten), or None when blocked."""
        messages = [m.model_dump(exclude_none=True) for m in request.messages]
        users = [i for i, m in enumerate(messages) if m["role"] == "user"]
        if not users:
            return messages
        last = users[-1]
        text = message_text(messages[last].get("content"))
        if not text.strip():
            return messages
        (risk,) = await self.service.classify([text])
        report.input = {"action": "passed" if risk.unsafe else "checked", "unsafe": risk.unsafe,
                        "unsafe_score": risk.unsafe_score, "labels": risk.labels}
        if not risk.unsafe:
            return messages
        policy = self.settings.input_policy
        if policy == "block":
            report.input["action"] = "blocked"
            return None
        if policy == "rewrite":
            (result,) = await self.service.rewrite([text])
            result = to_dict(result)
            messages[last] = {**messages[last], "content": result["output"]}
            report.input.update(action="rewritten", decision=result["decision"], original=text,
                                rewritten=result["output"])
        return messages

    # --- output -------------------------------------------------------------------------------

    async def check_sentences(self, sentences: list[str], report: Report, offset: int = 0) -> list[str]:
        """The sentences after the output policy; rewritten ones keep their trailing white space."""
        texts = [s.strip() for s in sentences]
        todo = [i for i, t in enumerate(texts) if t]
        risks = await self.service.classify([texts[i] for i in todo]) if todo else []
        unsafe = [i for i, r in zip(todo, risks) if r.unsafe]
        report.output["sentences"] = offset + len(sentences)
        policy = self.settings.output_policy
        if not unsafe or policy == "pass":
            if unsafe:
                report.output["action"] = "passed"
                report.output["changed"] += [{"sentence": offset + i, "unsafe": True, "decision": "passed",
                                              "original": texts[i]} for i in unsafe]
            elif report.output["action"] == "none":
                report.output["action"] = "checked"
            return sentences
        if policy == "block":
            report.output["action"] = "blocked"
            report.output["changed"] += [{"sentence": offset + i, "decision": "blocked", "original": texts[i]}
                                         for i in unsafe]
            return [self.settings.block_message]
        results = [to_dict(r) for r in await self.service.rewrite([texts[i] for i in unsafe])]
        out = list(sentences)
        for i, result in zip(unsafe, results):
            tail = sentences[i][len(sentences[i].rstrip()):]
            out[i] = result["output"] + (tail or " ")
            report.output["changed"].append({"sentence": offset + i, "decision": result["decision"],
                                             "original": texts[i], "rewritten": result["output"]})
        report.output["action"] = "rewritten"
        return out

    # --- generation ---------------------------------------------------------------------------

    def _max_tokens(self, request: ChatRequest) -> int:
        return request.max_completion_tokens or request.max_tokens or self.settings.chat_max_tokens

    def _upstream_body(self, request: ChatRequest, messages: list[dict[str, Any]], stream: bool) -> dict[str, Any]:
        body = request.model_dump(exclude_none=True)
        body.update(messages=messages, stream=stream)
        body.setdefault("model", self.settings.chat_model)
        body.pop("stream_options", None)
        return body

    async def _upstream(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        assert self.client is not None
        try:
            response = await self.client.request(method, path, json=body)
        except httpx.TimeoutException:
            raise ServeError(504, f"upstream {self.settings.upstream_url} timed out", "upstream_timeout",
                             code="upstream_timeout") from None
        except httpx.HTTPError as exc:
            raise ServeError(503, f"upstream {self.settings.upstream_url} unreachable: {exc}", "upstream_unavailable",
                             code="upstream_unavailable") from None
        if response.status_code >= 400:
            raise ServeError(502, f"upstream answered {response.status_code}: {response.text[:500]}", "upstream_error",
                             code="upstream_error")
        return response

    async def _generate(self, request: ChatRequest, messages: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        """The answer text and the upstream's response body (a synthesised one for local chat)."""
        if self.client is not None:
            response = await self._upstream("POST", "chat/completions", self._upstream_body(request, messages, False))
            body = response.json()
            return message_text(body["choices"][0]["message"].get("content")), body
        plain = [{"role": m["role"], "content": message_text(m.get("content"))} for m in messages]
        answer = await self.service.chat(plain, self._max_tokens(request), request.temperature or 0.0)
        return answer, {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                        "model": self.settings.chat_model,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                     "finish_reason": "stop"}]}

    async def _deltas(self, request: ChatRequest, messages: list[dict[str, Any]]) -> AsyncIterator[str]:
        """The answer as text pieces: the upstream's stream, or the local model's as it generates."""
        if self.client is None:
            plain = [{"role": m["role"], "content": message_text(m.get("content"))} for m in messages]
            async for piece in self.service.chat_stream(plain, self._max_tokens(request), request.temperature or 0.0):
                yield piece
            return
        body = self._upstream_body(request, messages, True)
        try:
            async with self.client.stream("POST", "chat/completions", json=body) as response:
                if response.status_code >= 400:
                    text = (await response.aread()).decode("utf-8", "replace")
                    raise ServeError(502, f"upstream answered {response.status_code}: {text[:500]}", "upstream_error")
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    for choice in json.loads(data).get("choices", []):
                        piece = (choice.get("delta") or {}).get("content")
                        if piece:
                            yield piece
        except httpx.TimeoutException:
            raise ServeError(504, "upstream timed out while streaming", "upstream_timeout") from None
        except httpx.HTTPError as exc:
            raise ServeError(503, f"upstream unreachable: {exc}", "upstream_unavailable") from None

    # --- the two modes ------------------------------------------------------------------------

    def _refusal(self, request: ChatRequest, report: Report) -> dict[str, Any]:
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                "model": request.model or self.settings.chat_model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": self.settings.block_message},
                             "finish_reason": "content_filter"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "srllm": report.to_dict()}

    async def complete(self, request: ChatRequest) -> tuple[dict[str, Any], Report]:
        """A non-streaming completion, moderated."""
        report = Report()
        messages = await self.check_input(request, report)
        if messages is None:
            return self._refusal(request, report), report
        _, body = await self._generate(request, messages)
        sentences = 0
        for choice in body.get("choices", []):  # every choice when the request asked for n > 1
            message = choice.get("message") or {}
            answer = message_text(message.get("content"))
            if not answer:
                continue
            before = len(report.output["changed"])
            checked = "".join(await self.check_sentences(split_sentences(answer), report, offset=sentences))
            sentences = report.output["sentences"]
            choice["message"] = {**message, "role": "assistant", "content": checked}
            if any(c["decision"] == "blocked" for c in report.output["changed"][before:]):
                choice["finish_reason"] = "content_filter"
        body["srllm"] = report.to_dict()
        return body, report

    async def _checked_sentences(self, request: ChatRequest, messages: list[dict[str, Any]], report: Report
                                 ) -> AsyncIterator[tuple[str, dict[str, Any] | None]]:
        """Each sentence of the answer once checked, with the change made to it (or None)."""
        buffer, sent = SentenceBuffer(), 0

        async def check(sentence: str) -> tuple[str, dict[str, Any] | None]:
            nonlocal sent
            changes = len(report.output["changed"])
            (text,) = await self.check_sentences([sentence], report, offset=sent)
            sent += 1
            return text, report.output["changed"][-1] if len(report.output["changed"]) > changes else None

        async for piece in self._deltas(request, messages):
            for sentence in buffer.feed(piece):
                yield await check(sentence)
        for rest in buffer.flush():
            yield await check(rest)

    async def stream(self, request: ChatRequest, report: Report, messages: list[dict[str, Any]] | None
                     ) -> AsyncIterator[str]:
        """Server-sent events of chunks; a sentence is sent once it has passed the output check."""
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        model = request.model or self.settings.chat_model

        def chunk(delta: dict[str, Any], finish: str | None = None, extra: dict[str, Any] | None = None) -> str:
            data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **(extra or {})}
            return f"data: {json.dumps(data)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        finish = "stop"
        if messages is None:
            yield chunk({"content": self.settings.block_message})
            finish = "content_filter"
        else:
            try:
                async for text, change in self._checked_sentences(request, messages, report):
                    yield chunk({"content": text}, extra={"srllm": change} if change else None)
                    if report.output["action"] == "blocked":
                        finish = "content_filter"
                        break
            except Exception as exc:  # the headers are gone: report the error in the stream
                error = exc if isinstance(exc, ServeError) else ServeError(500, f"{type(exc).__name__}: {exc}")
                yield f"data: {json.dumps(error.body())}\n\n"
                finish = "error"
        yield chunk({}, finish, {"srllm": report.to_dict()})
        yield "data: [DONE]\n\n"
