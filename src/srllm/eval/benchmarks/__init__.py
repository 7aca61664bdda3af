"""One module per benchmark; they register in `srllm.eval.registry` by name."""
