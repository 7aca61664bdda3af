"""The token span head's pieces: token targets, word spans from token probabilities (offsets on
emoji and non-ASCII text), SemEval span F1, the symbol-splitting tokenizer, the source-weighted sample."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from srllm.classify.data import source_quotas, span_targets, stratified_sample
from srllm.classify.spans import IGNORE, best_span_threshold, mean_span_f1, span_f1, token_labels, word_spans


def test_span_f1_worked_example_and_edge_cases():
    assert span_f1([(2, 8)], [(0, 5)]) == pytest.approx(2 * 0.5 * 0.6 / 1.1)  # P 3/6, R 3/5: 0.545
    assert span_f1([], []) == 1.0
    assert span_f1([(0, 3)], []) == 0.0 and span_f1([], [(0, 3)]) == 0.0
    assert span_f1([(0, 3)], [(5, 9)]) == 0.0
    assert mean_span_f1([[(0, 5)], []], [[(0, 5)], [(1, 2)]]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="2 predictions for 1"):
        mean_span_f1([[], []], [[]])


def test_token_labels_mark_overlapping_tokens_and_ignore_special_ones():
    offsets = [(0, 0), (0, 3), (4, 9), (9, 12), (0, 0)]
    assert token_labels(offsets, [(4, 12)], supervised=True) == [IGNORE, 0.0, 1.0, 1.0, IGNORE]
    assert token_labels(offsets, [], supervised=False) == [IGNORE] * 5


def test_span_supervision_comes_from_spans_of_risky_texts_or_from_texts_without_any_risk():
    risky = dict(bias="Yes", toxicity="No", harm="Low")
    assert span_targets(SimpleNamespace(biased_spans=[[0, 3]], **risky)) == ([[0, 3]], True)
    assert span_targets(SimpleNamespace(biased_spans=[], **risky)) == ([], False)
    assert span_targets(SimpleNamespace(biased_spans=[], bias="No", toxicity="No", harm="Low")) == ([], True)
    # a benign text's rewritten words (a pronoun made neutral) are not biased spans: every token is 0
    assert span_targets(SimpleNamespace(biased_spans=[[9, 12]], bias="No", toxicity="No", harm="Low")) == ([], True)


@pytest.fixture(scope="module")
def tokenizer():
    pytest.importorskip("transformers")
    from srllm.classify.data import split_symbols
    from srllm.models import load_encoder

    _, tok = load_encoder("minilm-l6-v2")
    return split_symbols(tok)


def test_word_spans_map_token_probabilities_back_to_words_on_emoji_and_non_ascii_text(tokenizer):
    text = "😀 Naïve 🤬idiots — ça, Straße-Kinder! y0u 1d10t"
    enc = tokenizer(text, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"])
    assert "idiots" in tokens  # the emoji is split off instead of swallowing the word into one [UNK]
    probs = np.array([0.9 if text[s:e] in ("idiots", "raße", "1") else 0.1 for s, e in offsets])
    spans = word_spans(text, offsets, probs, threshold=0.5)
    assert [text[s:e] for s, e, _ in spans] == ["idiots", "Straße-Kinder", "1d10t"]
    assert all(score == pytest.approx(0.9) for *_, score in spans)
    assert word_spans(text, offsets, probs, threshold=0.95) == []
    assert word_spans("", [(0, 0)], np.array([0.9]), 0.5) == []


def test_best_span_threshold_picks_the_f1_maximising_cut(tokenizer):
    texts = ["you absolute idiot", "what a moron you are"]
    encs = [tokenizer(t, return_offsets_mapping=True)["offset_mapping"] for t in texts]
    gold = [[(13, 18)], [(7, 12)]]
    probs = [np.array([0.0, 0.3, 0.45, 0.7, 0.0]), np.array([0.0, 0.2, 0.4, 0.8, 0.3, 0.3, 0.0])]
    cut, f1 = best_span_threshold(texts, encs, probs, gold)
    assert f1 == pytest.approx(1.0) and 0.45 < cut <= 0.7


def test_source_quotas_keep_small_sources_and_never_exceed_a_source():
    sizes = {"big": 10_000, "mid": 900, "small": 40}
    prop = source_quotas(sizes, 1000, "proportional")
    sqrt = source_quotas(sizes, 1000, "sqrt")
    equal = source_quotas(sizes, 1000, "equal")
    for quota in (prop, sqrt, equal):
        assert sum(quota.values()) == 1000 and all(quota[s] <= sizes[s] for s in sizes)
    assert prop["small"] < sqrt["small"] <= equal["small"] == 40
    assert sqrt["big"] > sqrt["mid"] > sqrt["small"]
    assert source_quotas(sizes, 20_000, "sqrt") == sizes


def test_stratified_sample_is_seeded_and_keeps_input_order():
    records = [SimpleNamespace(source="a" if i % 10 else "b", annotation="Unsafe" if i % 3 else "Benign", i=i)
               for i in range(500)]
    one = stratified_sample(records, 100, seed=3, weighting="sqrt")
    assert [r.i for r in one] == [r.i for r in stratified_sample(records, 100, seed=3, weighting="sqrt")]
    assert [r.i for r in one] == sorted(r.i for r in one) and len(one) == 100
    assert sum(r.source == "b" for r in one) > 10  # sqrt weighting gives the small source more than its 10 %
