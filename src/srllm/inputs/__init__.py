"""One input layer for every reader: plain text, JSONL, CSV and Parquet files, and request texts.

Every row of a file is either read exactly as written or reported with an `error` that names the
file, the line (or Parquet row), the field and what was wrong; nothing is altered or dropped
silently, and one bad row never stops the job:

* bytes that are not UTF-8, lone surrogates (JSON ``"\\ud800"``), fields over the size limit, JSON
  nested deeper than the depth limit, broken JSON, blank lines, CSV rows with the wrong number of
  cells and unterminated CSV quotes become per-row errors (an unterminated quote is reported at the
  line that opened it, and the lines after it are read again as rows of their own);
* lines end at ``\\n`` only, so a ``\\r`` inside a line stays part of its text (``\\r\\n`` endings are
  removed);
* a file that cannot be read at all (missing, unsupported suffix, empty, not Parquet, a CSV without
  a usable header) raises `InputFileError` with the path and the reason.

`check_texts` applies the same text rules to the texts of an HTTP request.
"""

from srllm.inputs.checks import (
    DEFAULT_LIMITS,
    INPUT_FORMATS,
    InputFileError,
    InputLimits,
    RawRow,
    TextProblem,
    check_texts,
    input_format,
    string_problem,
    text_problem,
    value_problem,
)
from srllm.inputs.readers import fingerprint, read_rows

__all__ = ["DEFAULT_LIMITS", "INPUT_FORMATS", "InputFileError", "InputLimits", "RawRow", "TextProblem", "check_texts",
           "fingerprint", "input_format", "read_rows", "string_problem", "text_problem", "value_problem"]
