"""The resumable teacher job: rewrite the corpus's unsafe rows without a human rewrite, verify,
keep the pairs that pass (`srllm distill generate`).

Rows: TRAIN rows of the corpus whose annotation is Unsafe and that have no benign variation, with
3-60 words (or, with ``rows`` and ``split``, such rows of another file and split, e.g. a dev pilot
that chooses the prompt; their pairs keep that split and never become training pairs), optionally
from some sources only, in a seeded order that takes the sources in turn (so the first rows of a
pilot cover every source). For each chunk of rows the teacher's greedy
rewrites are verified (`srllm.verifier`); a row that fails gets `retries` sampled candidates (seed
``seed + k``), and the first that passes is kept.

Files next to ``--out`` (``pairs.jsonl``):
- ``pairs.decisions.jsonl``: one line per attempted row, appended after each chunk (the job's
  state: a rerun skips the ids already there, and a torn last line from a kill is dropped), with
  the rewrite, the verifier's scores and failed rules, the attempt, the seed, the model and the
  prompt hash;
- ``pairs.jsonl``: the kept pairs as corpus rows (the input row with ``benign_variation`` = the
  rewrite, ``provenance`` = ``generated``, ``parent_id`` = the input id), rewritten from the
  decisions at the end of every run;
- ``pairs.summary.json``: acceptance by rule, category, source and target group, and throughput.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from srllm.distill.prompt import TEACHER_SYSTEM_PROMPT, few_shot_pairs, prompt_hash
from srllm.safety_prompt import DEFAULT_FEW_SHOT_SET, few_shot_rows
from srllm.taxonomy import INSTRUCTION
from srllm.verifier import RULES, Verdict, Verifier, VerifierConfig, words

TEACHER = "qwen2.5-coder-1.5b-instruct"
_REQUIRED = ("id", "text", "annotation", "bias", "toxicity", "harm", "source")


class CorpusError(ValueError):
    """A corpus line that is not a usable row; the message names the file, line and field."""


@dataclass
class DistillConfig:
    corpus: Path
    out: Path
    model: str = TEACHER
    classifier: str | None = None  # a classifier folder; None: the shipped one
    encoder: str = "minilm-l6-v2"
    sources: tuple[str, ...] = ()
    limit: int | None = None
    threads: int | None = 2
    max_new_tokens: int = 80
    retries: int = 2
    temperature: float = 0.7
    seed: int = 13
    chunk: int = 8
    min_words: int = 3
    max_words: int = 60
    verifier: VerifierConfig = field(default_factory=VerifierConfig)
    #: the few-shot set of `srllm.safety_prompt` ("none": zero-shot)
    few_shot: str = DEFAULT_FEW_SHOT_SET
    #: rewrite the rows of this file (default: `corpus`), of split `split`
    rows: Path | None = None
    split: str = "train"

    def __post_init__(self) -> None:
        if self.retries < 0 or self.chunk < 1 or not 1 <= self.min_words <= self.max_words:
            raise ValueError("need retries >= 0, chunk >= 1 and 1 <= min_words <= max_words")
        few_shot_rows(self.few_shot)  # an unknown set fails here


def read_rows(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The rows of a corpus JSONL file, each checked for the fields the job needs."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise CorpusError(f"{path}:{number}: not valid JSON: {exc}") from None
            missing = [f for f in _REQUIRED if not isinstance(row.get(f), str)] if isinstance(row, dict) else ["*"]
            if missing:
                raise CorpusError(f"{path}:{number}: field(s) {missing} missing or not strings; expected a CMD row")
            yield row


def categories(row: dict[str, Any]) -> list[str]:
    """The risk categories a row is unsafe on (bias Yes, toxicity above No, harm above Low)."""
    found = [name for name, safe in (("bias", "No"), ("toxicity", "No"), ("harm", "Low")) if row.get(name) != safe]
    return found or ["none"]


def _order_key(seed: int, row_id: str) -> str:
    return hashlib.sha256(f"{seed}:{row_id}".encode()).hexdigest()


def select_rows(rows: Sequence[dict[str, Any]], config: DistillConfig) -> list[dict[str, Any]]:
    """The rows to rewrite, in the job's seeded order, sources taken in turn."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if ((row.get("split") or "train") != config.split or row["annotation"] != "Unsafe" or row.get("benign_variation")
                or (config.sources and row["source"] not in config.sources)
                or not config.min_words <= len(words(row["text"])) <= config.max_words):
            continue
        by_source.setdefault(row["source"], []).append(row)
    queues = [sorted(group, key=lambda r: _order_key(config.seed, r["id"])) for _, group in sorted(by_source.items())]
    ordered = [q[i] for i in range(max((len(q) for q in queues), default=0)) for q in queues if i < len(q)]
    return ordered[: config.limit] if config.limit is not None else ordered


