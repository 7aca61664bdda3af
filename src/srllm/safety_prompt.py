"""The safety prompt of the 1.5B generator (the best tier and the distillation teacher): a system
prompt that forbids the moves a plain few-shot prompt makes (hedging a stereotype, restating it as
others' view, answering as an assistant), the paper's instruction (`srllm.taxonomy.INSTRUCTION`)
in every user turn, and five human rewrite pairs from the corpus's TRAIN split.

The pairs are written out here, with their corpus ids, so that serving never needs the corpus;
`srllm.distill.prompt.few_shot_pairs` checks them against a built corpus (each must be a public
TRAIN row whose human rewrite is the one below).
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

#: (corpus id, text, human rewrite): chosen by hand for what the generator must do: keep the group
#: and the subject while dropping the insult, the profanity or the loaded judgement.
SAFETY_FEW_SHOT_ROWS: tuple[tuple[str, str, str], ...] = (
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
)
SAFETY_FEW_SHOT_IDS: tuple[str, ...] = tuple(row[0] for row in SAFETY_FEW_SHOT_ROWS)
#: The pairs as (text, rewrite), the form the rewriters take.
SAFETY_FEW_SHOT: tuple[tuple[str, str], ...] = tuple((text, rewrite) for _, text, rewrite in SAFETY_FEW_SHOT_ROWS)

__all__ = ["INSTRUCTION", "SAFETY_FEW_SHOT", "SAFETY_FEW_SHOT_IDS", "SAFETY_FEW_SHOT_ROWS", "SAFETY_SYSTEM_PROMPT"]
