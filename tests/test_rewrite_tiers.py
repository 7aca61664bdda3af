"""Quality tiers and escalation (`srllm.rewrite.tiers`), the time budget per text, and
sentence-by-sentence rewriting of long texts, with stand-in models."""

from __future__ import annotations

import time

import pytest
from rewrite_standins import LexiconClassifier, ScriptedRewriter, overlap_similarity, soften

from srllm.rewrite import FELL_BACK, KEPT, REWRITTEN, PipelineConfig, SafetyPipeline, register_backend
from srllm.rewrite.tiers import DEFAULT_TIERS, Tier, TierSpec, TierUnavailableError, build_tiers, parse_tiers

INSULT = "that guy is a total idiot"


class Logged(ScriptedRewriter):
    """A scripted rewriter that writes each call into a shared log as (tier, kind)."""

    def __init__(self, name: str, log: list, greedy, sampled=None, delay: float = 0.0, batch_size: int = 16):
        super().__init__(greedy, sampled)
        self.name, self.log, self.delay, self.batch_size = name, log, delay, batch_size

    def rewrite(self, texts):
        self.log.append((self.name, "greedy", len(texts)))
        time.sleep(self.delay)
        return super().rewrite(texts)

    def candidates(self, texts, n=4, **kw):
        self.log.append((self.name, "sampled", len(texts)))
        time.sleep(self.delay)
        return super().candidates(texts, n, **kw)


def tiers(*generators: Logged) -> list[Tier]:
    return [Tier(TierSpec(name=g.name), generator=g) for g in generators]


def pipe(tier_list: list[Tier], **config) -> SafetyPipeline:
    cfg = PipelineConfig(**{"min_similarity": 0.5, "candidates": 2, **config})
    return SafetyPipeline(LexiconClassifier(), tier_list, overlap_similarity, cfg)


# --- escalation ----------------------------------------------------------------------------------


def test_retries_escalate_from_fast_to_best_before_any_fallback():
    log: list = []
    fast = Logged("fast", log, lambda t: t, lambda t, k: "you stupid idiot")  # every fast output still unsafe
    best = Logged("best", log, soften)
    result = pipe(tiers(fast, best)).run(INSULT)
    assert [(t, k) for t, k, _ in log] == [("fast", "greedy"), ("fast", "sampled"), ("best", "greedy")]
    assert result.decision == REWRITTEN and result.tier == "best" and result.output == soften(INSULT)
    assert result.attempts == 3
    assert result.reasons == ["fast: greedy rewrite still unsafe (score 0.90); fast: sampled candidates (best of 2) "
                              "still unsafe (score 0.90), drifted from the meaning (similarity 0.12 < 0.5); "
                              "best: greedy rewrite passed"]


def test_a_text_the_fast_tier_rewrites_never_reaches_the_best_tier():
    log: list = []
    result = pipe(tiers(Logged("fast", log, soften), Logged("best", log, soften))).run_many([INSULT, "nice weather"])
    assert [(t, k) for t, k, _ in log] == [("fast", "greedy")]
    assert [r.decision for r in result] == [REWRITTEN, KEPT] and result[0].tier == "fast"


def test_masking_only_after_every_tier_failed():
    log: list = []
    bad = lambda t, k=0: "you stupid idiot"
    result = pipe(tiers(Logged("fast", log, bad, bad), Logged("best", log, bad, bad))).run(INSULT)
    assert [(t, k) for t, k, _ in log] == [("fast", "greedy"), ("fast", "sampled"), ("best", "greedy"),
                                            ("best", "sampled")]
    assert result.decision == FELL_BACK and result.fallback == "mask" and result.output == "that guy is a total […]"
    assert "best: sampled candidates (best of 2) still unsafe" in result.reasons[0]
    assert result.reasons[0].endswith("masked 1 flagged word(s): 'idiot' (unsafe 0.50)")


def test_quality_best_starts_at_the_best_tier():
    specs = parse_tiers({"fast": {}, "best": {"few_shot": True}})
    assert [t.name for t in build_tiers(specs, "best")] == ["best"]
    assert [t.name for t in build_tiers(specs, "fast")] == ["fast", "best"]
    with pytest.raises(ValueError, match=r"quality 'top' is not one of the configured tiers \['fast', 'best'\]"):
        build_tiers(specs, "top")


