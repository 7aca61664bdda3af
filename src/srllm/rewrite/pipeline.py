"""The safety intervention (SR_LLM sections 3.3, 5.1, 5.5): detect -> highlight -> rewrite ->
verify -> retry -> escalate -> fall back.

For each text (sentence by sentence when it is longer than ``max_chunk_chars``, see
`srllm.rewrite.text`):

1. Detect: the classifier's `RiskReport`. Benign text (each benign sentence of a long text) is
   kept verbatim (decision ``kept``) unless ``rewrite_benign`` is set. Unsafe text is scored again
   with ``explain=True`` for the flagged words (character spans).
2. Rewrite, tier by tier (`srllm.rewrite.tiers`: ``fast``, then ``best``, from the tier chosen by
   ``quality``): the tier's greedy rewrite, then its ``candidates`` sampled ones. The text is data,
   never instructions: special-token strings in it are broken up so it cannot open or close a
   prompt turn, and every output must pass the verifier, so an obeyed instruction is rejected.
3. Verify (`srllm.rewrite.verify`): not empty, not an assistant's reply (its opening, or the
   learned `srllm.rewrite.replies` detector), judged benign, similar enough, a sane length, the
   target group kept, and no stereotype about the group the text named. The first passing
   output, by (passes, benign, similarity), is used.
4. Escalate: a chunk no output of a tier passes goes to the next tier; a tier that cannot be built
   here is reported and skipped.
5. Fall back (`srllm.rewrite.fallback`), the last resort: mask the flagged words when that makes the
   text benign without hiding much of it, else return the chunk unchanged; the decision is
   ``fell_back`` and the reason says why and which words were masked.

Time budget: each text may use ``time_budget_s`` seconds (the detection share plus every generation
batch that held one of its sentences); the sentences not rewritten by then fall back, with the
reason. Non-English chunks are never sent to the English rewriter. Empty or whitespace-only input
is returned as is without calling any model.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from srllm.classify.report import RiskReport, Span
from srllm.rewrite.budget import Budget
from srllm.rewrite.config import PipelineConfig
from srllm.rewrite.fallback import UNCHANGED, Work, fall_back
from srllm.rewrite.replies import ReplyDetector
from srllm.rewrite.replies import available as replies_available
from srllm.rewrite.result import FELL_BACK, KEPT, REWRITTEN, RewriteResult, Segment, merge_risks, risk_summary
from srllm.rewrite.text import chunk_text, looks_english, neutralise_special_tokens, to_text
from srllm.rewrite.tiers import Tier, TierSpec, build_tiers
from srllm.rewrite.verify import VerifierRules, verify
from srllm.similarity import Similarity, embedding_similarity

_EXTRA_SPECIALS = ["[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"]
_SEVERITY = (None, "mask", "remove", UNCHANGED)


class RiskClassifier(Protocol):
    def predict(self, texts: list[str], explain: bool = False) -> list[RiskReport]: ...


class TextRewriter(Protocol):
    def rewrite(self, texts: Sequence[str]) -> list[str]: ...


class SafetyPipeline:
    """detect -> rewrite -> verify -> retry -> escalate -> fall back; see the module docstring.

    `classifier` is anything with ``predict(texts, explain=False) -> list[RiskReport]``;
    `rewriter` is one generator (a single tier named after ``config.quality``) or a list of `Tier`s
    in escalation order. A generator has ``rewrite(texts) -> list[str]`` (and, for retries,
    ``candidates(texts, n, *, temperature, top_p, seed) -> list[list[str]]``, as
    `srllm.generate.Rewriter`); `similarity` maps two lists of texts to one score per pair;
    `replies`, a `ReplyDetector`, adds its verdict to the verifier's reply rule.
    """

    def __init__(self, classifier: RiskClassifier, rewriter: TextRewriter | Sequence[Tier], similarity: Similarity,
                 config: PipelineConfig | None = None, replies: ReplyDetector | None = None):
        self.classifier = classifier
        self.similarity = similarity
        self.replies = replies
        self.config = config or PipelineConfig()
        if isinstance(rewriter, (list, tuple)):
            self.tiers: list[Tier] = list(rewriter)
        else:
            self.tiers = [Tier(TierSpec(name=self.config.quality), generator=rewriter)]
        if not self.tiers:
            raise ValueError("the pipeline needs at least one tier")
        self.rules = VerifierRules(min_similarity=self.config.min_similarity)

    @property
    def rewriter(self) -> Any:
        """The generator of the first tier (loaded on first use)."""
        return self.tiers[0].load()

    @classmethod
    def load(cls, config: PipelineConfig | None = None, *, classifier: str | RiskClassifier | None = None,
             model: str | None = None, adapter: str | None = None, backend: str | None = None,
             encoder: str = "minilm-l6-v2", cache_dir: Any = None, threads: int | None = None,
             batch_size: int = 16) -> SafetyPipeline:
        """The pipeline on the shipped defaults (the packaged classifier, the configured tiers from
        ``config.quality`` on, MiniLM similarity), each replaceable: a classifier folder or object,
        and for the first tier a base `model`, an `adapter` folder and a `backend`. The first tier
        is loaded now (its errors are raised); later tiers when a text escalates to them."""
        from srllm.rewrite.assets import load_default_classifier
        from srllm.similarity import encoder_embedder

        config = config or PipelineConfig()
        specs = config.tier_specs()
        if model is not None or adapter is not None or backend is not None:
            at = [s.name for s in specs].index(config.quality)
            first = specs[at]
            changes = {"backend": backend or first.backend}
            if model is not None or adapter is not None:
                changes |= {"model": model, "adapter": adapter}
            specs[at] = TierSpec(**{**vars(first), **changes})
        tiers = build_tiers(specs, config.quality, cache_dir=cache_dir, threads=threads, batch_size=batch_size,
                            max_new_tokens=config.max_new_tokens)
        tiers[0].load()
        if classifier is None or isinstance(classifier, str):
            classifier = load_default_classifier(classifier)
        embed = encoder_embedder(encoder, cache_dir)
        detector = (ReplyDetector.load(embed=embed, encoder=encoder, cache_dir=cache_dir)
                    if config.reply_detector and replies_available() else None)
        return cls(classifier, tiers, embedding_similarity(embed), config, detector)

    # --- public API ------------------------------------------------------------------------------

    def __call__(self, text: Any) -> RewriteResult:
        return self.run(text)

    def run(self, text: Any) -> RewriteResult:
        """The result for one text (str or UTF-8 bytes); raises `InputError` for anything else."""
        return self.run_many([text])[0]

    def run_many(self, texts: Sequence[Any]) -> list[RewriteResult]:
        """One result per text, in order; every model stage runs over the whole batch."""
        clean = [to_text(t) for t in texts]
        clock: dict[str, float] = {}
        started = time.perf_counter()
        budget = Budget(self.config.time_budget_s)
        work: list[Work] = []
        warnings: list[list[str]] = [[] for _ in clean]
        for i, text in enumerate(clean):
            if not text.strip():
                warnings[i].append("empty input: returned as is")
                continue
            chunks = chunk_text(text, self.config.max_chunk_chars)
            if len(chunks) > 1:
                warnings[i].append(f"long input: processed sentence by sentence ({len(chunks)} chunks)")
            work += [Work(i, c.start, c.end, c.text, c.tail) for c in chunks]
        with _timer(clock, "detect_s"):
            self._detect(work, budget)
        todo = [w for w in work if w.output is None]
        for w in todo:
            if not looks_english(w.text):
                warnings[w.text_index].append("non-English text: not sent to the English rewriter")
                w.failures.append("non-English text")
        stopped = [w for w in todo if w.failures]
        todo = [w for w in todo if not w.failures]
        for key in ("rewrite_s", "verify_s", "retry_s"):
            clock[key] = 0.0
        reps: dict[str, Work] = {}
        copies: list[Work] = []
        for w in todo:  # a sentence repeated in the batch is rewritten once
            if w.text in reps:
                copies.append(w)
            else:
                reps[w.text] = w
        todo = self._escalate(list(reps.values()), budget, warnings, clock)
        failing = {id(w) for w in todo}
        for w in copies:
            rep = reps[w.text]
            for name in ("output", "decision", "risk_after", "similarity", "attempts", "reason", "tier", "timed_out"):
                setattr(w, name, getattr(rep, name))
            w.failures = list(rep.failures)
            if id(rep) in failing:
                todo.append(w)
        with _timer(clock, "fallback_s"):
            fall_back(self.classifier, todo + stopped, self.config.fallback, self.config.max_masked_share)
            edited = [w for w in todo + stopped if w.fallback in ("mask", "remove")]
            if edited:
                sims = self.similarity([w.text for w in edited], [w.output or "" for w in edited])
                for w, sim in zip(edited, sims):
                    w.similarity = round(float(sim), 4)
        for w in work:
            if w.timed_out:
                warnings[w.text_index].append(f"time budget of {self.config.time_budget_s:g} s exceeded: "
                                              "the sentences not rewritten by then fell back")
        clock["total_s"] = time.perf_counter() - started
        timings = {k: round(v, 4) for k, v in clock.items()} | {"batch_texts": len(clean)}
        by_text: dict[int, list[Work]] = {}
        for w in work:
            by_text.setdefault(w.text_index, []).append(w)
        return [self._result(i, text, by_text.get(i, []), warnings[i], timings) for i, text in enumerate(clean)]

    # --- stages ----------------------------------------------------------------------------------

    def _detect(self, work: list[Work], budget: Budget) -> None:
        """Score each distinct chunk once (a long text often repeats a sentence), then explain the
        unsafe ones in batches while their texts have time left (unexplained ones have no spans)."""
        if not work:
            return
        started = time.perf_counter()
        unique = list(dict.fromkeys(w.text for w in work))
        found = dict(zip(unique, self.classifier.predict(unique, explain=False)))
        for w in work:  # each text is charged its share of the scoring time
            budget.charge({w.text_index}, (time.perf_counter() - started) / len(work))
        owners: dict[str, set[int]] = {}
        for w in work:
            owners.setdefault(w.text, set()).add(w.text_index)
        flagged = [t for t in unique if found[t].unsafe]
        size = 16
        for at in range(0, len(flagged), size):
            group = [t for t in flagged[at : at + size] if not all(budget.out(i) for i in owners[t])]
            if not group:
                continue
            started = time.perf_counter()
            found.update(zip(group, self.classifier.predict(group, explain=True)))
            budget.charge(set().union(*(owners[t] for t in group)), time.perf_counter() - started)
        reports = [found[w.text] for w in work]
        for w, report in zip(work, reports):
            w.report = report
            w.spans = list(report.spans)
            if not report.judged:  # the English models cannot read it: left as is, never called benign
                w.output, w.decision, w.reason = w.text, KEPT, f"not judged: {report.language} text, left as is"
            elif not report.unsafe and not self.config.rewrite_benign:
                w.output, w.decision, w.reason = w.text, KEPT, "judged benign: left as is"

    def _escalate(self, todo: list[Work], budget: Budget, warnings: list[list[str]],
                  clock: dict[str, float]) -> list[Work]:
        """Each tier in turn on the chunks no earlier tier could rewrite; returns those still left."""
        many = len(self.tiers) > 1
        for tier in self.tiers:
            live = [w for w in todo if not w.timed_out]
            if not live:
                break
            generator = tier.get()
            if generator is None:
                for w in live:
                    w.failures.append(f"{tier.name} tier unavailable")
                    warnings[w.text_index].append(str(tier.error))
                continue
            prefix = f"{tier.name}: " if many else ""
            left = self._round(tier, generator, live, budget, 0, prefix, clock)
            n = tier.spec.candidates if tier.spec.candidates is not None else self.config.candidates
            if n > 0 and getattr(generator, "candidates", None) is not None:
                left = self._round(tier, generator, left, budget, n, prefix, clock)
            todo = left + [w for w in todo if w.timed_out and w not in left]
        return todo

    def _round(self, tier: Tier, generator: Any, work: list[Work], budget: Budget, n: int, prefix: str,
               clock: dict[str, float]) -> list[Work]:
        """One greedy (n = 0) or sampled (n candidates) pass of `generator` over `work`, in batches
        so that the time budget is checked between them; returns the chunks still without a rewrite."""
        cfg = self.config
        tokenizer = getattr(generator, "tokenizer", None)
        specials = list(getattr(tokenizer, "all_special_tokens", ()) or ()) + _EXTRA_SPECIALS
        base = max(1, int(getattr(generator, "batch_size", 16) or 16) // max(1, n))
        key = (tier.name, n)
        left: list[Work] = []
        at = 0
        while at < len(work):
            group: list[Work] = []
            size = base
            while at < len(work) and len(group) < size:
                w = work[at]
                at += 1
                if w.timed_out or budget.out(w.text_index, budget.pace.get(key)):
                    if not w.timed_out:
                        w.timed_out = True
                        w.failures.append(f"time budget of {cfg.time_budget_s:g} s exceeded")
                    left.append(w)
                elif not group:
                    group.append(w)
                    size = budget.group_size(w.text_index, key, base, len(work) - at + 1)
                else:
                    group.append(w)
            if not group:
                continue
            started = time.perf_counter()
            prompts = [neutralise_special_tokens(w.text, specials) for w in group]
            distinct = list(dict.fromkeys(prompts))  # a repeated sentence is generated once per call
            with _timer(clock, "rewrite_s" if n == 0 else "retry_s"):
                if n == 0:
                    made = [[o] for o in generator.rewrite(distinct)]
                else:
                    made = [list(o) for o in generator.candidates(distinct, n, temperature=cfg.temperature,
                                                                   top_p=cfg.top_p, seed=cfg.seed)]
            by_prompt = dict(zip(distinct, made))
            options = [list(by_prompt[p]) for p in prompts]
            for w in group:
                w.attempts += 1
            label = f"{prefix}{'greedy rewrite' if n == 0 else 'sampled candidate'}"
            with _timer(clock, "verify_s"):
                left += self._accept(group, options, label, tier.name)
            seconds = time.perf_counter() - started
            budget.charge({w.text_index for w in group}, seconds)
            budget.pace[key] = seconds / len(group)
        return left

    def _accept(self, work: list[Work], options: list[list[str]], label: str, tier: str) -> list[Work]:
        """Verify every option of every chunk, keep the best passing one; return the chunks with none."""
        flat_src = [w for w, opts in zip(work, options) for _ in opts]
        flat_out = [o for opts in options for o in opts]
        pairs = list(dict.fromkeys(zip((w.text for w in flat_src), flat_out)))  # each distinct pair scored once
        outs = list(dict.fromkeys(o for _, o in pairs))
        scored_out = dict(zip(outs, self.classifier.predict(outs, explain=False) if outs else []))
        scored_pair = dict(zip(pairs, np.asarray(self.similarity([a for a, _ in pairs], [b for _, b in pairs]),
                                                 dtype=float) if pairs else []))
        reports = [scored_out[o] for o in flat_out]
        sims = np.array([scored_pair[(w.text, o)] for w, o in zip(flat_src, flat_out)], dtype=float)
        replied = (dict(zip(pairs, self.replies.flags([a for a, _ in pairs], [b for _, b in pairs])))
                   if self.replies is not None and pairs else {})
        verdicts = [verify(w.text, w.report, out, report, float(sim), self.rules, replied.get((w.text, out), False))
                    for w, out, report, sim in zip(flat_src, flat_out, reports, sims)]
        failed, k = [], 0
        for w, opts in zip(work, options):
            scored = [(verdicts[k + j].ok, not reports[k + j].unsafe, float(sims[k + j]), -j) for j in range(len(opts))]
            best = max(range(len(opts)), key=lambda j: scored[j]) if opts else None
            if best is not None and scored[best][0]:
                w.output, w.decision, w.tier = opts[best], REWRITTEN, tier
                w.risk_after, w.similarity = risk_summary(reports[k + best]), round(float(sims[k + best]), 4)
                passed = label + (f" {best + 1} of {len(opts)}" if len(opts) > 1 else "") + " passed"
                w.reason = "; ".join(w.failures + [passed])
            else:
                why = ", ".join(verdicts[k + best].reasons) if best is not None else "no rewrite"
                w.failures.append(f"{label} {why}" if len(opts) == 1 else f"{label}s (best of {len(opts)}) {why}")
                failed.append(w)
            k += len(opts)
        return failed

    # --- assembly --------------------------------------------------------------------------------

    def _result(self, index: int, text: str, work: list[Work], warnings: list[str], timings: dict[str, float]) -> RewriteResult:
        if not work:  # empty / whitespace-only
            return RewriteResult(text, text, KEPT, None, None, [], None, 0, ["empty input"], timings, warnings)
        segments = [Segment(w.start, w.end, w.text, w.output if w.output is not None else w.text, w.decision,
                            risk_summary(w.report) if w.report else None, w.risk_after, w.similarity,
                            [_shift(s, w.start) for s in w.spans], w.attempts, w.reason, w.fallback, w.tier)
                    for w in work]
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
            tier=next((t.name for t in reversed(self.tiers) if any(s.tier == t.name for s in segments)), None),
            fallback=max((s.fallback for s in segments), key=_SEVERITY.index),
        )


def _shift(span: Span, offset: int) -> Span:
    return Span(span.start + offset, span.end + offset, span.text, span.score, span.head)


class _timer:
    def __init__(self, clock: dict[str, float], key: str):
        self.clock, self.key = clock, key

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.clock[self.key] = self.clock.get(self.key, 0.0) + time.perf_counter() - self.started
