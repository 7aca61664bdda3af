"""Lines of a file as the input layer reads them: ended by ``\\n`` only, decoded as strict UTF-8."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from srllm.inputs.checks import InputLimits


def physical_lines(path: Path, limits: InputLimits) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text, problem) for each line ending at ``\\n``; a ``\\r\\n`` ending is removed.
    Undecodable or over-long lines give a problem instead of text."""
    max_bytes = 4 * limits.max_field_chars + 2
    with path.open("rb") as handle:
        number = 0
        while True:
            raw = handle.readline(max_bytes)
            if not raw:
                return
            number += 1
            if len(raw) == max_bytes and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                    raw = handle.readline(max_bytes)
                yield number, None, (f"line longer than {max_bytes:,} bytes (the limit is "
                                     f"{limits.max_field_chars:,} characters per field)")
                continue
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            raw = raw.removesuffix(b"\n").removesuffix(b"\r")
            try:
                yield number, raw.decode("utf-8"), None
            except UnicodeDecodeError as exc:
                yield number, None, f"invalid UTF-8: byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line"
