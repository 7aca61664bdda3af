"""The CMD record: the paper's Content Moderation Dataset schema (section 3.2, Appendix B.1).

One row is one text with its four risk labels, the Annotation computed by the taxonomy's
rule, the target demographic(s), the biased words (and, where a source marks them, their
character spans `biased_spans`), and a benign variation where one exists.
`source`, `source_id` and `provenance` say where the row came from.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from srllm.data.spans import check_spans, span_words
from srllm.taxonomy import (
    DEMOGRAPHICS,
    NO_TARGET,
    AnnotationLabel,
    BiasLevel,
    HarmLevel,
    SentimentLevel,
    ToxicityLevel,
    annotate,
)

Provenance = Literal["public", "synthetic", "generated"]
Split = Literal["train", "dev", "test"]
SPLITS: tuple[str, ...] = ("train", "dev", "test")
ALLOWED_DEMOGRAPHICS = (*DEMOGRAPHICS, NO_TARGET)


class CMDRecord(BaseModel):
    """One labelled text in the paper's schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="Stable id: '<source>:<key in the source>'.")
    text: str = Field(min_length=1, description="The text to moderate.")
    bias: BiasLevel
    toxicity: ToxicityLevel
    sentiment: SentimentLevel
    harm: HarmLevel
    annotation: AnnotationLabel = Field(description="Unsafe/Benign by the taxonomy's rule.")
    target_demographic: list[str] = Field(
        default_factory=lambda: [NO_TARGET],
        description=f"Targeted demographic axes, from {list(ALLOWED_DEMOGRAPHICS)}.",
    )
    biased_words: list[str] = Field(default_factory=list, description="Words that carry the risk.")
    biased_spans: list[tuple[int, int]] = Field(
        default_factory=list,
        description="Character spans [start, end) of the biased/toxic words in `text`: sorted, non-overlapping, "
        "inside the text. When present, `biased_words` are the words inside them.",
    )
    benign_variation: str | None = Field(default=None, description="A benign rewrite keeping the meaning.")
    source: str = Field(min_length=1, description="Dataset (adapter) name the row came from.")
    source_id: str = Field(min_length=1, description="Row key inside the source file(s).")
    provenance: Provenance = Field(description="public: text from a public data set; synthetic: generated here.")
    parent_id: str | None = Field(default=None, description="Id of the row this one was derived from.")
    split: Split | None = None

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("id is blank; expected '<source>:<key in the source>'")
        return value

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is blank")
        return value

    @field_validator("benign_variation")
    @classmethod
    def _variation_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("benign_variation is blank; use null when there is none")
        return value

    @field_validator("target_demographic")
    @classmethod
    def _known_demographics(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in ALLOWED_DEMOGRAPHICS]
        if unknown:
            raise ValueError(f"unknown demographic(s) {unknown}; expected values from {list(ALLOWED_DEMOGRAPHICS)}")
        if not value:
            raise ValueError(f"empty; use [{NO_TARGET!r}] for text with no target")
        return value

    @model_validator(mode="after")
    def _spans_fit_the_text(self) -> CMDRecord:
        if self.biased_spans:
            check_spans(self.text, self.biased_spans)
            expected = span_words(self.text, self.biased_spans)
            if self.biased_words != expected:
                raise ValueError(f"biased_words {self.biased_words!r} are not the words inside biased_spans "
                                 f"({expected!r})")
        return self

    @model_validator(mode="after")
    def _annotation_follows_rule(self) -> CMDRecord:
        expected = annotate(self.bias, self.toxicity, self.sentiment, self.harm)
        if self.annotation != expected:
            raise ValueError(
                f"annotation is {self.annotation!r} but the taxonomy's rule gives {expected!r} for "
                f"bias={self.bias}, toxicity={self.toxicity}, sentiment={self.sentiment}, harm={self.harm}"
            )
        return self

    @classmethod
    def labelled(cls, *, bias: str, toxicity: str, sentiment: str, harm: str, **fields: object) -> CMDRecord:
        """Build a record whose annotation is computed by the taxonomy's rule."""
        return cls(
            bias=bias,
            toxicity=toxicity,
            sentiment=sentiment,
            harm=harm,
            annotation=annotate(bias, toxicity, sentiment, harm),
            **fields,
        )


#: Fields holding lists: stored as JSON arrays in CSV cells.
LIST_FIELDS: tuple[str, ...] = ("target_demographic", "biased_words", "biased_spans")
#: List fields whose items are [start, end] integer pairs (Parquet: list<list<int64>>).
SPAN_FIELDS: tuple[str, ...] = ("biased_spans",)
FIELDS: tuple[str, ...] = tuple(CMDRecord.model_fields)


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of one CMD record."""
    schema = CMDRecord.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "CMD record (SR_LLM content moderation dataset)"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True)
