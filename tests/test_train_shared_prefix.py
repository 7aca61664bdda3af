"""Shared-prefix training gives the loss and gradients of the full examples (real SmolLM2-135M + LoRA)."""

from types import SimpleNamespace

import pytest

from srllm.prompts import IGNORE_INDEX
from srllm.train.shared_prefix import common_prefix_length, strip_prefix


def test_common_prefix_stops_before_labels_and_keeps_own_tokens():
    seqs = [[1, 2, 3, 4, 5, 6], [1, 2, 3, 9, 5], [1, 2, 3, 4]]
    labels = [[IGNORE_INDEX] * 4 + [5, 6], [IGNORE_INDEX] * 4 + [5], [IGNORE_INDEX] * 3 + [4]]
    assert common_prefix_length(seqs, labels) == 2  # shared 3, but the third's first label is at 3
    assert common_prefix_length([[1, 2], [1, 2]], [[IGNORE_INDEX] * 2] * 2) == 1  # one own token each
    assert common_prefix_length([], []) == 0
    assert strip_prefix({"input_ids": seqs}, 2) == {"input_ids": [[3, 4, 5, 6], [3, 9, 5], [3, 4]]}


@pytest.fixture(scope="module")
def lora_model():
    torch = pytest.importorskip("torch")
    pytest.importorskip("peft")
    from peft import LoraConfig, get_peft_model

    from srllm.models import load_causal_lm

    torch.manual_seed(0)
    model, tokenizer = load_causal_lm("smollm2-135m-instruct", dtype=torch.float32)
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM",
                        init_lora_weights=False)  # non-zero B, so every LoRA weight gets a gradient
    return get_peft_model(model, config), tokenizer


def test_shared_prefix_loss_and_gradients_equal_the_full_forward(lora_model):
    import torch

    from srllm.prompts import build_sft_example
    from srllm.train.shared_prefix import trainer_class

    model, tokenizer = lora_model
    pairs = [("you are a fucking idiot", "you are not nice"), ("shut up, moron, nobody asked you", "please be quiet"),
             ("naïve 😀 clowns run this place", "inexperienced people run this place")]
    examples = [build_sft_example(tokenizer, text, answer, 256, "chat") for text, answer in pairs]
    ids = [e["input_ids"] for e in examples]
    labels = [e["labels"] for e in examples]
    width = common_prefix_length(ids, labels)
    assert width > 40  # the system prompt and instruction

    def padded(rows, value):
        longest = max(len(r) for r in rows)
        return torch.tensor([list(r) + [value] * (longest - len(r)) for r in rows])

    full = {"input_ids": padded(ids, 0), "labels": padded(labels, IGNORE_INDEX),
            "attention_mask": padded([[1] * len(r) for r in ids], 0)}
    own = strip_prefix({"input_ids": ids, "labels": labels}, width)
    short = {"input_ids": padded(own["input_ids"], 0), "labels": padded(own["labels"], IGNORE_INDEX),
             "attention_mask": padded([[1] * len(r) for r in own["input_ids"]], 0)}

    params = [p for p in model.parameters() if p.requires_grad]
    model.zero_grad()
    reference = model(**full).loss
    reference.backward()
    expected = [p.grad.clone() for p in params]

    model.zero_grad()
    trainer = SimpleNamespace(prefix_ids=torch.tensor([ids[0][:width]]), model_accepts_loss_kwargs=False)
    loss = trainer_class().compute_loss(trainer, model, short)
    loss.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-4)
    worst = max(float((p.grad - g).abs().max() / (g.abs().max() + 1e-12)) for p, g in zip(params, expected))
    assert worst < 1e-3
