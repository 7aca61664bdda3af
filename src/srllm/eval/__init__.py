"""Evaluation: held-out rewrite pairs (`rewrite_pairs`), and later the benchmark suite."""
