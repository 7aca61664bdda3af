"""debiaswe gender word lists (Bolukbasi et al., NeurIPS 2016): pairs for counterfactual
gender-swap augmentation and the list of gender-specific words. A lexicon, not text rows."""

from __future__ import annotations

import json

from srllm.data.registry import Adapter, DatasetSpec, github_raw

_REPO, _COMMIT = "tolga-b/debiaswe", "6bb03ee2a0d7214339e513ca71cd0a99069dc29c"
_FILES = ("definitional_pairs.json", "equalize_pairs.json", "gender_specific_full.json", "gender_specific_seed.json")


class DebiasWE(Adapter):
    spec = DatasetSpec(
        name="debiaswe",
        folder="debiaswe_gender_pairs",
        role="lexicon",
        title="debiaswe gender pairs and gender-specific words",
        citation="Bolukbasi et al., Man is to Computer Programmer as Woman is to Homemaker?, NeurIPS 2016",
        license="MIT",
        homepage=f"https://github.com/{_REPO}",
        files={f"debiaswe_gender_pairs/{name}": github_raw(_REPO, _COMMIT, f"data/{name}") for name in _FILES},
    )

    def _json(self, name: str):
        return json.loads(self.path(name).read_text(encoding="utf-8"))

    def gender_pairs(self) -> list[tuple[str, str]]:
        """(male, female) single-word pairs from the definitional and equalize lists, lower-cased, unique.

        Multi-word entries (joined with '_' upstream) are skipped; the equalize list's
        order is (male, female) except where a pair is listed female-first, which is fixed here
        by the definitional convention: the first member of each definitional pair is male.
        """
        pairs: dict[str, str] = {}
        for a, b in self._json("definitional_pairs.json") + self._json("equalize_pairs.json"):
            a, b = a.lower(), b.lower()
            if "_" in a or "_" in b or a == b:
                continue
            male, female = (b, a) if a in _FEMALE_FIRST else (a, b)
            pairs.setdefault(male, female)
        return sorted(pairs.items())

    def gender_specific_words(self) -> list[str]:
        return sorted({w.lower() for w in self._json("gender_specific_full.json") if "_" not in w})


#: equalize-list entries given female-first upstream (e.g. ["wives", "husbands"]).
_FEMALE_FIRST = frozenset({"wives", "wife", "she", "her", "woman", "women", "girl", "girls", "mother", "daughter",
                           "sister", "queen", "aunt", "niece", "mom", "grandma", "lady", "ladies", "female",
                           "females", "gal", "gals", "mary", "mothers", "daughters", "sisters", "herself", "hers"})
