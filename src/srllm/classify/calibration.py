"""Calibration: temperature scaling per head, decision thresholds, expected calibration error.

- Temperature scaling (Guo et al., ICML 2017, "On Calibration of Modern Neural Networks"): one
  scalar T > 0 per head, fitted on held-out logits by minimising the negative log-likelihood of
  softmax(logits / T); predictions (argmax) are unchanged, confidences are.
- Expected calibration error (Naeini et al., AAAI 2015; Guo et al. 2017): bin the top-class
  confidences into `bins` equal-width bins; ECE = sum_b (|B_b| / n) * |acc(B_b) - conf(B_b)|.
  Worked example: confidences [0.9, 0.9, 0.6, 0.6] with correctness [1, 0, 1, 1] in 10 bins:
  bin 0.9 has acc 0.5, conf 0.9 -> 0.5 * 0.4; bin 0.6 has acc 1.0, conf 0.6 -> 0.5 * 0.4; ECE = 0.4.
- Thresholds: for a binary head, the probability cut-off on the positive class that maximises F1
  on held-out data (ties: the lowest cut-off).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax


def softmax_t(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=-1)


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    logp = log_softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=-1)
    return float(-logp[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature minimising NLL on (logits, labels), searched on log T within `bounds`."""
    logits, labels = np.asarray(logits), np.asarray(labels)
    if len(labels) == 0:
        raise ValueError("cannot fit a temperature on no examples")
    result = minimize_scalar(lambda log_t: nll(logits, labels, float(np.exp(log_t))),
                             bounds=(np.log(bounds[0]), np.log(bounds[1])), method="bounded")
    return float(np.exp(result.x))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """ECE of the top-class confidence with `bins` equal-width bins over [0, 1]."""
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels)
    if len(labels) == 0:
        return float("nan")
    confidence = probs.max(axis=-1)
    correct = (probs.argmax(axis=-1) == labels).astype(np.float64)
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            ece += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(ece)


def best_f1_threshold(positive_probs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) maximising F1 of ``prob >= threshold`` against binary `labels`."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(labels, positive_probs)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)[:-1]
    if len(thresholds) == 0:
        return 0.5, 0.0
    best = int(np.argmax(f1))
    return float(thresholds[best]), float(f1[best])
