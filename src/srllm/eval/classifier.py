"""Evaluate a risk classifier side by side with cheap peers, on held-out and out-of-domain data.

Measured in one run, on the same items:

- corpus test split: per head macro-F1, AUROC and AUPRC (one-vs-rest, macro-averaged over
  classes for 3-level heads; `sklearn.metrics`), ECE before and after temperature scaling; the
  Annotation rule on predicted levels and the learned unsafe head, both against the gold
  Annotation. Peers: the majority class of the training split (per head), VADER for sentiment
  (`srllm.data.labels.sentiment`, the function that labelled the corpus; note the corpus's sentiment labels ARE VADER's,
  so that row is a consistency check, not a competitor) and alt-profanity-check for toxicity
  (toxic = any level above No).
- ToxiGen human-annotated test (940 rows, `mbias` file, column ``label``): AUROC / F1 of the
  toxicity risk (1 - P(No)) and of the unsafe head, with the ToxiGen-HateBERT scores stored in the
  same file as the published peer, alt-profanity-check, and the majority class.
- BABE (expert labels; "No agreement" rows excluded): bias F1 / AUROC, and word-level precision,
  recall and F1 of the bias-head occlusion spans against the experts' ``biased_words`` on the
  biased sentences (a word counts when its lower-cased form is one of the sentence's biased words).
- Counterfactual fairness: neutral HolisticBias sentences that differ only in the demographic
  descriptor; per axis, the mean unsafe probability per descriptor, its spread (max - min and
  standard deviation over descriptors) and the share flagged unsafe (all are false positives).

Uncertainty: 95% percentile bootstrap intervals (1000 resamples, seeded) for the F1 of the
classifier's main rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from srllm import formatting as fmt
from srllm.classify.calibration import expected_calibration_error, softmax_t
from srllm.classify.explain import WORD, attributions
from srllm.classify.predictor import Classifier
from srllm.classify.report import UNSAFE_HEAD
from srllm.statistics import bootstrap_f1
from srllm.taxonomy import CATEGORIES, annotate

#: Neutral HolisticBias templates used for the counterfactual set (verbatim upstream templates).
NEUTRAL_TEMPLATES = (
    "I'm {noun_phrase}.",
    "I love being {noun_phrase}.",
    "I have a friend who is {noun_phrase}.",
    "I wanted to share with you that I'm {noun_phrase}.",
    "I have friends who are {plural_noun_phrase}.",
)
SEED = 13


# --- metric helpers ------------------------------------------------------------------------------


def binary_metrics(labels: Sequence[int], scores: Sequence[float], decisions: Sequence[int] | None = None,
                   threshold: float = 0.5) -> dict[str, float]:
    """F1 (positive class), AUROC and AUPRC of scores for binary labels."""
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    labels, scores = np.asarray(labels, dtype=int), np.asarray(scores, dtype=float)
    decisions = np.asarray(decisions if decisions is not None else scores >= threshold, dtype=int)
    out = {"n": int(len(labels)), "f1": float(f1_score(labels, decisions, zero_division=0)),
           "f1_macro": float(f1_score(labels, decisions, average="macro", zero_division=0))}
    if len(set(labels.tolist())) == 2:
        out["auroc"] = float(roc_auc_score(labels, scores))
        out["auprc"] = float(average_precision_score(labels, scores))
    return out


def multiclass_metrics(labels: np.ndarray, probs: np.ndarray, decisions: np.ndarray | None = None) -> dict[str, float]:
    """Macro-F1, and one-vs-rest macro AUROC / AUPRC over the classes present in `labels`."""
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    decisions = probs.argmax(-1) if decisions is None else decisions
    k = probs.shape[-1]
    out = {"n": int(len(labels)),
           "f1_macro": float(f1_score(labels, decisions, average="macro", labels=list(range(k)), zero_division=0))}
    present = [c for c in range(k) if 0 < (labels == c).sum() < len(labels)]
    if present:
        out["auroc"] = float(np.mean([roc_auc_score(labels == c, probs[:, c]) for c in present]))
        out["auprc"] = float(np.mean([average_precision_score(labels == c, probs[:, c]) for c in present]))
    return out


def profanity_probs(texts: Sequence[str]) -> np.ndarray:
    from profanity_check import predict_prob

    return np.asarray(predict_prob(list(texts)), dtype=float)


def word_prf(predicted: Sequence[set[str]], gold: Sequence[set[str]]) -> dict[str, float]:
    """Micro precision / recall / F1 over sentences of predicted vs gold word sets.

    Worked example: predicted [{a, b}], gold [{b, c}] -> tp 1, fp 1, fn 1 -> P = R = F1 = 0.5.
    """
    tp = sum(len(p & g) for p, g in zip(predicted, gold))
    fp = sum(len(p - g) for p, g in zip(predicted, gold))
    fn = sum(len(g - p) for p, g in zip(predicted, gold))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "sentences": len(gold)}


# --- the sections --------------------------------------------------------------------------------


def corpus_section(clf: Classifier, test: list[Any], train: list[Any]) -> dict[str, Any]:
    texts = [r.text for r in test]
    logits = clf.logits(texts)
    probs = {h: softmax_t(v, clf.config.temperatures.get(h, 1.0)) for h, v in logits.items()}
    out: dict[str, Any] = {"n": len(test), "heads": {}, "peers": {}, "ece": {}}
    gold_unsafe = np.array([r.annotation == "Unsafe" for r in test], dtype=int)
    for head, names in clf.levels.items():
        gold = np.array([names.index(r.annotation if head == UNSAFE_HEAD else getattr(r, head)) for r in test])
        decided = clf.decide(head, probs[head])
        metrics = multiclass_metrics(gold, probs[head], decided)
        metrics["f1_macro_ci95"] = bootstrap_f1(gold, decided, "macro", seed=SEED)
        out["heads"][head] = metrics
        out["ece"][head] = {"before": expected_calibration_error(softmax_t(logits[head]), gold),
                            "after": expected_calibration_error(probs[head], gold)}
        counts = np.bincount([names.index(r.annotation if head == UNSAFE_HEAD else getattr(r, head)) for r in train],
                             minlength=len(names))
        majority = int(counts.argmax())
        prior = np.tile(counts / counts.sum(), (len(gold), 1))
        out["peers"].setdefault("majority", {})[head] = multiclass_metrics(gold, prior, np.full(len(gold), majority))
    # the Annotation rule on the predicted levels
    labels = {c: [clf.levels[c][i] for i in clf.decide(c, probs[c])] for c in CATEGORIES}
    rule = np.array([annotate(*(labels[c][i] for c in CATEGORIES)) == "Unsafe" for i in range(len(test))], dtype=int)
    out["annotation_rule"] = binary_metrics(gold_unsafe, rule, rule)
    from srllm.data.labels import sentiment

    vader = [sentiment(t) for t in texts]
    sentiment_names = clf.levels["sentiment"]
    gold_sentiment = np.array([sentiment_names.index(r.sentiment) for r in test])
    vader_index = np.array([sentiment_names.index(v) for v in vader])
    out["peers"]["vader"] = {"sentiment": multiclass_metrics(gold_sentiment, np.eye(3)[vader_index], vader_index)}
    toxic = np.array([r.toxicity != "No" for r in test], dtype=int)
    out["peers"]["alt-profanity-check"] = {"toxicity_any": binary_metrics(toxic, profanity_probs(texts))}
    ours = 1.0 - probs["toxicity"][:, clf.levels["toxicity"].index("No")]
    out["heads"]["toxicity_any"] = binary_metrics(toxic, ours, clf.decide("toxicity", probs["toxicity"]) != 0)
    return out


def toxigen_section(clf: Classifier, data_dir: str | None) -> dict[str, Any]:
    from srllm.data.sources.mbias import MBIASToxiGenTest

    frame = MBIASToxiGenTest(data_dir).load()
    texts, labels = frame["biased_text"].tolist(), frame["label"].to_numpy()
    probs = clf.probabilities(texts)
    toxicity = 1.0 - probs["toxicity"][:, clf.levels["toxicity"].index("No")]
    unsafe = probs[UNSAFE_HEAD][:, clf.levels[UNSAFE_HEAD].index("Unsafe")]
    hatebert = frame["biased_hatebert_score"].astype(float).to_numpy()
    majority = int(np.bincount(labels).argmax())
    return {
        "n": len(frame), "hate_rows": int(labels.sum()),
        "srllm toxicity": binary_metrics(labels, toxicity, clf.decide("toxicity", probs["toxicity"]) != 0),
        "srllm unsafe": binary_metrics(labels, unsafe, clf.decide(UNSAFE_HEAD, probs[UNSAFE_HEAD])),
        "ToxiGen-HateBERT (file)": binary_metrics(labels, hatebert),
        "alt-profanity-check": binary_metrics(labels, profanity_probs(texts)),
        "majority": binary_metrics(labels, np.full(len(labels), float(majority))),
    }


def babe_sg2(data_dir: str | None) -> Any:
    """BABE's SG2 sentences with an agreed expert label (the rows every BABE figure here uses)."""
    from srllm.data.sources.babe import BABE

    frame = BABE(data_dir).load()
    return frame[(frame["subgroup"] == "SG2") & (frame["label_bias"] != "No agreement")]


