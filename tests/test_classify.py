"""The risk classifier: heads from the taxonomy, calibration, spans, a tiny real training run with
ONNX export, the CLI's batch mode with resume, and the shipped model."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from srllm.classify.calibration import (
    best_f1_threshold,
    expected_calibration_error,
    fit_temperature,
    softmax_t,
)
from srllm.classify.explain import WORD, without, word_spans
from srllm.classify.report import HEADS, RiskReport, Span
from srllm.cli import main
from srllm.data.io import write_records
from srllm.data.schema import CMDRecord
from srllm.processors import ClassifyProcessor
from srllm.taxonomy import LEVELS


def test_heads_and_levels_come_from_the_taxonomy():
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertModel

    from srllm.classify.heads import head_levels, split_logits
    from srllm.classify.model import MultiHeadClassifier

    levels = head_levels()
    assert list(levels) == list(HEADS) == ["bias", "toxicity", "sentiment", "harm", "unsafe"]
    assert all(levels[c] == LEVELS[c] for c in LEVELS) and levels["unsafe"] == ("Benign", "Unsafe")
    encoder = BertModel(BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64))
    model = MultiHeadClassifier(encoder, levels).eval()
    out = model(input_ids=torch.tensor([[101, 2000, 102]]), attention_mask=torch.ones(1, 3, dtype=torch.long))
    assert {h: tuple(v.shape) for h, v in out.items()} == {"bias": (1, 2), "toxicity": (1, 3), "sentiment": (1, 3),
                                                         "harm": (1, 3), "unsafe": (1, 2)}
    stacked = np.arange(26).reshape(2, 13)
    assert split_logits(stacked, levels)["harm"].tolist() == [[8, 9, 10], [21, 22, 23]]
    with pytest.raises(ValueError, match="unknown head 'hate'"):
        head_levels(["hate"])


def test_report_applies_the_annotation_rule_and_round_trips():
    report = RiskReport("t", {"bias": "Yes", "toxicity": "No", "sentiment": "Negative", "harm": "Low"},
                        {"unsafe": {"Benign": 0.2, "Unsafe": 0.8}}, 0.8, True, [Span(0, 1, "t", 0.3)])
    assert report.annotation == "Unsafe"
    assert RiskReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_ece_worked_example():
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    assert expected_calibration_error(probs, np.array([0, 1, 0, 0])) == pytest.approx(0.4)


def test_temperature_scaling_fixes_an_overconfident_model():
    rng = np.random.default_rng(0)
    n, k = 4000, 3
    true_logits = rng.normal(size=(n, k)) * 1.5
    labels = np.array([rng.choice(k, p=p) for p in softmax_t(true_logits)])
    overconfident = true_logits * 4.0  # the same ranking, four times too sharp
    t = fit_temperature(overconfident, labels)
    assert t == pytest.approx(4.0, rel=0.15)
    before = expected_calibration_error(softmax_t(overconfident), labels)
    after = expected_calibration_error(softmax_t(overconfident, t), labels)
    assert after < before / 2
    assert (softmax_t(overconfident, t).argmax(-1) == overconfident.argmax(-1)).all()


def test_threshold_maximises_f1():
    scores = np.array([0.1, 0.2, 0.35, 0.4, 0.8, 0.9])
    labels = np.array([0, 0, 1, 1, 1, 1])
    cut, f1 = best_f1_threshold(scores, labels)
    assert cut == pytest.approx(0.35) and f1 == pytest.approx(1.0)


def test_word_spans_map_back_to_the_input():
    text = "  Don't call   them ‘lazy’ — naïve co-workers!"
    spans = word_spans(text)
    assert [text[s:e] for s, e in spans] == ["Don't", "call", "them", "lazy", "naïve", "co-workers"]
    assert without("you are lazy people", 8, 12) == "you are people"
    assert without("lazy people", 0, 4) == "people"
    assert WORD.findall("well-known") == ["well-known"]


# --- a tiny real training run on the packaged MiniLM (CPU) ---

def record(i: int) -> CMDRecord:
    toxic = i % 2 == 0
    word = random.Random(i).choice(["idiot", "moron", "clown"]) if toxic else random.Random(i).choice(["friend", "neighbour"])
    return CMDRecord.labelled(
        id=f"toy:{i}", text=f"you are such a {word} number {i}", bias="No", toxicity="High" if toxic else "No",
        sentiment="Negative" if toxic else "Positive", harm="Medium" if toxic else "Low", source="toy", source_id=str(i),
        provenance="synthetic")


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    from srllm.classify.train import load_classifier_config, train_classifier

    folder = tmp_path_factory.mktemp("clf")
    write_records([record(i) for i in range(48)], folder / "train.jsonl")
    write_records([record(100 + i) for i in range(16)], folder / "dev.jsonl")
    config = load_classifier_config(None, [
        "--train_file", str(folder / "train.jsonl"), "--dev_file", str(folder / "dev.jsonl"),
        "--output_dir", str(folder / "run"), "--max_steps", "6", "--eval_steps", "3", "--batch_size", "8",
        "--head_learning_rate", "0.01", "--max_length", "32"])
    return train_classifier(config)


def test_tiny_training_run_writes_a_calibrated_folder_and_onnx(tiny_classifier):
    info = tiny_classifier.info
    assert info["training"]["steps"] == 6 and len(info["training"]["history"]) == 2
    assert info["data"]["train_examples"] == 48 and len(info["data"]["train_sha256"]) == 64
    assert set(info["calibration"]) == {*HEADS, "span"}  # the token span head has its own dev threshold
    assert set(info["calibration"]["unsafe"]) >= {"temperature", "threshold", "dev_ece_before", "dev_ece_after"}
    assert info["onnx"]["quantize"] == "smooth-int8" and info["onnx"]["check_texts"] == 16
    assert info["onnx"]["batch_vs_alone_max_diff"] < 1e-4  # a text's scores do not depend on its batch
    assert info["energy"]["energy_kwh"] > 0 and info["git"]
    files = {p.name for p in tiny_classifier.output_dir.iterdir()}
    assert {"classifier.json", "tokenizer.json", "model.onnx", "model.safetensors"} <= files


def test_onnx_and_torch_backends_give_reports_with_spans(tiny_classifier):
    from srllm.classify import load_classifier

    texts = ["you are such a moron number 7", "you are such a friend", "", "a " * 400]
    for backend in ("onnx", "torch"):
        clf = load_classifier(tiny_classifier.output_dir, backend=backend)
        reports = clf.predict(texts, explain=True)
        assert [r.text for r in reports] == texts
        for r in reports:
            assert set(r.labels) == {"bias", "toxicity", "sentiment", "harm"}
            for head, probs in r.probabilities.items():
                assert sum(probs.values()) == pytest.approx(1.0, abs=1e-4)
            assert 0.0 <= r.unsafe_score <= 1.0
            for span in r.spans:
                assert r.text[span.start:span.end] == span.text and span.score >= 0.05
    one_by_one = [clf.predict([t])[0].unsafe_score for t in texts[:2]]
    assert one_by_one == pytest.approx([r.unsafe_score for r in clf.predict(texts[:2])], abs=1e-4)


def test_smooth_int8_export_is_close_to_float_and_batch_invariant(tiny_classifier, tmp_path):
    import shutil

    import onnx

    from srllm.classify import load_classifier
    from srllm.classify.onnx_export import calibration_feeds, export_onnx
    from srllm.classify.smooth_int8 import activation_absmax, quantize_per_token, smooth

    folder = tmp_path / "smooth"
    shutil.copytree(tiny_classifier.output_dir, folder, ignore=shutil.ignore_patterns("model.onnx"))
    texts = [record(200 + i).text for i in range(24)] + ["naïve 😀 co-workers", "x"]
    result = export_onnx(folder, quantize="smooth-int8", check_texts=texts)
    assert result["quantize"] == "smooth-int8" and result["batch_vs_alone_max_diff"] < 1e-5
    assert max(result["max_prob_diff"].values()) < 0.1  # a 6-step model; the shipped one: bench_classify.py
    graph = onnx.load(str(folder / "model.onnx")).graph
    ops = {n.op_type for n in graph.node}
    assert "MatMulInteger" in ops and "QuantizeLinear" in ops and "IsNaN" not in ops  # eager attention: no NaN guard per layer
    clf = load_classifier(folder, backend="onnx")
    alone = [clf.predict([t])[0].unsafe_score for t in texts[:6]]
    assert alone == [r.unsafe_score for r in clf.predict(texts)[:6]]  # exactly: no scale depends on the batch

    # smoothing alone leaves the float function unchanged; then 4 activations a layer are quantised
    import onnxruntime as ort

    plain = tmp_path / "fp32"
    shutil.copytree(tiny_classifier.output_dir, plain, ignore=shutil.ignore_patterns("model.onnx"))
    export_onnx(plain, quantize="none")
    model = onnx.load(str(plain / "model.onnx"))
    feeds = calibration_feeds(folder, texts)
    before = ort.InferenceSession(model.SerializeToString()).run(None, feeds[0])[0]
    smooth(model, activation_absmax(model, feeds), alpha=0.5)
    after = ort.InferenceSession(model.SerializeToString()).run(None, feeds[0])[0]
    assert np.abs(after - before).max() < 1e-4
    assert quantize_per_token(model) == 4 * 6  # query/key/value share one; attention out, FFN in, FFN out


def test_classify_cli_text_and_resumable_batch(tiny_classifier, tmp_path, capsys):
    folder = str(tiny_classifier.output_dir)
    assert main(["classify", "--classifier", folder, "--json", "you are such a clown"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["text"] == "you are such a clown" and "unsafe" in report["probabilities"]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": f"text number {i}"}) + "\n" for i in range(30)) + "{bad\n")
    out = tmp_path / "out.jsonl"
    args = ["classify", "--classifier", folder, "--input", str(src), "--output", str(out), "--batch-size", "8",
            "--no-explain", "--no-progress"]
    calls = {"n": 0}
    real = ClassifyProcessor.__call__

    def dies_on_the_second_batch(self, texts):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(self, texts)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ClassifyProcessor, "__call__", dies_on_the_second_batch)
        with pytest.raises(KeyboardInterrupt):
            main(args)
    assert main(args) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["row"] for r in rows] == list(range(31))
    assert all(r["unsafe"] in ("Benign", "Unsafe") for r in rows[:30]) and "broken JSON" in rows[30]["error"]
    assert "8 kept from an earlier run" in capsys.readouterr().err
    assert main(["classify", "--classifier", str(tmp_path), "x"]) == 1
    assert "not a classifier folder" in capsys.readouterr().err


def test_shipped_classifier_loads_and_scores():
    from srllm.classify.predictor import shipped_path

    if not (shipped_path() / "model.onnx").is_file():
        pytest.fail(f"the shipped classifier is missing from {shipped_path()}")
    from srllm.classify import load_classifier

    clf = load_classifier()
    reports = clf.predict(["Have a lovely day.", "Those people are all thieves and should be thrown out."], explain=True)
    assert len(reports) == 2 and all(0 <= r.unsafe_score <= 1 for r in reports)
    assert set(clf.config.thresholds) == {"bias", "unsafe", "span"} and set(clf.config.temperatures) == set(HEADS)


def test_batch_workers_score_exactly_like_one_batch_at_a_time():
    from srllm.classify.predictor import Classifier, shipped_path

    texts = [f"Text number {i}: {'those people are all thieves ' * (i % 4)}have a day, café 😀." for i in range(150)]
    parallel = Classifier(shipped_path(), threads=2, batch_size=16)
    serial = Classifier(shipped_path(), threads=2, batch_size=16, batch_workers=1)
    assert parallel.backend.workers == 2 and serial.backend.workers == 1
    a, b = parallel.score(texts), serial.score(texts)
    for head in a.logits:
        assert np.array_equal(a.logits[head], b.logits[head]), head
    assert all(np.array_equal(x, y) for x, y in zip(a.token_probs, b.token_probs))
    # a few texts are split so that every worker gets a batch; other padding moves only float rounding
    assert np.allclose(parallel.score(texts[:3]).logits["unsafe"], b.logits["unsafe"][:3], atol=1e-5)