def test_an_unavailable_tier_is_reported_not_silently_skipped():
    log: list = []
    missing = Tier(TierSpec(name="best", model="qwen2.5-coder-1.5b-instruct", backend="no-such-backend"))
    bad = lambda t, k=0: "you stupid idiot"
    result = pipe([*tiers(Logged("fast", log, bad, bad)), missing]).run(INSULT)
    assert result.decision == FELL_BACK and "best tier unavailable" in result.reasons[0]
    assert any("backend 'no-such-backend' is not installed" in w for w in result.warnings)
    with pytest.raises(TierUnavailableError, match="no-such-backend"):
        missing.load()


def test_tiers_from_config_through_a_registered_backend():
    built: list = []

    def scripted(spec: TierSpec, options: dict) -> Logged:
        built.append((spec.name, spec.few_shot, options["max_new_tokens"]))
        return Logged(spec.name, [], soften if spec.few_shot else (lambda t: t))

    register_backend("scripted-test", scripted)
    config = PipelineConfig(min_similarity=0.5, candidates=0, max_new_tokens=40,
                            tiers={"fast": {"backend": "scripted-test"},
                                   "best": {"backend": "scripted-test", "few_shot": True, "max_new_tokens": 64}})
    tier_list = build_tiers(config.tier_specs(), config.quality, max_new_tokens=config.max_new_tokens)
    pipeline = SafetyPipeline(LexiconClassifier(), tier_list, overlap_similarity, config)
    assert pipeline.run("a lovely day").decision == KEPT and built == []  # nothing built for benign text
    result = pipeline.run(INSULT)
    assert built == [("fast", False, 40), ("best", True, 64)] and result.tier == "best"


def test_a_tier_uses_the_first_of_its_backends_that_loads():
    def broken(spec: TierSpec, options: dict) -> Logged:
        raise ImportError("llama_cpp is not installed")

    register_backend("broken-test", broken)
    register_backend("working-test", lambda spec, options: Logged(spec.name, [], soften))
    tier = Tier(TierSpec(name="fast", backend=["no-such-backend", "broken-test", "working-test"]))
    assert tier.load().rewrite([INSULT]) == [soften(INSULT)] and tier.backend == "working-test"
    assert tier.spec.to_dict()["backend"] == ["no-such-backend", "broken-test", "working-test"]
    none = Tier(TierSpec(name="fast", backend=["no-such-backend", "broken-test"]))
    with pytest.raises(TierUnavailableError) as error:
        none.load()
    assert "'no-such-backend' is not installed" in str(error.value) and "llama_cpp is not installed" in str(error.value)
    assert TierSpec(name="one", backend=["transformers"]).backend == "transformers"
    with pytest.raises(ValueError, match="tiers.fast.backend must be a backend name or a non-empty list"):
        TierSpec(name="fast", backend=[])


def test_tier_settings_are_validated_with_their_name():
    with pytest.raises(ValueError, match=r"tiers.best: unknown setting\(s\) \['modle'\]"):
        PipelineConfig(tiers={"fast": {}, "best": {"modle": "x"}})
    with pytest.raises(ValueError, match="tiers.fast.candidates must be an integer >= 0"):
        PipelineConfig(tiers={"fast": {"candidates": -1}})
    with pytest.raises(ValueError, match=r"quality 'best' is not one of the configured tiers \['fast'\]"):
        PipelineConfig(quality="best", tiers={"fast": {}})
    assert list(PipelineConfig().tiers) == list(DEFAULT_TIERS) == ["fast", "best"]
    with pytest.raises(ValueError, match=r"tiers.fast.gguf_type must be one of \['f16', 'f32', 'q8_0', 'q5_0', 'q4_0'\]"):
        PipelineConfig(tiers={"fast": {"gguf_type": "q3_k"}})
    assert PipelineConfig(tiers={"fast": {"gguf_type": "q4_0"}}).tier_specs()[0].to_dict()["gguf_type"] == "q4_0"


# --- long texts and the time budget --------------------------------------------------------------


