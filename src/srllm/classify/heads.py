"""The classifier's heads without torch: their classes, the span head's key, and the stacked logits layout
that the ONNX export writes (`srllm.classify.model.StackedLogits`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from srllm.classify.report import HEADS, UNSAFE_HEAD, UNSAFE_LEVELS
from srllm.taxonomy import LEVELS

#: Key of the token-level span logits in `MultiHeadClassifier.forward`'s output.
SPAN_HEAD = "span"


def head_levels(heads: Sequence[str] = HEADS) -> dict[str, tuple[str, ...]]:
    """Class names of each head, in logit order."""
    out = {}
    for head in heads:
        if head == UNSAFE_HEAD:
            out[head] = UNSAFE_LEVELS
        elif head in LEVELS:
            out[head] = tuple(LEVELS[head])
        else:
            raise ValueError(f"unknown head {head!r}; expected one of {list(HEADS)}")
    return out


def split_logits(stacked: Any, levels: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Undo `StackedLogits`: ``{head: logits[:, start:end]}`` for a (batch, total classes) array."""
    out, start = {}, 0
    for head, names in levels.items():
        out[head] = stacked[:, start : start + len(names)]
        start += len(names)
    if start != stacked.shape[-1]:
        raise ValueError(f"logits have {stacked.shape[-1]} columns; the heads need {start}")
    return out
