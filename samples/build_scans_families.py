"""Scans as offices make them: one family of degradations per folder, at 150/200/300 dpi.

samples/scans/ (build_scans.py) holds the scans the OCR path was built on.
These families are the ones it was not: each takes whole forms (the truth
covers every page of a form), renders them at the scan's dpi and degrades them
the way one kind of office equipment does:

- photocopy: light toner (low contrast), a shadow along the binding, keystone
  (perspective, corners moved up to 1.5 % of the page), slight page curl;
- fax: bilevel pages stored as CCITT G4 images, speckle, broken thin rules;
- stamps: round seals in red, blue and purple and a pen signature crossing the
  cells that hold numbers (分值/得分, funds), colour scan;
- phone: colour capture with uneven light, a colour cast, slight perspective,
  JPEG quality 50;
- layouts: the other layouts of samples/variants/ scanned (grey, skewed), and a
  national-template form (seed 4 with build_producers' planted errors) printed the
  way the Chongqing workbook is: 0.25 pt hairline rules, 7.5 pt text, tight rows
  (scans/families/sources/hairline_planted.pdf, made here with Chromium);
- outlines: not a scan: Ghostscript `-dNoOutputFonts` turns every glyph into
  vector outlines ("print to PDF" with fonts as curves): no text, no image.

    .venv/bin/python samples/build_scans_families.py [--family NAME ...]

Writes samples/scans/families/<family>/<stem>_<dpi>dpi.pdf (outlines:
<stem>_outlines.pdf) with <stem>....truth.json, the source's truth with
`source.file` renamed. Deterministic: every random choice comes from a seed per
page. Needs Ghostscript (`gs`) for the outlines family and Chromium for the layouts
family's hairline print (scans/families/sources/, rebuilt with the family).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2
from build_scans import FONT, SAMPLES, image_pdf, jpeg, paper, render, signature
from PIL import Image, ImageDraw, ImageFilter, ImageFont

OUT = SAMPLES / "scans" / "families"
DPIS = (150, 200, 300)
SEAL_TEXTS = {
    "red": "上海市嘉定区江桥镇社区党群服务中心",
    "blue": "江桥镇财务专用章",
    "purple": "嘉定区财政局业务专用章",
}
INKS = {"red": (215, 40, 45), "blue": (40, 75, 205), "purple": (125, 45, 165)}


# ------------------------------------------------------------ degradations ---


def _noise_blur(img: Image.Image, dpi: int, rng: np.random.Generator, sigma: float = 5):
    a = np.asarray(img).astype(np.float32)
    a = a + rng.normal(0, sigma, a.shape[:2] + ((1,) if a.ndim == 3 else ()))
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return img.filter(ImageFilter.GaussianBlur(0.6 * dpi / 150))


def keystone(a: np.ndarray, share: float, rng: np.random.Generator, fill) -> np.ndarray:
    """Perspective: each corner moved inward/outward by up to `share` of the page size."""
    h, w = a.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-share, share, (4, 2)) * np.float32([w, h])
    dst = (src + jitter).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(
        a, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )


def curl(a: np.ndarray, depth: float, fill) -> np.ndarray:
    """Page curl near the binding (left edge): rows bend down by up to `depth` of the height."""
    h, w = a.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    bend = depth * h * np.clip(1 - xs / (0.35 * w), 0, 1) ** 2
    squeeze = 0.006 * w * np.clip(1 - xs / (0.25 * w), 0, 1) ** 2
    return cv2.remap(
        a, xs + squeeze, ys - bend * (ys / h), cv2.INTER_LINEAR, cv2.BORDER_CONSTANT, None, fill
    )


def photocopy(img: Image.Image, dpi: int, rng: np.random.Generator, page: int) -> Image.Image:
    """Light toner (print at ~105 on paper at ~228), binding shadow, keystone, curl; grey."""
    a = np.asarray(img.convert("L")).astype(np.float32)
    h, w = a.shape
    a = 105 + a * (123 / 255)
    xs = np.arange(w, dtype=np.float32)
    shadow = 1 - 0.6 * np.exp(-xs / (0.035 * w))  # binding on the left
    a = a * shadow[None, :]
    a = keystone(a, 0.015, rng, 228)
    a = curl(a, 0.004, 228)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return _noise_blur(img, dpi, rng, 6)


def fax(img: Image.Image, dpi: int, rng: np.random.Generator, page: int) -> Image.Image:
    """Bilevel (mode 1), speckle, thin rules broken by dropouts, a slight skew."""
    g = img.convert("L").rotate(rng.uniform(-1.0, 1.0), Image.BICUBIC, fillcolor=255)
    a = np.asarray(g.filter(ImageFilter.GaussianBlur(0.5 * dpi / 150))).astype(np.float32)
    ink = a < 150
    h, w = ink.shape
    s = dpi / 150
    # dropouts: small white blots where toner did not transfer (breaks 1 px rules)
    drop = np.zeros((h, w), np.uint8)
    n = int(0.0025 * h * w / (s * s))
    for x, y in zip(rng.integers(0, w, n), rng.integers(0, h, n), strict=True):
        cv2.circle(drop, (int(x), int(y)), max(1, round(0.8 * s)), 255, -1)
    ink &= drop == 0
    # speckle: isolated black dots, a few clustered
    n = int(0.0004 * h * w / (s * s))
    dots = np.zeros((h, w), np.uint8)
    for x, y in zip(rng.integers(0, w, n), rng.integers(0, h, n), strict=True):
        cv2.circle(dots, (int(x), int(y)), int(rng.integers(0, max(1, round(s)) + 1)), 255, -1)
    ink |= dots > 0
    return Image.fromarray(np.where(ink, 0, 255).astype(np.uint8)).convert("1")


def seal(img: Image.Image, centre, dpi: int, colour: str) -> Image.Image:
    """A round seal of `colour` (ring, star, arc text) multiplied over the page like ink."""
    s = dpi / 72
    r = 42 * s
    stamp = Image.new("RGB", img.size, (255, 255, 255))
    d = ImageDraw.Draw(stamp)
    cx, cy = centre[0] * s, centre[1] * s
    ink = INKS[colour]
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ink, width=max(2, round(2.5 * s)))
    d.regular_polygon((cx, cy, 0.28 * r), 5, rotation=0, fill=ink)
    text = SEAL_TEXTS[colour]
    font = ImageFont.truetype(FONT, round(9 * s))
    n = len(text)
    for k, ch in enumerate(text):
        ang = math.radians(-200 + 220 * k / (n - 1))
        x, y = cx + 0.76 * r * math.cos(ang), cy + 0.76 * r * math.sin(ang)
        side = round(12 * s)
        glyph = Image.new("L", (side, side), 0)
        ImageDraw.Draw(glyph).text((side / 2, side / 2), ch, fill=255, font=font, anchor="mm")
        glyph = glyph.rotate(-math.degrees(ang) - 90, expand=True)
        stamp.paste(ink, (round(x - glyph.width / 2), round(y - glyph.height / 2)), glyph)
    stamp = stamp.filter(ImageFilter.GaussianBlur(0.5 * s))
    a = np.asarray(img).astype(np.float32) * np.asarray(stamp).astype(np.float32) / 255
    return Image.fromarray(a.astype(np.uint8))


@dataclass(frozen=True)
class Stamping:
    """Seals (colour, centre in points) and a signature start (points) on one page."""

    seals: tuple[tuple[str, tuple[float, float]], ...] = ()
    signature: tuple[float, float] | None = None


def stamped(stampings: list[Stamping]):
    def apply(img: Image.Image, dpi: int, rng: np.random.Generator, page: int) -> Image.Image:
        plan = stampings[page] if page < len(stampings) else Stamping()
        img = img.convert("RGB")
        for colour, centre in plan.seals:
            img = seal(img, centre, dpi, colour)
        if plan.signature:
            img = signature(img, plan.signature, dpi, rng)
        img = paper(img, rng)
        img = img.rotate(rng.uniform(-1.2, 1.2), Image.BICUBIC, fillcolor=(236, 236, 236))
        return _noise_blur(img, dpi, rng)

    return apply


def phone(img: Image.Image, dpi: int, rng: np.random.Generator, page: int) -> Image.Image:
    """Colour capture: uneven light (a lamp to one side, dark corners), warm cast, perspective."""
    a = np.asarray(img.convert("RGB")).astype(np.float32)
    h, w = a.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    lx, ly = rng.uniform(0.2, 0.8) * w, rng.uniform(0.1, 0.4) * h
    dist = np.hypot((xs - lx) / w, (ys - ly) / h)
    light = 0.97 - 0.38 * np.clip(dist, 0, 1.2) ** 1.5
    cast = np.float32([1.0, 0.95, 0.84])  # RGB: blue darkest under a warm lamp
    a = a * (220 / 255) + 25
    a = a * light[:, :, None] * cast[None, None, :]
    a = keystone(a, 0.008, rng, (90, 85, 80))
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return _noise_blur(img, dpi, rng, 7)


def office_scan(img: Image.Image, dpi: int, rng: np.random.Generator, page: int) -> Image.Image:
    """The usual office scanner: grey paper, slight skew, noise, blur."""
    img = paper(img.convert("RGB"), rng)
    img = img.rotate(rng.uniform(-1.5, 1.5), Image.BICUBIC, fillcolor=(236, 236, 236))
    return _noise_blur(img, dpi, rng).convert("L")


# ---------------------------------------------------------------- families ---

Degrade = Callable[[Image.Image, int, np.random.Generator, int], Image.Image]


@dataclass(frozen=True)
class Family:
    name: str
    sources: tuple[str, ...]  # sample PDFs (relative to samples/), whole forms
    degrade: Degrade | None  # None: not a scan (outlines)
    store: str = "jpeg"  # jpeg | g4
    quality: int = 60
    about: str = ""


# Seals and signatures sit on seed_6's number cells: 分值/得分 columns at x ≈ 425–540,
# funds amounts at y ≈ 200–260 on page 1; page 2 holds the rest of the indicators.
STAMPS = [
    Stamping(
        seals=(("red", (470, 240)), ("blue", (505, 520))),
        signature=(420, 600),
    ),
    Stamping(seals=(("purple", (480, 160)),), signature=(430, 90)),
]

FAMILIES = {
    f.name: f
    for f in (
        Family(
            "photocopy",
            ("seed_2_zhengfu_pinyong_fuzhu_renyuan_jingfei.pdf",),
            photocopy,
            about="light toner, binding shadow, keystone ≤1.5 %, curl",
        ),
        Family(
            "fax",
            ("seed_4_huodong_jingfei.pdf",),
            fax,
            store="g4",
            about="bilevel CCITT G4, speckle, broken thin rules",
        ),
        Family(
            "stamps",
            ("seed_6_houqin_baozhang_jingfei.pdf",),
            stamped(STAMPS),
            about="red, blue and purple seals and a pen signature on number cells; colour",
        ),
        Family(
            "phone",
            ("seed_1_fangxiulei.pdf",),
            phone,
            quality=50,
            about="colour, uneven light, warm cast, perspective 0.8 %, JPEG 50",
        ),
        Family(
            "layouts",
            (
                "variants/extra_columns.pdf",
                "variants/chongqing_2021_jiuyebuzhu.pdf",
                "scans/families/sources/hairline_planted.pdf",
            ),
            office_scan,
            about="other layouts of samples/variants/ and a hairline 7.5 pt print scanned grey",
        ),
        Family(
            "outlines",
            ("seed_3_qita_renyuan_jingfei.pdf", "variants/header_variants.pdf"),
            None,
            about="glyphs as vector outlines (gs -dNoOutputFonts): no text layer, no image",
        ),
    )
}


# ------------------------------------------------------------------- build ---


def g4_pdf(pages: list[Image.Image], dpi: int, path: Path) -> None:
    """A PDF of bilevel pages; Pillow stores mode-1 images as CCITT G4 (needs libtiff)."""
    pages[0].save(
        path,
        "PDF",
        save_all=True,
        append_images=pages[1:],
        resolution=dpi,
        creationDate="D:20240101000000Z",  # fixed: a rebuild gives the same file
        modDate="D:20240101000000Z",
    )


def write_truth(src: Path, out: Path) -> None:
    truth = json.loads(src.with_name(src.stem + ".truth.json").read_text("utf-8"))
    for form in truth:
        form["source"]["file"] = out.name
    out.with_name(f"{out.stem}.truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )


def build_scan(family: Family, source: str, dpi: int, out_dir: Path) -> Path:
    src = SAMPLES / source
    pdf = pypdfium2.PdfDocument(str(src))
    images = []
    for index in range(len(pdf)):
        rng = np.random.default_rng([dpi, index, sum(map(ord, src.stem + family.name))])
        images.append(family.degrade(render(pdf, index, dpi), dpi, rng, index))
    pdf.close()
    out = out_dir / f"{src.stem}_{dpi}dpi.pdf"
    if family.store == "g4":
        g4_pdf(images, dpi, out)
    else:
        image_pdf([(jpeg(img, family.quality), 0) for img in images], dpi, out)
    write_truth(src, out)
    return out


def build_outlines(source: str, out_dir: Path) -> Path:
    src = SAMPLES / source
    out = out_dir / f"{src.stem}_outlines.pdf"
    gs = shutil.which("gs")
    if gs is None:
        raise SystemExit("the outlines family needs Ghostscript (apt-get install ghostscript)")
    subprocess.run(
        [gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dNoOutputFonts", "-sDEVICE=pdfwrite",
         f"-sOutputFile={out}", str(src)],
        check=True,
    )  # fmt: skip
    write_truth(src, out)
    return out


# Chromium draws no border thinner than one CSS px (0.75 pt): the form is laid out three
# times larger (zoom 3 on a page three times A4), then each page is placed on an A4 page
# scaled by 1/3 (a form XObject: the text layer stays), which turns 0.75 pt borders
# into 0.25 pt hairlines and 22.5 pt type into 7.5 pt.
HAIRLINE_CSS = """
@page { size: 630mm 891mm; margin: 60mm 54mm; }
body { zoom: 3; }
table { border-collapse: collapse; }
td { border: 0.25pt solid #000; padding: 0.6pt 2pt; line-height: 1.2; }
table.ind { margin-top: -0.25pt; }
"""


def shrink(src: Path, out: Path, factor: float) -> None:
    """Every page of `src` scaled by `factor` onto a page that size (text layer kept)."""
    pdf = pypdfium2.PdfDocument(str(src))
    new = pypdfium2.PdfDocument.new()
    for index in range(len(pdf)):
        w, h = pdf[index].get_size()
        page = new.new_page(w * factor, h * factor)
        xobject = pdf.page_as_xobject(index, new)
        obj = xobject.as_pageobject()
        obj.transform(pypdfium2.PdfMatrix().scale(factor, factor))
        page.insert_obj(obj)
        page.gen_content()
    new.save(str(out))
    new.close()
    pdf.close()


def hairline_source() -> Path:
    """Seed form 4 with the planted errors, printed in 7.5 pt with 0.25 pt rules.

    Not tuned to the Chongqing workbook it imitates: another template (national),
    another producer (Chromium), its own column widths and row heights, serif text.
    """
    import logging
    import tempfile

    import build_producers as bp
    import build_samples as bs

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # Chromium's fonts lack FontBBox
    out = SAMPLES / "scans" / "families" / "sources" / "hairline_planted.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    form = bp.planted_form(bs.load_forms(bs.DEFAULT_SEED)[bp.PLANTED_POSITION])
    bp.CSS["hairline"] = HAIRLINE_CSS
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.pdf"
        bp.chromium_pdf(bp.form_html(form, bp.PLANTED_POSITION, "hairline", 7.5), big, Path(tmp))
        shrink(big, out, 1 / 3)
    bs.normalize_pdf(out)
    bp.write_truth(out, form)
    return out


def build_family(family: Family) -> list[Path]:
    out_dir = OUT / family.name
    if family.name == "layouts":
        hairline_source()
    out_dir.mkdir(parents=True, exist_ok=True)
    if family.degrade is None:
        return [build_outlines(source, out_dir) for source in family.sources]
    return [build_scan(family, s, dpi, out_dir) for s in family.sources for dpi in DPIS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", action="append", choices=sorted(FAMILIES))
    args = parser.parse_args()
    for name in args.family or FAMILIES:
        for path in build_family(FAMILIES[name]):
            print(f"{path.relative_to(SAMPLES)}: {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
