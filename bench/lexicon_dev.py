"""Dev set for the OCR decoder's settings (extract/ctcbeam.py): other forms, same fax.

The bench's fax pages (samples/scans/families/fax/, seed 4) are the test set: no
setting of the decoder may be chosen by looking at them. This script builds the dev
set instead: the fax degradation of samples/build_scans_families.py applied to the
*other* forms with truth (the seeds but seed 4 and four variants; not the Jiangqiao files, which hold seed 4),
with another random stream (family name `fax-dev`), at 150 and 200 dpi, into a
temporary folder. Each form is read through the real pipeline once per setting
(recognizer and detector outputs cached by their input, so a sweep costs little more
than one run) and compared with its truth field by field.

    .venv/bin/python bench/lexicon_dev.py [--floor 0.001 0.01 ...] [--width 4 8 ...]
        [--weight 1 0.5 ...] [--dpi 150 200]

Prints wrong fields per setting (and `greedy`: the beam search off) and every line
reading that changed against greedy decoding.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import sys
import tempfile
import unicodedata
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "samples"))

import build_scans_families as bsf  # noqa: E402
import pypdfium2  # noqa: E402
from bench_families import wrong_fields  # noqa: E402

from perfaudit.extract import ctcbeam, recognize  # noqa: E402
from perfaudit.pipeline.worker import process_file  # noqa: E402

from conftest import count_fields, load_truth  # noqa: E402

SOURCES = (
    "seed_1_fangxiulei.pdf",
    "seed_2_zhengfu_pinyong_fuzhu_renyuan_jingfei.pdf",
    "seed_3_qita_renyuan_jingfei.pdf",
    "seed_5_fuxujin.pdf",
    "seed_6_houqin_baozhang_jingfei.pdf",
    "variants/header_variants.pdf",
    "variants/mixed_sizes.pdf",
    "variants/seed1_widths_a.pdf",
    "variants/annex_with_prose.pdf",
)
DEV = bsf.Family("fax-dev", SOURCES, bsf.fax, store="g4")


def build(out: Path, dpis: tuple[int, ...]) -> list[Path]:
    return [bsf.build_scan(DEV, s, dpi, out) for s in SOURCES for dpi in dpis]


def cache_models() -> None:
    """Recognizer runs and detections cached by their input bytes (same input, same output)."""
    runs: dict[bytes, object] = {}
    run, detect = recognize.Recognizer._run, recognize.detect

    def cached(fn, key_of):
        def call(*args):
            key = hashlib.sha1(key_of(*args)).digest()
            if key not in runs:
                runs[key] = fn(*args)
            return runs[key]

        return call

    recognize.Recognizer._run = cached(
        run,
        lambda self, images: b"".join(i.tobytes() + bytes(str(i.shape), "ascii") for i in images),
    )
    recognize.detect = cached(
        detect, lambda image: image.tobytes() + bytes(str(image.shape), "ascii")
    )


CURRENT: list[Path] = []  # the dev file being read (the spy files each change under it)


def changed_lines() -> dict[tuple[str, str, str], None]:
    """Spy on decode: (file, greedy, chosen) for every reading the beam search changed."""
    seen: dict[tuple[str, str, str], None] = {}
    plain = recognize.decode

    def spy(probs, alphabet, in_context=False):
        out = plain(probs, alphabet, in_context)
        if in_context:
            greedy = plain(probs, alphabet, False)
            if greedy[0] != out[0]:
                seen[(CURRENT[-1].stem, greedy[0], out[0])] = None
        return out

    recognize.decode = spy
    return seen


def fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def pdf_text(src: Path) -> str:
    """A PDF's text layer, folded, white space removed."""
    doc = pypdfium2.PdfDocument(str(src))
    try:
        return fold("".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))))
    finally:
        doc.close()


def source_text(pdf: Path) -> str:
    """The text layer of the form a dev scan was made from."""
    stem = re.sub(r"_\d+dpi$", "", pdf.stem)
    return pdf_text(next(bsf.SAMPLES / s for s in SOURCES if Path(s).stem == stem))


def verdict(greedy: str, chosen: str, text: str) -> str:
    """right: the source prints the new reading and not the old; wrong: the reverse."""
    old, new = fold(greedy) in text, fold(chosen) in text
    return "right" if new and not old else "wrong" if old and not new else "neither"


def run(files: list[Path], settings: ctcbeam.BeamSettings | None) -> tuple[int, int, list[str]]:
    ctcbeam.SETTINGS = settings or replace(ctcbeam.SETTINGS, floor=2.0)  # floor > 1: greedy
    wrong = total = 0
    per_file = []
    for pdf in files:
        CURRENT.append(pdf)
        truth = load_truth(pdf.with_name(pdf.stem + ".truth.json"))
        result = process_file(pdf)
        w = wrong_fields(truth, [f.to_json() for f in result.forms])
        wrong += w
        total += count_fields(truth)
        per_file.append(f"{pdf.stem}:{w}")
    return wrong, total, per_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floor", type=float, nargs="*", default=[0.001, 0.003, 0.01, 0.03])
    parser.add_argument("--width", type=int, nargs="*", default=[8])
    parser.add_argument("--weight", type=float, nargs="*", default=[ctcbeam.SETTINGS.weight])
    parser.add_argument("--dpi", type=int, nargs="*", default=[150, 200])
    args = parser.parse_args()
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    cache_models()
    seen = changed_lines()
    with tempfile.TemporaryDirectory() as tmp:
        files = build(Path(tmp), tuple(args.dpi))
        print(f"dev set: {len(files)} files", flush=True)
        texts = {pdf.stem: source_text(pdf) for pdf in files}
        settings = [None] + [
            ctcbeam.BeamSettings(floor=f, width=w, weight=a)
            for a in args.weight
            for f in args.floor
            for w in args.width
        ]
        for s in settings:
            seen.clear()
            wrong, total, per_file = run(files, s)
            verdicts = Counter()
            lines = []
            for stem, greedy, chosen in seen:
                v = verdict(greedy, chosen, texts[stem])
                verdicts[v] += 1
                lines.append(f"    {v:7} {greedy} → {chosen}")
            name = "greedy" if s is None else f"floor={s.floor} width={s.width} weight={s.weight}"
            print(
                f"{name}: {wrong}/{total} fields wrong ({1 - wrong / total:.2%} right); "
                f"readings changed: {verdicts['right']} right, {verdicts['wrong']} wrong, "
                f"{verdicts['neither']} neither"
            )
            print("   ", " ".join(per_file))
            print("\n".join(sorted(lines)))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
