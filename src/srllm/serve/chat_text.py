"""Text handling of the guard: the text of chat contents, sentences, chat-template tokens, and the
sliding windows that are scored so that padding cannot dilute an unsafe passage."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

#: the end of a sentence: terminal punctuation (and closing quotes / brackets) then white space, or a newline
SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*\s+|\n+")
#: words per scored window of a long sentence, and the step between windows (windows overlap by half)
WINDOW_WORDS, WINDOW_STEP = 12, 6
#: the most pieces scored for one text (a 40,000-character message is ~1,300 windows)
MAX_PIECES = 2048

#: chat-template and tokenizer control tokens: ChatML / Llama-3 / Phi (<|...|>), Llama-2 ([INST],
#: <<SYS>>, <s>), Gemma (<start_of_turn>), BERT ([CLS] [SEP] [MASK] [PAD] [UNK]); a ChatML role
#: name right after <|im_start|> goes with it
TEMPLATE_TOKEN = re.compile(
    r"<\|im_start\|>[ \t]*(?:system|user|assistant|tool|developer)?\b|<\|[A-Za-z0-9_\-]{1,40}\|>"
    r"|\[/?INST\]|<</?SYS>>|</?s>|<(?:start|end)_of_turn>(?:[ \t]*(?:user|model)\b)?"
    r"|\[(?:CLS|SEP|MASK|PAD|UNK)\]|<(?:bos|eos|pad|unk)>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t]{2,}")


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


def text_parts(content: Any) -> Iterator[tuple[int | None, str]]:
    """(part index, text) of every piece of text in an OpenAI message content: the string itself,
    or each part of any type (``text``, ``input_text``, ``output_text``, ``refusal``, ...) with a
    string ``text`` / ``refusal`` field (`srllm.serve.inputs.chat_errors` rejects other types there)."""
    if isinstance(content, str):
        yield None, content
        return
    for i, part in enumerate(content or []):
        if isinstance(part, dict):
            for key in ("text", "refusal"):
                value = part.get(key)
                if isinstance(value, str):
                    yield i, value


def message_text(content: Any) -> str:
    """All the text of an OpenAI message content (a string or a list of parts), one part a line."""
    return "\n".join(text for _, text in text_parts(content))


def neutralise(text: str) -> tuple[str, list[str]]:
    """`text` with chat-template / control tokens replaced by a space, and the tokens found."""
    found = [m.group(0).strip() for m in TEMPLATE_TOKEN.finditer(text)]
    if not found:
        return text, []
    return _SPACES.sub(" ", TEMPLATE_TOKEN.sub(" ", text)).strip(), found


def windows(text: str, words: int = WINDOW_WORDS, step: int = WINDOW_STEP) -> list[str]:
    """The pieces of `text` to score: each sentence, each pair of consecutive sentences, and
    overlapping `words`-word windows of every sentence longer than that. A text is as unsafe as
    its worst piece, so benign padding around an insult cannot lower its score."""
    sentences = [s.strip() for s in split_sentences(text)]
    sentences = [s for s in sentences if s]
    pieces: list[str] = list(sentences)
    pieces += [f"{a} {b}" for a, b in zip(sentences, sentences[1:])]
    for sentence in sentences:
        tokens = sentence.split()
        if len(tokens) > words:
            pieces += [" ".join(tokens[i : i + words]) for i in range(0, len(tokens) - words + step, step)]
    return list(dict.fromkeys(pieces))[:MAX_PIECES]
