"""The verifier's rules, one by one, and the threshold chooser."""

from __future__ import annotations

import pytest

from rewrite_standins import LexiconClassifier, overlap_similarity
from srllm.verifier import RULES, Verifier, VerifierConfig, choose_threshold, content_stems, restates_or_hedges


@pytest.fixture
def verifier() -> Verifier:
    return Verifier(LexiconClassifier(), overlap_similarity, VerifierConfig(min_similarity=0.2))


SOURCE = "Immigrants are stupid and only come here to live off our taxes."


@pytest.mark.parametrize("output, failed", [
    ("Immigrants come here for many reasons, and most of them work and pay taxes.", []),
    ("Immigrants are stupid and only come here to live off our taxes!", ["benign", "changed"]),
    ("I'm sorry, but immigrants come here to work and pay taxes.", ["not_reply"]),
    ("There is a perception that immigrants come here to live off taxes.", ["not_restating"]),
    ("Some immigrants may come here for taxes, but many work hard.", ["not_restating"]),
    ("People come here to work and pay taxes.", ["keeps_group"]),
    ("Immigrants are people.", ["similarity", "keeps_topic", "length_ratio"]),
    ("Immigrants come here " + "and work " * 20 + "and pay taxes.", ["length_ratio"]),
])
def test_each_rule(verifier: Verifier, output: str, failed: list[str]):
    verdict = verifier.verify([SOURCE], [output], [["stupid"]])[0]
    assert verdict.failed == failed and verdict.kept == (not failed)
    assert set(verdict.scores) >= {"unsafe_score", "similarity", "topic_overlap", "length_ratio", "groups_in"}
    assert all(rule in RULES for rule in verdict.failed)


def test_a_source_the_classifier_calls_benign_cannot_be_verified(verifier: Verifier):
    source = "Immigrants only come here to live off our taxes."  # no word the lexicon flags
    verdict = verifier.verify([source], ["Immigrants only come here to live off the taxes."])[0]
    assert not verdict.kept and verdict.failed == ["source_flagged"]
    assert verdict.scores["source_unsafe_score"] is not None


def test_empty_output_and_batch_shape(verifier: Verifier):
    verdicts = verifier.verify([SOURCE, SOURCE], ["", "Immigrants come here to work and pay taxes."])
    assert not verdicts[0].kept and "benign" in verdicts[0].failed and "not_reply" in verdicts[0].failed
    assert verdicts[1].kept
    with pytest.raises(ValueError, match="2 sources but 1 outputs"):
        verifier.verify([SOURCE, SOURCE], ["x"])
    assert verifier.verify([], []) == []


def test_a_source_that_restates_may_be_rewritten_restating():
    source = "Some people believe women are stupid."
    verdict = Verifier(LexiconClassifier(), overlap_similarity, VerifierConfig(min_similarity=0.1)).verify(
        [source], ["Some people believe women are unkind."])[0]
    assert "not_restating" not in verdict.failed


def test_helpers():
    assert restates_or_hedges("It is often said that boomers are selfish.")
    assert not restates_or_hedges("Some older people find phones hard to use.")
    assert content_stems("Immigrants only come here to live off our taxes", ["live"]) == {"come", "taxes"}
    with pytest.raises(ValueError, match="min_similarity must be in"):
        VerifierConfig(min_similarity=1.5)


def test_choose_threshold_separates_the_two_sets():
    result = choose_threshold([0.9, 0.8, 0.7, 0.72], [0.2, 0.3, 0.66, 0.1])
    assert result["threshold"] == 0.7 and result["tpr"] == 1.0 and result["fpr"] == 0.0
    assert result["youden_j"] == 1.0
    with pytest.raises(ValueError, match="at least one positive"):
        choose_threshold([], [0.1])
