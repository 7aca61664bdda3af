"""The SR_LLM safety risk taxonomy: one source of truth for every other module.

Categories and their levels (lowest / safest first), the Annotation rule, the target
demographics, and the paper's system prompt and instruction text (Raza et al., SR_LLM,
section 3 and Appendices A-C).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, get_args

BiasLevel = Literal["No", "Yes"]
ToxicityLevel = Literal["No", "Mild", "High"]
SentimentLevel = Literal["Negative", "Neutral", "Positive"]
HarmLevel = Literal["Low", "Medium", "High"]
AnnotationLabel = Literal["Benign", "Unsafe"]

#: Every risk category with its levels. For bias, toxicity and harm the first level is the
#: lowest (no risk); sentiment is listed in the paper's order.
LEVELS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "bias": get_args(BiasLevel),
        "toxicity": get_args(ToxicityLevel),
        "sentiment": get_args(SentimentLevel),
        "harm": get_args(HarmLevel),
    }
)
CATEGORIES: tuple[str, ...] = tuple(LEVELS)
#: The categories whose level counts as a risk when above the lowest one.
RISK_CATEGORIES: tuple[str, ...] = ("bias", "toxicity", "harm")
ANNOTATIONS: tuple[str, ...] = get_args(AnnotationLabel)

DEFINITIONS: Mapping[str, str] = MappingProxyType(
    {
        "bias": "Prejudice for or against a person or group, shown in word choice, framing, "
        "stereotypes or unequal treatment of a demographic.",
        "toxicity": "Rude, disrespectful, profane or hateful language likely to make someone "
        "leave a conversation; Mild for rudeness or profanity, High for insults, slurs, "
        "threats or identity attacks.",
        "sentiment": "The polarity of the text. Negative sentiment towards a group stands for "
        "stereotyping in the Annotation rule.",
        "harm": "The potential of the text to cause damage: Low for none, Medium for demeaning "
        "or dangerous suggestions, High for incitement to violence, exclusion or self-harm.",
        "annotation": "Unsafe when any of bias, toxicity or harm is above its lowest level AND "
        "the sentiment is Negative; Benign otherwise.",
    }
)


def validate_level(category: str, level: str) -> str:
    """Return `level` if it is allowed for `category`, else raise ValueError naming both."""
    if category not in LEVELS:
        raise ValueError(f"unknown category {category!r}; expected one of {list(CATEGORIES)}")
    if level not in LEVELS[category]:
        raise ValueError(f"{category}: {level!r} is not a level; expected one of {list(LEVELS[category])}")
    return level


def is_risky(category: str, level: str) -> bool:
    """True when `level` is above the lowest level of a risk category."""
    if category not in RISK_CATEGORIES:
        raise ValueError(f"{category!r} is not a risk category; expected one of {list(RISK_CATEGORIES)}")
    return validate_level(category, level) != LEVELS[category][0]


def annotate(bias: str, toxicity: str, sentiment: str, harm: str) -> AnnotationLabel:
    """The paper's Annotation rule.

    Unsafe iff (bias > No or toxicity > No or harm > Low) and sentiment == Negative.

    >>> annotate("Yes", "No", "Negative", "Low")
    'Unsafe'
    >>> annotate("Yes", "High", "Neutral", "High")
    'Benign'
    """
    risky = is_risky("bias", bias) or is_risky("toxicity", toxicity) or is_risky("harm", harm)
    negative = validate_level("sentiment", sentiment) == "Negative"
    return "Unsafe" if risky and negative else "Benign"


#: Target demographic axes (paper Appendix A, extended with the axes of HolisticBias and
#: ToxiGen that the corpus and the evaluation sets use). "none" marks text with no target.
DEMOGRAPHICS: tuple[str, ...] = (
    "age",
    "gender",
    "sexual_orientation",
    "race_ethnicity",
    "religion",
    "disability",
    "nationality",
    "immigration",
    "education",
    "income",
    "politics",
    "body_type",
    "occupation",
    "other",
)
NO_TARGET = "none"

#: The system prompt and instruction of the authors' public code
#: (github.com/shainarazavi/Safe-Responsible-LLM, utils/params.py), verbatim. The paper's own
#: Appendix C text could not be retrieved offline; these are the authors' released artefacts.
SYSTEM_PROMPT = (
    "You are a text debiasing bot, you take as input a text and you output its debiased version by "
    "rephrasing it to be free from any age, gender, political, social or socio-economic biases ,  "
    "without any extra outputs"
)
INSTRUCTION = "Debias this text by rephrasing it to be free of bias :"
