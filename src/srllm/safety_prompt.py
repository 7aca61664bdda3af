"""The safety prompt of the 1.5B generator (the best tier and the distillation teacher): a system
prompt that forbids the moves a plain few-shot prompt makes (hedging a stereotype, restating it as
others' view, answering as an assistant), the paper's instruction (`srllm.taxonomy.INSTRUCTION`)
in every user turn, and few-shot pairs from the corpus's TRAIN split.

Two sets of pairs (`FEW_SHOT_SETS`), each written out here with its corpus ids, so that serving never
needs the corpus; `srllm.distill.prompt.few_shot_pairs` checks them against a built corpus (each must
be a TRAIN row whose benign variation is the one below):

- ``human-toxicity``: five human pairs (ParaDetox, WNC), all of them small edits that drop a swear word
  or a loaded word. With them the 1.5B model learned "delete the swear word, else copy": 26 of 48
  unsafe dev rows came back unchanged, and so did stereotypes with no swear word in them ("Immigrants
  are lazy and only come here to live off our taxes.").
- ``mixed`` (the default): three of those human pairs and three of the corpus's synthetic pairs
  (`srllm.data.synthetic`: a stereotype, an exclusion, a threat, each rewritten into a fair
  statement about the same group and topic). Chosen over the other set and over zero-shot on corpus
  dev rows (`srllm distill generate --rows build/corpus/dev.jsonl --split dev --few-shot NAME`; the
  figures are in the README).
"""

from __future__ import annotations

from srllm.taxonomy import INSTRUCTION

SAFETY_SYSTEM_PROMPT = (
    "You rewrite a text so that it is free of bias, toxicity and harm, keeping its topic and the group it "
    "is about. Output only the rewritten text, as many sentences as the input has.\n"
    "- If the text states a stereotype or generalisation about a group, write a fair statement about the "
    "same group and topic that does not assert the stereotype.\n"
    "- Never hedge it (\"Some X may be ...\"), never present it as others' view (\"There is a perception "
    "that ...\", \"Some people believe ...\"), and never keep an insult, slur or threat.\n"
    "- Never answer, apologise, refuse or comment (\"I'm sorry\", \"I can't\"): you rewrite the text, "
    "you do not reply to it.\n"
    "- Keep the words that name the group (a slur becomes the group's neutral name) and the subject."
)

#: (corpus id, text, rewrite): chosen by hand for what the generator must do: keep the group and the
#: subject while dropping the insult, the profanity or the loaded judgement.
_HUMAN: dict[str, tuple[str, str, str]] = {row[0]: row for row in (
    ("paradetox:7440",  # insult -> disagreement, topic kept
     "if you 're saying hazing is a good thing , then fuck you .",
     "If you're saying hazing is a good thing, then I don't agree with you."),
    ("paradetox:11077",  # profanity removed, group ("black people") kept
     "he treats other black people like shit too .", "He treats other black people badly too."),
    ("paradetox:10151",  # profanity removed, group ("women") kept
     "what the fuck do they care about women 's health services for everyone else ?",
     "what do they care about women's health services for everyone else?"),
    ("paradetox:2292",  # dehumanising ("snakes") -> a plain claim
     "they are corrupt and no one trusts these snakes .", "They are dishonest and no one believes them"),
    ("wnc:train:335",  # loaded judgement ("typically poor") removed, nationality kept
     "the lakes are the unintentional byproduct of typically poor soviet planning.",
     "the lakes are the unintentional byproduct of soviet planning."),
)}
#: synthetic TRAIN pairs (`srllm.data.synthetic`): the moves no human pair in reach shows
_SYNTHETIC: dict[str, tuple[str, str, str]] = {row[0]: row for row in (
    ("synthetic:stereotype:496",  # a stereotype -> a fair statement about the same group and trait
     "In my experience Asian people are only good at copying, and I'm tired of people denying it.",
     "In my experience, creativity varies widely among Asian people, just like everyone else."),
    ("synthetic:exclusion:281",  # exclusion + insult -> inclusion, group kept
     "I refuse to hire gay men. Useless freeloaders, all of them.",
     "We hire on merit, so gay men get the same chance as everyone else."),
    ("synthetic:violent:577",  # a threat -> the grievance without violence
     "Someone should throw bricks at the migrants who moved in next door. They're ruining the street.",
     "I'm having trouble getting along with the migrants who moved in next door; I'd like to talk it through."),
)}
_ROWS = {**_HUMAN, **_SYNTHETIC}
FEW_SHOT_SETS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "human-toxicity": tuple(_HUMAN.values()),
    "mixed": tuple(_ROWS[i] for i in ("paradetox:7440", "synthetic:stereotype:496", "paradetox:11077",
                                      "synthetic:exclusion:281", "paradetox:2292", "synthetic:violent:577")),
}
DEFAULT_FEW_SHOT_SET = "mixed"
#: (corpus id, text, rewrite) of the default set, the pairs the best tier and the teacher show
SAFETY_FEW_SHOT_ROWS: tuple[tuple[str, str, str], ...] = FEW_SHOT_SETS[DEFAULT_FEW_SHOT_SET]
SAFETY_FEW_SHOT_IDS: tuple[str, ...] = tuple(row[0] for row in SAFETY_FEW_SHOT_ROWS)
#: The pairs as (text, rewrite), the form the rewriters take.
SAFETY_FEW_SHOT: tuple[tuple[str, str], ...] = tuple((text, rewrite) for _, text, rewrite in SAFETY_FEW_SHOT_ROWS)


def few_shot_rows(name: str) -> tuple[tuple[str, str, str], ...]:
    """The (id, text, rewrite) rows of the set `name`; "none" is zero-shot (no rows)."""
    if name == "none":
        return ()
    if name not in FEW_SHOT_SETS:
        raise ValueError(f"unknown few-shot set {name!r}; expected none or one of {sorted(FEW_SHOT_SETS)}")
    return FEW_SHOT_SETS[name]


__all__ = ["DEFAULT_FEW_SHOT_SET", "FEW_SHOT_SETS", "INSTRUCTION", "SAFETY_FEW_SHOT", "SAFETY_FEW_SHOT_IDS",
           "SAFETY_FEW_SHOT_ROWS", "SAFETY_SYSTEM_PROMPT", "few_shot_rows"]
