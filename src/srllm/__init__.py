"""srllm: the SR_LLM framework for safe and responsible LLMs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("srllm")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["PipelineConfig", "SafetyPipeline", "__version__"]


def __getattr__(name: str):  # the pipeline (numpy and friends) only when asked for
    if name in ("SafetyPipeline", "PipelineConfig"):
        from srllm import rewrite

        return getattr(rewrite, name)
    raise AttributeError(f"module 'srllm' has no attribute {name!r}")
