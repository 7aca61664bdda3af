"""Pydantic request and response models of the HTTP API (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"texts": ["Have a nice day"], "explain": True}]})
    texts: list[str] = Field(min_length=1,
                             description="texts to score (at most max_texts, each at most max_text_chars)")
    explain: bool = Field(False, description="also return the character spans of the words that drove the scores")


class RewriteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"texts": ["You are a stupid idiot."]}]})
    texts: list[str] = Field(min_length=1, description="texts to rewrite into benign variations when unsafe")


class ModerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"input": "You are a stupid idiot."}]})
    input: str | list[str] = Field(description="one text or a batch of texts")
    rewrite: bool = Field(True, description="rewrite the flagged texts")


class SpanOut(BaseModel):
    start: int
    end: int
    text: str
    score: float
    head: str


class RiskReportOut(BaseModel):
    """`srllm.classify.report.RiskReport` as JSON."""

    text: str
    labels: dict[str, str]
    probabilities: dict[str, dict[str, float]]
    unsafe_score: float
    unsafe: bool
    spans: list[SpanOut] = []
    annotation: str
    language: str | None = Field(None, description="the text's language (ISO 639), when it has letters")
    judged: bool = Field(True, description="false: the English models cannot read this text, and the scores "
                                           "say nothing about it (never read it as benign)")


class RewriteResultOut(BaseModel):
    """The safety pipeline's `RewriteResult` as JSON (extra fields of an engine are kept).

    ``decision``: the text was left as it was ("kept"), rewritten ("rewritten"), or no rewrite
    passed the checks ("fell_back"), the same for every engine. ``risk_before`` / ``risk_after``: a
    `RiskReport` or the pipeline's summary of one (both carry ``unsafe``, ``unsafe_score``, ``labels``).
    """

    model_config = ConfigDict(extra="allow")
    input: str
    output: str
    decision: str
    risk_before: dict[str, Any] | None = None
    risk_after: dict[str, Any] | None = None
    similarity: float | None = None
    spans: list[SpanOut] = []
    timings: dict[str, Any] = {}


class ClassifyResponse(BaseModel):
    engine: str
    results: list[RiskReportOut]


class RewriteResponse(BaseModel):
    engine: str
    results: list[RewriteResultOut]


class ModerationResult(BaseModel):
    flagged: bool = Field(description="the unsafe head's decision; for a text that cannot be judged, true unless "
                                      "the language policy is pass")
    judged: bool = Field(True, description="false: the English models cannot read this text")
    language: str | None = None
    categories: dict[str, bool] = Field(description="per category: is the predicted level a risk")
    category_scores: dict[str, float] = Field(description="per category: probability of a risky level")
    report: RiskReportOut
    rewrite: RewriteResultOut | None = None


class ModerateResponse(BaseModel):
    id: str
    engine: str
    results: list[ModerationResult]


class Health(BaseModel):
    status: str
    engine: str | None = None
    detail: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """An OpenAI chat-completions request; fields other than these are passed to the upstream server."""

    model_config = ConfigDict(extra="allow")
    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)


class ErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody
