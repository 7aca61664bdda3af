"""The safety intervention: detect -> highlight -> rewrite -> re-score -> retry -> fall back."""

from srllm.rewrite.config import PipelineConfig
from srllm.rewrite.pipeline import SafetyPipeline, embedding_similarity
from srllm.rewrite.result import DECISIONS, FELL_BACK, KEPT, REWRITTEN, RewriteResult, Segment
from srllm.rewrite.text import InputError

__all__ = ["DECISIONS", "FELL_BACK", "KEPT", "REWRITTEN", "InputError", "PipelineConfig", "RewriteResult",
           "SafetyPipeline", "Segment", "embedding_similarity"]
