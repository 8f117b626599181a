"""Make image-only "scanned" PDFs from sample PDFs, for the OCR path's tests and bench.

Each source page is rendered at the scan's dpi and degraded the way a
photocopied, stamped and scanned form is: grey paper with uneven light, a slight
rotation, blur, sensor noise, JPEG compression, a red seal over the unit's
name, a pen signature. One page goes through the scanner upside down; one is
stored sideways with /Rotate 90 (as scanners do for landscape feeds), so a
viewer shows it upright. The pages are wrapped back into PDFs as plain JPEG
images (no text layer) and the source's truth JSON is copied alongside, since
the forms and their pages are the same.

    .venv/bin/python samples/build_scans.py            # writes samples/scans/

Deterministic: every random choice comes from a seed per page.
"""

from __future__ import annotations

import argparse
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SAMPLES = Path(__file__).resolve().parent
OUT = SAMPLES / "scans"
FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"  # for the seal's ring text
SEAL_TEXT = "上海市嘉定区江桥镇社区党群服务中心"
DPIS = (150, 200, 300)


@dataclass(frozen=True)
class PagePlan:
    """How one page is scanned."""

    skew: float  # degrees, counter-clockwise
    seal: tuple[float, float] | None = None  # seal centre in PDF points of the source page
    signature: tuple[float, float] | None = None  # where the pen starts, in points
    upside_down: bool = False
    sideways: bool = False  # stored turned 90°, with /Rotate 90 to show it upright
    colour: bool = False  # keep colour (a red seal stays red); else grey


# The seal sits on the 实施单位 value (x 394-533, y 136-165) and the grade row.
PLANS: dict[str, list[PagePlan]] = {
    "seed_1_fangxiulei": [
        PagePlan(skew=1.2, seal=(470, 150), colour=True),
        PagePlan(skew=-0.8, upside_down=True, signature=(380, 520)),
    ],
    "seed_5_fuxujin": [
        PagePlan(skew=-1.5, seal=(455, 175), signature=(360, 700), sideways=True, colour=True),
    ],
    "seed_3_qita_renyuan_jingfei": [
        PagePlan(skew=0.7),
        PagePlan(skew=-1.8, seal=(300, 300), signature=(380, 500)),
    ],
}


# Known hard cases, built into scans/hard/ and benchmarked apart: a red seal scanned in
# gray lands on the totals (its ring as dark as the blurred print there).
HARD: dict[str, list[PagePlan]] = {
    "seed_3_qita_renyuan_jingfei": [
        PagePlan(skew=0.7),
        PagePlan(skew=-1.8, seal=(400, 168), signature=(380, 500)),
    ],
}
HARD_DPI = 200


def render(pdf: pypdfium2.PdfDocument, index: int, dpi: int) -> Image.Image:
    page = pdf[index]
    try:
        return page.render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        page.close()


