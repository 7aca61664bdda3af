"""Benchmark LoRA training on CPU: seconds per step, tokens/s and peak memory of the default recipe.

    python benchmarks/bench_train.py [--config configs/rewriter-cpu.yaml] [--steps 10] [--train-file F]

Runs `steps` optimisation steps of the recipe (no evaluation, no checkpoint kept) in a temporary
folder and prints the figures `srllm train sft` records in srllm_run.json.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from srllm.train.config import load_config
from srllm.train.sft import run_sft


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/rewriter-cpu.yaml"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--train-file", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="srllm-bench-train-") as out:
        overrides = ["--max_steps", str(args.steps), "--eval_file", "''", "--output_dir", out,
                     "--save_steps", str(args.steps), "--eval_steps", str(args.steps), "--resume", "false"]
        if args.train_file:
            overrides += ["--train_file", args.train_file]
        config = load_config(args.config, overrides)
        run = run_sft(config).run
    perf, data = run["performance"], run["data"]
    print(f"{config.model} {config.method} r={config.lora_r}, batch {config.per_device_train_batch_size}, "
          f"{data['mean_tokens_per_example']} tokens/example: {args.steps} steps in {perf['wall_s']} s "
          f"({perf['wall_s'] / args.steps:.1f} s/step), {perf['train_tokens_per_s']} tokens/s, "
          f"peak RSS {perf['peak_rss_mib']} MiB, {run['energy']['energy_kwh']:.5f} kWh")


if __name__ == "__main__":
    main()
