"""The word prior the OCR decoder weighs a doubtful line's readings with (ctcbeam.py).

The recognizer reads each glyph from its pixels. Where a fax or a light copy
erased a thin stroke, it may still see the right glyph, only not first: `丰` at
0.19 behind `车` at 0.54 in `不车富`, `日` behind `口` in `口常`. A reader settles
that by the words around it, and so does the decoder, with this model.

The prior is a character bigram model of Chinese words, counted from jieba's
general dictionary (349 046 words with frequencies, the `dict.txt` shipped in
the jieba wheel): nothing from the forms read, nothing from any sample. After
a character `a`, the word goes on with `c` as often as the dictionary's words
have `ac`, or a new word starts (as often as words end with `a`) with `c` as
often as words start with `c`.

Bayes, with the recognizer's output p(c|x) as the posterior of a reader that
knew only character frequencies P(c), a glyph between ideographs a and b is

    P(c | x, a, b) ∝ p(c|x) / P(c) · P(c|a) · P(b|c)

No weight is tuned: where the neighbours say nothing (punctuation, digits, a
line's end) the prior is P(c) and the recognizer decides alone.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np


def ideograph(ch: str) -> bool:
    return len(ch) == 1 and ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")


def dictionary_file() -> Path:
    """jieba's dict.txt, found without importing jieba (its import loads tables we do not use)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("jieba is not installed (perfaudit's OCR needs its dictionary)")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


def _table(keys: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys, sorted, with their summed weights."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inverse, weights)


def _get(table: tuple[np.ndarray, np.ndarray], key: int) -> float:
    keys, weights = table
    # the key in the table's own type: a Python int against uint64 keys would make numpy
    # compare in float64, converting the whole table on every look-up
    i = int(keys.searchsorted(keys.dtype.type(key)))  # the method: no dispatch wrapper
    return float(weights[i]) if i < len(keys) and keys[i] == key else 0.0


def _get_many(table: tuple[np.ndarray, np.ndarray], key: np.ndarray) -> np.ndarray:
    """_get of every key of an array at once (one searchsorted), in float64."""
    keys, weights = table
    if len(keys) == 0:
        return np.zeros(key.shape)
    key = key.astype(keys.dtype)
    i = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
    return np.where(keys[i] == key, weights[i], 0.0)


@dataclass
class Bigrams:
    """Character counts of a word list, each word weighted by its frequency."""

    pair: tuple[np.ndarray, np.ndarray]  # ord(a) << 32 | ord(c) → weight of words holding `ac`
    unigram: tuple[np.ndarray, np.ndarray]  # ord(c) → weight of c's occurrences
    ends: tuple[np.ndarray, np.ndarray]  # ord(a) → weight of words ending in a
    starts: tuple[np.ndarray, np.ndarray]  # ord(c) → weight of words starting with c

    def __post_init__(self) -> None:
        self.kinds = len(self.unigram[0])
        self.total = float(self.unigram[1].sum())
        self.total_starts = float(self.starts[1].sum())

    def p(self, c: str) -> float:
        """P(c): the character's share of the dictionary's text (add-one)."""
        return (_get(self.unigram, ord(c)) + 1.0) / (self.total + self.kinds)

    def p_start(self, c: str) -> float:
        return (_get(self.starts, ord(c)) + 1.0) / (self.total_starts + self.kinds)

    def p_next(self, a: str, c: str) -> float:
        """P(c | a): the word goes on with c, or ends and the next word starts with c.

        One word end more than the dictionary counts after every character: one that
        only ever opens or continues words (`亍`) can still end the word before c.
        """
        seen = _get(self.unigram, ord(a))
        inside = _get(self.pair, ord(a) << 32 | ord(c))
        return (inside + (_get(self.ends, ord(a)) + 1.0) * self.p_start(c)) / (seen + 1.0)

    def terms(self, chars: list[str]) -> Terms:
        """The one-character factors of P(c | a) / P(c) for these characters, all at once."""
        codes = np.array([ord(ch) if len(ch) == 1 else 0 for ch in chars], np.uint64)
        seen = _get_many(self.unigram, codes) + 1.0
        ends = _get_many(self.ends, codes) + 1.0
        start = (_get_many(self.starts, codes) + 1.0) / (self.total_starts + self.kinds)
        p = (_get_many(self.unigram, codes) + 1.0) / (self.total + self.kinds)
        return Terms(self.pair, *(x.tolist() for x in (codes, seen, ends, start, p)))


@dataclass
class Terms:
    """The word prior's factors of single characters (an alphabet's, by position), so that
    a pair's P(c | a) / P(c) costs one look-up, its count, instead of five.

    ratio(i, j) is the float `p_next(a, c) / p(c)` gives for a, c = chars[i], chars[j]: the
    same operations in the same order on the same float64 values. Python floats, not numpy
    scalars: the beam search multiplies them by its own.
    """

    pair: tuple[np.ndarray, np.ndarray]  # Bigrams.pair
    codes: list[int]
    seen: list[float]  # count of the character + 1
    ends: list[float]  # weight of words ending in it + 1
    start: list[float]  # p_start of it
    p: list[float]  # p of it

    def ratio(self, i: int, j: int) -> float:
        inside = _get(self.pair, self.codes[i] << 32 | self.codes[j])
        return (inside + self.ends[i] * self.start[j]) / self.seen[i] / self.p[j]


def count_words(words: str, freqs: np.ndarray) -> Bigrams:
    """Bigrams inside words, unigrams, word starts and ends, in a few array passes.

    `words` holds one word a line, `freqs` their frequencies in the same order.
    """
    codes = np.frombuffer(words.rstrip("\n").encode("utf-32-le") + b"\n\0\0\0", "<u4")
    newline = codes == 10
    weight = freqs[np.concatenate([[0], np.cumsum(newline[:-1])])]
    char = ~newline
    inner = np.flatnonzero(char[:-1] & char[1:])
    first = char & np.concatenate([[True], newline[:-1]])
    last = char & np.concatenate([newline[1:], [True]])
    pairs = (codes[inner].astype(np.uint64) << np.uint64(32)) | codes[inner + 1]
    return Bigrams(
        pair=_table(pairs, weight[inner]),
        unigram=_table(codes[char], weight[char]),
        ends=_table(codes[last], weight[last]),
        starts=_table(codes[first], weight[first]),
    )


@cache
def bigrams() -> Bigrams:
    """The dictionary's counts, read once per process (~0.5 s CPU)."""
    text = dictionary_file().read_text("utf-8")  # lines of: word frequency part-of-speech
    freqs = np.asarray(re.findall(r" (\d+) ", text), dtype=np.float64)
    return count_words(re.sub(r" \d+ \S+", "", text), freqs)
