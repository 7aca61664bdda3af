"""The guard's input policy for jailbreak and prompt-injection requests: patterns for the known
techniques, beside the classifier (which scores every window of the same text).

No licence-clean public jailbreak / injection prompt set is in reach (none in the project's data,
none shipped by a PyPI package under a clear licence), so there is no trained detector: each
pattern names a technique, and a request that matches one is blocked or flagged by policy
(`ServeSettings.injection_policy`). The techniques:

* ``template``: raw chat-template tokens (``<|im_start|>system``, ``[INST]``) that try to open a turn;
* ``override``: "ignore / disregard / forget the previous instructions";
* ``persona``: an unrestricted persona (DAN, "do anything now", developer mode, "no rules");
* ``exfiltration``: asking for the hidden system prompt;
* ``solicitation``: asking the model to produce slurs or hate speech (the classifier cannot score
  "give me the n-word": the request names the harm without containing it).
"""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE
_PRODUCE = (r"(?:write|say|give|tell|list|generate|produce|type|spell|use|show|teach|share|print|output|"
            r"name|compose|create|come up with|make up)")
TECHNIQUES: dict[str, re.Pattern[str]] = {
    "override": re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|skip)\b(?:\W+\w+){0,3}?\W+"
        r"(?:previous|prior|above|earlier|preceding|original|initial|system|safety|your|all)\W+"
        r"(?:\w+\W+){0,2}?(?:instructions?|rules|prompts?|guidelines|directives|polic(?:y|ies)|filters?|restrictions)\b",
        _FLAGS),
    "persona": re.compile(
        r"\b(?:(?:as|you are|you're|act as|be|become|pretend to be|enable|activate|enter)\s+(?:now\s+)?DAN\b"
        r"|DAN\s+mode|do anything now|developer mode|jailbr(?:eak|oken)\s*(?:mode|prompt|enabled|activated)?\b"
        r"|(?:no|without|free (?:of|from))\s+(?:any\s+)?(?:rules|restrictions|filters|limits|guidelines|censorship|"
        r"moral(?:s|ity)?|ethics)\b|(?:unfiltered|uncensored|unrestricted|unaligned)\s+(?:ai|assistant|model|mode|"
        r"version|chatbot|bot)\b)",
        _FLAGS),
    "exfiltration": re.compile(
        r"\b(?:reveal|print|show|repeat|output|leak|tell me|give me|what (?:is|are))\b(?:\W+\w+){0,3}?\W+"
        r"(?:system|hidden|initial|secret|developer)\s+(?:prompt|instructions?|message)\b",
        _FLAGS),
    "solicitation": re.compile(
        rf"\b{_PRODUCE}\b(?:\W+[\w'-]+){{0,6}}?\W+(?:(?:racial|ethnic|homophobic|sexist|antisemitic|religious)\s+)?"
        r"(?:slurs?|epithets?|n[\s*-]?word|f[\s*-]?word|hate\s+speech|(?:racist|sexist|homophobic|transphobic|"
        r"antisemitic|bigoted)\s+(?:jokes?|words?|terms?|insults?|remarks?|names?|slogans?|rants?|things?|"
        r"content|messages?|comments?))\b",
        _FLAGS),
}
TEMPLATE = "template"


def techniques(text: str) -> list[str]:
    """The names of the techniques `text` uses (empty for none)."""
    return [name for name, pattern in TECHNIQUES.items() if pattern.search(text)]
