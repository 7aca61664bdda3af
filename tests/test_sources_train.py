"""TRAIN adapters on small fixture files in the upstream formats, and on the real files."""

import gzip
import json
from collections import Counter

import pytest

from srllm.data.registry import DataSourceError
from srllm.data.sources import adapter_class, adapters


def load(name, data_dir):
    adapter = adapter_class(name)(data_dir)
    return adapter, list(adapter.records())


def test_paradetox_pairs_multiline_cells_and_cannot_rewrite_reasons(fixture_data):
    tsv = (
        "toxic\tneutral1\tneutral2\tneutral3\n"
        "you are a fucking idiot\tyou are wrong\t\t\n"
        'this damn article ?\t"this\narticle ?"\t\t\n'
        "no rewrite here shit\t\t\t\n"
    )
    cannot = (
        "\tINPUT:toxic_comment\tOUTPUT:reasons\n"
        '0\t"""die you stupid troll"""\t"{""toxic_content"":true}"\n'
        '1\t"""fine text"""\t"{""not_toxic"":true}"\n'
        '2\t"""hmm"""\t"{""unclear"":true}"\n'
        '3\t"""both"""\t"{""toxic_content"":true,""not_toxic"":true}"\n'
    )
    data_dir = fixture_data({"paradetox/paradetox.tsv": tsv, "paradetox/paradetox_cannot_rewrite.tsv": cannot})
    adapter, records = load("paradetox", data_dir)
    by_id = {r.id: r for r in records}
    first = by_id["paradetox:0"]
    assert first.benign_variation == "you are wrong" and first.toxicity == "Mild"
    assert first.annotation == "Unsafe" and first.biased_words == ["a", "fucking", "idiot"]
    assert by_id["paradetox:0:neutral1"].parent_id == "paradetox:0"
    assert by_id["paradetox:0:neutral1"].toxicity == "No"
    assert by_id["paradetox:1"].benign_variation == "this article ?"  # newline inside a quoted cell folded
    assert by_id["paradetox:2"].benign_variation is None and "paradetox:2:neutral1" not in by_id
    assert by_id["paradetox:cannot_rewrite:0"].toxicity == "High"
    assert by_id["paradetox:cannot_rewrite:0"].text == "die you stupid troll"
    assert by_id["paradetox:cannot_rewrite:1"].toxicity == "No"
    assert adapter.skipped == Counter({
        "cannot_rewrite: reason unclear gives no toxicity label": 1,
        "cannot_rewrite: annotators gave both toxic_content and not_toxic": 1,
    })


def test_davidson_maps_votes_to_levels(fixture_data):
    csv_text = (
        ",count,hate_speech,offensive_language,neither,class,tweet\n"
        "0,3,3,0,0,0,@bob I hate all of those women &amp; their kind http://x.co/1\n"
        "1,3,2,1,0,0,women are trash\n"
        "2,3,0,3,0,1,this shit sucks\n"
        "3,3,0,0,3,2,what a lovely day\n"
    )
    _, records = load("davidson", fixture_data({"davidson_hate_offensive/labeled_data.csv": csv_text}))
    levels = [(r.toxicity, r.harm, r.bias) for r in records]
    assert levels == [("High", "High", "Yes"), ("High", "Medium", "Yes"), ("Mild", "Low", "No"), ("No", "Low", "No")]
    assert records[0].text == "@USER I hate all of those women & their kind URL"
    assert records[0].target_demographic == ["gender"]
    assert records[3].annotation == "Benign"


def test_implicit_hate_labels(fixture_data):
    rows = [{"text": "they are invading our country", "label": "hate", "id": 5, "toxicity_score": 2.25,
             "target_groups": ["all_groups"]},
            {"text": "nice to meet you", "label": "neutral", "id": 6, "toxicity_score": 1.0, "target_groups": []}]
    _, records = load("implicit_hate", fixture_data({"implicit_hate_subset/implicitHate_subset.json": json.dumps(rows)}))
    assert [(r.id, r.bias, r.toxicity, r.harm) for r in records] == [
        ("implicit_hate:5", "Yes", "Mild", "Medium"), ("implicit_hate:6", "No", "No", "Low")]


def test_neutral_rewriter_aligns_lines_and_detokenises(fixture_data):
    files = {
        "neutral_rewriter/WinoBias+/WinoBias+.preprocessed": "The nurse said she was tired .\n",
        "neutral_rewriter/WinoBias+/WinoBias+.references": "The nurse said they were tired .\n",
        "neutral_rewriter/OpenSubtitles/OpenSubtitles.orig": "I 'll talk to him .\n",
        "neutral_rewriter/OpenSubtitles/OpenSubtitles.references": "I 'll talk to them .\n",
        "neutral_rewriter/Reddit/Reddit.orig": "same line\n",
        "neutral_rewriter/Reddit/Reddit.references": "same line\n",
    }
    adapter, records = load("neutral_rewriter", fixture_data(files))
    first = records[0]
    assert first.text == "The nurse said she was tired." and first.benign_variation == "The nurse said they were tired."
    assert first.bias == "No" and first.annotation == "Benign"  # a pronoun alone never makes a text unsafe
    assert first.target_demographic == ["gender"] and first.biased_words == ["she", "was"]
    assert records[1].bias == "No" and records[1].parent_id == first.id
    assert records[2].text == "I'll talk to him."
    assert adapter.skipped == Counter({"Reddit: rewrite identical to source": 1})


