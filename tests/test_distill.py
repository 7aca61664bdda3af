"""The teacher job's bookkeeping: row selection, few-shot pairs from TRAIN, resume after a kill,
the pairs written as corpus rows with provenance 'generated', and the summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewrite_standins import LexiconClassifier, ScriptedRewriter, overlap_similarity, soften
from srllm.distill.prompt import FEW_SHOT_IDS, FewShotError, few_shot_pairs
from srllm.safety_prompt import FEW_SHOT_SETS, SAFETY_FEW_SHOT, few_shot_rows
from srllm.distill.run import CorpusError, DistillConfig, Job, load_decisions, paths, read_rows, select_rows
from srllm.verifier import VerifierConfig


def _row(i: str, text: str, **kw) -> dict:
    base = {"id": i, "text": text, "annotation": "Unsafe", "bias": "No", "toxicity": "Mild", "sentiment": "Negative",
            "harm": "Low", "source": kw.pop("source", "sbic"), "provenance": "public", "split": "train",
            "target_demographic": ["none"], "biased_words": [], "benign_variation": None}
    return {**base, **kw}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    written = {i: (text, rewrite) for rows in FEW_SHOT_SETS.values() for i, text, rewrite in rows}
    rows = [_row(i, text, benign_variation=rewrite, source=i.split(":")[0],
                 provenance="synthetic" if i.startswith("synthetic:") else "public")
            for i, (text, rewrite) in written.items()]
    rows += [_row(f"sbic:{n}", f"those people in town {n} are stupid idiots") for n in range(7)]
    rows += [_row(f"edos:{n}", f"women in office {n} are dumb", source="edos", bias="Yes",
                  target_demographic=["gender"]) for n in range(5)]
    rows += [_row("dev:1", "a stupid dev row here", split="dev"), _row("ok:1", "a fine row here", annotation="Benign"),
             _row("short:1", "idiot")]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _job(corpus: Path, out: Path, **kw) -> Job:
    config = DistillConfig(corpus=corpus, out=out, chunk=4, retries=1, verifier=VerifierConfig(min_similarity=0.3), **kw)
    rewriter = ScriptedRewriter(soften)
    return Job(config, rewriter=rewriter, classifier=LexiconClassifier(), similarity=overlap_similarity, log=lambda _: None)


def test_rows_are_unsafe_train_rows_without_rewrite_sources_in_turn(corpus: Path, tmp_path: Path):
    rows = select_rows(list(read_rows(corpus)), DistillConfig(corpus=corpus, out=tmp_path / "p.jsonl"))
    assert len(rows) == 12 and {r["source"] for r in rows[:2]} == {"edos", "sbic"}
    assert not any(r["id"].startswith(("dev:", "ok:", "short:", "paradetox:")) for r in rows)
    limited = select_rows(list(read_rows(corpus)), DistillConfig(corpus=corpus, out=tmp_path / "p.jsonl", limit=3,
                                                                 sources=("edos",)))
    assert [r["source"] for r in limited] == ["edos"] * 3


def test_few_shot_pairs_must_be_human_train_pairs(corpus: Path):
    rows = list(read_rows(corpus))
    assert len(few_shot_pairs(rows)) == len(FEW_SHOT_IDS)
    assert few_shot_pairs(rows) == list(SAFETY_FEW_SHOT)  # the pairs serving uses are the corpus's
    for name in FEW_SHOT_SETS:
        assert few_shot_pairs(rows, [r[0] for r in few_shot_rows(name)]) == [(t, b) for _, t, b in few_shot_rows(name)]
    assert few_shot_rows("none") == ()
    with pytest.raises(ValueError, match="unknown few-shot set 'mixd'"):
        few_shot_rows("mixd")
    by_id = {r["id"]: r for r in rows}
    first, second = FEW_SHOT_IDS[0], FEW_SHOT_IDS[1]
    changed = [{**r, "benign_variation": "something else"} if r["id"] == second else r for r in rows]
    with pytest.raises(FewShotError, match=f"{second}: the corpus row differs"):
        few_shot_pairs(changed)
    generated = [{**r, "provenance": "generated"} if r["id"] == second else r for r in rows]
    with pytest.raises(FewShotError, match=f"{second}: not a train row"):  # a generated pair never teaches the teacher
        few_shot_pairs(generated)
    rows = [{**r, "split": "test"} if r["id"] == first else r for r in rows]
    assert by_id[first]["split"] == "train"
    with pytest.raises(FewShotError, match=f"{first}: not a train row"):
        few_shot_pairs(rows)


def test_bad_corpus_line_names_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(_row("a:1", "x y z")) + "\n" + json.dumps({"id": "b"}) + "\n")
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: field\(s\) \['text'"):
        list(read_rows(bad))


def test_the_job_resumes_after_a_kill_and_writes_generated_pairs(corpus: Path, tmp_path: Path):
    out = tmp_path / "run" / "pairs.jsonl"
    pairs, decisions, summary_path = paths(out)
    first = _job(corpus, out, limit=5).run()
    assert first["attempted"] == 5
    lines = decisions.read_text().splitlines()
    decisions.write_text("\n".join(lines[:3]) + "\n" + lines[3][:40])  # killed while writing line 4
    assert len(load_decisions(decisions)) == 3 and decisions.read_text().endswith("\n")
    summary = _job(corpus, out).run()
    records = load_decisions(decisions)
    assert len(records) == 12 and len({r["id"] for r in records}) == 12 and summary["attempted"] == 12
    assert summary["session"]["rows"] == 9 and summary["session"]["seconds_per_row"] is not None
    kept = [json.loads(line) for line in pairs.read_text().splitlines()]
    assert len(kept) == summary["kept"] > 0
    for pair in kept:
        assert pair["provenance"] == "generated" and pair["id"] == f"generated:{pair['parent_id']}"
        assert pair["benign_variation"] and pair["benign_variation"] != pair["text"]
    record = records[0]
    assert {"model", "prompt_sha256", "seed", "scores", "failed", "attempts"} <= set(record)
    assert set(summary["by_category"]) >= {"toxicity"} and "gender" in summary["by_target_group"]
    assert json.loads(summary_path.read_text())["kept"] == summary["kept"]


def test_a_generated_pair_is_a_valid_corpus_row():
    from srllm.data.schema import CMDRecord
    from srllm.distill.run import pair_record

    row = _row("sbic:1", "those people are stupid", sentiment="Negative", source_id="1")
    row.pop("split")
    record = CMDRecord.model_validate({k: v for k, v in pair_record(row, "those people are kind").items()
                                       if k in CMDRecord.model_fields})
    assert record.provenance == "generated" and record.parent_id == "sbic:1"


def test_a_dev_pilot_rewrites_only_dev_rows_and_keeps_their_split(corpus: Path, tmp_path: Path):
    """--rows FILE --split dev: the prompt is chosen on dev rows, whose pairs never become TRAIN pairs."""
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(_row(f"dev:{n}", f"those people on street {n} are stupid idiots", split="dev"))
                           + "\n" for n in range(4)) + json.dumps(_row("train:9", "a stupid train row here")) + "\n")
    out = tmp_path / "pilot" / "pairs.jsonl"
    summary = _job(corpus, out, rows=dev, split="dev", few_shot="human-toxicity").run()
    records = load_decisions(paths(out)[1])
    assert summary["attempted"] == 4 and {r["id"] for r in records} == {f"dev:{n}" for n in range(4)}
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    assert kept and all(pair["split"] == "dev" for pair in kept)
    zero = _job(corpus, tmp_path / "zero" / "pairs.jsonl", rows=dev, split="dev", few_shot="none")
    assert zero.few_shot == [] and zero.prompt_sha256 != _job(corpus, tmp_path / "z2.jsonl").prompt_sha256
