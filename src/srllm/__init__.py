"""srllm: the SR_LLM framework for safe and responsible LLMs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("srllm")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"
