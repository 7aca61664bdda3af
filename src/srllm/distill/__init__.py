"""Teacher -> verified pairs: a larger model rewrites the corpus's unsafe rows that have no human
rewrite, and `srllm.verifier` keeps only the rewrites that pass every check.

`srllm.distill.prompt`: the teacher's system prompt and its few-shot human pairs from TRAIN;
`srllm.distill.run`: the resumable batch job (`srllm distill generate`); `srllm.distill.threshold`:
the similarity threshold chosen on dev (`srllm distill threshold`).
"""
