"""The human-labelled TRAIN sources of data v2 and the DynaHate / Toxic Spans evaluation sets: each
adapter on small fixture files in the upstream format (label derivation v2 per source), and on the
real files."""

import json
from collections import Counter

import pytest

from srllm.data.labels import sentiment
from srllm.data.sources import adapter_class


def load(name, data_dir):
    adapter = adapter_class(name)(data_dir)
    return adapter, {r.id: r for r in adapter.records()}


def labels(record):
    return record.bias, record.toxicity, record.harm, record.sentiment, record.annotation


def test_edos_vectors_decide_levels_and_not_sexist_is_benign(fixture_data):
    csv_text = (
        "rewire_id,text,label_sexist,label_category,label_vector,split\n"
        "sexism2022_english-1,I will find her and hurt her,sexist,\"1. threats, plans to harm and incitement\","
        "1.1 threats of harm,train\n"
        "sexism2022_english-2,Women are too emotional to be good engineers,sexist,3. animosity,"
        "3.2 immutable gender differences and gender stereotypes,dev\n"
        "sexism2022_english-3,\"Women are wonderful, happy engineers\",not sexist,none,none,test\n"
        "sexism2022_english-4,they are animals,sexist,2. derogation,2.3 dehumanising attacks & overt sexual "
        "objectification,train\n"
        "sexism2022_english-5,odd,sexist,2. derogation,9.9 unknown,train\n"
    )
    adapter, records = load("edos_sexism", fixture_data({"edos_sexism/edos_labelled_aggregated.csv": csv_text}))
    assert labels(records["edos_sexism:1"]) == ("Yes", "High", "High", "Negative", "Unsafe")
    stereotype = records["edos_sexism:2"]
    assert sentiment(stereotype.text) == "Positive"  # VADER reads "good" ...
    assert labels(stereotype) == ("Yes", "No", "Low", "Negative", "Unsafe")  # ... the human label decides
    assert stereotype.target_demographic == ["gender"]
    assert labels(records["edos_sexism:3"])[:2] == ("No", "No") and records["edos_sexism:3"].annotation == "Benign"
    assert records["edos_sexism:4"].toxicity == "High"
    assert adapter.skipped == Counter({"unknown label 'sexist' / vector '9.9 unknown'": 1})


def test_implicit_hate_corpus_joins_stages_and_adds_implied_statements(fixture_data):
    stg1 = ('post\tclass\n'
            '" : immigrants are flooding in to take our jobs " " "\timplicit_hate\n'
            'we should meet the new muslim neighbours\tnot_hate\n'
            'kill them all\texplicit_hate\n'
            'we should meet the new muslim neighbours\timplicit_hate\n')
    stg2 = 'post\timplicit_class\textra_implicit_class\n : immigrants are flooding in to take our jobs\tstereotypical\t\n'
    stg3 = ('post\ttarget\timplied_statement\n'
            ' : immigrants are flooding in to take our jobs\tImmigrants\timmigrants take jobs\n'
            ' : immigrants are flooding in to take our jobs\tImmigrants\tImmigrants take jobs.\n'
            ' : immigrants are flooding in to take our jobs\tImmigrants\tare bad\n'
            ' : immigrants are flooding in to take our jobs\tMuslims\tmuslims are criminals\n'
            ' : immigrants are flooding in to take our jobs\tJews\tjews are greedy\n')
    files = {f"implicit_hate_corpus/implicit_hate_v1_{n}_posts.tsv": t
             for n, t in (("stg1", stg1), ("stg2", stg2), ("stg3", stg3))}
    adapter, records = load("implicit_hate_corpus", fixture_data(files))
    post = records["implicit_hate_corpus:0"]
    assert post.text == "immigrants are flooding in to take our jobs"
    assert labels(post) == ("Yes", "Mild", "Medium", "Negative", "Unsafe")
    assert post.target_demographic == ["religion", "immigration"]
    implied = [r for r in records.values() if r.parent_id == post.id]
    assert [r.text for r in implied] == ["immigrants take jobs", "muslims are criminals"]  # dedup, fragment, cap 2
    assert implied[0].id == "implicit_hate_corpus:0:implied:0" and implied[0].annotation == "Unsafe"
    assert implied[1].target_demographic == ["religion"]
    neutral = records["implicit_hate_corpus:1"]
    assert labels(neutral)[:3] == ("No", "No", "Low") and neutral.annotation == "Benign"
    assert neutral.target_demographic == ["religion"]
    assert records["implicit_hate_corpus:2"].toxicity == "High"
    assert adapter.skipped == Counter({
        "stg1: repeated post with a different class (first kept)": 1,
        "implied statement names no group (a fragment)": 1,
        "implied statement beyond 2 per post": 1,
    })


