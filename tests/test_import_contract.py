"""The import contract, read from the source with `ast` (every import, also those inside functions):

- runtime and training code (classify/, rewrite/, serve/, train/, data/, the generator and model
  loaders) and the neutral modules (sampling, statistics, similarity, formatting) never import
  ``srllm.eval``: serving a rewrite must not depend on the evaluation package;
- the neutral modules import nothing from the layers above them;
- no import cycles between srllm's packages (module-level imports).
"""

from __future__ import annotations

import ast
from pathlib import Path

import srllm

ROOT = Path(srllm.__file__).resolve().parent
RUNTIME = ("classify", "rewrite", "serve", "train", "data", "generate", "models", "prompts", "batch")
NEUTRAL = ("sampling", "statistics", "similarity", "formatting")
NEUTRAL_MAY_USE = {"srllm.models"}  # similarity.encoder_embedder loads the encoder lazily


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found: set[str] = set()
    module = _module(path)
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = module.split(".")[: -node.level if path.name != "__init__.py" else len(module.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found |= {f"{name}.{alias.name}" for alias in node.names}
    return {name for name in found if name == "srllm" or name.startswith("srllm.")}


def _files(*names: str) -> list[Path]:
    out: list[Path] = []
    for name in names:
        folder, single = ROOT / name, ROOT / f"{name}.py"
        out += sorted(folder.rglob("*.py")) if folder.is_dir() else [single] if single.is_file() else []
    return out


def test_runtime_and_neutral_modules_never_import_eval():
    offenders = {str(p.relative_to(ROOT)): sorted(i for i in _imports(p) if i == "srllm.eval" or i.startswith("srllm.eval."))
                 for p in _files(*RUNTIME, *NEUTRAL)}
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"runtime modules import srllm.eval: {offenders}"
    assert len(_files(*RUNTIME)) > 40  # the walk really saw the runtime packages


def test_neutral_modules_stay_neutral():
    for path in _files(*NEUTRAL):
        allowed = NEUTRAL_MAY_USE | {f"srllm.{n}" for n in NEUTRAL}
        used = {i for i in _imports(path) if i != "srllm"}
        bad = sorted(i for i in used if not any(i == m or i.startswith(m + ".") for m in allowed))
        assert not bad, f"{path.name} imports {bad}"


def _package(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2])


def test_no_import_cycles_between_packages():
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        src = _package(_module(path))
        for target in _imports(path, top_level_only=True):
            dst = _package(target)
            if dst != src and dst != "srllm" and (ROOT / dst.split(".")[1]).is_dir():
                graph.setdefault(src, set()).add(dst)
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in stack:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif len(stack) < len(graph) + 1:
                visit(nxt, stack + [nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert not cycles, f"import cycles between packages: {cycles[:5]}"
    assert "srllm.eval" in graph  # the graph was built
