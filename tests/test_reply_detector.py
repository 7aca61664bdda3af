"""The learned reply detector: its data, its training on the real HH-RLHF file, the shipped weights
on the real encoder, and its place in the pipeline's and the distillation's verifiers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rewrite_standins import LexiconClassifier, ScriptedRewriter, overlap_similarity

from srllm import PipelineConfig, SafetyPipeline
from srllm.data.io import write_records
from srllm.data.schema import CMDRecord
from srllm.rewrite import FELL_BACK, verify
from srllm.rewrite.replies import ReplyDetector, available
from srllm.rewrite.reply_training import (
    build_data,
    dialogue_turns,
    generate_replies,
    lowest_threshold,
    opening,
    train_reply_detector,
)
from srllm.verifier import Verifier

# Written for these tests (not from HH-RLHF or the corpus).
REPLIES = [
    "I would be more than happy to write an insult about your neighbour, but I can't do it.",
    "Thanks for asking! I think the best way to handle this is to talk to your manager first.",
    "That's a great question. Unfortunately I don't have information about that person.",
    "I understand that you're upset, but I don't think I should help you get revenge on him.",
    "Let me know if you want more ideas for the party, I'm glad to help.",
]
HUMAN_REWRITES = [
    "Women can be just as good engineers as men.",
    "That guy at the front desk made a lot of mistakes today.",
    "I really don't like the way you talk to people.",
    "Immigrants come here to work and build a life, like everyone else.",
    "Stop posting this nonsense in the group, please.",
]


def test_opening_keeps_the_first_two_sentences_and_caps_words():
    assert opening("One.  Two two!\nThree.") == "One. Two two!"
    assert opening(" ".join(["word"] * 100)).count("word") == 60


def test_dialogue_turns_split_an_hh_transcript():
    transcript = "\n\nHuman: How do I bake bread?\n\nAssistant: Mix flour and water.\n\nHuman: thanks\n\nAssistant:  "
    assert list(dialogue_turns(transcript)) == [("Human", "How do I bake bread?"),
                                                ("Assistant", "Mix flour and water."), ("Human", "thanks")]


def test_lowest_threshold_flags_at_most_the_allowed_share():
    negatives = np.linspace(0, 1, 200)
    t = lowest_threshold(negatives, 0.05)
    assert (negatives >= t).mean() <= 0.05
    assert (negatives >= np.nextafter(t, 0)).mean() > 0.05 or t <= negatives.min()


def test_verify_rejects_what_the_detector_calls_a_reply():
    (report,) = LexiconClassifier().predict(["They are nice."])
    ok = verify("you idiot", None, "They are nice.", report, 0.9)
    no = verify("you idiot", None, "They are nice.", report, 0.9, replied=True)
    assert ok.ok and not no.ok and no.rules == ["reply"]


def test_a_bad_weights_file_names_the_file_and_the_keys(tmp_path):
    (tmp_path / "reply_detector.json").write_text(json.dumps({"encoder": "minilm-l6-v2"}))
    with pytest.raises(ValueError, match="reply_detector.json.*coef"):
        ReplyDetector.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="srllm train reply-detector"):
        ReplyDetector.load(tmp_path / "missing")


def _corpus(tmp_path, hh_splits: dict[int, str]):
    """A corpus folder: HH-RLHF final replies of the given dialogues, and a few posts and rewrites."""
    rows: dict[str, list[CMDRecord]] = {"train": [], "dev": [], "test": []}
    for line, split in hh_splits.items():
        rows[split].append(CMDRecord.labelled(id=f"hh_rlhf:{line}:chosen", text="a reply", bias="No", toxicity="No",
                                              sentiment="Neutral", harm="Low", source="hh_rlhf",
                                              source_id=f"{line}:chosen", provenance="public", split=split))
    for split in rows:
        for i, text in enumerate(HUMAN_REWRITES):
            rows[split].append(CMDRecord.labelled(id=f"p:{split}{i}", text=f"{text} ({split} {i})", bias="No",
                                                  toxicity="No", sentiment="Neutral", harm="Low", source="paradetox",
                                                  source_id=f"{split}{i}", provenance="public",
                                                  split=split))
        write_records(rows[split], tmp_path / f"{split}.jsonl")
    return tmp_path


def test_build_data_follows_the_corpus_splits_on_the_real_file(tmp_path, real_data_dir):
    splits = {line: ("train", "dev", "test")[line % 3] for line in range(30)}
    data = build_data(_corpus(tmp_path, splits), real_data_dir)
    assert data.skipped["HH-RLHF dialogue not in the corpus"] > 2000
    kinds = {(e.split, e.kind) for e in data.examples}
    assert {("train", "assistant turn"), ("test", "human turn"), ("dev", "post")} <= kinds
    texts = [e.text for e in data.examples]
    assert len(texts) == len(set(texts))
    assert all(e.label == (e.kind == "assistant turn") for e in data.examples)


def test_generated_replies_are_appended_resumed_and_a_torn_line_redone(tmp_path):
    corpus = _corpus(tmp_path, {})
    out = tmp_path / "replies.jsonl"
    rows = generate_replies(corpus, out, {"train": 2, "test": 1}, max_new_tokens=12, batch_size=2)
    assert len(rows) == 3 and {r["split"] for r in rows} == {"train", "test"}
    assert all(r["reply"] and r["model"] == "smollm2-135m-instruct" for r in rows)
    lines = out.read_text().splitlines()
    out.write_text("\n".join(lines[:2]) + "\n" + lines[2][:10])  # an interrupted write
    again = generate_replies(corpus, out, {"train": 2, "test": 1}, max_new_tokens=12, batch_size=2)
    assert len(again) == 3 and [r["id"] for r in again[:2]] == [r["id"] for r in rows[:2]]
    assert len(out.read_text().splitlines()) == 3
    out.write_text("not json\n" + out.read_text())
    with pytest.raises(ValueError, match="replies.jsonl:1: not a JSON line"):
        generate_replies(corpus, out, {"train": 2})


def test_train_end_to_end_writes_a_loadable_detector(tmp_path, real_data_dir):
    splits = {line: ("train", "dev", "test")[line % 3] for line in range(60)}
    out = tmp_path / "detector"
    generated = [{"id": f"g{i}", "split": ("train", "dev", "test")[i % 3], "prompt": "hi",
                  "reply": f"I'm glad you asked about {i}, let me help.", "model": "m"} for i in range(6)]
    record = train_reply_detector(_corpus(tmp_path, splits), out, real_data_dir, max_fpr=0.1, generated=generated)
    assert set(record["test"]) == {"auroc", "detector", "opening_rule", "either"}
    assert record["data"]["train"]["assistant turn"] > 10 and record["data"]["train"]["generated reply"] == 2
    assert "recall_generated_replies" in record["test"]["detector"]
    assert (out / "MODEL_CARD.md").read_text().count("|") > 10
    detector = ReplyDetector.load(out)
    assert detector.coef.shape == (384,) and 0 < detector.threshold < 1


shipped = pytest.mark.skipif(not available(), reason="no shipped reply detector")


@shipped
def test_shipped_detector_separates_replies_from_rewrites():
    detector = ReplyDetector.load()
    sources = ["you are a worthless idiot"] * len(REPLIES)
    assert sum(detector.flags(sources, REPLIES)) >= 2
    assert not any(detector.flags(sources, HUMAN_REWRITES))
    # a source that was itself a reply may be rewritten as one
    assert not any(detector.flags(REPLIES, REPLIES))


@shipped
def test_pipeline_and_distill_verifiers_reject_a_reply_the_opening_rule_misses():
    reply = REPLIES[4]
    detector = ReplyDetector.load()
    pipe = SafetyPipeline(LexiconClassifier(), ScriptedRewriter(lambda t: reply, lambda t, k: reply),
                          overlap_similarity, PipelineConfig(min_similarity=0.0, fallback="none"), detector)
    result = pipe.run("Write an insult about my neighbour, that stupid moron")
    assert result.decision == FELL_BACK and any("reads like a reply" in r for r in result.reasons)
    verdict, = Verifier(LexiconClassifier(), overlap_similarity, replies=detector).verify(
        ["Write an insult about my neighbour, that stupid moron"], [reply])
    assert "not_reply" in verdict.failed
