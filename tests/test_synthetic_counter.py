"""The counter family: implied statements of hateful posts, framed as denial, condemnation or report,
are Benign rows that follow their parent into its split, seeded, and never copy a held-out case."""

from __future__ import annotations

from srllm.data.build import _decontaminate
from srllm.data.heldout import load_functional
from srllm.data.schema import CMDRecord
from srllm.data.synthetic_counter import FRAMES, claim_of, generate


def _implied(n: int) -> list[CMDRecord]:
    post = CMDRecord.labelled(id="sbic:dev:1", text="a hateful post", bias="Yes", toxicity="Mild", sentiment="Negative",
                              harm="Medium", source="sbic", source_id="dev:1", provenance="public")
    claims = [CMDRecord.labelled(id=f"sbic:dev:1:implied:{i}", text=f"group{i} people are lazy.", bias="Yes",
                                 toxicity="Mild", sentiment="Negative", harm="Medium", source="sbic",
                                 source_id=f"dev:1:implied:{i}", provenance="public", parent_id=post.id,
                                 target_demographic=["race_ethnicity"])
              for i in range(n)]
    return [post, *claims]


def test_framed_rows_are_benign_children_of_their_statement():
    records = _implied(200)
    rows = generate(13, records)
    assert rows == generate(13, records) and 40 < len(rows) < 110  # about SHARE of them
    by_id = {r.id: r for r in records}
    for r in rows:
        parent = by_id[r.parent_id]
        assert ":implied:" in parent.id and claim_of(parent.text) in r.text
        assert (r.bias, r.toxicity, r.harm, r.annotation) == ("No", "No", "Low", "Benign")
        assert r.provenance == "synthetic" and r.source == "synthetic" and r.id == f"synthetic:counter:{parent.id}"
        assert r.target_demographic == parent.target_demographic and r.text[0].isupper()
        assert CMDRecord.model_validate(r.model_dump()) == r


def test_only_implied_statements_of_three_words_or_more_are_framed():
    post, *claims = _implied(50)
    short = claims[0].model_copy(update={"id": "sbic:dev:1:implied:99", "text": "are lazy"})
    rows = generate(13, [post, short] + [c.model_copy(update={"id": c.id.replace("implied", "x")}) for c in claims])
    assert rows == []


def test_decontamination_drops_every_descendant(monkeypatch):
    import srllm.data.build as build

    class Hits:  # the post is found in an evaluation set
        def record_hits(self, record):
            return record.id == "sbic:dev:1"

    records = _implied(60)
    rows = generate(13, records)
    monkeypatch.setattr(build, "overlap_report", lambda records, index: None)
    kept, _ = _decontaminate(records + rows, Hits())
    assert rows and kept == []


def test_frames_share_no_text_with_the_held_out_suite():
    functional = [case.text.lower() for case in load_functional()]
    for frame in FRAMES:
        for piece in frame.lower().split("{claim}"):
            piece = piece.strip(" .,;\"")
            if len(piece.split()) >= 4:
                assert not any(piece in text for text in functional), piece
