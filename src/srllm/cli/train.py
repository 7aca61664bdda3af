"""`srllm train ...`: instruction tuning."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from srllm.cli.base import Command, CommandError


class TrainSFT(Command):
    name = "sft"
    help = "LoRA/QLoRA instruction tuning on CMD rewrite pairs (trl SFTTrainer); --key value overrides the config"
    accepts_overrides = True

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--config", type=Path, default=None,
                            help="YAML recipe, e.g. configs/rewriter-cpu.yaml (default: the paper's values)")
        parser.epilog = "Any field of the recipe can follow as --key value, e.g. --max_steps 10 --lora_r 8."

    def run(self, args: argparse.Namespace) -> int:
        from srllm.train.config import ConfigError, load_config

        try:
            config = load_config(args.config, args.overrides)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        from srllm.train.sft import run_sft

        result = run_sft(config)
        print(json.dumps({"adapter": str(result.adapter_dir), **result.run["performance"],
                          "energy_kwh": result.run["energy"]["energy_kwh"],
                          "carbon_kgco2e": result.run["energy"]["carbon_kgco2e"],
                          "best_eval_loss": result.run["training"]["best_eval_loss"]}, indent=2))
        return 0


class Package(Command):
    name = "package"
    help = "copy a trained adapter into a folder for shipping: fp16 weights, run record and a model card"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("run_dir", type=Path, help="output_dir of `srllm train sft`")
        parser.add_argument("--dest", type=Path, required=True, help="e.g. src/srllm/assets/rewriter-smollm2-135m")
        parser.add_argument("--eval", type=Path, default=None, dest="evaluation",
                            help="rewrite_pairs.json of `srllm eval rewrite-pairs` to put in the model card")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.train.package import package_adapter

        try:
            dest = package_adapter(args.run_dir, args.dest, args.evaluation)
        except (FileNotFoundError, KeyError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(f"packaged {args.run_dir} -> {dest}")
        return 0


class ShipClassifier(Command):
    name = "ship-classifier"
    help = "copy a trained classifier's ONNX, tokenizer and config into a folder with a model card"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("run_dir", type=Path, help="output_dir of `srllm train classifier`")
        parser.add_argument("--dest", type=Path, required=True, help="e.g. src/srllm/assets/classifier-minilm")
        parser.add_argument("--eval", type=Path, default=None, dest="evaluation",
                            help="classifier_eval.json of `srllm eval classifier` to put in the model card")
        parser.add_argument("--baseline-eval", type=Path, default=None,
                            help="the evaluation JSON to hold the new classifier's counterfactual spread against "
                                 "(default: DEST/evaluation.json, the shipped classifier's)")
        parser.add_argument("--spread-tolerance", type=float, default=0.02,
                            help="how much a counterfactual spread may grow per axis (default 0.02)")
        parser.add_argument("--allow-fairness-regression", action="store_true",
                            help="ship even when the counterfactual spread grew")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.classify.package import FairnessGateError, package_classifier

        try:
            dest = package_classifier(args.run_dir, args.dest, args.evaluation, baseline=args.baseline_eval,
                                      tolerance=args.spread_tolerance,
                                      allow_fairness_regression=args.allow_fairness_regression)
        except FairnessGateError as exc:
            raise CommandError(str(exc), exit_code=2) from None
        except FileNotFoundError as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(f"packaged {args.run_dir} -> {dest}")
        return 0


class ExportClassifier(Command):
    name = "export-classifier"
    help = "re-export a trained classifier folder's ONNX from its torch weights in another form, and record it"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        from srllm.classify.onnx_export import QUANTIZE_MODES

        parser.add_argument("run_dir", type=Path, help="output_dir of `srllm train classifier` (with model.safetensors)")
        parser.add_argument("--quantize", choices=QUANTIZE_MODES, required=True,
                            help="how the ONNX stores its weights (see srllm.classify.onnx_export)")
        parser.add_argument("--dev", type=Path, default=Path("build/corpus/dev.jsonl"),
                            help="dev split whose first texts calibrate and check the export (as training does)")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.classify.onnx_export import EXPORT_CHECK_TEXTS, export_run_onnx
        from srllm.classify.predictor import TORCH_FILE
        from srllm.data.io import read_records

        if not (args.run_dir / TORCH_FILE).is_file():
            raise CommandError(f"{args.run_dir / TORCH_FILE}: no torch weights to export from", exit_code=1)
        if not args.dev.is_file():
            raise CommandError(f"{args.dev}: no dev split (build it with `make corpus`)", exit_code=1)
        texts = [r.text for r in read_records(args.dev)[:EXPORT_CHECK_TEXTS]]
        print(json.dumps(export_run_onnx(args.run_dir, args.quantize, texts), indent=2))
        return 0


class TrainReplyDetector(Command):
    name = "reply-detector"
    help = "fit the verifier's reply detector (assistant turns vs human text, on sentence embeddings)"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--corpus", type=Path, default=Path("build/corpus"),
                            help="folder with the corpus's train/dev/test.jsonl (default build/corpus)")
        parser.add_argument("--data-dir", type=Path, default=None, help="the public data (default ../shared/data)")
        parser.add_argument("--out", type=Path, default=Path("src/srllm/assets/reply-detector"))
        parser.add_argument("--max-fpr", type=float, default=0.01,
                            help="share of dev human texts the threshold may flag (default 0.01)")
        parser.add_argument("--corpus-rows", type=int, default=8000, help="corpus posts sampled for training")
        parser.add_argument("--generated-replies", type=int, default=500,
                            help="corpus posts of the train split the reply model answers (a quarter as many of dev "
                                 "and of test); 0: none (default 500)")
        parser.add_argument("--reply-model", default="smollm2-135m-instruct", help="the model that writes them")
        parser.add_argument("--replies-file", type=Path, default=Path("build/reply-detector/replies.jsonl"),
                            help="where the generated replies are kept (appended as made; a re-run resumes)")
        parser.add_argument("--seed", type=int, default=0)

    def run(self, args: argparse.Namespace) -> int:
        from srllm.data.registry import DataSourceError, default_data_dir
        from srllm.rewrite.reply_training import generate_replies, train_reply_detector

        if not 0 <= args.max_fpr < 1:
            raise CommandError(f"--max-fpr must be in [0, 1), got {args.max_fpr}")
        if args.generated_replies < 0:
            raise CommandError(f"--generated-replies must be >= 0, got {args.generated_replies}")
        n = args.generated_replies
        try:
            generated = generate_replies(args.corpus, args.replies_file, {"train": n, "dev": n // 4, "test": n // 4},
                                         model=args.reply_model, seed=args.seed) if n else []
            record = train_reply_detector(args.corpus, args.out, args.data_dir or default_data_dir(),
                                          max_fpr=args.max_fpr, seed=args.seed, corpus_rows=args.corpus_rows,
                                          generated=[r for r in generated if r["model"] == args.reply_model])
        except (FileNotFoundError, DataSourceError, ValueError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(json.dumps(record, indent=2))
        return 0


from srllm.cli.classify import TrainClassifier  # noqa: E402

TRAIN_COMMANDS: list[type[Command]] = [TrainSFT, TrainClassifier, Package, ShipClassifier, ExportClassifier,
                                       TrainReplyDetector]
