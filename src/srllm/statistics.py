"""Statistics shared by evaluation, training and data analysis (numpy / scipy); every function names
its test and source. A neutral module: it imports nothing from ``srllm``.

- `one_sample_ttest`: Student's one-sample t-test of a mean against `popmean` (paper section 5.4
  tests whether the mean rating / score differs from a reference), ``scipy.stats.ttest_1samp``.
  Worked example: [1, 2, 3, 4, 5] against 2 -> t = 1.414, p = 0.230 (df 4).
- `paired_ttest`: Student's paired t-test, ``scipy.stats.ttest_rel``; `welch_ttest`: Welch's
  unequal-variance t-test, ``scipy.stats.ttest_ind(equal_var=False)``.
- `mann_whitney`: two-sided Mann-Whitney U, ``scipy.stats.mannwhitneyu``.
- `grubbs_filter`: iterated two-sided Grubbs test (Grubbs 1969): while
  ``G = max|x - mean| / sd`` exceeds ``G_crit = (n-1)/sqrt(n) * sqrt(t^2 / (n - 2 + t^2))`` with
  ``t = t_{alpha/(2n), n-2}``, drop the most extreme point. Worked example: [1, 2, 2, 3, 2, 100]
  drops 100.
- `cohens_d` (pooled SD, Cohen 1988), `cohens_dz` (paired: mean diff / SD of diffs).
- `bootstrap_indices` / `bootstrap_ci` / `bootstrap_mean_ci`: percentile bootstrap of the mean (Efron &
  Tibshirani 1993) on seeded resamples that several systems of one run can share.
- `paired_comparison`: paired bootstrap (Koehn 2004) and Wilcoxon signed-rank test of per-item
  differences; `holm`: Holm-Bonferroni adjusted p-values; `bootstrap_f1`: percentile interval of
  an F1 score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def _arr(values: Sequence[float]) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _num(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def one_sample_ttest(values: Sequence[float], popmean: float = 0.0) -> dict[str, Any]:
    """t, two-sided p, df and mean of `values` against `popmean`."""
    from scipy.stats import ttest_1samp

    x = _arr(values)
    if x.size < 2:
        return {"t": None, "p": None, "df": None, "mean": _num(x.mean()) if x.size else None, "n": int(x.size)}
    res = ttest_1samp(x, popmean)
    return {"t": _num(res.statistic), "p": _num(res.pvalue), "df": int(x.size - 1), "mean": float(x.mean()),
            "popmean": popmean, "n": int(x.size)}


def paired_ttest(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """Paired t-test of a - b (t > 0 when a is larger), with Cohen's d_z."""
    from scipy.stats import ttest_rel

    x, y = _arr(a), _arr(b)
    if x.shape != y.shape:
        raise ValueError(f"paired samples differ in length: {x.size} vs {y.size}")
    if x.size < 2:
        return {"t": None, "p": None, "n": int(x.size), "mean_diff": None, "d_z": None}
    res = ttest_rel(x, y)
    return {"t": _num(res.statistic), "p": _num(res.pvalue), "n": int(x.size), "mean_diff": float((x - y).mean()),
            "d_z": cohens_dz(x, y)}


def welch_ttest(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """Welch's t-test of mean(a) vs mean(b), with Cohen's d."""
    from scipy.stats import ttest_ind

    x, y = _arr(a), _arr(b)
    if x.size < 2 or y.size < 2:
        return {"t": None, "p": None, "n_a": int(x.size), "n_b": int(y.size), "d": None}
    res = ttest_ind(x, y, equal_var=False)
    return {"t": _num(res.statistic), "p": _num(res.pvalue), "n_a": int(x.size), "n_b": int(y.size),
            "d": cohens_d(x, y)}


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """Two-sided Mann-Whitney U test."""
    from scipy.stats import mannwhitneyu

    x, y = _arr(a), _arr(b)
    if x.size == 0 or y.size == 0:
        return {"u": None, "p": None}
    res = mannwhitneyu(x, y, alternative="two-sided")
    return {"u": float(res.statistic), "p": _num(res.pvalue)}


def grubbs_filter(values: Sequence[float], alpha: float = 0.05) -> np.ndarray:
    """Boolean mask of the values kept after iterated two-sided Grubbs outlier removal."""
    from scipy.stats import t as student_t

    x = _arr(values)
    keep = np.ones(x.size, dtype=bool)
    while keep.sum() > 2:
        idx = np.flatnonzero(keep)
        sample = x[idx]
        sd = sample.std(ddof=1)
        if sd == 0:
            break
        dev = np.abs(sample - sample.mean())
        worst = int(dev.argmax())
        n = sample.size
        tcrit = student_t.ppf(1 - alpha / (2 * n), n - 2)
        gcrit = (n - 1) / math.sqrt(n) * math.sqrt(tcrit ** 2 / (n - 2 + tcrit ** 2))
        if dev[worst] / sd <= gcrit:
            break
        keep[idx[worst]] = False
    return keep


def cohens_d(a: Sequence[float], b: Sequence[float]) -> float | None:
    """(mean a - mean b) / pooled SD."""
    x, y = _arr(a), _arr(b)
    if x.size < 2 or y.size < 2:
        return None
    pooled = math.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2))
    return float((x.mean() - y.mean()) / pooled) if pooled > 0 else None


