"""Train the reply detector (`srllm.rewrite.replies`): assistant turns against human-written text.

Data, every text cut to its first two sentences (at most 60 words), since a rewrite is short:

- **reply** (1): every assistant turn of the HH-RLHF harmless-base dialogues, the earlier turns and
  both final replies;
- **reply** (1), optional (`generated_replies`): what today's small instruct models write when a
  corpus post is sent to them as a user message (`generate_replies`: SmolLM2-135M-Instruct by
  default, sampled). HH-RLHF's 2022 assistant never says "As an AI, I cannot ..." or "I would be
  happy to ..., but ...", which is how a rewriter that answers instead of rewriting talks;
- **human** (0): every human turn of those dialogues (requests, questions, chatter); the corpus's
  posts (every source but HH-RLHF) and its rewrite rows (human and template rewrites), sampled.

Splits follow the corpus: a dialogue goes where the corpus put its final replies, and every other
text where its corpus row is, so nothing in the corpus's dev or test split is trained on. A text is
kept once, in the first of test, dev, train that holds it. The threshold is the lowest at which at
most `max_fpr` of the dev human texts are flagged; test reports AUROC, recall and the false-positive
rate per kind of human text, beside the opening rule (`looks_like_reply`) on the same rows.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from srllm.data.contamination import text_hash
from srllm.data.io import read_records
from srllm.rewrite.replies import ReplyDetector
from srllm.rewrite.text import looks_like_reply, split_sentences

log = logging.getLogger(__name__)

SPLITS = ("test", "dev", "train")
_TURN = re.compile(r"\n\n(Human|Assistant):")
MAX_WORDS = 60


@dataclass(frozen=True)
class Example:
    text: str
    label: int
    kind: str  # "assistant turn", "generated reply", "human turn", "post", "rewrite"
    split: str


@dataclass
class ReplyData:
    examples: list[Example] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def split(self, name: str) -> list[Example]:
        return [e for e in self.examples if e.split == name]


def opening(text: str, sentences: int = 2, max_words: int = MAX_WORDS) -> str:
    """The first `sentences` sentences of `text`, at most `max_words` words, whitespace collapsed."""
    text = " ".join(text.split())
    spans = split_sentences(text)[:sentences]
    head = text[spans[0][0]:spans[-1][1]] if spans else text
    return " ".join(head.split()[:max_words])


def dialogue_turns(transcript: str) -> Iterator[tuple[str, str]]:
    """(role, text) of each turn of a "\\n\\nHuman: ... \\n\\nAssistant: ..." transcript."""
    parts = _TURN.split(transcript)
    for role, text in zip(parts[1::2], parts[2::2]):
        if text.strip():
            yield role, text.strip()


def _hh_turns(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, role, text) of every distinct turn of each HH-RLHF dialogue (chosen and rejected)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line, raw in enumerate(handle):
            row = json.loads(raw)
            seen: set[tuple[str, str]] = set()
            for side in ("chosen", "rejected"):
                for role, text in dialogue_turns(row[side]):
                    if (role, text) not in seen:
                        seen.add((role, text))
                        yield line, role, text


def generate_replies(corpus_dir: Path, out_file: Path, per_split: dict[str, int], *, model: str = "smollm2-135m-instruct",
                     seed: int = 0, batch_size: int = 16, max_new_tokens: int = 48,
                     log_every: int = 10) -> list[dict[str, Any]]:
    """Assistant replies of `model` to corpus posts sent as user messages, `per_split[split]` posts
    of each split (seeded), sampled at temperature 0.7. Appended to `out_file` (JSONL: id, split,
    prompt, reply, model) batch by batch, so an interrupted run resumes; the rows are returned."""
    import torch

    from srllm.models import load_causal_lm

    done = _read_replies(out_file)
    have = {row["id"] for row in done if row.get("model") == model}
    rng = random.Random(seed)
    todo: list[tuple[str, str, str]] = []
    for split, n in per_split.items():
        posts = [r for r in read_records(corpus_dir / f"{split}.jsonl") if r.source != "hh_rlhf" and not r.parent_id]
        todo += [(r.id, split, r.text) for r in rng.sample(posts, min(n, len(posts))) if r.id not in have]
    if not todo:
        return done
    lm, tokenizer = load_causal_lm(model)
    tokenizer.padding_side = "left"
    out_file.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    with out_file.open("a", encoding="utf-8") as handle:
        for b, start in enumerate(range(0, len(todo), batch_size)):
            batch = todo[start:start + batch_size]
            prompts = [tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                                     add_generation_prompt=True) for _, _, text in batch]
            inputs = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.inference_mode():
                generated = lm.generate(**inputs, do_sample=True, temperature=0.7, top_p=0.95,
                                        max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id)
            replies = tokenizer.batch_decode(generated[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
            for (row_id, split, text), reply in zip(batch, replies):
                row = {"id": row_id, "split": split, "prompt": text, "reply": reply.strip(), "model": model}
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                done.append(row)
            handle.flush()
            if b % log_every == 0:
                log.info("generated replies: %d / %d", start + len(batch), len(todo))
    return done


def _read_replies(path: Path) -> list[dict[str, Any]]:
    """The rows of a replies file; a torn last line (an interrupted write) is dropped with a warning."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = []
    for number, line in enumerate(lines, 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if number < len(lines):
                raise ValueError(f"{path}:{number}: not a JSON line") from None
            log.warning("%s:%d: torn last line (an interrupted write) dropped; it is generated again", path, number)
    if rows and len(rows) < len(lines):
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return rows


def build_data(corpus_dir: Path, data_dir: Path | None = None, *, corpus_rows: int = 8000,
               rewrite_rows: int = 3000, held_out_rows: int = 1500, seed: int = 0,
               generated: list[dict[str, Any]] = ()) -> ReplyData:
    """The examples above. `corpus_rows` / `rewrite_rows` posts and rewrites are sampled from the
    corpus's train split, `held_out_rows` of each from dev and from test; `generated` are rows of
    `generate_replies` (a reply that repeats its prompt is skipped)."""
    from srllm.data.sources.hh_rlhf import HHRLHFHarmless

    data = ReplyData()
    rng = random.Random(seed)
    dialogue_split: dict[int, str] = {}
    pools: dict[tuple[str, str], list[str]] = {}
    for split in SPLITS:
        file = corpus_dir / f"{split}.jsonl"
        if not file.is_file():
            raise FileNotFoundError(f"{file}: no corpus split here (build it with `srllm data build`)")
        for record in read_records(file):
            if record.source == "hh_rlhf":
                dialogue_split.setdefault(int(record.source_id.split(":")[0]), split)
            else:
                pools.setdefault((split, "rewrite" if record.parent_id else "post"), []).append(record.text)
    hh = HHRLHFHarmless(data_dir)
    candidates: list[Example] = []
    for line, role, text in _hh_turns(hh.path("harmless-base/test.jsonl.gz")):
        split = dialogue_split.get(line)
        if split is None:
            data.skipped["HH-RLHF dialogue not in the corpus"] += 1
            continue
        candidates.append(Example(opening(text), int(role == "Assistant"), f"{role.lower()} turn", split))
    for row in generated:
        reply = opening(row["reply"])
        if text_hash(reply) == text_hash(opening(row["prompt"])):
            data.skipped["generated reply repeats its prompt"] += 1
        else:
            candidates.append(Example(reply, 1, "generated reply", row["split"]))
    for (split, kind), texts in sorted(pools.items()):
        n = {"post": corpus_rows, "rewrite": rewrite_rows}[kind] if split == "train" else held_out_rows
        for text in rng.sample(texts, min(n, len(texts))):
            candidates.append(Example(opening(text), 0, kind, split))
    seen: set[str] = set()
    for example in sorted(candidates, key=lambda e: SPLITS.index(e.split)):
        key = text_hash(example.text)
        if not example.text:
            data.skipped["empty"] += 1
        elif key in seen:
            data.skipped[f"repeated text ({example.split})"] += 1
        else:
            seen.add(key)
            data.examples.append(example)
    return data


_PLURAL = {"assistant turn": "assistant_turns", "generated reply": "generated_replies", "human turn": "human_turns",
           "post": "posts", "rewrite": "rewrites"}


def _rates(flags: np.ndarray, examples: list[Example]) -> dict[str, Any]:
    labels = np.array([e.label for e in examples])
    kinds = np.array([e.kind for e in examples])
    out: dict[str, Any] = {"recall_replies": round(float(flags[labels == 1].mean()), 4)}
    for kind in sorted(set(kinds[labels == 1])):
        out[f"recall_{_PLURAL[kind]}"] = round(float(flags[(labels == 1) & (kinds == kind)].mean()), 4)
    for kind in sorted(set(kinds[labels == 0])):
        out[f"flagged_{_PLURAL[kind]}"] = round(float(flags[(labels == 0) & (kinds == kind)].mean()), 4)
    out["flagged_human_texts"] = round(float(flags[labels == 0].mean()), 4)
    return out


def lowest_threshold(scores: np.ndarray, max_fpr: float) -> float:
    """The lowest threshold at which at most `max_fpr` of these (negative) scores reach it."""
    ranked = np.sort(np.asarray(scores, dtype=float))[::-1]
    allowed = int(np.floor(max_fpr * len(ranked)))
    if allowed >= len(ranked):
        return 0.0
    return float(np.nextafter(ranked[allowed], 1.0))


def train_reply_detector(corpus_dir: Path, out_dir: Path, data_dir: Path | None = None, *, encoder: str = "minilm-l6-v2",
                         max_fpr: float = 0.01, C: float = 1.0, seed: int = 0, corpus_rows: int = 8000,
                         generated: list[dict[str, Any]] = (), cache_dir: Any = None) -> dict[str, Any]:
    """Build the data, fit, choose the threshold on dev, score test; save to `out_dir`; the record."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from srllm.similarity import encoder_embedder

    data = build_data(corpus_dir, data_dir, corpus_rows=corpus_rows, seed=seed, generated=generated)
    embed = encoder_embedder(encoder, cache_dir)
    split = {name: data.split(name) for name in SPLITS}
    vectors = {name: np.asarray(embed([e.text for e in rows]), dtype=float) for name, rows in split.items()}
    labels = {name: np.array([e.label for e in rows]) for name, rows in split.items()}
    log.info("reply detector: %s examples", {k: len(v) for k, v in split.items()})
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=seed)
    model.fit(vectors["train"], labels["train"])
    prob = {name: model.predict_proba(vectors[name])[:, 1] for name in SPLITS}
    threshold = lowest_threshold(prob["dev"][labels["dev"] == 0], max_fpr)
    detector = ReplyDetector(model.coef_[0].astype(float), float(model.intercept_[0]), threshold, encoder)
    test = split["test"]
    record = {
        "data": {name: dict(Counter(e.kind for e in rows)) for name, rows in split.items()},
        "skipped": dict(data.skipped),
        "settings": {"encoder": encoder, "C": C, "max_fpr_dev": max_fpr, "seed": seed, "corpus_rows": corpus_rows,
                     "max_words": MAX_WORDS, "generated_by": sorted({r["model"] for r in generated})},
        "dev_auroc": round(float(roc_auc_score(labels["dev"], prob["dev"])), 4),
        "test": {
            "auroc": round(float(roc_auc_score(labels["test"], prob["test"])), 4),
            "detector": _rates(prob["test"] >= threshold, test),
            "opening_rule": _rates(np.array([looks_like_reply("", e.text) for e in test]), test),
            "either": _rates((prob["test"] >= threshold) | np.array([looks_like_reply("", e.text) for e in test]), test),
        },
    }
    detector.save(out_dir, trained=record)
    (Path(out_dir) / "MODEL_CARD.md").write_text(model_card(record, threshold), encoding="utf-8")
    return record


def model_card(record: dict[str, Any], threshold: float) -> str:
    """The asset's model card: what it is, what it was trained on, and its test figures."""
    test = record["test"]
    columns = list(test["detector"])
    rows = [f"| {name} | " + " | ".join(f"{test[key][c]:.3f}" for c in columns) + " |"
            for name, key in (("learned detector", "detector"), ("opening rule", "opening_rule"),
                              ("either (the verifier)", "either"))]
    header = "| | " + " | ".join(c.replace("_", " ") for c in columns) + " |"
    data = "; ".join(f"{split}: " + ", ".join(f"{n} {_PLURAL[k].replace('_', ' ')}" for k, n in sorted(kinds.items()))
                     for split, kinds in record["data"].items())
    return f"""# srllm reply detector

Does a rewrite read like an assistant's reply ("I would be happy to help, but I can't do that.")
rather than a rewrite of the text? A logistic regression on mean-pooled {record["settings"]["encoder"]}
sentence embeddings; the safety pipeline's and the distillation's verifiers reject a candidate it
flags when its source is not flagged (`srllm.rewrite.replies`). Reproduce with
`srllm train reply-detector` (`srllm.rewrite.reply_training`).

- Data: assistant turns (label 1) and human turns (0) of the HH-RLHF harmless-base test dialogues
  (MIT), replies generated by {", ".join(record["settings"]["generated_by"]) or "no model"} to corpus posts (1), and
  posts and rewrite rows of the srllm corpus (0), each text's first two sentences. Splits follow the
  corpus's. {data}.
- Threshold {threshold:.4f}: the lowest at which at most {record["settings"]["max_fpr_dev"]:.0%} of the dev
  human texts are flagged. Dev AUROC {record["dev_auroc"]:.3f}; test AUROC {test["auroc"]:.3f}.
- Limits: HH-RLHF's assistant is one 2022 model and the generated replies come from one small
  model; the corpus's human text is mostly social media. A reply in another voice, or a human
  text that reads like a chatbot, can be misjudged.

Test split, share flagged:

{header}
|{"---|" * (len(columns) + 1)}
{chr(10).join(rows)}
"""
