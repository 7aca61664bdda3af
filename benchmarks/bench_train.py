"""Benchmark LoRA training on CPU: seconds per step, tokens/s and peak memory of the default recipe.

    python benchmarks/bench_train.py [--config configs/rewriter-cpu.yaml] [--steps 10] [--train-file F]
        [--shared-prefix both|on|off]

Runs `steps` optimisation steps of the recipe (no evaluation, no checkpoint kept) in a temporary
folder and prints the figures `srllm train sft` records in srllm_run.json. With `--shared-prefix
both` (the default) it runs the recipe with and without the shared prefix (`srllm.train.shared_prefix`)
in one process and prints the speed ratio; tokens/s counts the tokens of the full examples in both.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from srllm.train.config import load_config
from srllm.train.sft import run_sft


def run(args: argparse.Namespace, shared_prefix: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="srllm-bench-train-") as out:
        overrides = ["--max_steps", str(args.steps), "--eval_file", "''", "--output_dir", out,
                     "--save_steps", str(args.steps), "--eval_steps", str(args.steps), "--resume", "false",
                     "--shared_prefix", str(shared_prefix).lower()]
        if args.train_file:
            overrides += ["--train_file", args.train_file]
        config = load_config(args.config, overrides)
        result = run_sft(config).run
    perf, data = result["performance"], result["data"]
    print(f"{config.model} {config.method} r={config.lora_r}, batch {config.per_device_train_batch_size}, "
          f"{data['mean_tokens_per_example']} tokens/example, shared prefix {data['shared_prefix_tokens']} tokens: "
          f"{args.steps} steps in {perf['wall_s']} s ({perf['wall_s'] / args.steps:.1f} s/step), "
          f"{perf['train_tokens_per_s']} tokens/s, peak RSS {perf['peak_rss_mib']} MiB, "
          f"{result['energy']['energy_kwh']:.5f} kWh", flush=True)
    return perf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/rewriter-cpu.yaml"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--train-file", default=None)
    parser.add_argument("--shared-prefix", choices=("both", "on", "off"), default="both")
    args = parser.parse_args()
    modes = {"both": (False, True), "on": (True,), "off": (False,)}[args.shared_prefix]
    perfs = {mode: run(args, mode) for mode in modes}
    if len(perfs) == 2:
        print(f"shared prefix / plain: {perfs[True]['train_tokens_per_s'] / perfs[False]['train_tokens_per_s']:.2f}x "
              "tokens/s")


if __name__ == "__main__":
    main()