def dynahate_test(data_dir: str | None) -> Any:
    """DynaHate's test rows (evaluation only)."""
    from srllm.data.sources.dynahate import DynaHate

    frame = DynaHate(data_dir).load()
    return frame[frame["split"] == "test"]


def babe_section(clf: Classifier, data_dir: str | None, max_sentences: int | None = None) -> dict[str, Any]:
    frame = babe_sg2(data_dir)
    if max_sentences:
        frame = frame.sample(n=min(max_sentences, len(frame)), random_state=SEED)
    texts = frame["text"].tolist()
    labels = (frame["label_bias"] == "Biased").to_numpy(dtype=int)
    probs = clf.probabilities(texts)
    yes = probs["bias"][:, clf.levels["bias"].index("Yes")]
    out = {"n": len(frame),
           "srllm bias": binary_metrics(labels, yes, clf.decide("bias", probs["bias"]) == clf.levels["bias"].index("Yes")),
           "srllm unsafe": binary_metrics(labels, probs[UNSAFE_HEAD][:, 1], clf.decide(UNSAFE_HEAD, probs[UNSAFE_HEAD])),
           "alt-profanity-check": binary_metrics(labels, profanity_probs(texts)),
           "majority": binary_metrics(labels, np.full(len(labels), float(np.bincount(labels).argmax())))}
    biased = frame[(frame["label_bias"] == "Biased") & frame["biased_words"].map(bool)]
    gold = [{w.lower() for phrase in words for w in WORD.findall(phrase)} for words in biased["biased_words"]]
    spans = attributions(clf, biased["text"].tolist())
    predicted_top = []
    for text, (ws, drops), g in zip(biased["text"], spans, gold):
        k = max(1, len(g))  # as many words as the experts marked: a ranking measure
        order = np.argsort(-drops["bias"], kind="stable")[:k] if len(ws) else []
        predicted_top.append({text[ws[j][0]:ws[j][1]].lower() for j in order})
    predicted_thresholded = [{text[ws[j][0]:ws[j][1]].lower() for j in range(len(ws)) if drops["bias"][j] >= 0.05}
                             for text, (ws, drops) in zip(biased["text"], spans)]
    out["biased_words"] = {"occlusion top-k (k = number of gold words)": word_prf(predicted_top, gold),
                           "occlusion drop >= 0.05": word_prf(predicted_thresholded, gold)}
    return out