def cohens_dz(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Mean of the paired differences / their SD."""
    diff = _arr(a) - _arr(b)
    if diff.size < 2:
        return None
    sd = diff.std(ddof=1)
    return float(diff.mean() / sd) if sd > 0 else None


def bootstrap_mean_ci(values: Sequence[float], resamples: int = 1000, seed: int = 0,
                      level: float = 0.95) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of the mean."""
    x = _arr(values)
    if x.size == 0:
        return None, None
    low, high = bootstrap_ci(x, bootstrap_indices(x.size, resamples, seed), level)
    return low, high


def proportion_summary(flags: Sequence[bool], resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Percentage of true flags with its bootstrap 95% CI (in percent)."""
    x = _arr([1.0 if f else 0.0 for f in flags])
    if x.size == 0:
        return {"pct": None, "ci": [None, None], "n": 0}
    low, high = bootstrap_mean_ci(x, resamples, seed)
    return {"pct": 100 * float(x.mean()), "ci": [100 * low, 100 * high], "n": int(x.size)}


def bootstrap_indices(n: int, resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """(resamples, n) item indices drawn with replacement, seeded; shared by every system so the
    intervals and paired tests of one run use the same resamples."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def bootstrap_ci(values: np.ndarray, indices: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values`."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return float("nan"), float("nan")
    means = values[indices].mean(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def paired_comparison(a: np.ndarray, b: np.ndarray, indices: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """A vs B on per-item scores: mean difference (A - B, positive when A scores higher), its
    paired-bootstrap interval, the two-sided paired-bootstrap p-value ``min(1, 2 (k+1)/(R+1))``
    where k counts the resampled mean differences on the other side of zero, and the Wilcoxon
    signed-rank p-value (1.0 when every difference is zero)."""
    from scipy.stats import wilcoxon

    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    mean = float(diff.mean()) if diff.size else float("nan")
    low, high = bootstrap_ci(diff, indices, level)
    boot = diff[indices].mean(axis=1)
    resamples = len(boot)
    if diff.size == 0 or mean == 0:
        p_boot = 1.0
    else:
        against = int((boot <= 0).sum()) if mean > 0 else int((boot >= 0).sum())
        p_boot = min(1.0, 2 * (against + 1) / (resamples + 1))
    nonzero = diff[diff != 0]
    if nonzero.size == 0:
        p_wilcoxon = 1.0
    else:
        p_wilcoxon = float(wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)
    return {
        "mean_diff": mean, "ci_low": low, "ci_high": high, "p_bootstrap": p_boot, "p_wilcoxon": p_wilcoxon,
        "wins": int((diff > 0).sum()), "losses": int((diff < 0).sum()), "ties": int((diff == 0).sum()),
    }


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def bootstrap_f1(labels: np.ndarray, decisions: np.ndarray, average: str, resamples: int = 1000,
                 seed: int = 13) -> tuple[float, float]:
    """95% percentile bootstrap interval of scikit-learn's F1 (`average` as in ``f1_score``)."""
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(seed)
    n = len(labels)
    values = []
    for _ in range(resamples):
        index = rng.integers(0, n, n)
        values.append(f1_score(labels[index], decisions[index], average=average, zero_division=0))
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)
