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
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

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


@cache
def _ideographs(alphabet: tuple[str, ...]) -> np.ndarray:
    return np.array([lexicon.ideograph(ch) for ch in alphabet], bool)


def candidates(probs: np.ndarray, alphabet: list[str], floor: float) -> list[list[int]] | None:
    """Classes searched at each step; None when no step has a second candidate."""
    ideo = _ideographs(tuple(alphabet))
    best = probs.argmax(axis=1)
    open_ = (best == 0) | ideo[best]  # a non-ideograph glyph's step is fixed
    # only a step whose best class has less than 1 - floor can have a second candidate
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


class _Beam:
    """One reading: probability ending in a blank / in its last glyph, each glyph's score."""

    __slots__ = ("blank", "glyph", "conf", "lead")

    def __init__(self) -> None:
        self.blank = 0.0
        self.glyph = 0.0
        self.conf: tuple[float, ...] = ()
        self.lead = -1.0  # the largest single contribution so far: whose scores are kept

    def add(self, blank: float, glyph: float, conf: tuple[float, ...]) -> None:
        self.blank += blank
        self.glyph += glyph
        if blank + glyph > self.lead:
            self.lead, self.conf = blank + glyph, conf

    @property
    def total(self) -> float:
        return self.blank + self.glyph


def search(
    probs: np.ndarray,
    alphabet: list[str],
    settings: BeamSettings | None = None,
) -> tuple[list[str], list[float]] | None:
    """The best reading of a line's steps and each glyph's recognizer probability, or None
    when nothing is doubtful (greedy decoding stands)."""
    settings = settings or SETTINGS
    cands = candidates(probs, alphabet, settings.floor)
    if cands is None:
        return None
    model = lexicon.bigrams()
    fusion: dict[tuple[int, int], float] = {}

    def prior(last: int, k: int) -> float:
        """P(c | a) / P(c) for ideographs a c; 1 where a neighbour is not an ideograph."""
        if last not in (-1, 0) and (last, k) not in fusion:
            a, c = alphabet[last], alphabet[k]
            ok = lexicon.ideograph(a) and lexicon.ideograph(c)
            ratio = model.p_next(a, c) / model.p(c)
            fusion[last, k] = ratio**settings.weight if ok else 1.0
        return fusion.get((last, k), 1.0)

    beams: dict[tuple[int, ...], _Beam] = {(): _Beam()}
    beams[()].add(1.0, 0.0, ())
    for t, ks in enumerate(cands):
        row = probs[t]
        nxt: dict[tuple[int, ...], _Beam] = {}
        for prefix, beam in beams.items():
            last = prefix[-1] if prefix else -1
            for k in ks:
                p = float(row[k])
                if k == 0:
                    nxt.setdefault(prefix, _Beam()).add(beam.total * p, 0.0, beam.conf)
                    continue
                if k == last:  # the glyph goes on: the same reading (scored at its first step)
                    nxt.setdefault(prefix, _Beam()).add(0.0, beam.glyph * p, beam.conf)
                    if beam.blank == 0.0:
                        continue
                    came = beam.blank  # after a blank, the same glyph again
                else:
                    came = beam.total
                grown = (*prefix, k)
                nxt.setdefault(grown, _Beam()).add(0.0, came * p * prior(last, k), (*beam.conf, p))
        kept = sorted(nxt.items(), key=lambda kv: -kv[1].total)[: settings.width]
        scale = kept[0][1].total or 1.0  # renormalized: long lines do not underflow
        beams = {}
        for prefix, beam in kept:
            beam.blank /= scale
            beam.glyph /= scale
            beam.lead /= scale
            beams[prefix] = beam
    kept = [kv for kv in beams.items() if len(kv[0]) >= _greedy_length(probs)]
    if not kept:
        return None
    prefix, beam = max(kept, key=lambda kv: kv[1].total)
    return [alphabet[k] for k in prefix], list(beam.conf)


def _greedy_length(probs: np.ndarray) -> int:
    best = probs.argmax(axis=1)
    first = np.ones(len(best), bool)
    first[1:] = best[1:] != best[:-1]
    return int(np.count_nonzero(first & (best != 0)))