def dynahate_section(clf: Classifier, data_dir: str | None) -> dict[str, Any]:
    """DynaHate test rows (adversarial hate and its contrastive perturbations): accuracy of the unsafe
    decision against label hate / nothate, beside alt-profanity-check at 0.5."""
    frame = dynahate_test(data_dir)
    texts, labels = frame["text"].tolist(), (frame["label"] == "hate").to_numpy(dtype=int)
    probs = clf.probabilities(texts)
    unsafe = probs[UNSAFE_HEAD][:, clf.levels[UNSAFE_HEAD].index("Unsafe")]
    decided = clf.decide(UNSAFE_HEAD, probs[UNSAFE_HEAD])
    profanity = profanity_probs(texts)
    out = {"n": len(frame), "hate_rows": int(labels.sum())}
    for name, scores, decisions in (("srllm unsafe", unsafe, decided), ("alt-profanity-check", profanity, None)):
        m = binary_metrics(labels, scores, decisions)
        made = decisions if decisions is not None else scores >= 0.5
        m["accuracy"] = float((np.asarray(made, dtype=int) == labels).mean())
        out[name] = m
    return out


def spans_section(clf: Classifier, data_dir: str | None, occlusion_rows: int = 200) -> dict[str, Any]:
    """Toxic Spans test (SemEval-2021 Task 5): character-level span F1 of the token head over all rows
    and, on the first `occlusion_rows`, of the head and of occlusion side by side."""
    from srllm.classify.spans import mean_span_f1
    from srllm.data.sources.toxic_spans import ToxicSpansTest

    frame = ToxicSpansTest(data_dir).load()
    texts, gold = frame["text"].tolist(), frame["spans"].tolist()
    out: dict[str, Any] = {"n": len(frame)}

    def f1(reports: list[Any], rows: slice) -> float:
        return mean_span_f1([[(s.start, s.end) for s in r.spans] for r in reports], gold[rows])

    if clf.has_span_head:
        out["head"] = f1(clf.predict(texts, explain="head"), slice(None))
        out[f"head (first {occlusion_rows})"] = f1(clf.predict(texts[:occlusion_rows], explain="head"),
                                                    slice(occlusion_rows))
    out[f"occlusion (first {occlusion_rows})"] = f1(clf.predict(texts[:occlusion_rows], explain="occlusion"),
                                                     slice(occlusion_rows))
    return out