def test_sbic_stereotype_is_negative_even_when_vader_is_positive(fixture_data):
    header = (",post,targetMinority,targetCategory,targetStereotype,whoTarget,intentYN,sexYN,offensiveYN,"
              "dataSource,hasBiasedImplication\n")
    dev = header + (
        '0,black folks are great at sports and nothing else lol,"[""black folks""]","[""race""]",'
        '"[""black folks are only good at sports"", ""black people are only athletes""]",1.0,0.6,0.0,0.83,t/davidson,0\n'
        '1,@bob what a lovely day http://x.co,[],[],[],,0.0,0.0,0.0,Gab,1\n'
        '2,you are a stupid idiot,[],[],[],0.0,0.5,0.0,1.0,t/founta,1\n'
    )
    tst = header + '7,women belong in the kitchen,[],"[""gender""]","[""women are housewives""]",1.0,1,0,0.5,Gab,0\n'
    files = {"sbic/SBIC.v2.agg.dev.csv": dev, "sbic/SBIC.v2.agg.tst.csv": tst}
    _, records = load("sbic", fixture_data(files))
    post = records["sbic:dev:0"]
    assert sentiment(post.text) == "Positive"
    assert labels(post) == ("Yes", "Mild", "Medium", "Negative", "Unsafe")
    assert post.target_demographic == ["race_ethnicity"]
    implied = records["sbic:dev:0:implied:1"]
    assert implied.text == "black people are only athletes" and implied.parent_id == post.id
    assert labels(implied) == ("Yes", "No", "Medium", "Negative", "Unsafe")
    benign = records["sbic:dev:1"]
    assert benign.text == "@USER what a lovely day URL" and benign.annotation == "Benign"
    assert labels(records["sbic:dev:2"])[:3] == ("No", "Mild", "Low")  # offensive, no biased implication
    assert records["sbic:tst:7"].target_demographic == ["gender"]  # from targetCategory


def test_sbic_bad_json_names_file_line_and_field(fixture_data):
    header = (",post,targetMinority,targetCategory,targetStereotype,whoTarget,intentYN,sexYN,offensiveYN,"
              "dataSource,hasBiasedImplication\n")
    files = {"sbic/SBIC.v2.agg.dev.csv": header + "0,text,[broken,[],[],,0,0,1.0,Gab,0\n",
             "sbic/SBIC.v2.agg.tst.csv": header}
    with pytest.raises(ValueError, match=r"SBIC.v2.agg.dev.csv:2: targetMinority: expected a JSON list"):
        load("sbic", fixture_data(files))


def test_wiegand_other_rows_are_benign(fixture_data):
    tsv = ("#SENTENCE_FROM_TWEET\tLABEL\tVERB\tTARGET\tASPECT\tAGENT_PERPETRATOR\tPATIENT\tSENTIMENT_OF_PATIENT\t"
           "SENTIMENT_OF_AGENT_TOWARDS_PATIENT\tAGENT_IS_NON-CONFORMISTIC\n"
           '"Women overreact to everything!"\tABUSE\toverreact\tWomen\tNON_EPISODIC\t_\teverything\tPOSITIVE\t'
           'NEGATIVE\tNON-CONFORMISTIC\n'
           'Muslims celebrate the end of Ramadan with a "big" feast.\tOTHER\tcelebrate\tMuslims\tEPISODIC\t_\t'
           'end\tPOSITIVE\tPOSITIVE\t_\n'
           'Gays protest against hate crimes.\tOTHER\tprotest\tGays\tEPISODIC\t_\tcrimes\tNEGATIVE\tNEGATIVE\t_\n')
    _, records = load("wiegand_identity_groups", fixture_data({"wiegand_identity_groups/sentences.english.csv": tsv}))
    abuse, feast, protest = records.values()
    assert abuse.text == "Women overreact to everything!"
    assert labels(abuse) == ("Yes", "No", "Medium", "Negative", "Unsafe") and abuse.target_demographic == ["gender"]
    assert feast.text == 'Muslims celebrate the end of Ramadan with a "big" feast.'
    assert feast.annotation == "Benign" and feast.target_demographic == ["religion"]
    assert protest.annotation == "Benign" and protest.target_demographic == ["sexual_orientation"]


