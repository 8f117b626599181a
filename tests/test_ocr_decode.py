"""The recognizer's decoding made cheaper (issue #17) reads exactly what it read before.

recognize.decode takes each step's best class once (the max is read at it, not found
again) and ctcbeam.search reuses it; a pair's word prior costs one look-up instead of
five (lexicon.Terms: each character's factors, for the whole alphabet at once); the
blank-only steps are stepped over in place; a number read as digits only is decoded
over the allowed classes instead of a masked copy of all 18 710. Every (text, score)
must be the one the former code gave, bit for bit: the former code is kept below, in
this test only, and both read a real fax page.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from perfaudit.extract import ctcbeam, lexicon, recognize, reread
from perfaudit.pipeline.worker import process_file

from conftest import SAMPLES

FAX_150 = SAMPLES / "scans" / "families" / "fax" / "seed_4_huodong_jingfei_150dpi.pdf"


# ------------------------------------------- the former code (1ee5538), for reference ---

BEAM_CHANGED: list[tuple[list[str], list[str]]] = []  # (greedy, beam) where the words won


def ref_decode(probs, alphabet, in_context=False):
    if len(probs) == 0:
        return "", 0.0
    best = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    keep = np.ones(len(best), bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    if not keep.any():
        return "", 0.0
    chars = [alphabet[i] for i in best[keep]]
    score = recognize._score(chars, conf[keep])
    if in_context and sum(map(lexicon.ideograph, chars)) >= 2:
        found = ref_search(probs, alphabet)
        if found is not None and found[0] != chars:
            BEAM_CHANGED.append((chars, found[0]))
            chars, score = found[0], min(score, recognize._score(found[0], np.asarray(found[1])))
    return "".join(chars), score


def ref_candidates(probs, alphabet, floor):
    ideo = np.array([lexicon.ideograph(ch) for ch in alphabet], bool)
    best = probs.argmax(axis=1)
    open_ = (best == 0) | ideo[best]
    unsure = np.flatnonzero(open_ & (probs[np.arange(len(best)), best] < 1.0 - floor))
    sub, cols = np.nonzero(probs[unsure] >= floor)
    rows = unsure[sub]
    keep = ideo[cols] & (cols != best[rows])
    if not keep.any():
        return None
    out = [[int(k)] for k in best]
    for t, k in zip(rows[keep].tolist(), cols[keep].tolist(), strict=True):
        out[t].append(k)
    return out


class RefBeam:
    def __init__(self):
        self.blank, self.glyph, self.conf, self.lead = 0.0, 0.0, (), -1.0

    def add(self, blank, glyph, conf):
        self.blank += blank
        self.glyph += glyph
        if blank + glyph > self.lead:
            self.lead, self.conf = blank + glyph, conf

    @property
    def total(self):
        return self.blank + self.glyph


def ref_search(probs, alphabet):
    settings = ctcbeam.SETTINGS
    cands = ref_candidates(probs, alphabet, settings.floor)
    if cands is None:
        return None
    model = lexicon.bigrams()
    fusion = {}

    def prior(last, k):
        if last not in (-1, 0) and (last, k) not in fusion:
            a, c = alphabet[last], alphabet[k]
            ok = lexicon.ideograph(a) and lexicon.ideograph(c)
            ratio = model.p_next(a, c) / model.p(c)
            fusion[last, k] = ratio**settings.weight if ok else 1.0
        return fusion.get((last, k), 1.0)

    beams = {(): RefBeam()}
    beams[()].add(1.0, 0.0, ())
    for t, ks in enumerate(cands):
        row = probs[t]
        nxt = {}
        for prefix, beam in beams.items():
            last = prefix[-1] if prefix else -1
            for k in ks:
                p = float(row[k])
                if k == 0:
                    nxt.setdefault(prefix, RefBeam()).add(beam.total * p, 0.0, beam.conf)
                    continue
                if k == last:
                    nxt.setdefault(prefix, RefBeam()).add(0.0, beam.glyph * p, beam.conf)
                    if beam.blank == 0.0:
                        continue
                    came = beam.blank
                else:
                    came = beam.total
                grown = (*prefix, k)
                nxt.setdefault(grown, RefBeam()).add(
                    0.0, came * p * prior(last, k), (*beam.conf, p)
                )
        kept = sorted(nxt.items(), key=lambda kv: -kv[1].total)[: settings.width]
        scale = kept[0][1].total or 1.0
        beams = {}
        for prefix, beam in kept:
            beam.blank /= scale
            beam.glyph /= scale
            beam.lead /= scale
            beams[prefix] = beam
    best = probs.argmax(axis=1)
    first = np.ones(len(best), bool)
    first[1:] = best[1:] != best[:-1]
    need = int(np.count_nonzero(first & (best != 0)))
    kept = [kv for kv in beams.items() if len(kv[0]) >= need]
    if not kept:
        return None
    prefix, beam = max(kept, key=lambda kv: kv[1].total)
    return [alphabet[k] for k in prefix], list(beam.conf)


def ref_recognize(crops, allowed=None):
    """The former Recognizer.__call__: every class, the others masked to 0 for `allowed`."""
    model = recognize.recognizer()
    out = [("", 0.0)] * len(crops)
    for strip in recognize.pack([recognize.to_input(c) for c in crops]):
        probs = model._run([strip.image])
        if allowed is not None:
            mask = np.array([ch in allowed for ch in model.alphabet], np.float32)
            mask[0] = 1.0
            probs = probs * mask
        for index, (x0, x1) in strip.spans:
            steps = probs[0][x0 // recognize.STRIDE : math.ceil(x1 / recognize.STRIDE)]
            out[index] = ref_decode(steps, model.alphabet, in_context=allowed is None)
    return out


def same(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> bool:
    """Equal texts and scores, bit for bit (and both plain Python floats)."""
    return all(
        x[0] == y[0] and type(x[1]) is type(y[1]) is float and x[1].hex() == y[1].hex()
        for x, y in zip(a, b, strict=True)
    )


# ------------------------------------------------------------------- a real page ---


@pytest.fixture(scope="module")
def fax_calls():
    """Every recognizer call reading the 150 dpi fax through the pipeline: (crops, allowed)."""
    calls: list[tuple[list[np.ndarray], str | None]] = []
    plain = recognize.Recognizer.reading  # every read goes through it (tables, checks, re-reads)

    def spy(self, crops, allowed=None):
        calls.append((list(crops), allowed))
        return plain(self, crops, allowed)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(recognize.Recognizer, "reading", spy)
        process_file(FAX_150)
    return calls


def test_a_real_page_reads_as_the_former_code_read_it(fax_calls):
    """Each call of the page, in context or digits only, gives the former (text, score)s;
    the beam search changed readings on it (the words mend three fields of this page)."""
    model = recognize.recognizer()
    BEAM_CHANGED.clear()
    for crops, allowed in fax_calls:
        assert same(model(crops, allowed), ref_recognize(crops, allowed))
    assert sum(len(c) for c, _ in fax_calls) > 200 and len(BEAM_CHANGED) >= 3


def test_digits_only_over_the_allowed_classes_read_as_the_masked_ones(fax_calls):
    """Every crop of the page read as digits only (a number cell's re-read)."""
    crops = [c for call, _ in fax_calls for c in call]
    want = ref_recognize(crops, reread.DIGITS)
    assert same(recognize.recognize(crops, reread.DIGITS), want)
    assert sum(1 for t, _ in want if t) > 50


def test_random_lines_with_doubts_and_ties_decode_as_before():
    """Lines of real ideographs (a couple of doubtful steps each, some probabilities equal,
    some steps where the blank narrowly wins) through both decoders."""
    rng = np.random.default_rng(17)
    alphabet = ["blank", *"参与垃圾分类活动丰富车幸围制绕党员群众的和1.%"]
    n = len(alphabet)
    for _ in range(300):
        steps = rng.integers(4, 24)
        probs = np.zeros((steps, n), np.float32)
        for t in range(steps):
            if rng.random() < 0.5:
                probs[t, 0] = 1.0
                continue
            picks = rng.choice(np.arange(1, n), size=rng.integers(1, 4), replace=False)
            share = rng.dirichlet(np.ones(len(picks) + 1)).astype(np.float32)
            if rng.random() < 0.2 and len(picks) > 1:
                share[1] = share[0]  # a tie between two glyphs
            probs[t, picks] = share[:-1]
            probs[t, 0] = max(0.0, 1.0 - probs[t].sum())
        for in_context in (True, False):
            want = ref_decode(probs, alphabet, in_context)
            assert same([recognize.decode(probs, alphabet, in_context)], [want])


# ---------------------------------------------------------- the look-up structures ---


def test_one_character_terms_give_the_scalar_prior_of_every_pair():
    """Characters the dictionary holds, one it never ends a word with, ones it lacks."""
    model = lexicon.bigrams()
    never_end = sorted(set(model.unigram[0].tolist()) - set(model.ends[0].tolist()))
    chars = ["丰", "富", "车", "参", "与", "的", chr(never_end[0]), "\u9fff", "\u3400"]
    terms = model.terms(chars)
    for i, a in enumerate(chars):
        for j, c in enumerate(chars):
            ratio = terms.ratio(i, j)
            assert type(ratio) is float and ratio == model.p_next(a, c) / model.p(c)
    assert terms.ratio(0, 1) > 100 * terms.ratio(2, 1)  # 丰富, not 车富


def test_many_keys_at_once_are_the_keys_one_by_one():
    keys = np.array([3, 7, 7, 12], np.uint64)
    table = lexicon._table(keys, np.array([1.0, 2.0, 0.5, 4.0]))
    asked = np.array([0, 3, 5, 7, 12, 99], np.uint64)
    got = lexicon._get_many(table, asked)
    assert got.tolist() == [lexicon._get(table, int(k)) for k in asked] == [0, 1, 0, 2.5, 4, 0]
    empty = lexicon._table(np.zeros(0, np.uint64), np.zeros(0))
    assert lexicon._get_many(empty, asked).tolist() == [0.0] * len(asked)


def test_an_alphabets_classes_are_built_once_and_a_copy_gets_its_own():
    alphabet = ["blank", "车", "1", "丰", " "]
    first = ctcbeam.classes(alphabet)
    assert ctcbeam.classes(alphabet) is first and first.terms is first.terms
    assert first.ideograph.tolist() == [False, True, False, True, False]
    assert first.terms.codes == [0, ord("车"), ord("1"), ord("丰"), ord(" ")]
    renamed = list(alphabet)
    renamed[1], renamed[2] = "1", "车"
    assert ctcbeam.classes(renamed).ideograph.tolist() == [False, False, True, True, False]
