"""``smooth-int8``: an ONNX graph whose weight MatMuls run in int8 and whose scores do not depend on the batch.

Two published techniques, applied to the exported float graph:

- SmoothQuant (Xiao et al. 2023, arXiv:2211.10438): activation outliers sit in a few channels, so
  each MatMul input channel ``j`` is divided by ``s_j = max|x_j|^alpha / max|W_j|^(1 - alpha)``
  (``max|x_j|`` measured on calibration texts, real tokens only) and the weight row ``j`` is
  multiplied by it. The product is unchanged; both sides become easier to quantise.
- Per-token dynamic quantisation (ZeroQuant, Yao et al. 2022, arXiv:2206.01861): every token's
  activation vector gets its own int8 scale (its absolute maximum / 127), computed at run time,
  and weights are int8 per output channel. A token's scale depends only on that token, so a
  text's scores are the same alone and in any batch, unlike ONNX Runtime's dynamic quantisation,
  whose one scale per tensor mixes the batch.

Each activation tensor is quantised once, also when several MatMuls read it (the attention's
query, key and value): their weights are concatenated into one int8 MatMul whose output is split.
The token head and the small classification heads stay float.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

#: Weight MatMuls left in float: the token span head (one output column, no speed to gain).
KEEP_FLOAT = ("token_head",)
DEFAULT_ALPHA = 0.5


def _weight_matmuls(graph, weights: Mapping[str, object]) -> list:
    return [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights
            and not any(k in n.name for k in KEEP_FLOAT)]


def activation_absmax(model, feeds: Iterable[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-channel max |x| of every weight MatMul's input over the real (unmasked) tokens of `feeds`."""
    import onnx
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    weights = {i.name for i in probe.graph.initializer}
    names = sorted({n.input[0] for n in _weight_matmuls(probe.graph, weights)})
    for name in names:
        probe.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    found: dict[str, np.ndarray] = {}
    for feed in feeds:
        real = feed["attention_mask"].astype(bool)
        for name, value in zip(names, session.run(names, feed)):
            peak = np.abs(value[real]).max(axis=0)
            found[name] = peak if name not in found else np.maximum(found[name], peak)
    if not found:
        raise ValueError("smooth-int8 needs at least one calibration batch")
    return found


def smooth(model, absmax: Mapping[str, np.ndarray], alpha: float = DEFAULT_ALPHA) -> None:
    """Fold SmoothQuant's per-channel factors into `model` in place: a Mul by 1/s on each
    activation, s into each weight row. The float model computes the same function."""
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    users: dict[str, list] = defaultdict(list)
    for node in _weight_matmuls(graph, weights):
        users[node.input[0]].append(node)
    pending: dict[str, object] = {}  # output name -> its Mul, until placed
    for name, nodes in users.items():
        w_peak = np.max([np.abs(numpy_helper.to_array(weights[n.input[1]])).max(axis=1) for n in nodes], axis=0)
        factor = (np.maximum(absmax[name], 1e-5) ** alpha / np.maximum(w_peak, 1e-5) ** (1 - alpha)).astype(np.float32)
        base = f"smooth/{name}"
        graph.initializer.append(numpy_helper.from_array((1.0 / factor).astype(np.float32), base + "/inverse"))
        pending[base + "/output"] = helper.make_node("Mul", [name, base + "/inverse"], [base + "/output"], name=base)
        for node in nodes:
            weight = weights[node.input[1]]
            weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * factor[:, None], weight.name))
            node.input[0] = base + "/output"
    ordered = []
    for node in graph.node:  # each Mul goes right before the first node that reads it
        ordered.extend(pending.pop(name) for name in node.input if name in pending)
        ordered.append(node)
    del graph.node[:]
    graph.node.extend(ordered)


