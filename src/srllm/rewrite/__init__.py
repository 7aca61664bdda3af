"""The safety intervention: detect -> highlight -> rewrite -> verify -> retry -> escalate -> fall back."""

from srllm.rewrite.config import PipelineConfig
from srllm.rewrite.pipeline import SafetyPipeline
from srllm.rewrite.result import DECISIONS, FELL_BACK, KEPT, REWRITTEN, RewriteResult, Segment
from srllm.rewrite.text import InputError
from srllm.rewrite.tiers import Tier, TierSpec, TierUnavailableError, register_backend
from srllm.rewrite.verify import Verdict, VerifierRules, verify
from srllm.similarity import embedding_similarity

__all__ = ["DECISIONS", "FELL_BACK", "KEPT", "REWRITTEN", "InputError", "PipelineConfig", "RewriteResult",
           "SafetyPipeline", "Segment", "Tier", "TierSpec", "TierUnavailableError", "Verdict", "VerifierRules",
           "embedding_similarity", "register_backend", "verify"]
