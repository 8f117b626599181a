"""A glyph is chosen among the recognizer's candidates by the words around it.

extract/lexicon.py weighs each ideograph the recognizer gives for a glyph (≥ 1 %)
by a character bigram model of jieba's general dictionary (Bayes: the recognizer's
posterior over the characters' frequency, times the neighbours' bigrams). The same
pixels in another context give another choice; a glyph without an alternative or
without ideograph neighbours is never touched.
"""

from __future__ import annotations

import numpy as np
import pytest

from perfaudit.extract import lexicon, recognize
from perfaudit.pipeline.worker import process_file

from conftest import SAMPLES, load_truth, norm_text, pdf_of

FAX_150 = SAMPLES / "scans" / "families" / "fax" / "seed_4_huodong_jingfei_150dpi.truth.json"
ALPHABET = ["blank", *"车丰幸不富汽站，。"]


def steps(text: str, doubtful: dict[int, dict[str, float]]) -> np.ndarray:
    """One probability row per glyph of `text`: sure (0.99), or the given candidates."""
    rows = np.zeros((len(text), len(ALPHABET)), np.float32)
    for i, ch in enumerate(text):
        for cand, p in doubtful.get(i, {ch: 0.99}).items():
            rows[i, ALPHABET.index(cand)] = p
        rows[i, 0] = 1.0 - rows[i].sum()
    return rows


# what the 150 dpi fax gives for 丰 in 丰富: 车 first, 丰 second
ERASED = {"车": 0.54, "丰": 0.19, "幸": 0.05}


@pytest.mark.parametrize(
    ("text", "want"),
    [("不车富", "不丰富"), ("汽车站", "汽车站"), ("，车。", "，车。"), ("车", "车")],
)
def test_the_same_candidates_in_another_context_give_that_contexts_word(text, want):
    """Metamorphic: identical recognizer output for the middle glyph, neighbours changed."""
    where = text.index("车")
    chars, conf = lexicon.choose(list(text), steps(text, {where: ERASED}), ALPHABET)
    assert "".join(chars) == want
    # the chosen glyph keeps the recognizer's own probability for it: still doubtful
    assert conf[where] == pytest.approx(ERASED[want[where]])


def test_a_candidate_the_recognizer_hardly_sees_is_not_one():
    faint = {"车": 0.85, "丰": 0.005}
    chars, _ = lexicon.choose(list("不车富"), steps("不车富", {1: faint}), ALPHABET)
    assert "".join(chars) == "不车富"


def test_every_pair_of_characters_has_a_probability():
    """Characters the dictionary never ends a word with, or never holds, still follow."""
    model = lexicon.bigrams()
    never_end = sorted(set(model.unigram[0].tolist()) - set(model.ends[0].tolist()))
    assert never_end
    for a in [chr(never_end[0]), "亍", "\u9fff"]:
        for c in ["的", "丰", "\u9ffe"]:
            assert 0.0 < model.p_next(a, c) < 1.0


def test_the_bigrams_come_from_the_general_dictionary():
    model = lexicon.bigrams()
    assert model.kinds > 10_000  # jieba's dict.txt, not a handful of form words
    assert model.p_next("丰", "富") > 100 * model.p_next("车", "富")
    assert model.p_next("汽", "车") > 100 * model.p_next("汽", "丰")


def test_on_real_ocr_the_fax_reading_is_mended_and_only_ideographs_change(monkeypatch):
    """The 150 dpi fax, through the whole pipeline: every reading the words changed is
    recorded. Each change swaps an ideograph for another the recognizer ranked lower
    (never a digit, a sign or a blank); 车富 becomes the printed 丰富."""
    seen: list[tuple[str, str, np.ndarray]] = []
    plain = recognize.decode

    def spy(probs, alphabet, in_context=False):
        out = plain(probs, alphabet, in_context)
        if in_context:
            before = plain(probs, alphabet, False)
            if before[0] != out[0]:
                seen.append((before[0], out[0], probs))
        return out

    monkeypatch.setattr(recognize, "decode", spy)
    result = process_file(pdf_of(FAX_150))
    assert any("车富" in a and "丰富" in b for a, b, _ in seen), seen
    for before, after, _ in seen:
        assert len(before) == len(after)
        for x, y in zip(before, after, strict=True):
            if x != y:
                assert lexicon.ideograph(x) and lexicon.ideograph(y), (before, after)
    truth = load_truth(FAX_150)[0]["indicators"]
    got = result.forms[0].to_json()["indicators"]
    k = next(i for i, ind in enumerate(truth) if "丰富" in (ind["deviation_reason"] or ""))
    assert norm_text(got[k]["deviation_reason"]) == norm_text(truth[k]["deviation_reason"])
