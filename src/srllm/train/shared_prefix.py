"""Shared-prefix training: the fixed start of every example (system prompt + instruction) runs once a batch.

Every rewrite pair begins with the same ~80 tokens (the paper's system prompt and instruction)
and adds ~20 of its own, so a plain batch spends most of its compute re-encoding that prefix. A
causal model's states over a prefix do not depend on what follows, so the prefix is run once per
step (with gradients, so LoRA on its positions still learns), its key/value cache is repeated to
the batch, and only each example's own tokens run after it. Loss and gradients are those of the
full examples (`tests/test_train_shared_prefix.py` checks this against the plain forward pass);
the one difference is that LoRA dropout on the prefix positions draws one mask for the whole batch.

Examples are stored without the prefix; `SharedPrefixSFTTrainer` puts it back as a cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from srllm.prompts import IGNORE_INDEX


def common_prefix_length(sequences: Sequence[Sequence[int]], labels: Sequence[Sequence[int]]) -> int:
    """How many leading tokens all `sequences` share, cut so that every example keeps at least one
    token of its own and neither the prefix nor the first own token is a supervised label."""
    if not sequences:
        return 0
    first = list(sequences[0])
    n = min(len(s) for s in sequences) - 1
    for seq in sequences[1:]:
        k = 0
        while k < n and seq[k] == first[k]:
            k += 1
        n = k
    for lab in labels:  # the first own token is predicted from the prefix: it must not be a label either
        first_label = next((i for i, value in enumerate(lab) if value != IGNORE_INDEX), len(lab))
        n = min(n, first_label - 1)
    return max(n, 0)


def strip_prefix(columns: dict[str, list], n: int) -> dict[str, list]:
    """The columns with the first `n` tokens of every example removed."""
    return {key: [list(value[n:]) for value in values] for key, values in columns.items()}


def trainer_class() -> type:
    """`SharedPrefixSFTTrainer`: trl's SFTTrainer whose loss runs `prefix_ids` once per batch."""
    import torch
    import torch.nn.functional as F
    from trl import SFTTrainer

    class SharedPrefixSFTTrainer(SFTTrainer):
        def __init__(self, *args: Any, prefix_ids: Sequence[int], **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.prefix_ids = torch.tensor([list(prefix_ids)], dtype=torch.long)

        def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                         num_items_in_batch: Any = None) -> Any:
            ids, mask, labels = inputs["input_ids"], inputs["attention_mask"], inputs["labels"]
            batch, length = ids.shape
            prefix = self.prefix_ids.to(ids.device)
            cache = model(input_ids=prefix, use_cache=True).past_key_values
            cache.batch_repeat_interleave(batch)
            width = prefix.shape[1]
            positions = torch.arange(width, width + length, device=ids.device).unsqueeze(0).expand(batch, -1)
            outputs = model(input_ids=ids, attention_mask=torch.cat([mask.new_ones(batch, width), mask], dim=1),
                            cache=cache, position_ids=positions, use_cache=False)
            # the first own token is predicted from the prefix's last state: never a label (see
            # common_prefix_length), so shifting within the own tokens loses nothing
            logits = outputs.logits[:, :-1].float()
            target = labels[:, 1:].to(logits.device)
            total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                    ignore_index=IGNORE_INDEX, reduction="sum")
            if num_items_in_batch is not None and self.model_accepts_loss_kwargs:
                loss = total / num_items_in_batch
            else:
                loss = total / (target != IGNORE_INDEX).sum().clamp(min=1)
            return (loss, outputs) if return_outputs else loss

    return SharedPrefixSFTTrainer