def paths(out: str | os.PathLike[str]) -> tuple[Path, Path, Path]:
    """(pairs, decisions, summary) files for `out`."""
    out = Path(out)
    stem = out.name[: -len(".jsonl")] if out.name.endswith(".jsonl") else out.name
    return out, out.with_name(f"{stem}.decisions.jsonl"), out.with_name(f"{stem}.summary.json")


def load_decisions(path: Path) -> list[dict[str, Any]]:
    """The decisions written so far; a torn last line (the job was killed mid-write) is cut off."""
    if not path.is_file():
        return []
    data = path.read_bytes()
    good = data[: data.rfind(b"\n") + 1]
    if len(good) != len(data):
        with open(path, "r+b") as handle:
            handle.truncate(len(good))
    return [json.loads(line) for line in good.decode("utf-8").splitlines() if line.strip()]


def pair_record(row: dict[str, Any], rewrite: str) -> dict[str, Any]:
    """The kept pair as a corpus row: the input with its generated benign variation, in the input's split."""
    return {**row, "id": f"generated:{row['id']}", "benign_variation": rewrite, "provenance": "generated",
            "parent_id": row["id"], "split": row.get("split") or "train"}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def summarize(decisions: Sequence[dict[str, Any]], session: dict[str, Any]) -> dict[str, Any]:
    """Acceptance overall, by rule (on the greedy attempt and among the rejected), by category,
    source and target group, and the throughput of this session."""
    def rates(key: Callable[[dict[str, Any]], list[str]]) -> dict[str, dict[str, Any]]:
        tried, kept = Counter(), Counter()
        for d in decisions:
            for k in key(d):
                tried[k] += 1
                kept[k] += d["kept"]
        return {k: {"attempted": tried[k], "kept": kept[k], "rate": round(kept[k] / tried[k], 3)} for k in sorted(tried)}

    kept = [d for d in decisions if d["kept"]]
    first = Counter(rule for d in decisions for rule in d["attempts"][0]["failed"])
    final = Counter(rule for d in decisions if not d["kept"] for rule in d["failed"])
    return {
        "attempted": len(decisions), "kept": len(kept),
        "acceptance": round(len(kept) / len(decisions), 3) if decisions else None,
        "kept_on_attempt": dict(Counter(str(d["attempt"]) for d in kept)),
        "failed_by_rule_greedy": {r: first[r] for r in RULES},
        "failed_by_rule_rejected": {r: final[r] for r in RULES},
        "by_category": rates(lambda d: d["categories"]),
        "by_source": rates(lambda d: [d["source"]]),
        "by_target_group": rates(lambda d: d["target_demographic"]),
        "target_groups_kept": len({g for d in kept for g in d["target_demographic"] if g != "none"}),
        "session": session,
    }