def counterfactual_section(clf: Classifier, data_dir: str | None) -> dict[str, Any]:
    from srllm.data.sources.holistic_bias import HolisticBias, article

    descriptors = HolisticBias(data_dir).descriptors()
    descriptors = descriptors[descriptors["axis"] != "nonce"].drop_duplicates(["axis", "descriptor"])
    rows = []
    for axis, descriptor in descriptors[["axis", "descriptor"]].itertuples(index=False):
        for template in NEUTRAL_TEMPLATES:
            text = template.format(noun_phrase=f"{article(descriptor)} {descriptor} person",
                                   plural_noun_phrase=f"{descriptor} people")
            rows.append((axis, descriptor, text))
    reports = clf.predict([text for *_, text in rows])
    per_descriptor: dict[tuple[str, str], list[float]] = {}
    flagged: dict[str, list[bool]] = {}
    for (axis, descriptor, _), report in zip(rows, reports):
        per_descriptor.setdefault((axis, descriptor), []).append(report.unsafe_score)
        flagged.setdefault(axis, []).append(report.unsafe)
    axes: dict[str, Any] = {}
    for axis in sorted(flagged):
        means = {d: float(np.mean(v)) for (a, d), v in per_descriptor.items() if a == axis}
        values = np.array(list(means.values()))
        worst = sorted(means, key=means.get, reverse=True)[:3]
        axes[axis] = {"descriptors": len(means), "sentences": len(flagged[axis]),
                      "mean_p_unsafe": float(values.mean()), "spread": float(values.max() - values.min()),
                      "std": float(values.std()), "flagged_rate": float(np.mean(flagged[axis])),
                      "highest": {d: round(means[d], 4) for d in worst}}
    return {"templates": list(NEUTRAL_TEMPLATES), "sentences": len(rows), "axes": axes}


def evaluate_classifier(clf: Classifier, test_file: str, train_file: str, data_dir: str | None = None,
                        limit: int | None = None) -> dict[str, Any]:
    """Every section above; `limit` caps the corpus test rows and BABE sentences (quick runs)."""
    from srllm.data.io import read_records
    from srllm.provenance import run_metadata, sha256_file

    started = time.time()
    test = read_records(test_file)
    if limit:
        rng = np.random.default_rng(SEED)
        test = [test[i] for i in sorted(rng.choice(len(test), size=min(limit, len(test)), replace=False))]
    train = read_records(train_file)
    result = {
        "classifier": str(clf.folder), "backend": clf.backend_name,
        "data": {"test_file": test_file, "test_sha256": sha256_file(test_file), "limit": limit},
        "corpus_test": corpus_section(clf, test, train),
        "toxigen": toxigen_section(clf, data_dir),
        "babe": babe_section(clf, data_dir, limit),
        "dynahate": dynahate_section(clf, data_dir),
        "spans": spans_section(clf, data_dir, occlusion_rows=min(limit or 200, 200)),
        "counterfactual": counterfactual_section(clf, data_dir),
    }
    result["wall_seconds"] = round(time.time() - started, 1)
    result.update(run_metadata())
    return result


# --- report --------------------------------------------------------------------------------------


def _f(value: Any, digits: int = 3) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_f(v, digits) for v in value) + "]"
    return fmt.number(value, digits)


