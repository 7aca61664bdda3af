"""The multi-head risk classifier: one sentence encoder, one linear head per taxonomy category
plus the learned ``unsafe`` head.

Heads and their classes come from `srllm.taxonomy` (bias 2, toxicity 3, sentiment 3, harm 3) and
`report.UNSAFE_LEVELS` (2). The sentence vector is the mean of the encoder's token states over the
attention mask (as all-MiniLM-L6-v2 is trained), followed by dropout and the heads. With
``token_head``, one more linear layer scores every token for being part of a biased/toxic span
(``SPAN_HEAD``; see `srllm.classify.spans`), in the same forward pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from srllm.classify.heads import SPAN_HEAD, head_levels, split_logits

__all__ = ["MultiHeadClassifier", "SPAN_HEAD", "StackedLogits", "head_levels", "mean_pool", "split_logits"]


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class MultiHeadClassifier(nn.Module):
    """Encoder + mean pooling + one linear head per risk; `forward` returns logits per head."""

    def __init__(self, encoder: nn.Module, levels: Mapping[str, Sequence[str]], dropout: float = 0.1,
                 token_head: bool = False):
        super().__init__()
        self.encoder = encoder
        self.levels = {head: tuple(names) for head, names in levels.items()}
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({head: nn.Linear(hidden, len(names)) for head, names in self.levels.items()})
        self.token_head = nn.Linear(hidden, 1) if token_head else None

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_: Any) -> dict[str, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = self.dropout(mean_pool(hidden, attention_mask))
        out = {head: layer(pooled) for head, layer in self.heads.items()}
        if self.token_head is not None:
            out[SPAN_HEAD] = self.token_head(self.dropout(hidden)).squeeze(-1)
        return out

    def freeze_encoder(self) -> None:
        for parameter in self.encoder.parameters():
            parameter.requires_grad_(False)


class StackedLogits(nn.Module):
    """The classifier with its head outputs concatenated into one tensor, for ONNX export; with a
    token head, a second output holds the token logits (batch, sequence)."""

    def __init__(self, model: MultiHeadClassifier):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask)
        stacked = torch.cat([logits[head] for head in self.model.levels], dim=-1)
        if SPAN_HEAD in logits:
            return stacked, logits[SPAN_HEAD]
        return stacked
