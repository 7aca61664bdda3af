"""`srllm distill`: teacher -> verified pairs (generate), and the verifier's threshold on dev."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from srllm.cli.base import Command, CommandError


class DistillThreshold(Command):
    name = "threshold"
    help = "choose the verifier's embedding-similarity threshold on dev pairs (largest Youden J)"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--dev", type=Path, required=True, help="corpus dev JSONL (rows with benign variations)")
        parser.add_argument("--encoder", default="minilm-l6-v2", help="sentence encoder (default minilm-l6-v2)")
        parser.add_argument("--n", type=int, default=2000, help="at most this many positive and negative pairs")
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument("--out", type=Path, default=Path("runs/distill/threshold.json"))

    def run(self, args: argparse.Namespace) -> int:
        from srllm.distill.run import CorpusError
        from srllm.distill.threshold import choose_on_dev
        from srllm.similarity import embedding_similarity, encoder_embedder

        try:
            result = choose_on_dev(args.dev, embedding_similarity(encoder_embedder(args.encoder)), args.n, args.seed, None)
        except (CorpusError, ValueError, OSError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        result["encoder"] = args.encoder
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(result))
        return 0


class DistillGenerate(Command):
    name = "generate"
    help = "rewrite the corpus's unsafe rows that have no human rewrite with the teacher; keep verified pairs (resumable)"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        from srllm.distill.run import TEACHER
        from srllm.safety_prompt import DEFAULT_FEW_SHOT_SET, FEW_SHOT_SETS

        parser.add_argument("--corpus", type=Path, required=True, help="corpus train JSONL")
        parser.add_argument("--out", type=Path, required=True, help="pairs JSONL (decisions and summary go beside it)")
        parser.add_argument("--model", default=TEACHER, help=f"teacher model (default {TEACHER})")
        parser.add_argument("--classifier", default=None, help="risk classifier folder (default: the shipped one)")
        parser.add_argument("--encoder", default=None, help="sentence encoder for the similarity rule "
                            "(default: the threshold file's, else minilm-l6-v2)")
        parser.add_argument("--threshold-file", type=Path, default=None,
                            help="JSON from `srllm distill threshold` (its threshold and encoder)")
        parser.add_argument("--min-similarity", type=float, default=None, help="overrides the threshold file")
        parser.add_argument("--source", action="append", default=[], help="only rows of this source (repeatable)")
        parser.add_argument("--limit", type=int, default=None, help="at most this many rows (a pilot)")
        parser.add_argument("--threads", type=int, default=2, help="generation threads (default 2)")
        parser.add_argument("--retries", type=int, default=2, help="sampled candidates for a row whose greedy rewrite fails")
        parser.add_argument("--max-new-tokens", type=int, default=80)
        parser.add_argument("--chunk", type=int, default=8, help="rows verified and written together")
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument("--few-shot", default=DEFAULT_FEW_SHOT_SET,
                            help=f"few-shot set of srllm.safety_prompt: {', '.join(FEW_SHOT_SETS)} or none "
                                 f"(default {DEFAULT_FEW_SHOT_SET})")
        parser.add_argument("--rows", type=Path, default=None,
                            help="rewrite the unsafe rows of this file instead of --corpus's (e.g. a dev pilot)")
        parser.add_argument("--split", default="train", help="the split of the rows to rewrite (default train)")

    def run(self, args: argparse.Namespace) -> int:
        from srllm.distill.prompt import FewShotError
        from srllm.distill.run import CorpusError, DistillConfig, Job
        from srllm.verifier import VerifierConfig

        settings: dict = {}
        encoder = args.encoder
        if args.threshold_file is not None:
            try:
                chosen = json.loads(args.threshold_file.read_text(encoding="utf-8"))
                settings["min_similarity"] = float(chosen["threshold"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"{args.threshold_file}: not a threshold file from `srllm distill threshold`: {exc}") from None
            encoder = encoder or chosen.get("encoder")
        if args.min_similarity is not None:
            settings["min_similarity"] = args.min_similarity
        try:
            config = DistillConfig(
                corpus=args.corpus, out=args.out, model=args.model, classifier=args.classifier,
                encoder=encoder or "minilm-l6-v2", sources=tuple(args.source), limit=args.limit, threads=args.threads,
                max_new_tokens=args.max_new_tokens, retries=args.retries, chunk=args.chunk, seed=args.seed,
                verifier=VerifierConfig(**settings), few_shot=args.few_shot, rows=args.rows, split=args.split,
            )
            summary = Job(config).run()
        except (CorpusError, FewShotError, ValueError, OSError) as exc:
            raise CommandError(str(exc), exit_code=1) from None
        print(json.dumps({k: summary[k] for k in ("attempted", "kept", "acceptance", "by_category", "session")}, indent=2))
        return 0


DISTILL_COMMANDS: list[type[Command]] = [DistillGenerate, DistillThreshold]
