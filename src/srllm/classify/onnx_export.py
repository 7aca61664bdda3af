"""Export a trained classifier folder to ONNX and check the export against torch."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from srllm.classify.predictor import ONNX_FILE, ClassifierConfig
from srllm.classify.report import UNSAFE_HEAD

#: How the ONNX export stores its weights:
#: - ``weights-int8``: MatMul weights in 8-bit blocks (``MatMulNBits``, block 32) and the embedding
#:   table in int8; activations stay float, so a text's scores do not depend on the batch it is in.
#: - ``dynamic-int8``: ONNX Runtime dynamic quantisation (about 2.5x faster on CPU), but activations
#:   are quantised with one scale per batch tensor, so scores shift slightly with batch composition.
#: - ``static-int8``: ONNX Runtime static quantisation (QDQ): weights int8 per channel, the
#:   activations entering each weight MatMul quantised with a fixed scale calibrated (min-max) on dev
#:   texts. As fast as dynamic quantisation but batch-invariant, since no scale depends on the batch;
#:   the attention score MatMuls (two activations) stay float.
#: - ``smooth-int8``: SmoothQuant-balanced int8 weights and per-token dynamic int8 activations
#:   (`srllm.classify.smooth_int8`), calibrated on dev texts: about 1.7x the float speed and
#:   batch-invariant, since each token's scale depends only on that token.
#: - ``none``: float32 (about 90 MB).
QUANTIZE_MODES = ("weights-int8", "dynamic-int8", "static-int8", "smooth-int8", "none")
#: How many dev texts (the first) calibrate and check an export, in training and `srllm train export-classifier`.
EXPORT_CHECK_TEXTS = 512
#: Modes calibrated on texts (``check_texts``).
CALIBRATED = ("static-int8", "smooth-int8")


def export_onnx(folder: Path, quantize: str = "weights-int8", check_texts: list[str] | None = None) -> dict[str, Any]:
    """Write ``model.onnx`` (weights stored as `quantize` says, see `QUANTIZE_MODES`) from the
    folder's torch weights and check it against torch on `check_texts`: largest probability
    difference, label agreement, and the largest change of a text's scores between scoring it alone
    and in the batch."""
    import torch

    from srllm.classify.model import StackedLogits
    from srllm.classify.predictor import Classifier, load_torch_model

    config = ClassifierConfig.read(folder)
    # Eager attention exports one additive mask for all layers; the SDPA path re-derives it in every
    # layer and adds a NaN guard after each softmax (15 `Where` ops over batch x heads x seq x seq).
    model = StackedLogits(load_torch_model(folder, config, attn_implementation="eager")).eval()
    example = (torch.tensor([[101, 7592, 2088, 102]]), torch.ones(1, 4, dtype=torch.long))
    fp32 = folder / "model.fp32.onnx"
    outputs = ["logits", "token_logits"] if config.token_head else ["logits"]
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"},
            "token_logits": {0: "batch", 1: "sequence"}}
    torch.onnx.export(model, example, str(fp32), input_names=["input_ids", "attention_mask"], output_names=outputs,
                      dynamic_axes={k: v for k, v in axes.items() if k in ("input_ids", "attention_mask", *outputs)},
                      opset_version=17, dynamo=False)
    target = folder / ONNX_FILE
    if quantize == "dynamic-int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
        fp32.unlink()
    elif quantize == "weights-int8":
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        blocks = folder / "model.nbits.onnx"
        quantizer = MatMulNBitsQuantizer(onnx.load(str(fp32)), bits=8, block_size=32, is_symmetric=True)
        quantizer.process()
        quantizer.model.save_model_to_file(str(blocks), use_external_data_format=False)
        # Gather of an int8 table is weight-only too: each looked-up row is de-quantised on its own.
        quantize_dynamic(str(blocks), str(target), weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"])
        fp32.unlink()
        blocks.unlink()
    elif quantize in CALIBRATED:
        if not check_texts:
            raise ValueError(f"quantize={quantize!r} needs calibration texts (check_texts)")
        if quantize == "static-int8":
            quantize_static_int8(folder, fp32, target, check_texts[:256])
        else:
            from srllm.classify.smooth_int8 import export_smooth_int8

            export_smooth_int8(fp32, target, calibration_feeds(folder, check_texts[:256]))
        fp32.unlink()
    else:
        shutil.move(fp32, target)
    result: dict[str, Any] = {"file": ONNX_FILE, "quantize": quantize, "size_mb": round(target.stat().st_size / 1e6, 1)}
    if check_texts:
        onnx_probs = Classifier(folder, backend="onnx").probabilities(check_texts)
        torch_probs = Classifier(folder, backend="torch").probabilities(check_texts)
        result["check_texts"] = len(check_texts)
        result["max_prob_diff"] = {h: round(float(np.abs(onnx_probs[h] - torch_probs[h]).max()), 4) for h in onnx_probs}
        result["label_agreement"] = {h: round(float((onnx_probs[h].argmax(-1) == torch_probs[h].argmax(-1)).mean()), 4)
                                     for h in onnx_probs}
        onnx_clf = Classifier(folder, backend="onnx")
        alone = np.concatenate([onnx_clf.probabilities([t])[UNSAFE_HEAD] for t in check_texts[:32]])
        result["batch_vs_alone_max_diff"] = round(float(np.abs(alone - onnx_probs[UNSAFE_HEAD][:32]).max()), 6)
    return result


def export_run_onnx(folder: Path, quantize: str, dev_texts: list[str]) -> dict[str, Any]:
    """`export_onnx` for a classifier folder, with the export's record kept in its ``classifier.json``
    (``info.onnx``: what the model card reports). `dev_texts` calibrate and check the export."""
    import json

    from srllm.classify.predictor import CONFIG_FILE

    record = export_onnx(folder, quantize=quantize, check_texts=dev_texts)
    path = folder / CONFIG_FILE
    stored = json.loads(path.read_text(encoding="utf-8"))
    stored.setdefault("info", {})["onnx"] = record
    path.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return record


def calibration_feeds(folder: Path, texts: list[str], batch_size: int = 32) -> list[dict[str, np.ndarray]]:
    """`texts` as model inputs (input_ids, attention_mask) in batches, tokenised as the classifier does."""
    from tokenizers import Tokenizer

    from srllm.classify.predictor import TOKENIZER_FILE

    config = ClassifierConfig.read(folder)
    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
    tokenizer.enable_truncation(config.max_length)
    encodings = tokenizer.encode_batch(texts)
    feeds = []
    for start in range(0, len(encodings), batch_size):
        chunk = encodings[start : start + batch_size]
        width = max(len(e.ids) for e in chunk)
        ids, mask = np.zeros((len(chunk), width), np.int64), np.zeros((len(chunk), width), np.int64)
        for row, e in enumerate(chunk):
            ids[row, : len(e.ids)], mask[row, : len(e.ids)] = e.ids, 1
        feeds.append({"input_ids": ids, "attention_mask": mask})
    return feeds


def quantize_static_int8(folder: Path, fp32: Path, target: Path, texts: list[str]) -> None:
    """Static QDQ int8 quantisation of the weight MatMuls, calibrated on `texts` (min-max)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    feeds = calibration_feeds(folder, texts)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(feeds)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.items, None)

    graph = onnx.load(str(fp32)).graph
    weights = {init.name for init in graph.initializer}
    activation_matmuls = [n.name for n in graph.node if n.op_type == "MatMul" and not any(i in weights for i in n.input)]
    quantize_static(str(fp32), str(target), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"],
                    nodes_to_exclude=activation_matmuls, calibrate_method=CalibrationMethod.MinMax)