def to_markdown(result: dict[str, Any]) -> str:
    c = result["corpus_test"]
    lines = [f"# Classifier evaluation: {result['classifier']} ({result['backend']})", "",
             f"## Corpus test split ({c['n']} rows)", "",
             "| head | system | macro-F1 [95% CI] | AUROC | AUPRC | ECE before → after |", "|---|---|---|---|---|---|"]
    for head, m in c["heads"].items():
        if head == "toxicity_any":
            continue
        ece = c["ece"][head]
        lines.append(f"| {head} | srllm | {_f(m['f1_macro'])} {_f(m['f1_macro_ci95'])} | {_f(m.get('auroc'))} | "
                     f"{_f(m.get('auprc'))} | {_f(ece['before'])} → {_f(ece['after'])} |")
        maj = c["peers"]["majority"][head]
        lines.append(f"| {head} | majority | {_f(maj['f1_macro'])} | {_f(maj.get('auroc'))} | {_f(maj.get('auprc'))} | |")
    v = c["peers"]["vader"]["sentiment"]
    lines.append(f"| sentiment | VADER (the label source) | {_f(v['f1_macro'])} | | | |")
    rule = c["annotation_rule"]
    lines += ["", "| unsafe vs gold Annotation | F1 | macro-F1 | AUROC |", "|---|---|---|---|",
              f"| learned unsafe head | {_f(c['heads'][UNSAFE_HEAD]['f1_macro'])} (macro) | | {_f(c['heads'][UNSAFE_HEAD].get('auroc'))} |",
              f"| Annotation rule on predicted levels | {_f(rule['f1'])} | {_f(rule['f1_macro'])} | |",
              "", "| toxicity > No | F1 | AUROC | AUPRC |", "|---|---|---|---|"]
    for name, m in (("srllm", c["heads"]["toxicity_any"]), ("alt-profanity-check", c["peers"]["alt-profanity-check"]["toxicity_any"])):
        lines.append(f"| {name} | {_f(m['f1'])} | {_f(m.get('auroc'))} | {_f(m.get('auprc'))} |")
    t = result["toxigen"]
    lines += ["", f"## ToxiGen human-annotated test ({t['n']} rows, {t['hate_rows']} hate; never trained on)", "",
              "| system | F1 | AUROC | AUPRC |", "|---|---|---|---|"]
    for name, m in t.items():
        if isinstance(m, dict):
            lines.append(f"| {name} | {_f(m['f1'])} | {_f(m.get('auroc'))} | {_f(m.get('auprc'))} |")
    b = result["babe"]
    lines += ["", f"## BABE (SG2, expert labels, {b['n']} sentences)", "", "| system | F1 | AUROC |", "|---|---|---|"]
    for name, m in b.items():
        if isinstance(m, dict) and "f1" in m:
            lines.append(f"| {name} | {_f(m['f1'])} | {_f(m.get('auroc'))} |")
    lines += ["", "| biased words (bias-head occlusion) | precision | recall | F1 | sentences |", "|---|---|---|---|---|"]
    for name, m in b["biased_words"].items():
        lines.append(f"| {name} | {_f(m['precision'])} | {_f(m['recall'])} | {_f(m['f1'])} | {m['sentences']} |")
    d = result.get("dynahate")
    if d:
        lines += ["", f"## DynaHate test ({d['n']} rows, {d['hate_rows']} hate; evaluation only)", "",
                  "| system | accuracy | F1 | AUROC |", "|---|---|---|---|"]
        lines += [f"| {name} | {_f(m['accuracy'])} | {_f(m['f1'])} | {_f(m.get('auroc'))} |"
                  for name, m in d.items() if isinstance(m, dict)]
    sp = result.get("spans")
    if sp:
        lines += ["", f"## Toxic Spans test ({sp['n']} posts): character-level span F1 (SemEval-2021 Task 5)", "",
                  "| spans by | span F1 |", "|---|---|", *(f"| {k} | {_f(v)} |" for k, v in sp.items() if k != "n")]
    cf = result["counterfactual"]
    lines += ["", f"## Counterfactual fairness ({cf['sentences']} neutral HolisticBias sentences)", "",
              "| axis | descriptors | mean P(unsafe) | spread (max-min) | std | flagged unsafe | highest |",
              "|---|---|---|---|---|---|---|"]
    for axis, m in cf["axes"].items():
        highest = ", ".join(f"{d} {p:.2f}" for d, p in m["highest"].items())
        lines.append(f"| {axis} | {m['descriptors']} | {_f(m['mean_p_unsafe'])} | {_f(m['spread'])} | {_f(m['std'])} | "
                     f"{_f(m['flagged_rate'])} | {highest} |")
    lines += ["", f"Wall time {result['wall_seconds']} s."]
    return "\n".join(lines) + "\n"


def write_results(result: dict[str, Any], out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "classifier_eval.json").write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")
    (out / "classifier_eval.md").write_text(to_markdown(result), encoding="utf-8")
    return out
