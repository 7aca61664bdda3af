"""The safety intervention (SR_LLM sections 3.3, 5.1, 5.5): detect -> highlight -> rewrite ->
re-score -> retry -> fall back.

For each text (each chunk of a long text, see `srllm.rewrite.text`):

1. Detect: the classifier's `RiskReport`. Benign text is returned unchanged (decision ``kept``)
   unless ``rewrite_benign`` is set. Unsafe text is scored again with ``explain=True`` for the
   flagged words (character spans).
2. Rewrite: the rewriter's greedy output (the paper's decoding) for the text. The text is data,
   never instructions: special-token strings in it are broken up so it cannot open or close a
   prompt turn, and every output must pass the checks below, so an obeyed instruction is rejected.
3. Verify: the output passes when it is non-empty, does not open like an assistant's reply
   ("Sure, ...", "I'm sorry, ..."), is judged benign by the classifier, and its similarity to the
   input is at least ``min_similarity``.
4. Retry: otherwise ``candidates`` sampled rewrites (seeded) are scored the same way; the best by
   (passes, benign, similarity) is kept when it passes.
5. Fall back: when nothing passes, the flagged spans are masked (``[…]``) or removed; when there
   are no spans or the edit is still judged unsafe, the chunk is withheld
   (``[removed]``). The decision is ``fell_back`` and the reason says which.

Non-English chunks are never sent to the English rewriter: unsafe ones get the fallback, with a
warning. Empty or whitespace-only input is returned as is without calling any model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from srllm.classify.report import RiskReport, Span
from srllm.rewrite.config import PipelineConfig
from srllm.rewrite.result import FELL_BACK, KEPT, REWRITTEN, RewriteResult, Segment, merge_risks, risk_summary
from srllm.rewrite.text import (
    WITHHELD,
    chunk_text,
    edit_spans,
    looks_english,
    looks_like_reply,
    neutralise_special_tokens,
    to_text,
)

#: similarity(a, b) -> one score per pair (cosine of sentence embeddings for the default).
Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]


class RiskClassifier(Protocol):
    def predict(self, texts: list[str], explain: bool = False) -> list[RiskReport]: ...


class TextRewriter(Protocol):
    def rewrite(self, texts: Sequence[str]) -> list[str]: ...


def embedding_similarity(embed: Callable[[Sequence[str]], Any]) -> Similarity:
    """A `Similarity` from a sentence embedder (texts -> (n, d) array): row-wise cosine; an empty
    text scores 0."""
    from srllm.eval.rewrite_pairs import cosine_rows

    def similarity(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        if not a:
            return np.zeros(0)
        scores = cosine_rows(np.asarray(embed(list(a)), dtype=float), np.asarray(embed(list(b)), dtype=float))
        blank = np.array([not x.strip() or not y.strip() for x, y in zip(a, b)])
        return np.where(blank, 0.0, scores)

    return similarity


@dataclass
class _Work:
    """A chunk in flight."""

    text_index: int
    start: int
    end: int
    text: str
    tail: str
    report: RiskReport | None = None
    spans: list[Span] = field(default_factory=list)
    output: str | None = None
    decision: str = KEPT
    risk_after: dict[str, Any] | None = None
    similarity: float | None = None
    attempts: int = 0
    reason: str = ""
    fallback: str | None = None
    failure: str = ""


class SafetyPipeline:
    """detect -> highlight -> rewrite -> re-score -> retry -> fall back; see the module docstring.

    `classifier` is anything with ``predict(texts, explain=False) -> list[RiskReport]``; `rewriter`
    anything with ``rewrite(texts) -> list[str]`` (and, for retries, ``candidates(texts, n, *,
    temperature, top_p, seed) -> list[list[str]]``, as `srllm.generate.Rewriter`); `similarity`
    maps two lists of texts to one score per pair.
    """

    def __init__(self, classifier: RiskClassifier, rewriter: TextRewriter, similarity: Similarity,
                 config: PipelineConfig | None = None):
        self.classifier = classifier
        self.rewriter = rewriter
        self.similarity = similarity
        self.config = config or PipelineConfig()
        tokenizer = getattr(rewriter, "tokenizer", None)
        self._specials = list(getattr(tokenizer, "all_special_tokens", ()) or ()) + ["[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"]

    @classmethod
    def load(cls, config: PipelineConfig | None = None, *, classifier: str | RiskClassifier | None = None,
             model: str | None = None, adapter: str | None = None, encoder: str = "minilm-l6-v2",
             cache_dir: Any = None, threads: int | None = None, **rewriter_kwargs: Any) -> SafetyPipeline:
        """The pipeline on the shipped defaults (the packaged classifier, the shipped adapter on
        SmolLM2-135M, MiniLM similarity), each replaceable: a classifier folder or object, a base
        `model`, an `adapter` folder, an `encoder`."""
        from srllm.eval.rewrite_pairs import encoder_embedder
        from srllm.generate import Rewriter
        from srllm.rewrite.assets import default_adapter, load_default_classifier

        config = config or PipelineConfig()
        if classifier is None or isinstance(classifier, str):
            classifier = load_default_classifier(classifier)
        if adapter is None and model is None:
            adapter = str(default_adapter())
        rewriter = Rewriter.load(model, adapter=adapter, cache_dir=cache_dir, threads=threads,
                                 max_new_tokens=config.max_new_tokens, **rewriter_kwargs)
        return cls(classifier, rewriter, embedding_similarity(encoder_embedder(encoder, cache_dir)), config)

    # --- public API ------------------------------------------------------------------------------

    def __call__(self, text: Any) -> RewriteResult:
        return self.run(text)

    def run(self, text: Any) -> RewriteResult:
        """The result for one text (str or UTF-8 bytes); raises `InputError` for anything else."""
        return self.run_many([text])[0]

    def run_many(self, texts: Sequence[Any]) -> list[RewriteResult]:
        """One result per text, in order; every model stage runs once over the whole batch."""
        clean = [to_text(t) for t in texts]
        clock: dict[str, float] = {}
        started = time.perf_counter()
        work: list[_Work] = []
        warnings: list[list[str]] = [[] for _ in clean]
        for i, text in enumerate(clean):
            if not text.strip():
                warnings[i].append("empty input: returned as is")
                continue
            chunks = chunk_text(text, self.config.max_chunk_chars)
            if len(chunks) > 1:
                warnings[i].append(f"long input: processed in {len(chunks)} chunks of whole sentences")
            work += [_Work(i, c.start, c.end, c.text, c.tail) for c in chunks]
        with _timer(clock, "detect_s"):
            self._detect(work)
        todo = [w for w in work if w.output is None]
        non_english = [w for w in todo if not looks_english(w.text)]
        for w in non_english:
            warnings[w.text_index].append("non-English text: not sent to the English rewriter")
            w.failure = "non-English text"
        todo = [w for w in todo if looks_english(w.text)]
        with _timer(clock, "rewrite_s"):
            prompts = [neutralise_special_tokens(w.text, self._specials) for w in todo]
            outputs = self.rewriter.rewrite(prompts) if prompts else []
        for w in todo:
            w.attempts = 1
        with _timer(clock, "verify_s"):
            failed = self._accept(todo, [[o] for o in outputs], "greedy rewrite")
        with _timer(clock, "retry_s"):
            failed = self._retry(failed)
        with _timer(clock, "fallback_s"):
            self._fall_back(failed + non_english)
        clock["total_s"] = time.perf_counter() - started
        timings = {k: round(v, 4) for k, v in clock.items()} | {"batch_texts": len(clean)}
        by_text: dict[int, list[_Work]] = {}
        for w in work:
            by_text.setdefault(w.text_index, []).append(w)
        return [self._result(i, text, by_text.get(i, []), warnings[i], timings) for i, text in enumerate(clean)]

    # --- stages ----------------------------------------------------------------------------------

    def _detect(self, work: list[_Work]) -> None:
        if not work:
            return
        reports = self.classifier.predict([w.text for w in work], explain=False)
        flagged = [i for i, r in enumerate(reports) if r.unsafe]
        if flagged:
            explained = self.classifier.predict([work[i].text for i in flagged], explain=True)
            for i, report in zip(flagged, explained):
                reports[i] = report
        for w, report in zip(work, reports):
            w.report = report
            w.spans = list(report.spans)
            if not report.judged:  # the English models cannot read it: left as is, never called benign
                w.output, w.decision, w.reason = w.text, KEPT, f"not judged: {report.language} text, left as is"
            elif not report.unsafe and not self.config.rewrite_benign:
                w.output, w.decision, w.reason = w.text, KEPT, "judged benign: left as is"

    def _check(self, sources: list[_Work], outputs: list[str]) -> tuple[list[RiskReport], np.ndarray, list[str]]:
        """Re-score outputs: their reports, similarities to their sources, and why each fails ('' = passes)."""
        reports = self.classifier.predict(list(outputs), explain=False) if outputs else []
        sims = np.asarray(self.similarity([w.text for w in sources], list(outputs)), dtype=float) if outputs else np.zeros(0)
        why = []
        for w, out, report, sim in zip(sources, outputs, reports, sims):
            if not out.strip():
                why.append("empty rewrite")
            elif looks_like_reply(w.text, out):
                why.append("reads like a reply to the text, not a rewrite of it")
            elif report.unsafe:
                why.append(f"still unsafe (score {report.unsafe_score:.2f})")
            elif sim < self.config.min_similarity:
                why.append(f"drifted from the meaning (similarity {sim:.2f} < {self.config.min_similarity})")
            else:
                why.append("")
        return reports, sims, why

    def _accept(self, work: list[_Work], options: list[list[str]], label: str) -> list[_Work]:
        """Score every option of every chunk, keep the best passing one; return the chunks with none."""
        flat_src = [w for w, opts in zip(work, options) for _ in opts]
        flat_out = [o for opts in options for o in opts]
        reports, sims, why = self._check(flat_src, flat_out)
        failed, k = [], 0
        for w, opts in zip(work, options):
            scored = [(why[k + j] == "", not reports[k + j].unsafe, float(sims[k + j]), -j) for j in range(len(opts))]
            best = max(range(len(opts)), key=lambda j: scored[j]) if opts else None
            if best is not None and scored[best][0]:
                w.output, w.decision = opts[best], REWRITTEN
                w.risk_after, w.similarity = risk_summary(reports[k + best]), round(float(sims[k + best]), 4)
                w.reason = label + (f" {best + 1} of {len(opts)}" if len(opts) > 1 else "") + " passed"
            else:
                w.failure = why[k + best] if best is not None else "no rewrite"
                failed.append(w)
            k += len(opts)
        return failed

    def _retry(self, failed: list[_Work]) -> list[_Work]:
        cfg = self.config
        sampler = getattr(self.rewriter, "candidates", None)
        if not failed or cfg.candidates < 1 or sampler is None:
            return failed
        first = {id(w): w.failure for w in failed}
        options = sampler([neutralise_special_tokens(w.text, self._specials) for w in failed], cfg.candidates,
                          temperature=cfg.temperature, top_p=cfg.top_p, seed=cfg.seed)
        for w in failed:
            w.attempts += 1
        still = self._accept(failed, [list(o) for o in options], "sampled candidate")
        for w in failed:
            if w.decision == REWRITTEN:
                w.reason = f"greedy rewrite {first[id(w)]}; {w.reason}"
        return still

    def _fall_back(self, failed: list[_Work]) -> None:
        if not failed:
            return
        mode = self.config.fallback
        unsafe: list[_Work] = []
        for w in failed:
            if w.report is not None and not w.report.unsafe:  # rewrite_benign: a failed optional rewrite
                w.output, w.decision, w.reason = w.text, KEPT, f"judged benign; optional rewrite rejected ({w.failure})"
            else:
                unsafe.append(w)
        if not unsafe:
            return
        # One word can be flagged by several heads (unsafe, bias, toxicity): edit each place once.
        places = [sorted({(s.start, s.end) for s in w.spans}) for w in unsafe]
        edited = [edit_spans(w.text, where, mode) if where else "" for w, where in zip(unsafe, places)]
        scored = [e for e in edited if e.strip()]
        verdicts = iter(self.classifier.predict(scored, explain=False) if scored else [])
        reports = [next(verdicts) if e.strip() else None for e in edited]
        for w, where, edit, report in zip(unsafe, places, edited, reports):
            why = w.failure or "no rewrite"
            w.decision = FELL_BACK
            if report is not None and not report.unsafe:
                w.output, w.fallback, w.risk_after = edit, mode, risk_summary(report)
                w.reason = f"{why}; {'masked' if mode == 'mask' else 'removed'} {len(where)} flagged word(s)"
            else:
                w.output, w.fallback, w.risk_after = WITHHELD, "withheld", None  # nothing of the text left to score
                problem = "no flagged spans" if not w.spans else "still unsafe after editing the flagged spans"
                w.reason = f"{why}; {problem}: withheld"
        sims = self.similarity([w.text for w in unsafe], [w.output for w in unsafe])
        for w, sim in zip(unsafe, sims):
            w.similarity = 0.0 if w.fallback == "withheld" else round(float(sim), 4)

    # --- assembly --------------------------------------------------------------------------------

    def _result(self, index: int, text: str, work: list[_Work], warnings: list[str], timings: dict[str, float]) -> RewriteResult:
        if not work:  # empty / whitespace-only
            return RewriteResult(text, text, KEPT, None, None, [], None, 0, ["empty input"], timings, warnings)
        segments = [Segment(w.start, w.end, w.text, w.output or w.text, w.decision,
                            risk_summary(w.report) if w.report else None, w.risk_after, w.similarity,
                            [_shift(s, w.start) for s in w.spans], w.attempts, w.reason, w.fallback) for w in work]
        lead = text[: work[0].start]
        output = lead + "".join(s.output + w.tail for s, w in zip(segments, work))
        decisions = {s.decision for s in segments}
        decision = FELL_BACK if FELL_BACK in decisions else REWRITTEN if REWRITTEN in decisions else KEPT
        if decision == KEPT:
            similarity, after = None, None
        else:
            similarity = float(self.similarity([text], [output])[0]) if len(segments) > 1 else segments[0].similarity
            after = merge_risks([s.risk_after if s.decision != KEPT else s.risk_before for s in segments])
        return RewriteResult(
            input=text, output=output, decision=decision, risk_before=merge_risks([s.risk_before for s in segments]),
            risk_after=after, spans=[sp for s in segments for sp in s.spans],
            similarity=round(similarity, 4) if similarity is not None else None,
            attempts=max(s.attempts for s in segments), reasons=[s.reason for s in segments], timings=timings,
            warnings=list(dict.fromkeys(warnings)), segments=segments if len(segments) > 1 else [],
        )


def _shift(span: Span, offset: int) -> Span:
    return Span(span.start + offset, span.end + offset, span.text, span.score, span.head)


class _timer:
    def __init__(self, clock: dict[str, float], key: str):
        self.clock, self.key = clock, key

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: Any) -> None:
        self.clock[self.key] = self.clock.get(self.key, 0.0) + time.perf_counter() - self.started