def test_long_text_is_rewritten_sentence_by_sentence_keeping_benign_sentences_verbatim():
    sentences = ["The meeting starts at nine.", "Bring the report, please.", "Our manager is a total idiot.",
                 "Lunch is at noon in the big room.", "Honestly that moron never listens."]
    text = " ".join(sentences * 4)
    result = pipe(tiers(Logged("fast", [], soften)), max_chunk_chars=60).run(text)
    assert len(result.segments) == 20 and result.decision == REWRITTEN
    for segment in result.segments:
        if segment.decision == KEPT:
            assert segment.output == segment.text and "idiot" not in segment.text and "moron" not in segment.text
        else:
            assert segment.output == soften(segment.text)
    assert sum(s.decision == REWRITTEN for s in result.segments) == 8
    assert result.output == soften(text)


def test_a_text_over_its_time_budget_falls_back_with_the_reason_instead_of_hanging():
    log: list = []
    slow = Logged("fast", log, soften, delay=0.1, batch_size=4)  # 0.1 s per call of 4 sentences
    text = " ".join(f"Sentence {i} says he is an idiot." for i in range(40))  # 40 unsafe sentences
    started = time.perf_counter()
    result = pipe(tiers(slow), max_chunk_chars=60, time_budget_s=0.35).run(text)
    seconds = time.perf_counter() - started
    assert seconds < 2.0 and len(log) < 10  # stopped after about 4 calls, not 10
    assert result.decision == FELL_BACK
    assert any("time budget of 0.35 s exceeded" in w for w in result.warnings)
    done = [s for s in result.segments if s.decision == REWRITTEN]
    late = [s for s in result.segments if s.decision == FELL_BACK]
    assert done and late and len(done) + len(late) == 40
    assert all(s.output == soften(s.text) for s in done)
    assert all("time budget of 0.35 s exceeded" in s.reason for s in late)
    assert all(s.fallback in ("mask", "unchanged") for s in late)


def test_the_budget_is_per_text_so_a_long_text_does_not_starve_the_others():
    slow = Logged("fast", [], soften, delay=0.05, batch_size=2)
    long_text = " ".join(f"Sentence {i} says he is an idiot." for i in range(30))
    results = pipe(tiers(slow), max_chunk_chars=60, time_budget_s=0.2).run_many([long_text, INSULT, "you are a moron, stop it"])
    assert results[0].decision == FELL_BACK
    assert [r.decision for r in results[1:]] == [REWRITTEN, REWRITTEN]


def test_a_repeated_sentence_is_scored_and_rewritten_once():
    log: list = []
    classifier = LexiconClassifier()
    text = " ".join(["You are a stupid idiot and everyone hates you."] * 50)
    pipeline = SafetyPipeline(classifier, tiers(Logged("fast", log, soften)),
                              overlap_similarity, PipelineConfig(min_similarity=0.5, max_chunk_chars=60))
    result = pipeline.run(text)
    assert result.output == soften(text) and len(result.segments) == 50
    assert log == [("fast", "greedy", 1)] and [len(texts) for texts, _ in classifier.calls] == [1, 1, 1]


def test_the_budget_also_bounds_explaining_the_flagged_words():
    class SlowExplain(LexiconClassifier):
        def predict(self, texts, explain=False):
            if explain:
                time.sleep(0.05)
            return super().predict(texts, explain)

    classifier = SlowExplain()
    text = " ".join(f"Sentence {i} says he is an idiot." for i in range(100))  # 7 explain batches of 16
    pipeline = SafetyPipeline(classifier, tiers(Logged("fast", [], soften)), overlap_similarity,
                              PipelineConfig(max_chunk_chars=60, time_budget_s=0.12))
    result = pipeline.run(text)
    assert sum(explain for _, explain in classifier.calls) <= 4
    assert result.decision == FELL_BACK and any("time budget" in w for w in result.warnings)
    late = [s for s in result.segments if s.decision == FELL_BACK]
    assert late and all("time budget of 0.12 s exceeded" in s.reason for s in late)
    unexplained = [s for s in late if not s.spans]  # no flagged words known: nothing to mask, returned as is
    assert unexplained and all(s.fallback == "unchanged" and s.output == s.text for s in unexplained)
