"""`detox`: the ParaDetox held-out test pairs rewritten by every system side by side, scored the
ParaDetox way (`srllm.eval.style_transfer`): STA by each independent judge, SIM to the input, FL,
J = mean(STA x SIM x FL) with bootstrap 95% CIs, and chrF against the human references.

Systems (option ``systems``):

- ``copy-input`` (the input unchanged), ``reference`` (the human rewrite), ``delete-flagged``
  (drop the words alt-profanity-check flags);
- ``adapter``: the shipped SmolLM2-135M LoRA adapter (v2 since 2026-12-03) on transformers; ``adapter:<folder>`` any other;
- ``qwen-zero-shot`` / ``qwen-few-shot``: Qwen2.5-Coder-1.5B-Instruct (GGUF, llama.cpp) with the
  safety prompt (`srllm.safety_prompt`), without / with its default few-shot set; ``qwen-few-shot:SET``
  with the set SET;
- ``pipeline``: the srllm safety pipeline at its default quality; ``pipeline-best``: at ``best``;
  ``pipeline:FILE``: on the pipeline YAML FILE (a path or a shipped config's name).

Each system's outputs are appended to ``outputs_dir`` as they are made (one JSONL per system and
settings), so an interrupted run resumes where it stopped; a row whose input changed is redone.
Perplexities of FL are kept there too, one JSONL per fluency model.

FL's default LM is Qwen2.5-Coder-1.5B-Instruct: not the base of the SmolLM2 students, which would score
text close to its own distribution (its students' outputs) as more fluent, and a stronger judge of
English. Without llama.cpp or the joined GGUF it falls back to SmolLM2-135M, and the report says which.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from srllm import formatting as fmt
from srllm.eval.benchmarks.cmd_test import DEFAULT_TEST_FILE, ensure_test_file
from srllm.eval.options import Options, option
from srllm.eval.registry import Benchmark, BenchmarkError, BenchmarkResult, Context

DEFAULT_SYSTEMS = ["copy-input", "delete-flagged", "adapter", "qwen-zero-shot", "qwen-few-shot", "pipeline", "reference"]
QWEN = "qwen2.5-coder-1.5b-instruct"


@dataclass
class DetoxOptions(Options):
    test_file: str = option(DEFAULT_TEST_FILE, "the corpus test split (built when missing)")
    source: str = option("paradetox", "the source whose human rewrite pairs are rewritten")
    systems: list[str] = option(DEFAULT_SYSTEMS, "copy-input, reference, delete-flagged, adapter, adapter:<folder>, "
                                "qwen-zero-shot, qwen-few-shot, qwen-few-shot:<set of srllm.safety_prompt>, "
                                "pipeline, pipeline-best, pipeline:<pipeline YAML>")
    encoder: str = option("auto", "sentence encoder of SIM (auto: all-mpnet-base-v2 when joined, else minilm-l6-v2)")
    fluency_model: str = option("auto", "causal LM of FL (auto: the 1.5B Qwen GGUF when joined and llama.cpp is "
                                "installed, else smollm2-135m-instruct, the students' own base)")
    outputs_dir: str = option("build/eval-cache/detox", "where each system's outputs are kept as they are made (resume)")
    max_new_tokens: int = option(64, "new tokens per rewrite (greedy)")
    threads: int | None = option(None, "CPU threads of the generators (default: all)")
    resamples: int = option(1000, "bootstrap resamples")


# --- systems -------------------------------------------------------------------------------------

System = Callable[[list[str]], list[str]]


def _qwen_pairs(name: str) -> list[tuple[str, str]]:
    """The few-shot pairs of a qwen system: none for qwen-zero-shot, the default set for
    qwen-few-shot, the set NAME for qwen-few-shot:NAME."""
    from srllm.safety_prompt import DEFAULT_FEW_SHOT_SET, few_shot_rows

    if name == "qwen-zero-shot":
        return []
    try:
        return [(text, rewrite) for _, text, rewrite in few_shot_rows(name.partition(":")[2] or DEFAULT_FEW_SHOT_SET)]
    except ValueError as exc:
        raise BenchmarkError(f"detox: system {name!r}: {exc}") from None


def _qwen(name: str, o: DetoxOptions) -> System:
    from srllm.backends.llamacpp import LlamaCppRewriter
    from srllm.safety_prompt import INSTRUCTION, SAFETY_SYSTEM_PROMPT

    rewriter = LlamaCppRewriter.load(QWEN, few_shot=_qwen_pairs(name) or None, system=SAFETY_SYSTEM_PROMPT,
                                     instruction=INSTRUCTION, threads=o.threads, max_new_tokens=o.max_new_tokens)
    return rewriter.rewrite


def _adapter(path: str | None, o: DetoxOptions) -> System:
    from srllm.generate import Rewriter
    from srllm.rewrite.assets import default_adapter

    rewriter = Rewriter.load(adapter=str(path or default_adapter()), threads=o.threads, max_new_tokens=o.max_new_tokens)
    return rewriter.rewrite


def build_system(name: str, o: DetoxOptions) -> System:
    """The system called `name` (see the module docstring); unknown names raise BenchmarkError."""
    from srllm.eval.interventions import delete_flagged, srllm_pipeline

    if name == "delete-flagged":
        return delete_flagged
    if name == "adapter" or name.startswith("adapter:"):
        return _adapter(name.partition(":")[2] or None, o)
    if name in ("qwen-zero-shot", "qwen-few-shot") or name.startswith("qwen-few-shot:"):
        return _qwen(name, o)  # an unknown set fails in _qwen_pairs, before the model loads
    if name in ("pipeline", "pipeline-best"):
        return srllm_pipeline("best" if name == "pipeline-best" else None)
    if name.startswith("pipeline:"):
        return srllm_pipeline(config=name.partition(":")[2])
    raise BenchmarkError(f"detox: unknown system {name!r}; expected some of {DEFAULT_SYSTEMS + ['pipeline-best', 'pipeline:<file>', 'adapter:<folder>', 'qwen-few-shot:<set>']}")


def _model_files(name: str) -> list[str]:
    """The weight files a system's outputs depend on, as 'path size mtime' (a retrained adapter or
    classifier changes the cache key, so stale outputs are never reused)."""
    from srllm.classify.predictor import shipped_path
    from srllm.rewrite import replies
    from srllm.rewrite.assets import default_adapter

    folders: list[Path] = []
    if name == "adapter" or name.startswith("pipeline"):
        folders.append(default_adapter())
    if name.startswith("adapter:"):
        folders.append(Path(name.partition(":")[2]))
    if name.startswith("pipeline"):
        folders += [shipped_path(), replies.default_path()]
    files = sorted(f for folder in folders if folder.is_dir() for f in folder.iterdir()
                   if f.suffix in (".safetensors", ".onnx", ".json"))
    return [f"{f} {f.stat().st_size} {f.stat().st_mtime_ns}" for f in files]


def _backend_state(name: str) -> dict[str, Any]:
    """What picks a pipeline's generators: its tiers and whether llama.cpp is installed (the fast tier
    runs on it when it is, else on transformers), so switching backends never reuses stale outputs."""
    if not name.startswith("pipeline"):
        return {}
    import importlib.util

    from srllm.rewrite import PipelineConfig
    from srllm.rewrite.config import read_pipeline_file

    config = read_pipeline_file(name.partition(":")[2])[0] if name.startswith("pipeline:") else PipelineConfig()
    return {"pipeline": config.to_dict(), "llama_cpp": importlib.util.find_spec("llama_cpp") is not None}


def _prompt_state(name: str) -> dict[str, Any]:
    """The prompt of a qwen system (its few-shot pairs change with `srllm.safety_prompt`), so a changed
    prompt never reuses stale outputs."""
    if not name.startswith("qwen-"):
        return {}
    from srllm.distill.prompt import prompt_hash
    from srllm.safety_prompt import INSTRUCTION, SAFETY_SYSTEM_PROMPT

    return {"prompt": prompt_hash(SAFETY_SYSTEM_PROMPT, INSTRUCTION, _qwen_pairs(name), QWEN, "chat")}


def _settings_key(name: str, o: DetoxOptions) -> str:
    blob = json.dumps({"system": name, "max_new_tokens": o.max_new_tokens, "files": _model_files(name),
                       **_backend_state(name), **_prompt_state(name)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:10]


def _cache_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON object rows of a cache file; a line an interruption cut is skipped (made again)."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            yield row


def _append(path: Path) -> TextIO:
    """`path` opened to append rows, after ending the line an interruption cut (so the next row is whole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cut = path.is_file() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    handle = path.open("a", encoding="utf-8")
    if cut:
        handle.write("\n")
    return handle


def _bar(total: int, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="text")


def cached_outputs(path: Path, ids: Sequence[str], texts: Sequence[str], make: Callable[[], System],
                   batch: int = 8, progress: bool = False) -> tuple[list[str], dict[str, Any]]:
    """The outputs for `texts`, reusing rows of `path` whose id and text match and appending the
    others as they are made; the system is built only when something is missing."""
    done = {f"{row.get('id')}\x00{row.get('text')}": row["output"] for row in _cache_rows(path)
            if isinstance(row.get("output"), str)}
    todo = [i for i, (k, t) in enumerate(zip(ids, texts)) if f"{k}\x00{t}" not in done]
    timing: dict[str, Any] = {"made": len(todo), "reused": len(ids) - len(todo), "seconds": 0.0}
    if todo:
        system = make()
        started = time.perf_counter()
        bar = _bar(len(todo), path.stem) if progress else None
        with _append(path) as handle:
            for start in range(0, len(todo), batch):
                chunk = todo[start : start + batch]
                outs = system([texts[i] for i in chunk])
                for i, out in zip(chunk, outs):
                    done[f"{ids[i]}\x00{texts[i]}"] = out
                    handle.write(json.dumps({"id": ids[i], "text": texts[i], "output": out}, ensure_ascii=False) + "\n")
                handle.flush()
                if bar is not None:
                    bar.update(len(chunk))
        timing["seconds"] = round(time.perf_counter() - started, 2)
        timing["s_per_text"] = round(timing["seconds"] / len(todo), 3)
    return [done[f"{k}\x00{t}"] for k, t in zip(ids, texts)], timing


# --- the benchmark -------------------------------------------------------------------------------


def _joined(model: str) -> bool:
    """Whether the model split into PyPI parts, `model`, is joined into the cache."""
    from srllm.model_parts import SPLIT_MODELS, is_joined
    from srllm.models import cache_root

    split = SPLIT_MODELS.get(model)
    return split is not None and is_joined(split, cache_root())


def _fluency_model(name: str) -> str:
    if name != "auto":
        return name
    from srllm.backends import llama_cpp_available

    return QWEN if _joined(QWEN) and llama_cpp_available() else "smollm2-135m-instruct"


def _fluency_backend(model: str) -> str:
    """llama.cpp for the 1.5B GGUF (transformers would de-quantise it to 6 GB of fp32) and local .gguf files."""
    return "llama-cpp" if model == QWEN or model.endswith(".gguf") else "transformers"


def cached_perplexities(path: Path, texts: Sequence[str], make: Callable[[], Any], chunk: int = 64,
                        progress: bool = False) -> dict[str, float | None]:
    """PPL of every text under the scorer `make()` builds (`srllm.eval.likelihood`), reusing the
    rows of `path` and appending the others as they are scored; None where a text has no tokens."""
    done: dict[str, float | None] = {row["text"]: row.get("ppl") for row in _cache_rows(path)
                                     if isinstance(row.get("text"), str)}
    todo = [t for t in dict.fromkeys(texts) if t not in done]
    if todo:
        lm = make()
        bar = _bar(len(todo), path.stem) if progress else None
        with _append(path) as handle:
            for start in range(0, len(todo), chunk):
                part = todo[start : start + chunk]
                for text, r in zip(part, lm.loglikelihoods(part)):
                    done[text] = r.perplexity if r is not None else None
                    handle.write(json.dumps({"text": text, "ppl": done[text]}, ensure_ascii=False) + "\n")
                handle.flush()
                if bar is not None:
                    bar.update(len(part))
    return {t: done[t] for t in texts}


def _encoder(name: str) -> str:
    if name != "auto":
        return name
    return "all-mpnet-base-v2" if _joined("all-mpnet-base-v2") else "minilm-l6-v2"


class Detox(Benchmark):
    name = "detox"
    version = "1"
    description = "ParaDetox test pairs: STA per judge, SIM, FL, J with CIs and chrF vs the human rewrite, every system side by side"
    needs = ("rewrite",)
    metrics = {"j": True, "sta_pct": True, "sim": True, "fl": True, "chrf_ref": True}
    default_n = 500
    Options = DetoxOptions

    def evaluate(self, ctx: Context, n: int | None) -> BenchmarkResult:
        from srllm.data.io import read_records
        from srllm.eval.likelihood import load_scorer
        from srllm.eval.rewrite_pairs import pairs_from_records, sample_pairs
        from srllm.eval.scorers import score_texts
        from srllm.eval.style_transfer import fluency, joint, similarity
        from srllm.provenance import sha256_file
        from srllm.similarity import changed, cosine_rows, encoder_embedder, sentence_chrf
        from srllm.statistics import bootstrap_ci, bootstrap_indices, paired_comparison

        o: DetoxOptions = ctx.options  # type: ignore[assignment]
        judges = list(ctx.judge_factories)
        if not judges:
            raise BenchmarkError("detox: no judge to score STA; pass --judge (e.g. judge-classifier,profanity-vader)")
        path = ensure_test_file(Path(o.test_file), ctx.data_dir, True)
        pairs = [p for p in pairs_from_records(read_records(path)) if p.source == o.source]
        if not pairs:
            raise BenchmarkError(f"detox: {path} has no {o.source} rows with a human rewrite")
        pairs = sample_pairs(pairs, n, ctx.seed)
        ids, texts, refs = [p.id for p in pairs], [p.text for p in pairs], [p.reference for p in pairs]

        outputs: dict[str, list[str]] = {}
        timing: dict[str, dict[str, Any]] = {}
        for name in dict.fromkeys(o.systems):
            if name == "copy-input":
                outputs[name] = list(texts)
            elif name == "reference":
                outputs[name] = list(refs)
            else:
                file = Path(o.outputs_dir) / f"{name.replace('/', '_').replace(':', '_')}-{_settings_key(name, o)}.jsonl"
                outputs[name], timing[name] = cached_outputs(file, ids, texts, lambda name=name: build_system(name, o),
                                                             progress=ctx.progress)

        encoder = _encoder(o.encoder)
        embed = encoder_embedder(encoder)
        fluency_model = _fluency_model(o.fluency_model)
        unique = sorted({t for outs in outputs.values() for t in outs if t.strip()} | set(texts))
        ppl = cached_perplexities(Path(o.outputs_dir) / f"ppl-{fluency_model.replace('/', '_')}.jsonl", unique,
                                  lambda: load_scorer(fluency_model, _fluency_backend(fluency_model), threads=o.threads),
                                  progress=ctx.progress)
        input_vectors = np.asarray(embed(texts), dtype=float)
        verdicts = {judge: {t: bool(r.unsafe) for t, r in zip(unique, score_texts(ctx.judge(judge), unique))}
                    for judge in judges}

        indices = bootstrap_indices(len(pairs), o.resamples, ctx.seed)
        per_item: dict[str, dict[str, np.ndarray]] = {}
        rows = []
        for name, outs in outputs.items():
            sim = similarity(cosine_rows(np.asarray(embed(outs), dtype=float), input_vectors), outs)
            fl = fluency([ppl.get(t) for t in texts], [ppl.get(t) for t in outs], outs)
            scores: dict[str, np.ndarray] = {"sim": sim, "fl": fl, "chrf_ref": sentence_chrf(outs, refs)}
            row: dict[str, Any] = {"system": name, "n": len(outs), "sim": float(sim.mean()), "fl": float(fl.mean()),
                                   "chrf_ref": float(scores["chrf_ref"].mean()),
                                   "copy_pct": 100 * float(np.mean([not changed(t, a) for a, t in zip(outs, texts)])),
                                   **{k: v for k, v in timing.get(name, {}).items() if k == "s_per_text"}}
            for judge in judges:
                sta = np.array([0.0 if not t.strip() else float(not verdicts[judge][t]) for t in outs])
                j = joint(sta, sim, fl)
                scores[f"sta[{judge}]"], scores[f"j[{judge}]"] = sta, j
                row[f"sta_pct[{judge}]"] = 100 * float(sta.mean())
                row[f"sta_pct_ci[{judge}]"] = [100 * v for v in bootstrap_ci(sta, indices)]
                row[f"j[{judge}]"] = float(j.mean())
                row[f"j_ci[{judge}]"] = list(bootstrap_ci(j, indices))
            per_item[name] = scores
            rows.append(row)

        # the headline system, which the others are compared with: the pipeline where it ran, else the first
        # system that rewrites (the order given)
        primary = (next((s for s in ("pipeline", "pipeline-best", "qwen-few-shot", "adapter") if s in outputs), None)
                   or next((s for s in outputs if s not in ("copy-input", "reference")), None))
        judge0 = judges[0]
        comparisons = []
        if primary:
            for other in outputs:
                if other != primary:
                    comparisons.append({"metric": f"j[{judge0}]", "a": primary, "b": other,
                                        **paired_comparison(per_item[primary][f"j[{judge0}]"],
                                                            per_item[other][f"j[{judge0}]"], indices)})
        head = next(r for r in rows if r["system"] == (primary or rows[0]["system"]))
        metrics = {"j": head[f"j[{judge0}]"], "sta_pct": head[f"sta_pct[{judge0}]"], "sim": head["sim"],
                   "fl": head["fl"], "chrf_ref": head["chrf_ref"]}
        items = [{"id": ids[i], "text": texts[i], "reference": refs[i],
                  "outputs": {s: outputs[s][i] for s in outputs},
                  "scores": {s: {k: round(float(v[i]), 4) for k, v in per_item[s].items()} for s in outputs}}
                 for i in range(len(pairs))]
        return BenchmarkResult(self.name, self.version, len(pairs), metrics,
                               {"systems": rows, "comparisons": comparisons}, {"timing": timing}, items,
                               checksums={str(path): sha256_file(path)},
                               config={"test_file": str(path), "headline_system": primary, "judges": judges,
                                       "encoder": encoder, "fluency_model": fluency_model})

    @classmethod
    def report_section(cls, model: str, result: dict[str, Any]) -> list[str]:
        judges = result["config"].get("judges", [])
        headers = ["system", *[f"STA % [{j}]" for j in judges], "SIM", "FL", *[f"J [{j}] [95% CI]" for j in judges],
                   "chrF vs ref", "copy %", "s/text"]
        rows = [[s["system"], *[fmt.ci(s[f"sta_pct[{j}]"], s[f"sta_pct_ci[{j}]"]) for j in judges],
                 fmt.number(s["sim"], 3), fmt.number(s["fl"], 3),
                 *[fmt.ci(s[f"j[{j}]"], s[f"j_ci[{j}]"], 3) for j in judges], fmt.number(s["chrf_ref"]),
                 fmt.number(s["copy_pct"]), fmt.number(s.get("s_per_text"), 3)] for s in result["tables"]["systems"]]
        cfg = result["config"]
        lines = [f"## ParaDetox test pairs, detoxification scores ({result['n']} pairs)", "",
                 f"STA: judged safe by each judge; SIM: cosine to the input ({cfg.get('encoder')}); FL: "
                 f"min(1, PPL(input)/PPL(output)) under {cfg.get('fluency_model')}; J = mean(STA x SIM x FL).", "",
                 *fmt.table(headers, rows)]
        comparisons = result["tables"].get("comparisons") or []
        if comparisons:
            lines += ["", *fmt.table(["J of", "minus", "mean diff [95% CI]", "p (Wilcoxon)"],
                                     [[c["a"], c["b"], fmt.ci(c["mean_diff"], [c["ci_low"], c["ci_high"]], 3),
                                       fmt.p_value(c.get("p_wilcoxon"))] for c in comparisons])]
        return lines