def paper(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Grey paper and toner: whites at ~235, blacks at ~35, light falling off to one side."""
    a = np.asarray(img).astype(np.float32)
    h, w = a.shape[:2]
    shade = 1.0 - 0.05 * np.linspace(0, 1, w)[None, :] * rng.uniform(0.5, 1.0)
    a = 35 + a * (200 / 255)
    a = a * shade[:, :, None]
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def seal(img: Image.Image, centre: tuple[float, float], dpi: int) -> Image.Image:
    """A red round seal (ring, star, arc text) multiplied over the page like ink."""
    s = dpi / 72
    r = 42 * s  # a 30 mm seal is ~85 pt across
    stamp = Image.new("RGB", img.size, (255, 255, 255))
    d = ImageDraw.Draw(stamp)
    cx, cy = centre[0] * s, centre[1] * s
    red = (215, 40, 45)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=max(2, round(2.5 * s)))
    d.regular_polygon((cx, cy, 0.28 * r), 5, rotation=0, fill=red)
    font = ImageFont.truetype(FONT, round(9 * s))
    n = len(SEAL_TEXT)
    for k, ch in enumerate(SEAL_TEXT):
        ang = math.radians(-200 + 220 * k / (n - 1))
        x, y = cx + 0.76 * r * math.cos(ang), cy + 0.76 * r * math.sin(ang)
        side = round(12 * s)
        glyph = Image.new("L", (side, side), 0)
        ImageDraw.Draw(glyph).text((side / 2, side / 2), ch, fill=255, font=font, anchor="mm")
        glyph = glyph.rotate(-math.degrees(ang) - 90, expand=True)
        stamp.paste(red, (round(x - glyph.width / 2), round(y - glyph.height / 2)), glyph)
    stamp = stamp.filter(ImageFilter.GaussianBlur(0.6 * s))
    a = np.asarray(img).astype(np.float32) * np.asarray(stamp).astype(np.float32) / 255
    return Image.fromarray(a.astype(np.uint8))


def signature(img: Image.Image, start: tuple[float, float], dpi: int, rng: np.random.Generator):
    """A scribbled blue-black pen signature: a few loops and a flourish."""
    s = dpi / 72
    d = ImageDraw.Draw(img)
    x, y = start[0] * s, start[1] * s
    t = np.linspace(0, 4 * math.pi, 220)
    xs = x + t * 9 * s + 7 * s * np.sin(t * rng.uniform(1.5, 2.5))
    ys = y + 10 * s * np.cos(t * rng.uniform(0.8, 1.4)) + rng.normal(0, 0.6 * s, len(t))
    points = list(zip(xs.tolist(), ys.tolist(), strict=True))
    d.line(points, fill=(25, 30, 90), width=max(1, round(1.2 * s)))
    d.line(
        [points[-1], (points[-1][0] + 30 * s, points[-1][1] - 12 * s)],
        fill=(25, 30, 90),
        width=max(1, round(s)),
    )
    return img


def degrade(img: Image.Image, plan: PagePlan, dpi: int, rng: np.random.Generator) -> Image.Image:
    if plan.seal:
        img = seal(img, plan.seal, dpi)
    if plan.signature:
        img = signature(img, plan.signature, dpi, rng)
    img = paper(img, rng)
    img = img.rotate(plan.skew, resample=Image.BICUBIC, fillcolor=(236, 236, 236))
    # sensor noise, then the optics' blur (which also keeps the JPEGs small)
    a = np.asarray(img).astype(np.float32) + rng.normal(0, 5, (img.height, img.width, 1))
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(0.6 * dpi / 150))
    if not plan.colour:
        img = img.convert("L")
    if plan.upside_down:
        img = img.rotate(180)
    if plan.sideways:
        img = img.transpose(Image.Transpose.ROTATE_90)  # stored turned; /Rotate 90 shows it upright
    return img


def jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def image_pdf(pages: list[tuple[bytes, int]], dpi: int, path: Path) -> None:
    """A PDF of full-page JPEGs, (jpeg, /Rotate) per page, each pixel 1/dpi inch."""
    pdf = pypdfium2.PdfDocument.new()
    for data, rotate in pages:
        w, h = _size(data)
        w_pt, h_pt = w * 72 / dpi, h * 72 / dpi
        page = pdf.new_page(w_pt, h_pt)
        image = pypdfium2.PdfImage.new(pdf)
        image.load_jpeg(io.BytesIO(data), inline=True)
        image.set_matrix(pypdfium2.PdfMatrix().scale(w_pt, h_pt))
        page.insert_obj(image)
        page.gen_content()
        if rotate:
            page.set_rotation(rotate)
    pdf.save(str(path))


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size


def build(stem: str, dpi: int, quality: int, plans: list[PagePlan], out_dir: Path) -> Path:
    src = SAMPLES / f"{stem}.pdf"
    pdf = pypdfium2.PdfDocument(str(src))
    pages = []
    for index, plan in enumerate(plans):
        rng = np.random.default_rng([dpi, index, sum(map(ord, stem))])
        img = degrade(render(pdf, index, dpi), plan, dpi, rng)
        pages.append((jpeg(img, quality), 90 if plan.sideways else 0))
    pdf.close()
    out = out_dir / f"{stem}_{dpi}dpi.pdf"
    image_pdf(pages, dpi, out)
    truth = json.loads((SAMPLES / f"{stem}.truth.json").read_text("utf-8"))
    for form in truth:
        form["source"]["file"] = out.name
    out.with_name(f"{out.stem}.truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", type=int, default=60, help="JPEG quality")
    args = parser.parse_args()
    (OUT / "hard").mkdir(parents=True, exist_ok=True)
    built = [
        build(stem, dpi, args.quality, plans, OUT) for stem, plans in PLANS.items() for dpi in DPIS
    ]
    built += [
        build(stem, HARD_DPI, args.quality, plans, OUT / "hard") for stem, plans in HARD.items()
    ]
    for path in built:
        print(f"{path.relative_to(SAMPLES)}: {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
