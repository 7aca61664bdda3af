import itertools

import pytest

from srllm import taxonomy
from srllm.taxonomy import LEVELS, annotate


def test_levels_match_the_paper():
    assert LEVELS["bias"] == ("No", "Yes")
    assert LEVELS["toxicity"] == ("No", "Mild", "High")
    assert LEVELS["sentiment"] == ("Negative", "Neutral", "Positive")
    assert LEVELS["harm"] == ("Low", "Medium", "High")
    assert taxonomy.ANNOTATIONS == ("Benign", "Unsafe")


@pytest.mark.parametrize(
    "bias,toxicity,sentiment,harm",
    list(itertools.product(LEVELS["bias"], LEVELS["toxicity"], LEVELS["sentiment"], LEVELS["harm"])),
)
def test_annotation_rule_over_every_combination(bias, toxicity, sentiment, harm):
    any_risk = bias == "Yes" or toxicity in ("Mild", "High") or harm in ("Medium", "High")
    expected = "Unsafe" if any_risk and sentiment == "Negative" else "Benign"
    assert annotate(bias, toxicity, sentiment, harm) == expected


def test_negative_sentiment_alone_is_benign():
    assert annotate("No", "No", "Negative", "Low") == "Benign"


def test_risk_without_negative_sentiment_is_benign():
    assert annotate("Yes", "High", "Positive", "High") == "Benign"


def test_bad_level_names_category_and_allowed_values():
    with pytest.raises(ValueError, match=r"toxicity: 'Severe' is not a level; expected one of \['No', 'Mild', 'High'\]"):
        annotate("No", "Severe", "Negative", "Low")
    with pytest.raises(ValueError, match="unknown category"):
        taxonomy.validate_level("hate", "Yes")


def test_prompts_and_demographics_present():
    assert "debias" in taxonomy.SYSTEM_PROMPT
    assert taxonomy.INSTRUCTION.endswith(":")
    assert {"age", "gender", "race_ethnicity", "religion", "disability", "nationality", "education", "income",
            "politics"} <= set(taxonomy.DEMOGRAPHICS)
