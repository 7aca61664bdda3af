"""What the guard checks, apart from the HTTP plumbing in `srllm.serve.guard`:

* `Checks.verdicts`: a text is as unsafe as its worst sliding window (`chat_text.windows`), scored
  after chat-template tokens are neutralised, with its language (`srllm.language`);
* `neutralise_messages`: template tokens removed from every message before it is scored or sent on;
* `injection_techniques`: the jailbreak / injection patterns over every message a client wrote;
* `clean_reply`: the upstream reply reduced to the fields the guard checks, so no other field
  (``logprobs``, ``reasoning_content``, ``prompt_logprobs``, ...) can carry the unchecked text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from srllm.language import detect
from srllm.serve.chat_text import neutralise, text_parts, windows
from srllm.serve.injection import TEMPLATE, techniques
from srllm.serve.inputs import clean_text
from srllm.serve.service import ServeError, Service

#: the fields of an upstream reply, of a choice and of its message that the guard passes on
REPLY_KEYS = ("id", "object", "created", "model", "usage", "system_fingerprint", "service_tier")
CHOICE_KEYS = ("index", "message", "finish_reason")
MESSAGE_KEYS = ("role", "content", "refusal")
CLIENT_ROLES = ("system", "developer", "user", "tool")


@dataclass
class Verdict:
    """A text's worst window: its unsafe decision and score, the labels there, and the language."""

    unsafe: bool
    unsafe_score: float
    labels: dict[str, str] = field(default_factory=dict)
    judged: bool = True
    language: str | None = None

    def summary(self) -> dict[str, Any]:
        return {"unsafe": self.unsafe, "unsafe_score": self.unsafe_score, "labels": self.labels,
                "judged": self.judged, "language": self.language}


class Checks:
    """Scores texts for the guard through the service's classifier batcher."""

    def __init__(self, service: Service):
        self.service = service

    async def verdicts(self, texts: Sequence[str]) -> list[Verdict]:
        """One verdict per text: the maximum over its windows (benign padding cannot dilute an insult)."""
        clean = [neutralise(t)[0] for t in texts]
        pieces = [windows(t) or [t] for t in clean]
        flat = [p for ps in pieces for p in ps]
        reports = iter(await self.service.classify(flat) if flat else [])
        out = []
        for text, ps in zip(clean, pieces):
            scored = [next(reports) for _ in ps]
            worst = max(scored, key=lambda r: (r.unsafe, r.unsafe_score))
            language = detect(text)
            out.append(Verdict(unsafe=worst.unsafe and language.judged, unsafe_score=worst.unsafe_score,
                               labels=dict(worst.labels), judged=language.judged, language=language.code))
        return out


def neutralise_messages(messages: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Remove chat-template tokens from every text of `messages` (in place); the tokens found by role."""
    found: dict[str, list[str]] = {}
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            message["content"], tokens = neutralise(content)
        elif isinstance(content, list):
            tokens = []
            for part in content:
                for key in ("text", "refusal"):
                    if isinstance(part.get(key), str):
                        part[key], more = neutralise(part[key])
                        tokens += more
        else:
            continue
        if tokens:
            found.setdefault(message.get("role", "user"), []).extend(tokens)
    return found


def injection_techniques(messages: list[dict[str, Any]], tokens: dict[str, list[str]]) -> list[str]:
    """The jailbreak / injection techniques used in the client's messages (not the assistant's)."""
    found = {TEMPLATE} if any(role in CLIENT_ROLES for role in tokens) else set()
    for message in messages:
        if message.get("role") in CLIENT_ROLES:
            for _, text in text_parts(message.get("content")):
                found.update(techniques(text))
    return sorted(found)


def clean_reply(body: Any, source: str) -> tuple[dict[str, Any], list[str], int]:
    """The reply with only the checked fields, the dotted names of the fields dropped, and how many
    lone surrogates were replaced; 502 naming the field when the reply is not a chat completion."""
    if not isinstance(body, dict):
        raise ServeError(502, f"{source} replied with a JSON {type(body).__name__}, expected a chat.completion object",
                         "upstream_error", param="body", code="upstream_error")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise ServeError(502, f"choices: {source} replied without a non-empty 'choices' list", "upstream_error",
                         param="choices", code="upstream_error")
    removed = [k for k in body if k not in REPLY_KEYS and k != "choices"]
    out: dict[str, Any] = {k: body[k] for k in REPLY_KEYS if k in body}
    out["choices"], replaced = [], 0
    for i, choice in enumerate(choices):
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            raise ServeError(502, f"choices.{i}.message: {source} sent no message object", "upstream_error",
                             param=f"choices.{i}.message", code="upstream_error")
        removed += [f"choices.{i}.{k}" for k in choice if k not in CHOICE_KEYS]
        removed += [f"choices.{i}.message.{k}" for k in message if k not in MESSAGE_KEYS]
        kept = {k: message[k] for k in MESSAGE_KEYS if k in message}
        for key in ("content", "refusal"):
            if key in kept and not isinstance(kept[key], str):  # parts or junk: only their text goes on
                kept[key] = "\n".join(text for _, text in text_parts(kept[key])) if isinstance(kept[key], list) else None
                if kept[key] is None:
                    del kept[key]
        for key in ("content", "refusal"):
            if isinstance(kept.get(key), str):
                kept[key], n = clean_text(kept[key])
                replaced += n
        out["choices"].append({**{k: choice[k] for k in CHOICE_KEYS if k in choice}, "message": kept})
    return out, removed, replaced
