"""CTC prefix beam search with the word prior (shallow fusion) for doubtful lines.

Greedy decoding takes the best class at every step of the recognizer's output. Where a
fax erased strokes that is sometimes the wrong glyph (`车` for the `丰` of 丰富), and
sometimes no glyph at all: at the steps of `与` in `参与垃圾` the blank wins (0.9 against
0.05–0.08), so greedy decoding reads `参垃圾` and no per-glyph substitution can put the
`与` back. Prefix beam search (Hannun et al. 2014, arXiv:1408.2873) scores whole
readings instead: each reading's CTC probability summed over its alignments, times the
word prior of lexicon.py for every ideograph it emits,

    P(y | x) ∝ P_ctc(y | x) · Π_i P(y_i | y_{i-1}) / P(y_i)     (y_{i-1}, y_i ideographs)

the recognizer's posterior turned into a likelihood by the character's frequency and
multiplied by its bigram (Bayes, as lexicon.py explains); the weight is 1, not tuned.

Only doubtful steps are searched. At each step the candidates are the greedy class plus
every ideograph the recognizer gives at least `floor`; a step whose greedy class is a
digit, sign or Latin letter is fixed to it, so the non-ideographs of a line are exactly
the greedy ones (in number and order). The words may replace a glyph or insert one where
the blank won, never drop one the recognizer read: a fax, a light copy, a dropout only
take ink away, so a glyph the pixels show is there (the blank is no candidate at a
glyph's step, and a reading shorter than the greedy one is not taken). A line without any step with two
candidates is not searched: its greedy reading stands, and so does a line whose greedy
reading holds fewer than two ideographs (recognize.decode: a number is never changed by the
words, and a lone glyph has no neighbour the recognizer read for the words to weigh it by).

Cost (issue #17; the readings are the same floats as the plain code's, tests/test_ocr_decode.py):
the caller's argmax is reused, an alphabet's per-class arrays are built once (by identity),
a pair's prior is one look-up (lexicon.Terms), and three steps in four, where the blank
is the only candidate, are done in place (_blank_step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from perfaudit.extract import lexicon


@dataclass(frozen=True)
class BeamSettings:
    # a class the recognizer gives less than this at a step is not a candidate there: the
    # words may outvote a second reading, not one the recognizer all but excludes
    # (0.001: chosen on the dev set of bench/lexicon_dev.py among 0.001, 0.002, 0.005, 0.01,
    # not on the bench's pages; bench/README.md, round 4)
    floor: float = 0.001
    width: int = 8  # readings kept after each step
    # the word prior's exponent (shallow fusion's LM weight): 1 is Bayes, untuned; the dev set
    # agreed (0.5 and 0.3 lost the fields 1 mends: 289 and 290 wrong against 224)
    weight: float = 1.0


SETTINGS = BeamSettings()


class Classes:
    """Per-class arrays of an alphabet: is it an ideograph; the word prior's one-character
    factors (lexicon.Terms), made when a line is first searched."""

    def __init__(self, alphabet: list[str]) -> None:
        self.alphabet = alphabet
        self.ideograph = np.array([lexicon.ideograph(ch) for ch in alphabet], bool)
        self._terms: lexicon.Terms | None = None

    @property
    def terms(self) -> lexicon.Terms:
        if self._terms is None:
            self._terms = lexicon.bigrams().terms(self.alphabet)
        return self._terms


# alphabet list → its Classes, by identity: the recognizer's alphabet has 18 710 classes, and
# hashing it (or building the arrays) once per line cost more than the search of many lines.
# The list is kept (so its id is not reused); an alphabet is never changed once read.
_CLASSES: dict[int, Classes] = {}


def classes(alphabet: list[str]) -> Classes:
    hit = _CLASSES.get(id(alphabet))
    if hit is not None and hit.alphabet is alphabet:
        return hit
    if len(_CLASSES) >= 8:  # tests rename classes in copies of the alphabet: keep a few
        _CLASSES.clear()
    hit = _CLASSES[id(alphabet)] = Classes(alphabet)
    return hit


def candidates(
    probs: np.ndarray, alphabet: list[str], floor: float, best: np.ndarray | None = None
) -> list[list[int]] | None:
    """Classes searched at each step; None when no step has a second candidate.

    `best`: the argmax of each step, when the caller has it (recognize.decode).
    """
    ideo = classes(alphabet).ideograph
    if best is None:
        best = probs.argmax(axis=1)
    open_ = (best == 0) | ideo[best]  # a non-ideograph glyph's step is fixed
    # only a step whose best class has less than 1 - floor can have a second candidate
    unsure = np.flatnonzero(open_ & (probs[np.arange(len(best)), best] < 1.0 - floor))
    out = [[k] for k in best.tolist()]
    doubt = False
    for t in unsure.tolist():  # row by row: a copy of the rows cost 4× the reading
        cols = np.flatnonzero(probs[t] >= floor)
        more = cols[ideo[cols] & (cols != out[t][0])].tolist()
        out[t] += more
        doubt = doubt or bool(more)
    return out if doubt else None


# A reading's beam: [blank, glyph, lead, conf], a list (the search makes ~30 000 a page):
# its probability ending in a blank / in its last glyph, the largest single contribution
# to it so far, and the scores of its glyphs that contribution brought (whose are kept).
Beam = list


def _add(
    beams: dict[tuple[int, ...], Beam],
    prefix: tuple[int, ...],
    blank: float,
    glyph: float,
    conf: tuple[float, ...],
) -> None:
    """One contribution to the reading `prefix` (made if new: 0 + x is x, any x beats -1)."""
    beam = beams.get(prefix)
    if beam is None:
        beams[prefix] = [blank, glyph, blank + glyph, conf]
        return
    beam[0] += blank
    beam[1] += glyph
    if blank + glyph > beam[2]:
        beam[2], beam[3] = blank + glyph, conf


def _total(item: tuple[tuple[int, ...], Beam]) -> float:
    return -(item[1][0] + item[1][1])  # sorted by this: the most probable first


def priors(alphabet: list[str], weight: float) -> Callable[[int, int], float]:
    """prior(last, k): (P(c | a) / P(c))^weight for ideographs a c (classes last, k), 1 where
    either is not an ideograph or there is no last glyph (-1); each pair looked up once."""
    table = classes(alphabet)
    ideo, terms = table.ideograph, table.terms
    fusion: dict[tuple[int, int], float] = {}

    def prior(last: int, k: int) -> float:
        if last in (-1, 0):
            return 1.0
        found = fusion.get((last, k))
        if found is None:
            ok = ideo[last] and ideo[k]
            found = fusion[last, k] = terms.ratio(last, k) ** weight if ok else 1.0
        return found

    return prior


def search(
    probs: np.ndarray,
    alphabet: list[str],
    settings: BeamSettings | None = None,
    best: np.ndarray | None = None,
) -> tuple[list[str], list[float]] | None:
    """The best reading of a line's steps and each glyph's recognizer probability, or None
    when nothing is doubtful (greedy decoding stands).

    `best`: the argmax of each step, when the caller has it (recognize.decode).
    """
    settings = settings or SETTINGS
    if best is None:
        best = probs.argmax(axis=1)
    cands = candidates(probs, alphabet, settings.floor, best)
    if cands is None:
        return None
    prior = priors(alphabet, settings.weight)
    beams: dict[tuple[int, ...], Beam] = {(): [1.0, 0.0, 1.0, ()]}
    # the sums below run in the order they always did: the same floats, the same reading
    for ks, row in zip(cands, probs, strict=True):
        if ks == [0]:  # three steps in four: the blank, and nothing else, is a candidate
            _blank_step(beams, float(row[0]))
            continue
        ps = [float(row[k]) for k in ks]
        nxt: dict[tuple[int, ...], Beam] = {}
        for prefix, (blank, glyph, _, conf) in beams.items():
            last = prefix[-1] if prefix else -1
            total = blank + glyph
            for k, p in zip(ks, ps, strict=True):
                if k == 0:
                    _add(nxt, prefix, total * p, 0.0, conf)
                    continue
                if k == last:  # the glyph goes on: the same reading (scored at its first step)
                    _add(nxt, prefix, 0.0, glyph * p, conf)
                    if blank == 0.0:
                        continue
                    came = blank  # after a blank, the same glyph again
                else:
                    came = total
                _add(nxt, (*prefix, k), 0.0, came * p * prior(last, k), (*conf, p))
        kept = sorted(nxt.items(), key=_total)[: settings.width]
        scale = -_total(kept[0]) or 1.0  # renormalized: long lines do not underflow
        beams = {}
        for prefix, beam in kept:
            beam[0] /= scale
            beam[1] /= scale
            beam[2] /= scale
            beams[prefix] = beam
    need = _greedy_length(best)
    final = [kv for kv in beams.items() if len(kv[0]) >= need]
    if not final:
        return None
    prefix, beam = min(final, key=_total)  # the first most probable, as max() took it
    return [alphabet[k] for k in prefix], list(beam[3])


def _blank_step(beams: dict[tuple[int, ...], Beam], p: float) -> None:
    """A step whose only candidate is the blank, in place: every reading ends in a blank.

    The same floats as the general step: each reading gets one contribution, total · p (so
    blank = lead = total · p, glyph = 0, its scores kept), the order by total does not
    change (multiplying by p keeps it, and sorted() is stable), no reading is dropped, and
    all are divided by the first one's total.
    """
    for beam in beams.values():
        beam[0] = beam[2] = (beam[0] + beam[1]) * p
        beam[1] = 0.0
    scale = next(iter(beams.values()))[0] or 1.0
    for beam in beams.values():
        beam[0] /= scale
        beam[2] /= scale


def _greedy_length(best: np.ndarray) -> int:
    first = np.ones(len(best), bool)
    first[1:] = best[1:] != best[:-1]
    return int(np.count_nonzero(first & (best != 0)))
