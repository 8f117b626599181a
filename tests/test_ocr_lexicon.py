"""A doubtful line is read by CTC prefix beam search weighed by the words (shallow fusion).

extract/ctcbeam.py scores whole readings of a line's recognizer output: the CTC
probability of each reading times, for every ideograph it emits, the bigram of
extract/lexicon.py (jieba's general dictionary) over the character's frequency. At
a step the candidates are the greedy class and every ideograph the recognizer gives
at least the floor; so the words can replace a glyph, or insert one where the blank
narrowly won, but never touch a digit or a sign, never drop a glyph, and never
override a reading the recognizer is sure of (all but `floor` of the probability). The same pixels in another context
give another reading.
"""

from __future__ import annotations

import numpy as np
import pytest

from perfaudit.extract import ctcbeam, lexicon, recognize
from perfaudit.pipeline.worker import process_file

from conftest import SAMPLES, load_truth, norm_text, pdf_of

FAX_150 = SAMPLES / "scans" / "families" / "fax" / "seed_4_huodong_jingfei_150dpi.truth.json"
ALPHABET = ["blank", *"车丰幸不富汽站，。"]
SURE = 0.99


def steps(text: str, doubtful: dict[int, dict[str, float]]) -> np.ndarray:
    """Two steps per glyph of `text` (the glyph, then a blank): sure, or the given candidates."""
    rows = np.zeros((2 * len(text), len(ALPHABET)), np.float32)
    for i, ch in enumerate(text):
        for cand, p in doubtful.get(i, {ch: SURE}).items():
            rows[2 * i, ALPHABET.index(cand)] = p
        rows[2 * i, 0] = 1.0 - rows[2 * i].sum()
        rows[2 * i + 1, 0] = 1.0
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
    probs = steps(text, {where: ERASED})
    chars, score = recognize.decode(probs, ALPHABET, in_context=True)
    assert chars == want
    greedy = recognize.decode(probs, ALPHABET)
    if want != text:  # the chosen glyph keeps the recognizer's own probability: still doubtful
        assert score == pytest.approx((2 * SURE + ERASED[want[where]]) / 3)
        assert score < greedy[1]
    else:
        assert score == greedy[1]


def test_a_candidate_the_recognizer_hardly_sees_is_not_one():
    faint = {"车": 0.85, "丰": ctcbeam.SETTINGS.floor / 2}
    chars, _ = recognize.decode(steps("不车富", {1: faint}), ALPHABET, in_context=True)
    assert chars == "不车富"


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


# ------------------------------------------------- the real recognizer's output ---


@pytest.fixture(scope="module")
def fax_150():
    """The 150 dpi fax through the whole pipeline, every line read in context recorded:
    (greedy reading, chosen reading, the recognizer's steps)."""
    seen: list[tuple[tuple[str, float], tuple[str, float], np.ndarray]] = []
    plain = recognize.decode

    def spy(probs, alphabet, in_context=False):
        out = plain(probs, alphabet, in_context)
        if in_context:
            seen.append((plain(probs, alphabet, False), out, probs))
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(recognize, "decode", spy)
        result = process_file(pdf_of(FAX_150))
    return result, seen, recognize.recognizer().alphabet


def _line(seen, greedy: str):
    return next(probs for g, _, probs in seen if g[0] == greedy)


def test_a_glyph_the_blank_narrowly_covered_is_inserted_where_the_words_demand_it(fax_150):
    """`与` of 参与垃圾: at its steps the blank wins (与 0.08 and 0.05), greedy reads 参垃.
    The same steps with the left glyph's class renamed (same pixels, another word before
    the gap) get no 与: the context decides, not the pixels alone."""
    _, seen, alphabet = fax_150
    probs = _line(seen, "党员群众参垃")
    assert recognize.decode(probs, alphabet, in_context=True)[0] == "党员群众参与垃"
    for other in "的天和":
        renamed = list(alphabet)
        i, j = renamed.index("参"), renamed.index(other)
        renamed[i], renamed[j] = other, "参"
        assert recognize.decode(probs, renamed, in_context=True)[0] == f"党员群众{other}垃"


def test_on_real_ocr_only_ideographs_change_and_no_doubt_gets_surer(fax_150):
    """Over every line of the page: a changed reading keeps the greedy reading's digits and
    signs in order, drops no glyph, scores no higher; a reading without an ideograph (a
    number) is never changed; a glyph read at ≥ 1 − floor is never replaced."""
    _, seen, alphabet = fax_150
    changed = [(g, o, p) for g, o, p in seen if g[0] != o[0]]
    assert changed
    sure = 1.0 - ctcbeam.SETTINGS.floor
    for (before, s0), (after, s1), probs in seen:
        if not any(map(lexicon.ideograph, before)):
            assert after == before
        if after == before:
            continue
        assert s1 <= s0
        assert len(after) >= len(before)
        assert [c for c in after if not lexicon.ideograph(c)] == [
            c for c in before if not lexicon.ideograph(c)
        ]
        best = probs.argmax(axis=1)
        first = np.flatnonzero((best != 0) & np.r_[True, best[1:] != best[:-1]])
        kept = {alphabet[best[t]] for t in first if probs[t, best[t]] >= sure}
        assert kept <= set(after), (before, after)


def test_the_words_never_override_a_reading_the_recognizer_is_sure_of(fax_150):
    """`制绕` of 围绕: the recognizer gives 制 0.998 and 围 0.002, just above the floor, and
    the words win 围 back. The same steps with 围 moved below the floor (its share given
    to 制): 围 is no candidate, however strongly the words favour 围绕."""
    _, seen, alphabet = fax_150
    floor = ctcbeam.SETTINGS.floor
    probs = _line(seen, "建活动和制绕党委中心工作开展社会治")
    step = next(t for t in range(len(probs)) if alphabet[probs[t].argmax()] == "制")
    wei, zhi = alphabet.index("围"), alphabet.index("制")
    assert floor <= probs[step, wei] < 0.01 < 0.99 < probs[step, zhi]
    assert recognize.decode(probs, alphabet, in_context=True)[0].startswith("建活动和围绕")
    sure = probs.copy()
    sure[step, zhi] += sure[step, wei] - floor / 2
    sure[step, wei] = floor / 2
    assert recognize.decode(sure, alphabet, in_context=True)[0].startswith("建活动和制绕")
    assert lexicon.bigrams().p_next("围", "绕") > 100 * lexicon.bigrams().p_next("制", "绕")


def test_on_the_fax_page_the_mended_fields_are_the_printed_ones(fax_150):
    """The fields the words mend at 150 dpi, through the whole pipeline: 丰富 (车 → 丰),
    参与垃圾 (与 inserted) and the goal's 围绕 (制 → 围)."""
    result, _, _ = fax_150
    truth = load_truth(FAX_150)[0]
    got = result.forms[0].to_json()
    for word, field in (("丰富", "deviation_reason"), ("参与垃圾", "level3")):
        k = next(i for i, ind in enumerate(truth["indicators"]) if word in (ind[field] or ""))
        want = truth["indicators"][k][field]
        assert norm_text(got["indicators"][k][field]) == norm_text(want)
    assert "围绕" in truth["goal_expected"]
    assert norm_text(got["goal_expected"]) == norm_text(truth["goal_expected"])
