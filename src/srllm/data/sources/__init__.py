"""One adapter per public data set, registered by name.

TRAIN adapters yield CMD records; EVALUATION adapters yield tidy tables and never feed training.
"""

from __future__ import annotations

import difflib
from importlib import import_module

from srllm.data.registry import Adapter

#: name -> "module:Class"; imported lazily so listing sources stays cheap.
_ADAPTERS: dict[str, str] = {
    # training sources
    "edos_sexism": "edos:EDOS",
    "implicit_hate_corpus": "implicit_hate_corpus:ImplicitHateCorpus",
    "sbic": "sbic:SBIC",
    "wiegand_identity_groups": "wiegand:WiegandIdentityGroups",
    "hatemoji_build": "hatemoji:HatemojiBuild",
    "hatexplain": "hatexplain:HateXplain",
    "toxic_spans": "toxic_spans:ToxicSpans",
    "paradetox": "paradetox:ParaDetox",
    "davidson": "davidson:Davidson",
    "implicit_hate": "implicit_hate:ImplicitHate",
    "redditbias_annotated": "redditbias:RedditBiasAnnotated",
    "neutral_rewriter": "neutral_rewriter:NeutralRewriter",
    "wnc": "wnc:WikiNeutrality",
    "hh_rlhf": "hh_rlhf:HHRLHFHarmless",
    "debiaswe": "debiaswe:DebiasWE",
    # evaluation sets
    "toxigen": "toxigen:ToxiGen",
    "toxigen_prompts": "toxigen:ToxiGenPrompts",
    "mbias": "mbias:MBIASToxiGenTest",
    "bold": "bold:BOLD",
    "stereoset": "stereoset:StereoSet",
    "crows_pairs": "crows_pairs:CrowSPairs",
    "holistic_bias": "holistic_bias:HolisticBias",
    "redditbias_pairs": "redditbias:RedditBiasPairs",
    "babe": "babe:BABE",
    "dynahate": "dynahate:DynaHate",
    "toxic_spans_test": "toxic_spans:ToxicSpansTest",
}


def names() -> list[str]:
    return list(_ADAPTERS)


def adapter_class(name: str) -> type[Adapter]:
    """The adapter class registered as `name`; a wrong name gets a 'did you mean'."""
    if name not in _ADAPTERS:
        close = difflib.get_close_matches(name, _ADAPTERS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown data set {name!r}{hint} (known: {', '.join(_ADAPTERS)})")
    module, cls = _ADAPTERS[name].split(":")
    return getattr(import_module(f"srllm.data.sources.{module}"), cls)


def adapters(role: str | None = None) -> dict[str, type[Adapter]]:
    """All adapter classes, optionally only those whose spec has `role`."""
    classes = {name: adapter_class(name) for name in _ADAPTERS}
    return {n: c for n, c in classes.items() if role is None or c.spec.role == role}
