"""Fuzzing srllm's inputs: shared generators of malformed input (`malformed`), the file fuzz
(`files`, `runner`). Run with `srllm fuzz files` or `make fuzz`."""