def quantize_per_token(model) -> int:
    """Rewrite the weight MatMuls of `model` in place as per-token dynamic int8 (see the module
    docstring); returns how many activation tensors are quantised."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    targets = _weight_matmuls(graph, weights)
    readers: dict[str, list] = defaultdict(list)
    for node in targets:
        readers[node.input[0]].append(node)
    first = {id(nodes[0]) for nodes in readers.values()}
    rewritten = {id(n) for n in targets}
    nodes, constants = [], []

    def constant(name: str, value: np.ndarray) -> str:
        constants.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], outputs: list[str], **attrs) -> None:
        nodes.append(helper.make_node(op, inputs, outputs, name=outputs[0] + "/" + op, **attrs))

    constant("pt/inv127", np.array(1 / 127.0, np.float32))
    constant("pt/eps", np.array(1e-8, np.float32))
    constant("pt/zero", np.array(0.0, np.float32))
    constant("pt/mid", np.array(128.0, np.float32))
    constant("pt/zp", np.array(128, np.uint8))
    constant("pt/last", np.array([-1], np.int64))
    count = 0
    for original in graph.node:
        if id(original) not in rewritten:
            nodes.append(original)
            continue
        if id(original) not in first:
            continue
        x, group = original.input[0], readers[original.input[0]]
        parts = [numpy_helper.to_array(weights[n.input[1]]).astype(np.float32) for n in group]
        w = np.concatenate(parts, axis=1)
        w_scale = np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0
        p = f"pt{count}"
        w_q = constant(p + "/w", np.clip(np.round(w / w_scale), -127, 127).astype(np.int8))
        w_s = constant(p + "/w_scale", w_scale.astype(np.float32))
        node("Reshape", [x, constant(p + "/rows", np.array([-1, w.shape[0]], np.int64))], [p + "/x2"])
        node("Abs", [p + "/x2"], [p + "/abs"])
        node("ReduceMax", [p + "/abs"], [p + "/peak"], axes=[1], keepdims=0)
        node("Max", [p + "/peak", "pt/eps"], [p + "/peak1"])
        node("Mul", [p + "/peak1", "pt/inv127"], [p + "/scale"])
        # a uint8 zero point of 128 per row, the shape QuantizeLinear's per-axis form wants
        node("Mul", [p + "/scale", "pt/zero"], [p + "/z0"])
        node("Add", [p + "/z0", "pt/mid"], [p + "/z1"])
        node("Cast", [p + "/z1"], [p + "/zp"], to=TensorProto.UINT8)
        node("QuantizeLinear", [p + "/x2", p + "/scale", p + "/zp"], [p + "/xq"], axis=0)
        node("MatMulInteger", [p + "/xq", w_q, "pt/zp"], [p + "/yi"])
        node("Cast", [p + "/yi"], [p + "/yf"], to=TensorProto.FLOAT)
        node("Unsqueeze", [p + "/scale", "pt/last"], [p + "/scale2"])
        node("Mul", [p + "/yf", p + "/scale2"], [p + "/y1"])
        node("Mul", [p + "/y1", w_s], [p + "/y"])
        node("Shape", [x], [p + "/lead"], end=-1)
        widths = [part.shape[1] for part in parts]
        outputs = [p + "/y"]
        if len(group) > 1:
            outputs = [f"{p}/part{j}" for j in range(len(group))]
            node("Split", [p + "/y", constant(p + "/widths", np.array(widths, np.int64))], outputs, axis=1)
        for j, reader in enumerate(group):
            width = constant(f"{p}/width{j}", np.array([widths[j]], np.int64))
            node("Concat", [p + "/lead", width], [f"{p}/shape{j}"], axis=0)
            node("Reshape", [outputs[j], f"{p}/shape{j}"], list(reader.output))
        count += 1
    used = {name for n in nodes for name in n.input}
    kept = [i for i in graph.initializer if i.name in used] + [c for c in constants if c.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return count


def export_smooth_int8(fp32: Path, target: Path, feeds: list[dict[str, np.ndarray]], alpha: float = DEFAULT_ALPHA) -> None:
    """Write `target` from the float ONNX file `fp32`: smoothed on `feeds`, weight MatMuls per-token
    int8, and the embedding table int8 (weight-only)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(fp32))
    smooth(model, activation_absmax(model, feeds), alpha)
    quantize_per_token(model)
    onnx.checker.check_model(model)
    staged = target.with_suffix(".per-token.onnx")
    onnx.save(model, str(staged))
    try:
        quantize_dynamic(str(staged), str(target), weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"])
    finally:
        staged.unlink(missing_ok=True)
