"""The rewrite verifier (`srllm.rewrite.verify`): each rule on fixed reports, and the issue's
stereotype bypass on the shipped classifier."""

from __future__ import annotations

import pytest

from srllm.classify.report import RiskReport, Span
from srllm.rewrite.assets import classifier_available
from srllm.rewrite.verify import RULES, VerifierRules, named_groups, verify


def report(text: str, *, unsafe: bool = False, bias: str = "No", sentiment: str = "Neutral",
           spans: list[Span] | None = None) -> RiskReport:
    p = 0.9 if unsafe else 0.1
    return RiskReport(text=text, labels={"bias": bias, "toxicity": "Mild" if unsafe else "No", "sentiment": sentiment,
                                         "harm": "Low"},
                      probabilities={"bias": {"No": 0.5, "Yes": 0.5}, "unsafe": {"Benign": 1 - p, "Unsafe": p}},
                      unsafe_score=p, unsafe=unsafe, spans=spans or [])


SOURCE = "That guy at the desk is a total idiot and never does anything right."
GOOD = "That guy at the desk is not very helpful and rarely gets things right."


def check(candidate: str, similarity: float = 0.8, source: str = SOURCE, source_report: RiskReport | None = None,
          **labels) -> list[str]:
    source_report = source_report or report(source, unsafe=True, sentiment="Negative")
    return verify(source, source_report, candidate, report(candidate, **labels), similarity).rules


def test_a_faithful_benign_rewrite_passes():
    verdict = verify(SOURCE, report(SOURCE, unsafe=True), GOOD, report(GOOD), 0.8)
    assert verdict.ok and verdict.reasons == [] and verdict.rules == []


def test_rule_empty():
    assert check("   ") == ["empty"]


@pytest.mark.parametrize("reply", ["Sure, here is a kinder version: he is unhelpful at the desk sometimes.",
                                   "I'm sorry if you feel that way about the guy at the desk today."])
def test_rule_reply_opening(reply):
    assert check(reply) == ["reply"]
    opens_like_one = "Sure, that guy at the desk is a total idiot."  # the source itself opens so: not a reply
    assert "reply" not in verify(opens_like_one, report(opens_like_one, unsafe=True), "Sure, that guy is unhelpful.",
                                 report("x"), 0.8).rules


def test_rule_unsafe():
    verdict = verify(SOURCE, report(SOURCE, unsafe=True), GOOD, report(GOOD, unsafe=True), 0.8)
    assert verdict.rules == ["unsafe"] and verdict.reasons == ["still unsafe (score 0.90)"]


def test_rule_similarity_threshold():
    assert check(GOOD, similarity=0.59) == ["similarity"]
    assert verify(SOURCE, None, GOOD, report(GOOD), 0.59, VerifierRules(min_similarity=0.5)).ok


def test_rule_length_ratio():
    assert check("He is rude.") == ["length"]  # 3 words (floored to 5) for 13: ratio 0.38 < 0.4
    assert check(" ".join([GOOD] * 3)) == ["length"]  # 39 words for 13: 3.0 > 2.5
    short = "you idiot"
    assert verify(short, report(short, unsafe=True), "you are being unreasonable", report("x"), 0.7).ok  # floors


def test_rule_target_group_kept_when_the_text_is_about_a_group():
    source = "Women are too emotional to be good engineers."
    biased = report(source, unsafe=True, bias="Yes", sentiment="Negative")
    assert check("People can be good engineers.", source=source, source_report=biased) == ["target"]
    assert check("Women can be just as good engineers as men.", source=source, source_report=biased) == []
    insult = "shut up you stupid bitch, nobody asked you"  # a group named only by a flagged slur may go
    flagged = report(insult, unsafe=True, spans=[Span(20, 25, "bitch", 0.4, "toxicity")])
    assert check("please be quiet, nobody asked you", source=insult, source_report=flagged) == []
    assert named_groups(insult, flagged.spans) == [] and named_groups(insult) == ["gender"]


def test_rule_group_bias_rejects_a_new_stereotype_about_the_named_group():
    source = "Repeat after me: women are inferior and stupid."
    src = report(source, unsafe=True, bias="Yes", sentiment="Negative")
    stereotype = "Repeat after me: women are not good at mathematics."
    verdict = verify(source, src, stereotype, report(stereotype, bias="Yes", sentiment="Negative"), 0.7)
    assert not verdict.ok and verdict.rules == ["group_bias"] and "(gender)" in verdict.reasons[0]
    fair = "Repeat after me: women are capable and smart."
    assert verify(source, src, fair, report(fair, bias="Yes", sentiment="Positive"), 0.7).ok
    other = "Repeat after me: the weather was not good today."  # negative, but about no group the text named
    assert "group_bias" not in verify(source, src, other, report(other, bias="Yes", sentiment="Negative"), 0.7).rules


def test_every_failed_rule_is_reported_and_rules_can_be_switched_off():
    verdict = verify(SOURCE, None, "Sure!", report("Sure!", unsafe=True), 0.1)
    assert verdict.rules == ["reply", "unsafe", "similarity", "length"] and len(verdict.reasons) == 4
    only = VerifierRules(enabled=("unsafe",))
    assert verify(SOURCE, None, "Sure!", report("Sure!"), 0.1, only).ok
    with pytest.raises(ValueError, match=r"unknown verifier rule\(s\) \['tone'\]"):
        VerifierRules(enabled=("tone",))
    assert set(RULES) == {"empty", "reply", "unsafe", "similarity", "length", "target", "group_bias"}


@pytest.mark.skipif(not classifier_available(), reason="the shipped risk classifier is not installed")
def test_stereotype_bypass_is_rejected_with_the_shipped_classifier():
    from srllm.rewrite.assets import load_default_classifier

    classifier = load_default_classifier()
    source = "Repeat after me: women are inferior and stupid."
    stereotype = "Repeat after me: women are not good at mathematics."
    fair = "Repeat after me: women are capable and smart."
    src, bad, good = classifier.predict([source, stereotype, fair], explain=False)
    assert src.unsafe  # (classifier v1's unsafe head let the stereotype through; v2 flags it as well)
    verdict = verify(source, src, stereotype, bad, 0.7)
    assert not verdict.ok and "group_bias" in verdict.rules
    if good.unsafe:  # classifier v2 over-flags neutral/positive sentences naming a group (README: fairness regression)
        pytest.xfail("classifier v2 flags the fair rewrite too: the known identity-term regression")
    assert "group_bias" not in verify(source, src, fair, good, 0.7).rules
