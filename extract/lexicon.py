"""Which of the recognizer's candidates a doubtful glyph is, given its neighbours.

The recognizer reads each glyph from its pixels. Where a fax or a light copy
erased a thin stroke, it may still see the right glyph, only not first: `丰` at
0.19 behind `车` at 0.54 in `不车富`, `日` behind `口` in `口常`. A reader settles
that by the words around it, and so does this module: for a glyph read with
less than `doubt` probability, each ideograph the recognizer gives at least
`floor` is weighed by how well it joins its neighbours into words.

The prior is a character bigram model of Chinese words, counted from jieba's
general dictionary (349 046 words with frequencies, the `dict.txt` shipped in
the jieba wheel): nothing from the forms read, nothing from any sample. After
a character `a`, the word goes on with `c` as often as the dictionary's words
have `ac`, or a new word starts (as often as words end with `a`) with `c` as
often as words start with `c`.

Bayes, with the recognizer's output p(c|x) as the posterior of a reader that
knew only character frequencies P(c):

    P(c | x, a, b) ∝ p(c|x) / P(c) · P(c|a) · P(b|c)

No weight is tuned: where the neighbours say nothing (punctuation, digits, a
line's end) the prior is P(c) and the recognizer decides alone.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class LexiconSettings:
    doubt: float = 0.9  # a glyph read with less probability than this is weighed in context
    floor: float = 0.01  # a candidate the recognizer gives less than this is not one
    top: int = 5  # candidates looked at per doubtful glyph


SETTINGS = LexiconSettings()


def ideograph(ch: str) -> bool:
    return len(ch) == 1 and ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")


def dictionary_file() -> Path:
    """jieba's dict.txt, found without importing jieba (its import loads tables we do not use)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("jieba is not installed (perfaudit's OCR needs its dictionary)")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


@dataclass
class Bigrams:
    """Character counts of a word list, each word weighted by its frequency."""

    pair: dict[int, float]  # (ord(a) << 32 | ord(c)) → weight of words holding `ac`
    unigram: dict[int, float]  # ord(c) → weight of c's occurrences
    ends: dict[int, float]  # ord(a) → weight of words ending in a
    starts: dict[int, float]  # ord(c) → weight of words starting with c
    total: float
    total_starts: float

    def p(self, c: str) -> float:
        """P(c): the character's share of the dictionary's text (add-one)."""
        return (self.unigram.get(ord(c), 0.0) + 1.0) / (self.total + len(self.unigram))

    def p_start(self, c: str) -> float:
        return (self.starts.get(ord(c), 0.0) + 1.0) / (self.total_starts + len(self.unigram))

    def p_next(self, a: str, c: str) -> float:
        """P(c | a): the word goes on with c, or ends and the next word starts with c."""
        seen = self.unigram.get(ord(a), 0.0)
        if seen == 0.0:
            return self.p(c)
        inside = self.pair.get(ord(a) << 32 | ord(c), 0.0)
        return (inside + self.ends.get(ord(a), 0.0) * self.p_start(c)) / seen


def count_words(words: list[str], freqs: np.ndarray) -> Bigrams:
    """Bigrams inside words, unigrams, word starts and ends, in a few array passes."""
    blob = "\n".join(words) + "\n"
    codes = np.frombuffer(blob.encode("utf-32-le"), "<u4").astype(np.uint64)
    newline = codes == 10
    word_of = np.concatenate([[0], np.cumsum(newline)[:-1]])
    weight = freqs[word_of]
    char = ~newline

    def summed(keys: np.ndarray, weights: np.ndarray) -> dict[int, float]:
        uniq, inverse = np.unique(keys, return_inverse=True)
        return dict(zip(uniq.tolist(), np.bincount(inverse, weights).tolist(), strict=True))

    inner = char[:-1] & char[1:]
    first = char & np.concatenate([[True], newline[:-1]])
    last = char & np.concatenate([newline[1:], [True]])
    pair_keys = (codes[:-1] << np.uint64(32)) | codes[1:]
    return Bigrams(
        pair=summed(pair_keys[inner], weight[:-1][inner]),
        unigram=summed(codes[char], weight[char]),
        ends=summed(codes[last], weight[last]),
        starts=summed(codes[first], weight[first]),
        total=float(weight[char].sum()),
        total_starts=float(weight[first].sum()),
    )


@cache
def bigrams() -> Bigrams:
    """The dictionary's counts, read once per process (~0.5 s CPU)."""
    words, freqs = [], []
    for line in dictionary_file().read_text("utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) >= 2 and parts[1].isdigit():
            words.append(parts[0])
            freqs.append(float(parts[1]))
    return count_words(words, np.asarray(freqs))


def score(model: Bigrams, p: float, c: str, left: str | None, right: str | None) -> float:
    """log P(c | x, left, right) up to a constant shared by every candidate."""
    s = math.log(p) - math.log(model.p(c))
    s += math.log(model.p_next(left, c) if left else model.p(c))
    if right:
        s += math.log(model.p_next(c, right))
    return s


def choose(
    chars: list[str],
    probs: np.ndarray,
    alphabet: list[str],
    settings: LexiconSettings = SETTINGS,
) -> tuple[list[str], list[float]]:
    """Each decoded glyph, a doubtful ideograph replaced by the candidate its neighbours favour.

    `probs` holds the recognizer's class probabilities at each glyph's step. Returns the
    characters and each one's probability as the recognizer gave it (a glyph chosen by
    context keeps its own, lower, probability: the reading stays as doubtful as it was).
    """
    out = list(chars)
    conf = [float(probs[i].max()) for i in range(len(chars))]
    for i, ch in enumerate(chars):
        if conf[i] >= settings.doubt or not ideograph(ch):
            continue
        order = np.argsort(-probs[i])[: settings.top]
        candidates = [
            (alphabet[k], float(probs[i, k]))
            for k in order
            if probs[i, k] >= settings.floor and ideograph(alphabet[k])
        ]
        if len(candidates) < 2:
            continue
        left = out[i - 1] if i > 0 and ideograph(out[i - 1]) else None
        right = chars[i + 1] if i + 1 < len(chars) and ideograph(chars[i + 1]) else None
        if left is None and right is None:
            continue
        model = bigrams()
        best, p = max(candidates, key=lambda cand: score(model, cand[1], cand[0], left, right))
        out[i], conf[i] = best, p
    return out, conf