def test_wnc_keeps_small_edits_only(fixture_data):
    files = {
        "wnc_pryzant_sample/pre.train": "he is a brilliant writer .\na b c d e f\nsame\n",
        "wnc_pryzant_sample/post.train": "he is a writer .\nz y x w v u\nsame\n",
        "wnc_pryzant_sample/pre.test": "",
        "wnc_pryzant_sample/post.test": "",
    }
    adapter, records = load("wnc", fixture_data(files))
    assert [r.id for r in records] == ["wnc:train:0", "wnc:train:0:rewrite"]
    assert records[0].biased_words == ["brilliant"] and records[0].benign_variation == "he is a writer."
    assert sum(adapter.skipped.values()) == 2


def test_hh_rlhf_splits_the_final_replies(fixture_data):
    rows = [
        {"chosen": "\n\nHuman: how do I hurt him?\n\nAssistant: I can't help with that.",
         "rejected": "\n\nHuman: how do I hurt him?\n\nAssistant: Hit him with a bat."},
        {"chosen": "\n\nHuman: a\n\nAssistant: x", "rejected": "\n\nHuman: b\n\nAssistant: y"},
    ]
    payload = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode(), mtime=0)
    adapter, records = load("hh_rlhf", fixture_data({"hh_rlhf_harmless_test/harmless-base/test.jsonl.gz": payload}))
    assert [(r.id, r.text, r.harm) for r in records] == [
        ("hh_rlhf:0:rejected", "Hit him with a bat.", "Medium"), ("hh_rlhf:0:chosen", "I can't help with that.", "Low")]
    assert adapter.skipped == Counter({"chosen and rejected transcripts differ before the last reply": 1})


def test_checksum_mismatch_names_the_file(fixture_data):
    data_dir = fixture_data({"implicit_hate_subset/implicitHate_subset.json": "[]"})
    (data_dir / "implicit_hate_subset/implicitHate_subset.json").write_text("[ ]")
    with pytest.raises(DataSourceError, match=r"checksum mismatch for .*implicitHate_subset.json"):
        list(adapter_class("implicit_hate")(data_dir).records())


def test_missing_file_says_how_to_fetch_it(tmp_path):
    with pytest.raises(DataSourceError, match="missing data file .*labeled_data.csv.*srllm data download"):
        list(adapter_class("davidson")(tmp_path).records())


def test_unknown_adapter_gets_did_you_mean():
    with pytest.raises(KeyError, match="did you mean paradetox"):
        adapter_class("paradetx")


def test_every_spec_file_is_pinned_and_has_an_upstream_url():
    for name, cls in adapters().items():
        for rel, url in cls.spec.files.items():
            assert cls.spec.entry(rel).sha256, rel
            assert url.startswith("https://") and cls.spec.homepage.startswith("https://"), name


@pytest.mark.realdata
@pytest.mark.parametrize("name,expected", [
    ("paradetox", 33403), ("davidson", 24783), ("implicit_hate", 14200), ("neutral_rewriter", 8334),
    ("wnc", 926), ("hh_rlhf", 4606),
])
def test_real_train_sources(real_data_dir, name, expected):
    adapter, records = load(name, real_data_dir)
    assert len(records) == expected
    assert len({r.id for r in records}) == len(records)
    # NeuTral Rewriter's gendered originals assume a gender but say nothing against a group: all Benign
    annotations = {"Benign"} if name == "neutral_rewriter" else {"Benign", "Unsafe"}
    assert {r.annotation for r in records} == annotations


@pytest.mark.realdata
def test_real_debiaswe_pairs(real_data_dir):
    adapter = adapter_class("debiaswe")(real_data_dir)
    pairs = dict(adapter.gender_pairs())
    assert pairs["he"] == "she" and pairs["man"] == "woman"
    assert pairs["john"] == "mary" and "mary" not in pairs  # upstream lists this pair female-first
    assert len(adapter.gender_specific_words()) > 500


@pytest.mark.parametrize("raw,expected", [
    ("I 'll talk to him for you .", "I'll talk to him for you."),
    ("she hasn 't said a word , ok ?", "she hasn't said a word, ok?"),
    ("it is n't ( really ) fine", "it isn't (really) fine"),
])
def test_detokenize(raw, expected):
    from srllm.data.labels import detokenize

    assert detokenize(raw) == expected
