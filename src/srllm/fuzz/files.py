"""The file fuzz: malformed txt / JSONL / CSV / Parquet files through `data validate`, `classify` and
`rewrite`. Passes when nothing raises (no traceback), every file the commands accept gives exactly
one output row per input row (indexes 0..n-1), and every file they refuse is refused with a message
that names it.

Each case knows how many rows it holds (`Case.rows`), counted by construction, not by the reader
under test; `rows=None` means the file must be refused (empty, random bytes, no usable header).
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from srllm.fuzz.malformed import bad_bytes, malformed_text, malformed_value, words


@dataclass(frozen=True)
class Case:
    path: Path
    rows: int | None
    kinds: tuple[str, ...]
    #: a damaged Parquet file may be refused as a whole or read with per-row errors
    may_refuse: bool = False


def _text_line(rng: random.Random, kinds: list[str]) -> bytes:
    roll = rng.random()
    if roll < 0.55:
        return words(rng).encode()
    if roll < 0.7:
        kind, data = bad_bytes(rng)
        kinds.append(f"bytes:{kind}")
        return words(rng).encode() + data
    if roll < 0.8:
        kinds.append("blank")
        return b""
    kind, text = malformed_text(rng)
    text = text.replace("\n", " ")
    kinds.append(f"text:{kind}")
    return text.encode("utf-8", "surrogatepass")


def make_txt(rng: random.Random, path: Path) -> Case:
    kinds: list[str] = []
    lines = [_text_line(rng, kinds) for _ in range(rng.randint(1, 12))]
    ending = rng.choice((b"\n", b"\r\n"))
    # a last line may lack its newline, unless it is blank (then it would not exist)
    data = ending.join(lines) + (ending if rng.random() < 0.8 or not lines[-1] else b"")
    path.write_bytes(data)
    return Case(path, len(lines), tuple(kinds))


def _jsonl_line(rng: random.Random, index: int, kinds: list[str]) -> bytes:
    roll = rng.random()
    ident: object = rng.choice(("", " ", str(index - 1))) if rng.random() < 0.15 else str(index)
    if roll < 0.45:
        return json.dumps({"id": ident, "text": words(rng)}).encode()
    if roll < 0.6:
        kind, text = malformed_text(rng)
        kinds.append(f"text:{kind}")
        return json.dumps({"id": ident, "text": text}, ensure_ascii=rng.random() < 0.7).encode("utf-8", "surrogatepass")
    if roll < 0.7:
        kind, value = malformed_value(rng)
        kinds.append(f"value:{kind}")
        if kind == "nested":
            depth = rng.choice((70, 500, 50_000))
            return b'{"id": "%d", "text": ' % index + b"[" * depth + b'"x"' + b"]" * depth + b"}"
        return json.dumps({"id": ident, "text": value}).encode()
    if roll < 0.78:
        kind, data = bad_bytes(rng)
        kinds.append(f"bytes:{kind}")
        return b'{"id": "%d", "text": "' % index + data + b'"}'
    choice = rng.choice(("blank", "broken", "array", "string", "number", "no_text", "surrogate_key", "deep_line"))
    kinds.append(f"line:{choice}")
    return {
        "blank": b"", "broken": b'{"text": "unterminated', "array": b'["text", 1]', "string": b'"just a string"',
        "number": b"42", "no_text": b'{"body": "hello"}', "surrogate_key": b'{"\\udc80": 1, "text": "hi"}',
        "deep_line": b"[" * 100_000 + b"]" * 100_000,
    }[choice]


def make_jsonl(rng: random.Random, path: Path) -> Case:
    kinds: list[str] = []
    lines = [_jsonl_line(rng, i, kinds) for i in range(rng.randint(1, 12))]
    data = b"\n".join(lines) + (b"\n" if rng.random() < 0.8 or not lines[-1] else b"")
    path.write_bytes(data)
    return Case(path, len(lines), tuple(kinds))


def _csv_cell(rng: random.Random, kinds: list[str]) -> str:
    if rng.random() < 0.6:
        return words(rng)
    kind, text = malformed_text(rng)
    kinds.append(f"text:{kind}")
    return text


def make_csv(rng: random.Random, path: Path) -> Case:
    """Records written by the csv module (quoted newlines, huge fields) with raw damage between them:
    bad bytes, blank lines, wrong cell counts, blank and duplicate ids, one unterminated quote."""
    kinds: list[str] = []
    records: list[bytes] = []
    n = rng.randint(1, 10)
    unterminated = rng.randrange(n) if rng.random() < 0.25 else None
    for i in range(n):
        if unterminated is not None and i > unterminated:
            records.append(f"{i},{words(rng)}".encode())  # no quotes after the open one
            continue
        if i == unterminated:
            kinds.append("csv:unterminated_quote")
            records.append(f'{i},"{words(rng)}'.encode())
            continue
        roll = rng.random()
        if roll < 0.1:
            kinds.append("csv:blank_line")
            records.append(b"")
        elif roll < 0.2:
            kind, data = bad_bytes(rng)
            kinds.append(f"bytes:{kind}")
            records.append(f"{i},".encode() + data)
        elif roll < 0.27:
            kinds.append("csv:cell_count")
            records.append(f"{i},{words(rng)},extra".encode())
        else:
            buffer = io.StringIO()
            ident = rng.choice(("", "0")) if rng.random() < 0.15 else str(i)
            csv.writer(buffer, lineterminator="\n").writerow([ident, _csv_cell(rng, kinds)])
            records.append(buffer.getvalue()[:-1].encode("utf-8", "surrogatepass"))  # a surrogate: invalid bytes
    path.write_bytes(b"id,text\n" + b"\n".join(records) + b"\n")
    return Case(path, n, tuple(kinds))


def make_parquet(rng: random.Random, path: Path) -> Case:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = rng.randint(1, 40)
    texts = [None if rng.random() < 0.1 else rng.choice(("", " ", words(rng), words(rng) + "\r" + words(rng)))
             for _ in range(n)]
    kinds = ["parquet:nulls_blanks"]
    column_kind = rng.choice(("string", "int", "binary", "large_string"))
    if column_kind == "int":
        column = pa.array([rng.randint(0, 9) for _ in range(n)])
    elif column_kind == "binary":
        column = pa.array([words(rng).encode() + (bad_bytes(rng)[1] if rng.random() < 0.3 else b"") for _ in range(n)])
    else:
        column = pa.array(texts, type=pa.large_string() if column_kind == "large_string" else pa.string())
    kinds.append(f"parquet:{column_kind}")
    table = pa.table({"id": [str(i) for i in range(n)], "text": column})
    pq.write_table(table, path, row_group_size=rng.choice((3, 7, 1000)))
    damage = rng.choice(("none", "none", "flip", "truncate", "random"))
    if damage == "none":
        return Case(path, n, tuple(kinds))
    kinds.append(f"parquet:{damage}")
    data = bytearray(path.read_bytes())
    if damage == "flip":
        for _ in range(rng.randint(1, 30)):
            at = rng.randrange(4, max(5, len(data) // 2))  # the pages; the footer (row counts) stays
            data[at] = rng.randrange(256)
        path.write_bytes(bytes(data))
        return Case(path, n, tuple(kinds), may_refuse=True)
    path.write_bytes(bytes(data[: rng.randrange(len(data) - 8)]) if damage == "truncate" else rng.randbytes(len(data)))
    return Case(path, None, tuple(kinds))


def make_refused(rng: random.Random, path: Path) -> Case:
    """Files that must be refused as a whole: empty files and CSVs without a usable header."""
    kind = rng.choice(("empty", "header_only", "duplicate_header", "no_text_column", "bad_header"))
    suffix = rng.choice((".txt", ".jsonl", ".csv", ".parquet")) if kind == "empty" else ".csv"
    path = path.with_suffix(suffix)
    path.write_bytes({"empty": b"", "header_only": b"id,text\n", "duplicate_header": b"text,text\na,b\n",
                      "no_text_column": b"id,body\n1,hello\n", "bad_header": b"id,te\xffxt\n1,hi\n"}[kind])
    return Case(path, None, (f"refused:{kind}",))


MAKERS: dict[str, tuple[str, Callable[[random.Random, Path], Case]]] = {
    "txt": (".txt", make_txt), "jsonl": (".jsonl", make_jsonl), "csv": (".csv", make_csv),
    "parquet": (".parquet", make_parquet), "refused": (".bin", make_refused),
}
WEIGHTS = {"txt": 0.22, "jsonl": 0.3, "csv": 0.25, "parquet": 0.15, "refused": 0.08}


def make_cases(n: int, folder: Path, seed: int = 0) -> list[Case]:
    """`n` malformed files in `folder`, reproducible from `seed`."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names, weights = zip(*WEIGHTS.items())
    cases = []
    for i in range(n):
        name = rng.choices(names, weights)[0]
        suffix, maker = MAKERS[name]
        cases.append(maker(random.Random(rng.getrandbits(64)), folder / f"case-{i:05d}{suffix}"))
    return cases