def test_hatemoji_pairs_are_linked_and_types_set_levels(fixture_data):
    header = "entry_id,text,type,target,round.base,round.set,set,split,label_gold,matched_text,matched_id\n"
    train = header + (
        "0,I would love to 🔪 some 👳🏾,threateninglanguage,\"['asi.south', 'mus']\",5,5a,original,train,1,"
        "I would love to 👏🏽 some 👳🏾,1\n"
        "2,🐀 are all muswom,derogation,\"['muswom']\",5,5a,original,train,1,x,9\n")
    test = header + "1,I would love to 👏🏽 some 👳🏾,none,\"['none']\",5,5a,perturbation,test,0,I would love to 🔪 some 👳🏾,0\n"
    files = {"hatemoji_build/HatemojiBuild_train.csv": train, "hatemoji_build/HatemojiBuild_test.csv": test,
             "hatemoji_build/HatemojiBuild_validation.csv": header}
    _, records = load("hatemoji_build", fixture_data(files))
    threat, slur, praise = records["hatemoji_build:0"], records["hatemoji_build:2"], records["hatemoji_build:1"]
    assert labels(threat) == ("Yes", "High", "High", "Negative", "Unsafe")
    assert threat.target_demographic == ["race_ethnicity", "religion"]
    assert slur.target_demographic == ["gender", "religion"] and slur.parent_id is None  # 9 is not a row
    assert praise.parent_id == threat.id and praise.annotation == "Benign"  # upstream splits differ: linked


def test_hatexplain_labels_targets_and_official_ids(fixture_data):
    header = "id,unmasked_sentence,hugchat_keywords_processed,hugchat_explanation,mix_keywords,gt_comm_target,gt_label\n"
    val = header + ("a_twitter,those refugees are vermin,\"['vermin']\",llm text,\"['x']\",\"['Refugee']\",hate\n"
                    "b_gab,i love my jewish neighbours,[],llm,[],\"['Jewish']\",normal\n"
                    "z_gab,not in the division,[],llm,[],\"['None']\",normal\n")
    test = header + "c_gab,what a shitty day,[],llm,[],\"['None']\",offensive\n"
    divisions = json.dumps({"train": ["z_gab"], "val": ["a_twitter", "b_gab"], "test": ["c_gab"]})
    files = {"hatexplain/hatexplain_val.csv": val, "hatexplain/hatexplain_test.csv": test,
             "hatexplain/post_id_divisions.json": divisions}
    adapter, records = load("hatexplain", fixture_data(files))
    hate = records["hatexplain:a_twitter"]
    assert labels(hate) == ("Yes", "High", "Medium", "Negative", "Unsafe") and hate.target_demographic == ["immigration"]
    normal = records["hatexplain:b_gab"]
    assert normal.annotation == "Benign" and normal.target_demographic == ["religion"]
    assert labels(records["hatexplain:c_gab"])[:3] == ("No", "Mild", "Low")
    assert adapter.skipped == Counter({"val: post id not in the official val division": 1})


def test_toxic_spans_offsets_become_spans_through_whitespace_folding(fixture_data):
    text = "You  are\na moron 🙄, an idiot."
    moron, idiot = text.index("moron"), text.index("idiot")
    offsets = list(range(moron, moron + 5)) + list(range(idiot - 1, idiot + 5))  # a stray space before idiot
    train = f'spans,text\n"{offsets}","{text}"\n[],nothing marked here you fool\n'
    files = {"toxic_spans/tsd_train.csv": train, "toxic_spans/tsd_trial.csv": "spans,text\n",
             "toxic_spans/tsd_test.csv": f'spans,text\n"{offsets}","{text}"\n'}
    data_dir = fixture_data(files)
    _, records = load("toxic_spans", data_dir)
    first = records["toxic_spans:train:0"]
    assert first.text == "You are a moron 🙄, an idiot."
    assert [first.text[s:e] for s, e in first.biased_spans] == ["moron", "idiot"]
    assert first.biased_words == ["moron", "idiot"] and first.toxicity == "Mild"
    assert records["toxic_spans:train:1"].biased_spans == []
    test = adapter_class("toxic_spans_test")(data_dir).load()
    assert test["text"][0] == text and test["spans"][0] == [(moron, moron + 5), (idiot - 1, idiot + 5)]
    assert list(adapter_class("toxic_spans_test")(data_dir).texts()) == [text]


