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
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from srllm.serve.chat_text import SentenceBuffer, message_text, split_sentences
from srllm.serve.engine import to_dict
from srllm.serve.guard_checks import Checks, clean_reply, injection_techniques, neutralise_messages
from srllm.serve.inputs import clean_text
from srllm.serve.metrics import Metrics
from srllm.serve.schemas import ChatRequest
from srllm.serve.service import ServeError, Service
from srllm.serve.settings import ServeSettings

__all__ = ["Guard", "Report", "SentenceBuffer", "message_text", "split_sentences"]

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

    def __init__(self, service: Service, settings: ServeSettings, client: httpx.AsyncClient | None = None,
                 metrics: Metrics | None = None):
        self.service = service
        self.settings = settings
        self.client = client
        self.metrics = metrics
        self.checks = Checks(service)

    def decided(self, report: Report) -> None:
        if self.metrics is not None:
            self.metrics.decided("guard_input", [report.input["action"]])
            self.metrics.decided("guard_output", [report.output["action"]])

    # --- models -------------------------------------------------------------------------------

    async def models(self) -> dict[str, Any]:
        if self.client is None:
            return {"object": "list", "data": [
                {"id": self.settings.chat_model, "object": "model", "created": 0, "owned_by": "srllm"}]}
        response = await self._upstream("GET", "models")
        return self._json(response)

    # --- input --------------------------------------------------------------------------------

    async def check_input(self, request: ChatRequest, report: Report) -> list[dict[str, Any]] | None:
        """The messages to send on (template tokens removed, the last user turn possibly rewritten),
        or None when blocked."""
        messages = [m.model_dump(exclude_none=True) for m in request.messages]
        tokens = neutralise_messages(messages)
        found = injection_techniques(messages, tokens)
        if found and self.settings.injection_policy != "pass":
            report.input = {"action": "flagged", "injection": found}
            if self.settings.injection_policy == "block":
                report.input["action"] = "blocked"
                return None
        users = [i for i, m in enumerate(messages) if m["role"] == "user"]
        if not users:
            return messages
        last = users[-1]
        text = message_text(messages[last].get("content"))
        if not text.strip():
            return messages
        (verdict,) = await self.checks.verdicts([text])
        flagged = report.input.get("action") == "flagged"
        report.input = {**report.input, "action": "flagged" if flagged else "passed" if verdict.unsafe else "checked",
                        **verdict.summary()}
        if not verdict.judged:
            policy = self.settings.language_policy
            report.input["action"] = {"block": "blocked", "flag": "flagged"}.get(policy, report.input["action"])
            return None if policy == "block" else messages
        if not verdict.unsafe:
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
        """The sentences after the output and language policies; rewritten ones keep their trailing
        white space. The report never repeats an unsafe original (it names the sentence by index)."""
        texts = [s.strip() for s in sentences]
        todo = [i for i, t in enumerate(texts) if t]
        verdicts = dict(zip(todo, await self.checks.verdicts([texts[i] for i in todo]))) if todo else {}
        unsafe = [i for i, v in verdicts.items() if v.unsafe]
        unjudged = [i for i, v in verdicts.items() if not v.judged]
        report.output["sentences"] = offset + len(sentences)
        out = report.output
        if unjudged and self.settings.language_policy != "pass":
            out["not_judged"] = out.get("not_judged", []) + [
                {"sentence": offset + i, "language": verdicts[i].language} for i in unjudged]
            if self.settings.language_policy == "block":
                out["action"] = "blocked"
                out["changed"] += [{"sentence": offset + i, "decision": "blocked", "reason": "not judged",
                                    "language": verdicts[i].language} for i in unjudged]
                return [self.settings.block_message]
        policy = self.settings.output_policy
        if not unsafe or policy == "pass":
            if unsafe:
                out["action"] = "passed"
                out["changed"] += [{"sentence": offset + i, "unsafe": True, "decision": "passed",
                                    "unsafe_score": verdicts[i].unsafe_score} for i in unsafe]
            elif out["action"] == "none":
                out["action"] = "flagged" if unjudged and self.settings.language_policy == "flag" else "checked"
            return sentences
        if policy == "block":
            out["action"] = "blocked"
            out["changed"] += [{"sentence": offset + i, "decision": "blocked",
                                "unsafe_score": verdicts[i].unsafe_score} for i in unsafe]
            return [self.settings.block_message]
        results = [to_dict(r) for r in await self.service.rewrite([texts[i] for i in unsafe])]
        checked = list(sentences)
        for i, result in zip(unsafe, results):
            tail = sentences[i][len(sentences[i].rstrip()):]
            checked[i] = result["output"] + (tail or " ")
            out["changed"].append({"sentence": offset + i, "decision": result["decision"],
                                   "unsafe_score": verdicts[i].unsafe_score, "rewritten": result["output"]})
        out["action"] = "rewritten"
        return checked

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
            raise upstream_error(response.status_code, response.text)
        return response

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ServeError(502, f"body: upstream {self.settings.upstream_url} replied with invalid JSON ({exc})",
                             "upstream_error", param="body", code="upstream_error") from None

    async def _generate(self, request: ChatRequest, messages: list[dict[str, Any]], report: Report
                        ) -> tuple[str, dict[str, Any]]:
        """The answer text and the upstream's response body (a synthesised one for local chat)."""
        if self.client is not None:
            response = await self._upstream("POST", "chat/completions", self._upstream_body(request, messages, False))
            body, removed, replaced = clean_reply(self._json(response), f"upstream {self.settings.upstream_url}")
            if removed:
                report.output["removed"] = removed  # e.g. logprobs: they would repeat the unchecked tokens
            if replaced:
                report.output["replaced_surrogates"] = replaced
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
                    raise upstream_error(response.status_code, (await response.aread()).decode("utf-8", "replace"))
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    for piece in stream_pieces(data):
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
            self.decided(report)
            return self._refusal(request, report), report
        _, body = await self._generate(request, messages, report)
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
        self.decided(report)
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
        self.decided(report)
        yield chunk({}, finish, {"srllm": report.to_dict()})
        yield "data: [DONE]\n\n"


def upstream_error(status: int, text: str) -> ServeError:
    """An upstream error answer: a 4xx about the request is the client's (400), anything else 502."""
    if status in (400, 404, 413, 422):
        return ServeError(400, f"body: the upstream rejected the request ({status}): {text[:500]}",
                          "invalid_request_error", param="body", code="upstream_rejected")
    return ServeError(502, f"upstream answered {status}: {text[:500]}", "upstream_error", code="upstream_error")


def stream_pieces(data: str) -> list[str]:
    """The content pieces of one streamed chunk (lone surrogates replaced); 502 for a bad chunk."""
    try:
        chunk = json.loads(data)
        choices = chunk.get("choices") or []
        pieces = [(c.get("delta") or {}).get("content") for c in choices]
    except (ValueError, AttributeError, TypeError) as exc:
        raise ServeError(502, f"upstream streamed an invalid chunk ({type(exc).__name__}): {data[:200]}",
                         "upstream_error", param="choices", code="upstream_error") from None
    return [clean_text(p)[0] for p in pieces if isinstance(p, str) and p]
