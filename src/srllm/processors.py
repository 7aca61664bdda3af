"""The predictors of `srllm classify` and `srllm rewrite` as batch processors: picklable objects that
load their models on first use, so the same object runs in-process (`srllm.batch.run_batch`) or in
Ray Data workers (`srllm.ray_batch.run_ray_batch`). `options()` are the settings that change the
results, recorded with a partial output so a resume never mixes two configurations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from srllm import __version__


def classify_row(report: Any) -> dict[str, Any]:
    """The flat output fields of one classifier `RiskReport`."""
    row: dict[str, Any] = {h: (("Unsafe" if report.unsafe else "Benign") if h == "unsafe" else report.labels[h])
                           for h in report.probabilities}
    row.update({f"p_{h}": report.probabilities[h] for h in report.probabilities})
    row.update({"unsafe_score": report.unsafe_score, "annotation": report.annotation,
                "spans": [s.__dict__ for s in report.spans]})
    return row


@dataclass
class ClassifyProcessor:
    """Texts -> classifier fields (`classify_row`)."""

    classifier: str | None = None
    backend: str = "auto"
    threads: int | None = None
    explain: bool | str = True  # False, True ("auto"), "head" or "occlusion"
    _model: Any = field(default=None, init=False, repr=False, compare=False)

    def load(self) -> Any:
        if self._model is None:
            from srllm.classify.predictor import Classifier

            self._model = Classifier.load(self.classifier, backend=self.backend, threads=self.threads)
        return self._model

    def options(self) -> dict[str, Any]:
        return {"task": "classify", "classifier": self.classifier or "shipped", "backend": self.backend,
                "explain": self.explain, "srllm": __version__}

    def __call__(self, texts: list[str]) -> list[dict[str, Any]]:
        return [classify_row(r) for r in self.load().predict(texts, explain=self.explain)]

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_model": None}


@dataclass
class RewriteProcessor:
    """Texts -> safety-pipeline fields (`RewriteResult.row`); `arguments` are `srllm rewrite`'s
    parsed flags, so the pipeline is built exactly as the command line builds it."""

    arguments: dict[str, Any]
    batch_size: int = 16
    _pipeline: Any = field(default=None, init=False, repr=False, compare=False)

    def load(self) -> Any:
        if self._pipeline is None:
            import argparse

            from srllm.cli.rewrite import load_pipeline

            self._pipeline = load_pipeline(argparse.Namespace(**self.arguments), self.batch_size)
        return self._pipeline

    def options(self) -> dict[str, Any]:
        import argparse

        from srllm.cli.rewrite import pipeline_config
        from srllm.rewrite.config import MODEL_KEYS

        namespace = argparse.Namespace(**self.arguments)
        config = pipeline_config(namespace).to_dict()  # a --config file may choose the models too
        models = {key: getattr(namespace, key, None) for key in MODEL_KEYS}
        return {"task": "rewrite", "config": config, "models": {k: None if v is None else str(v) for k, v in models.items()},
                "srllm": __version__}

    def __call__(self, texts: list[str]) -> list[dict[str, Any]]:
        return [r.row() for r in self.load().run_many(texts)]

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_pipeline": None}