def test_toxic_spans_offset_outside_text_is_a_clear_error(fixture_data):
    files = {"toxic_spans/tsd_train.csv": 'spans,text\n"[1, 99]",short\n', "toxic_spans/tsd_trial.csv": "spans,text\n"}
    with pytest.raises(ValueError, match=r"tsd_train.csv:2: offset 99 is outside the text \(length 5\)"):
        load("toxic_spans", fixture_data(files))


def test_dynahate_is_an_evaluation_table(fixture_data):
    header = "Unnamed: 0,acl.id,X1,text,label,type,target,level,split,round.base,annotator,round,acl.id.matched,text_len\n"
    dev = header + "1,acl1,1,I hate them all,hate,derogation,bla,original,dev,1,a,1,acl2,4\n"
    test = header + "2,acl2,2,I love them all,nothate,none,none,perturbation,test,1,a,1,acl1,4\n3,acl3,3,x,hate,notgiven,notgiven,original,test,1,a,1,,1\n"
    data_dir = fixture_data({"dynahate_devtest/dynahate_dev.csv": dev, "dynahate_devtest/dynahate_test.csv": test})
    adapter = adapter_class("dynahate")(data_dir)
    frame = adapter.load()
    assert frame["id"].tolist() == ["acl1", "acl2", "acl3"] and frame["split"].tolist() == ["dev", "test", "test"]
    assert frame["matched_id"].tolist() == ["acl2", "acl1", None]
    assert adapter.spec.role == "eval" and list(adapter.texts()) == ["I hate them all", "I love them all", "x"]


@pytest.mark.realdata
@pytest.mark.parametrize("name,rows,unsafe_share", [
    ("edos_sexism", 20000, (0.2, 0.3)), ("implicit_hate_corpus", (25000, 40000), (0.4, 0.7)),
    ("sbic", (9357, 30000), (0.3, 0.8)), ("wiegand_identity_groups", 2221, (0.5, 0.6)),
    ("hatemoji_build", 5912, (0.45, 0.55)), ("hatexplain", 3545, (0.4, 0.6)), ("toxic_spans", 8629, (0.5, 0.9)),
])
def test_real_v2_sources(real_data_dir, name, rows, unsafe_share):
    _, records = load(name, real_data_dir)
    low, high = (rows, rows) if isinstance(rows, int) else rows
    assert low <= len(records) <= high
    share = sum(r.annotation == "Unsafe" for r in records.values()) / len(records)
    assert unsafe_share[0] <= share <= unsafe_share[1]
    for r in records.values():  # label v2: a human stance label makes sentiment Negative
        if r.bias == "Yes" and name != "toxic_spans":
            assert r.sentiment == "Negative", r.id
        if r.parent_id and ":implied:" in r.id:
            assert r.parent_id in records and r.annotation == "Unsafe"


@pytest.mark.realdata
def test_real_toxic_spans_and_dynahate(real_data_dir):
    _, records = load("toxic_spans", real_data_dir)
    with_spans = [r for r in records.values() if r.biased_spans]
    assert len(with_spans) > 0.9 * len(records)
    test = adapter_class("toxic_spans_test")(real_data_dir).load()
    assert len(test) == 2000 and sum(map(bool, test["spans"])) > 1500
    for text, spans in zip(test["text"], test["spans"], strict=True):
        assert all(0 <= s < e <= len(text) for s, e in spans)
    dyna = adapter_class("dynahate")(real_data_dir).load()
    assert len(dyna) == 7077 and set(dyna["label"]) == {"hate", "nothate"}
