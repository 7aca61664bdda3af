"""`srllm classify`, `srllm train classifier`, `srllm eval classifier`: the risk classifiers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from srllm.cli.base import Command, CommandError
from srllm.cli.batch import add_batch_arguments, run_file_job


def _load(path: Path | None, backend: str = "auto", threads: int | None = None):
    from srllm.classify.predictor import Classifier, ClassifierError

    try:
        return Classifier.load(path, backend=backend, threads=threads)
    except ClassifierError as exc:
        raise CommandError(str(exc), exit_code=1) from None


def _readable(report) -> str:
    lines = [f"text: {report.text}"]
    for head, probs in report.probabilities.items():
        label = "Unsafe" if head == "unsafe" and report.unsafe else "Benign" if head == "unsafe" else report.labels[head]
        lines.append(f"  {head:<9} {label:<8} " + "  ".join(f"{k} {v:.2f}" for k, v in probs.items()))
    lines.append(f"  annotation (rule on the levels): {report.annotation}")
    if report.spans:
        marked = sorted({(s.start, s.end) for s in report.spans})
        text, out, last = report.text, [], 0
        for start, end in marked:
            if start >= last:
                out += [text[last:start], "[", text[start:end], "]"]
                last = end
        out.append(text[last:])
        lines.append("  words: " + "".join(out))
    return "\n".join(lines)


class Classify(Command):
    name = "classify"
    help = "score texts for bias, toxicity, sentiment, harm and unsafe (labels, calibrated probabilities, words)"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("texts", nargs="*", help="texts to classify (or use --input)")
        parser.add_argument("--input", type=Path, help="JSONL / CSV / Parquet / .txt file to classify")
        parser.add_argument("--output", type=Path, help="JSONL / CSV / Parquet file for the results (resumable)")
        parser.add_argument("--text-field", default="text", help="column holding the text (default: text)")
        parser.add_argument("--classifier", type=Path, default=None, help="classifier folder (default: the shipped one)")
        parser.add_argument("--backend", choices=("auto", "onnx", "torch"), default="auto")
        parser.add_argument("--no-explain", action="store_true", help="skip the word spans")
        parser.add_argument("--spans", choices=("auto", "head", "occlusion"), default="auto",
                            help="how word spans are found: the token head (same pass, the default when the classifier "
                                 "has one) or occlusion (one extra pass per word)")
        parser.add_argument("--batch-size", type=int, default=1024,
                            help="texts per batch written (default 1024; sorting a larger batch by length pads less)")
        parser.add_argument("--threads", type=int, default=None)
        parser.add_argument("--json", action="store_true", help="print JSON lines instead of a readable summary")
        add_batch_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        if bool(args.texts) == bool(args.input):
            raise CommandError("give texts or --input FILE (not both)")
        if args.input and not args.output:
            raise CommandError("--input needs --output")
        from srllm.processors import ClassifyProcessor

        processor = ClassifyProcessor(None if args.classifier is None else str(args.classifier), args.backend,
                                      args.threads, explain=False if args.no_explain else args.spans)
        if args.texts:
            clf = _load(args.classifier, args.backend, args.threads)
            for report in clf.predict(args.texts, explain=processor.explain):
                print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else _readable(report))
            return 0
        if not args.ray:  # a bad classifier folder fails here, before any output is written
            processor._model = _load(args.classifier, args.backend, args.threads)
        return run_file_job(args, processor, desc="classify")


class TrainClassifier(Command):
    name = "classifier"
    help = "fine-tune the multi-head risk classifier on a CMD corpus; --key value overrides the config"
    accepts_overrides = True

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--config", type=Path, default=None, help="YAML recipe, e.g. configs/classifier.yaml")
        parser.add_argument("--ship", type=Path, default=None,
                            help="also copy the shipped form (ONNX, tokenizer, config, model card) to this folder")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.classify.train import load_classifier_config, train_classifier
        from srllm.train.config import ConfigError

        try:
            config = load_classifier_config(args.config, args.overrides)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        run = train_classifier(config)
        print(json.dumps({"output_dir": str(run.output_dir), **run.info["performance"],
                          "best_dev_mean_macro_f1": run.info["training"]["best_dev_mean_macro_f1"],
                          "energy_kwh": run.info["energy"]["energy_kwh"]}, indent=2))
        if args.ship:
            from srllm.classify.package import package_classifier

            print(f"shipped -> {package_classifier(run.output_dir, args.ship)}")
        return 0


class EvalClassifier(Command):
    name = "classifier"
    help = ("score a classifier on the corpus test split, ToxiGen (940), BABE and a counterfactual set, "
            "side by side with HateBERT, alt-profanity-check, VADER and majority baselines")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--classifier", type=Path, default=None, help="classifier folder (default: shipped)")
        parser.add_argument("--backend", choices=("auto", "onnx", "torch"), default="auto")
        parser.add_argument("--test", default="build/corpus/test.jsonl", help="CMD test split")
        parser.add_argument("--train", default="build/corpus/train.jsonl", help="CMD train split (majority baseline)")
        parser.add_argument("--data-dir", default=None, help="public data (default $SRLLM_DATA_DIR or ../shared/data)")
        parser.add_argument("--limit", type=int, default=None, help="cap test rows and BABE sentences (quick run)")
        parser.add_argument("--out", type=Path, default=Path("runs/eval/classifier"))

    def run(self, args: argparse.Namespace) -> int:
        from srllm.eval.classifier import evaluate_classifier, to_markdown, write_results

        for path in (args.test, args.train):
            if not Path(path).is_file():
                raise CommandError(f"{path}: no such file (build the corpus with `srllm data build`)")
        result = evaluate_classifier(_load(args.classifier, args.backend), args.test, args.train, args.data_dir, args.limit)
        out = write_results(result, args.out)
        print(to_markdown(result))
        print(f"wrote {out}/classifier_eval.json and classifier_eval.md")
        return 0
