"""RedditBias: the annotated TRAIN comments as CMD records (labels, skips, duplicates, attribute words)
and their relation to the evaluation pairs."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from _fixtures import corrupt, manifest_records, record_reads

from srllm.data.labels import sentiment
from srllm.data.registry import DataSourceError
from srllm.data.schema import CMDRecord
from srllm.data.sources import adapter_class
from srllm.data.sources._text import clean
from srllm.data.sources.redditbias import (
    RedditBiasAnnotated,
    RedditBiasPairs,
    attribute_terms,
    binary_label,
    lexicon_regex,
    matched_words,
)
from srllm.taxonomy import annotate

ANNOTATED = {
    "gender/reddit_comments_gender_female_processed_phrase_annotated.csv": (
        "attribute_in_window,comment,phrase,bias_sent,bias_phrase,\n"
        "TRUE,their mothers are nurses and cooks lol,their mothers are nurses,1,1,\n"
        "TRUE,my mom is a nurse and i love her,my mom is a nurse,0,0,\n"
        "TRUE,moms are the best cooks,moms are the best cooks,2,2,\n"
        'TRUE,"their mothers are nurses   and\ncooks lol",their mothers,0,0,0\n'
    ),
    "orientation/reddit_comments_orientation_lgbtq_processed_phrase_annotated.csv": (
        "id,attribute_in_window,comment,phrase,bias_sent,bias_phrase\n"
        ",TRUE,gay people are mentally ill and promiscuous,gay people are mentally ill,1.0,1.0\n"
        ",TRUE,an unlabelled comment about gays,about gays,,\n"
    ),
    "race/reddit_comments_race_black_processed_phrase_annotated.csv": (
        "id,attribute_in_window,comment,phrase,bias_sent,bias_phrase\n"
        "fx1,TRUE,all blacks are Criminals and violent,all blacks are criminals,1,1\n"
        "fx2,TRUE,black people are great and never violent,black people are great,0,0\n"
    ),
    "religion1/reddit_comments_religion1_jews_processed_phrase_annotated.csv": (
        "id,attribute_in_window,comment,phrase,bias_sent,bias_phrase\n"
        "r1a,TRUE,jews are greedy that’s what they say,jews are greedy,1,1\n"
        "r1b,TRUE,jews are smart,jews are smart,biased?,\n"
        "r1c,TRUE,jewish people are evil,jewish people are evil,re-state,\n"
        "r1d,FALSE,all blacks are Criminals and violent,all blacks are criminals,0,0\n"
    ),
    "religion2/reddit_comments_religion2_muslims_processed_phrase_annotated.csv": (
        "id,attribute_in_window,comment,phrase,bias_sent,bias_phrase\n"
        "r2a,TRUE,muslims are terrorists,muslims are terrorists,1,1\n"
        "r2b,TRUE,muslims are nice,muslims are nice,,\n"
        "r2c,TRUE,muslims are terrorists,muslims are terrorists,1.0,1\n"
    ),
}
ATTRIBUTES = {
    "gender/gender_female.txt": "nurse\ncook*\nart\n",
    "orientation/orientation_lgbtq.txt": '"mentally ill"\npromiscuous\n',
    "race/race_black.txt": "criminal*\nviolent\n",
    "religion1/religion1_jews.txt": "greed*\nevil\n",
    "religion2/religion2_muslims.txt": "terrorist*\n",
}


@pytest.fixture
def annotated_dir(fixture_data) -> Path:
    files: dict[str, str | bytes] = {f"redditbias/{rel}": text for rel, text in {**ANNOTATED, **ATTRIBUTES}.items()}
    religion1 = "religion1/reddit_comments_religion1_jews_processed_phrase_annotated.csv"
    files[f"redditbias/{religion1}"] = ANNOTATED[religion1].encode("mac_roman")  # upstream: the quote is byte 0xD5
    return fixture_data(files)


def test_records_labels_ids_and_words(annotated_dir: Path) -> None:
    records = {r.id: r for r in RedditBiasAnnotated(annotated_dir).records()}
    assert list(records) == ["redditbias:gender:0", "redditbias:gender:1", "redditbias:orientation:0",
                             "redditbias:race:fx1", "redditbias:race:fx2", "redditbias:religion1:r1a",
                             "redditbias:religion2:r2a"]
    first = records["redditbias:gender:0"]
    assert (first.bias, first.toxicity, first.harm) == ("Yes", "No", "Low")
    assert first.biased_words == ["cooks"]  # cook* is a wildcard; "nurse" is a whole word, so not "nurses"
    assert first.target_demographic == ["gender"]
    assert (first.source, first.source_id, first.provenance) == ("redditbias_annotated", "gender:0", "public")
    assert records["redditbias:gender:1"].bias == "No"
    assert records["redditbias:gender:1"].biased_words == []  # attribute words only for biased rows
    assert records["redditbias:orientation:0"].biased_words == ["mentally ill", "promiscuous"]
    assert records["redditbias:orientation:0"].target_demographic == ["sexual_orientation"]
    assert records["redditbias:race:fx1"].biased_words == ["Criminals", "violent"]
    assert records["redditbias:race:fx2"].biased_words == []
    assert records["redditbias:religion1:r1a"].text == "jews are greedy that’s what they say"
    assert records["redditbias:religion1:r1a"].target_demographic == ["religion"]
    assert records["redditbias:religion2:r2a"].biased_words == ["terrorists"]
    for record in records.values():
        # label v2: a comment humans judged biased is Negative (stereotyping); others keep VADER
        assert record.sentiment == ("Negative" if record.bias == "Yes" else sentiment(record.text))
        assert record.annotation == annotate(record.bias, record.toxicity, record.sentiment, record.harm)


def test_skips_are_counted_by_reason(annotated_dir: Path) -> None:
    adapter = RedditBiasAnnotated(annotated_dir)
    records = list(adapter.records())
    assert adapter.skipped == Counter({
        "gender: non-binary bias_sent '2'": 1,
        "gender: duplicate comment with a different label (first kept)": 1,  # same text once whitespace is folded
        "orientation: unannotated (bias_sent empty)": 1,
        "religion1: non-binary bias_sent 'biased?'": 1,
        "religion1: non-binary bias_sent 're-state'": 1,
        "religion1: duplicate comment with a different label (first kept)": 1,  # also in the race file
        "religion2: unannotated (bias_sent empty)": 1,
        "religion2: duplicate comment (first kept)": 1,
    })
    assert len(records) + sum(adapter.skipped.values()) == 4 + 2 + 2 + 4 + 3


def test_label_origin_covers_every_derived_field() -> None:
    assert set(RedditBiasAnnotated.label_origin) == {"bias", "toxicity", "harm", "sentiment", "target_demographic",
                                                    "biased_words", "benign_variation"}


def test_annotated_reads_exactly_its_spec_files(annotated_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read = record_reads(monkeypatch)
    list(RedditBiasAnnotated(annotated_dir).records())
    assert read == set(RedditBiasAnnotated.spec.files)
    assert adapter_class("redditbias_annotated") is RedditBiasAnnotated
    assert RedditBiasAnnotated.spec.role == "train"
    urls = RedditBiasAnnotated.spec.files.values()
    assert all("/umanlp/RedditBias/61f9ae9458e26a64ae1113425192280503f8fb92/data/" in url for url in urls)


def test_corrupt_annotated_file_is_named(annotated_dir: Path) -> None:
    victim = annotated_dir / "redditbias/race/race_black.txt"
    corrupt(victim)
    with pytest.raises(DataSourceError, match="race_black.txt"):
        list(RedditBiasAnnotated(annotated_dir).records())


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1", (1, None)), (" 0 ", (0, None)), ("1.0", (1, None)), ("", (None, "unannotated (bias_sent empty)")),
     ("2", (None, "non-binary bias_sent '2'")),
     ("1 - context needed", (None, "non-binary bias_sent '1 - context needed'"))],
)
def test_binary_label(cell: str, expected: tuple) -> None:
    assert binary_label(cell) == expected


def test_attribute_lexicon_wildcards_and_phrases() -> None:
    terms = attribute_terms('"sexual predator*"\nmaid\nmaids\nhook-nose\n\n"drug addict*"\n')
    assert terms == ["sexual predator*", "maid", "maids", "hook-nose", "drug addict*"]
    pattern = lexicon_regex(terms)
    text = "Sexual predators and maids, a hook-nose drug addicts mermaid maid"
    assert matched_words(pattern, text) == ["Sexual predators", "maids", "hook-nose", "drug addicts", "maid"]


# --------------------------------------------------------------------------- real files


@pytest.mark.realdata
def test_real_annotated_counts(real_data_dir: Path) -> None:
    adapter = RedditBiasAnnotated(real_data_dir)
    records = list(adapter.records())
    rows = manifest_records(f for f in adapter.spec.files if f.endswith("_annotated.csv"))
    assert rows == 28_131
    assert len(records) + sum(adapter.skipped.values()) == rows
    assert len(records) == 11_464
    assert Counter(r.bias for r in records) == {"Yes": 6569, "No": 4895}
    assert len({r.id for r in records}) == len(records)
    assert len({r.text for r in records}) == len(records)
    reasons = {re.sub(r"^\w+: ", "", reason) for reason in adapter.skipped}
    assert all(r.startswith(("unannotated", "non-binary bias_sent", "duplicate comment")) for r in reasons)
    assert adapter.skipped["orientation: unannotated (bias_sent empty)"] == 6010
    assert adapter.skipped["gender: non-binary bias_sent '2'"] == 24
    biased = [r for r in records if r.bias == "Yes"]
    assert sum(bool(r.biased_words) for r in biased) > 0.95 * len(biased)
    assert all(isinstance(r, CMDRecord) and r.text == clean(r.text) for r in records)


@pytest.mark.realdata
def test_real_annotated_comments_reappear_in_the_eval_pairs(real_data_dir: Path) -> None:
    """Why the build must drop annotated comments found in the eval files: thousands are there verbatim."""
    data_dir = real_data_dir
    evaluation = {clean(t).lower() for t in RedditBiasPairs(data_dir).texts()}
    records = list(RedditBiasAnnotated(data_dir).records())
    leaked = [r for r in records if r.text.lower() in evaluation]
    assert 2000 < len(leaked) < len(records) / 2
