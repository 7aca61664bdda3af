"""Language detection (`srllm.language`): what the English models can judge, and the report fields."""

from __future__ import annotations

import pytest

pytest.importorskip("py3langid")

from srllm.classify.report import RiskReport  # noqa: E402
from srllm.language import NOT_JUDGED, detect, mark  # noqa: E402


@pytest.mark.parametrize("text", ["u r dumb af", "ur a moron lmao", "You are a stupid idiot and nobody wants you.",
                                  "nigga pls", "ok", "12345 !!!"])
def test_english_and_short_latin_text_is_judged(text: str) -> None:
    assert detect(text).judged


@pytest.mark.parametrize(("text", "code"), [
    ("אתה אידיוט מטומטם", "he"),
    ("ты тупой идиот", "ru"),
    ("Du bist ein dummer Idiot und niemand will dich hier haben.", "de"),
    ("Bonjour, comment ça va aujourd'hui ? Très bien, merci.", "fr"),
])
def test_text_the_english_models_cannot_read_is_not_judged(text: str, code: str) -> None:
    found = detect(text)
    assert (found.code, found.judged) == (code, False)


def test_reports_carry_language_and_round_trip() -> None:
    probs = {"bias": {"No": 1.0, "Yes": 0.0}, "toxicity": {"No": 1.0}, "sentiment": {"Neutral": 1.0},
             "harm": {"Low": 1.0}, "unsafe": {"Benign": 1.0, "Unsafe": 0.0}}
    labels = {"bias": "No", "toxicity": "No", "sentiment": "Neutral", "harm": "Low"}
    reports = [RiskReport("ты тупой идиот", labels, probs, 0.0, False),
               RiskReport("Have a nice day.", labels, probs, 0.0, False)]
    mark(reports)
    assert [(r.language, r.judged, r.annotation) for r in reports] == [("ru", False, NOT_JUDGED),
                                                                       ("en", True, "Benign")]
    assert RiskReport.from_dict(reports[0].to_dict()) == reports[0]
    old = {k: v for k, v in reports[1].to_dict().items() if k not in ("language", "judged")}
    assert RiskReport.from_dict(old).judged  # reports written before the fields existed
