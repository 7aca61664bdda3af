"""Risk classifiers: the multi-head MiniLM classifier, calibration and word attributions.

``load_classifier()`` returns the shipped classifier; ``Classifier.predict(texts)`` gives one
`RiskReport` per text.
"""

from srllm.classify.report import HEADS, RiskReport, Span

__all__ = ["HEADS", "Classifier", "RiskReport", "Span", "load_classifier"]


def __getattr__(name: str):  # heavy imports (onnxruntime, tokenizers) only when used
    if name in ("Classifier", "load_classifier"):
        from srllm.classify import predictor

        return getattr(predictor, name)
    raise AttributeError(f"module 'srllm.classify' has no attribute {name!r}")