class Job:
    """One run of the job; `rewriter`, `classifier` and `similarity` are loaded from the config
    unless given (tests pass small ones). With the default similarity, the shipped reply detector
    (`srllm.rewrite.replies`) joins the verifier's ``not_reply`` rule."""

    def __init__(self, config: DistillConfig, rewriter: Any = None, classifier: Any = None,
                 similarity: Callable[[Sequence[str], Sequence[str]], Any] | None = None,
                 log: Callable[[str], None] = print):
        self.config = config
        self.log = log
        rows = list(read_rows(config.corpus))
        self.few_shot = few_shot_pairs(rows, [r[0] for r in few_shot_rows(config.few_shot)])
        self.rows = select_rows(rows if config.rows is None else list(read_rows(config.rows)), config)
        self.rewriter = rewriter or self._load_rewriter()
        if classifier is None:
            from srllm.classify import load_classifier

            classifier = load_classifier(config.classifier)
        replies = None
        if similarity is None:
            from srllm.rewrite.replies import ReplyDetector, available
            from srllm.similarity import embedding_similarity, encoder_embedder

            embed = encoder_embedder(config.encoder)
            similarity = embedding_similarity(embed)
            replies = ReplyDetector.load(embed=embed, encoder=config.encoder) if available() else None
        self.verifier = Verifier(classifier, similarity, config.verifier, replies)
        self.prompt_sha256 = prompt_hash(TEACHER_SYSTEM_PROMPT, INSTRUCTION, self.few_shot, config.model,
                                         getattr(self.rewriter, "format", "chat"))

    def _load_rewriter(self) -> Any:
        from srllm.backends import load_rewriter

        return load_rewriter("auto", self.config.model, few_shot=self.few_shot, threads=self.config.threads,
                             system=TEACHER_SYSTEM_PROMPT, instruction=INSTRUCTION,
                             max_new_tokens=self.config.max_new_tokens)

    def run(self) -> dict[str, Any]:
        cfg = self.config
        pairs_path, decisions_path, summary_path = paths(cfg.out)
        pairs_path.parent.mkdir(parents=True, exist_ok=True)
        decisions = load_decisions(decisions_path)
        done = {d["id"] for d in decisions}
        todo = [r for r in self.rows if r["id"] not in done]
        self.log(f"{len(self.rows)} rows selected, {len(done)} done before, {len(todo)} to go "
                 f"(model {cfg.model}, prompt {self.prompt_sha256[:12]})")
        started, tokens, new = time.perf_counter(), 0, 0
        with open(decisions_path, "a", encoding="utf-8") as sink:
            for at in range(0, len(todo), cfg.chunk):
                chunk = todo[at : at + cfg.chunk]
                made, used = self._chunk(chunk)
                for record in made:
                    sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                sink.flush()
                os.fsync(sink.fileno())
                decisions += made
                tokens, new = tokens + used, new + len(made)
                seconds = time.perf_counter() - started
                kept = sum(d["kept"] for d in decisions)
                eta = seconds / new * (len(todo) - new)
                self.log(f"[{len(decisions)}/{len(self.rows)}] kept {kept} ({kept / len(decisions):.0%}); "
                         f"{seconds / new:.2f} s/row, {tokens / seconds:.1f} generated tokens/s, eta {eta / 60:.1f} min")
        seconds = time.perf_counter() - started
        session = {"rows": new, "seconds": round(seconds, 1),
                   "seconds_per_row": round(seconds / new, 3) if new else None,
                   "generated_tokens_per_s": round(tokens / seconds, 2) if new and seconds > 0 else None,
                   "model": cfg.model, "prompt_sha256": self.prompt_sha256,
                   "rewriter": getattr(self.rewriter, "info", {}),
                   "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()}}
        kept_pairs = [d["pair"] for d in decisions if d["kept"]]
        _write_atomic(pairs_path, "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in kept_pairs))
        summary = summarize(decisions, session)
        _write_atomic(summary_path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        return summary

    def _chunk(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        cfg = self.config
        texts = [r["text"] for r in rows]
        flagged = [r.get("biased_words") or [] for r in rows]
        clock = time.perf_counter()
        greedy = self.rewriter.rewrite(texts)
        used = int(getattr(self.rewriter, "last_stats", {}).get("generated_tokens", 0))
        verdicts = self.verifier.verify(texts, greedy, flagged)
        attempts: list[list[tuple[str, Verdict, int | None]]] = [[(g, v, None)] for g, v in zip(greedy, verdicts)]
        failing = [i for i, v in enumerate(verdicts) if not v.kept]
        if failing and cfg.retries:
            for i in failing:
                seed = cfg.seed + int(_order_key(cfg.seed, rows[i]["id"])[:6], 16)
                options = self.rewriter.candidates([texts[i]], n=cfg.retries, temperature=cfg.temperature,
                                                   top_p=0.95, seed=seed)[0]
                used += int(getattr(self.rewriter, "last_stats", {}).get("generated_tokens", 0))
                for k, (option, verdict) in enumerate(zip(options, self.verifier.verify([texts[i]] * len(options),
                                                                                    options, [flagged[i]] * len(options)))):
                    attempts[i].append((option, verdict, seed + k))
        seconds = (time.perf_counter() - clock) / len(rows)
        made = []
        for row, tried in zip(rows, attempts):
            chosen = next((k for k, (_, v, _) in enumerate(tried) if v.kept), 0)
            text, verdict, seed = tried[chosen]
            record = {
                "id": row["id"], "source": row["source"], "text": row["text"], "categories": categories(row),
                "target_demographic": row.get("target_demographic") or ["none"], "rewrite": text,
                "kept": verdict.kept, "failed": verdict.failed, "scores": verdict.scores, "attempt": chosen,
                "seed": seed, "decoding": "greedy" if seed is None else f"sampled t={cfg.temperature} top_p=0.95",
                "attempts": [{"rewrite": t, "failed": v.failed} for t, v, _ in tried],
                "model": cfg.model, "prompt_sha256": self.prompt_sha256, "seconds": round(seconds, 3),
                "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            if verdict.kept:
                record["pair"] = pair_record(row, text)
            made.append(record)
        return made, used
