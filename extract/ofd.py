"""OFD (GB/T 33190) → the text path: a zip of XML pages rewritten as a plain PDF.

An OFD page is a list of graphic objects with absolute positions in
millimetres, top-left origin: text objects (each glyph's position given by
TextCode X/Y and DeltaX), path objects (ruling lines, and glyph outlines where
a producer drew the text as shapes) and image objects (scans). Those are the
objects a PDF page holds, so each OFD page is written out as one PDF page with
the same objects at the same places (extract/ofdpdf.py, standard library only),
and read by the PDF reader: ruled tables by the text path, outline glyphs and scans by OCR.
The rows are then the ones the same form exported as PDF gives.

Read: text objects (with CTM, DeltaX/DeltaY and their `g` repeats), path
objects (M/S, L, Q, B, C; arcs A as straight segments; stroke and fill),
image objects (JPEG/PNG/TIFF/BMP resources, axis-aligned), templates. Not
read: annotations, signatures and seals (separate files), vertical text,
clipping, patterns/shadings, embedded fonts (the text is the TextCode's
Unicode), any document of a package but the first.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from perfaudit.extract.zipguard import check_zip

PT_PER_MM = 72.0 / 25.4
DEFAULT_BOX = (0.0, 0.0, 210.0, 297.0)  # A4, mm
MAX_PAGES = 500


class OfdError(ValueError):
    """An OFD package that cannot be read. `message` is Chinese."""

    def __init__(self, message: str, detail: str):
        super().__init__(detail)
        self.message = message
        self.detail = detail


# ------------------------------------------------------------- the model ---

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass
class Glyph:
    text: str
    x: float  # baseline origin, mm, page frame (top-left origin)
    y: float
    size: float  # mm


@dataclass
class Path_:
    ops: list[tuple[str, list[float]]]  # PDF-like ops in page mm: m, l, c, h
    stroke: bool
    fill: bool
    width: float  # mm
    stroke_rgb: tuple[float, float, float] = (0.0, 0.0, 0.0)
    fill_rgb: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass
class Picture:
    data: bytes  # JPEG bytes
    size: tuple[int, int]
    box: tuple[float, float, float, float]  # x, y, w, h in page mm


@dataclass
class OfdPage:
    box: tuple[float, float, float, float]
    glyphs: list[Glyph] = field(default_factory=list)
    paths: list[Path_] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)


# ------------------------------------------------------------ the reader ---


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: ET.Element | None, name: str) -> ET.Element | None:
    if el is None:
        return None
    return next((c for c in el if _local(c.tag) == name), None)


def _find(el: ET.Element | None, *names: str) -> ET.Element | None:
    for name in names:
        el = _child(el, name)
    return el


def _floats(text: str | None) -> list[float]:
    out = []
    for tok in (text or "").split():
        try:
            out.append(float(tok))
        except ValueError:
            continue
    return out


def _box(text: str | None, default=DEFAULT_BOX) -> tuple[float, float, float, float]:
    vals = _floats(text)
    return (vals[0], vals[1], vals[2], vals[3]) if len(vals) == 4 else default


def _deltas(text: str | None) -> list[float]:
    """DeltaX/DeltaY with the `g N v` shorthand (N repeats of v) expanded."""
    toks = (text or "").split()
    out: list[float] = []
    i = 0
    while i < len(toks):
        if toks[i] == "g" and i + 2 < len(toks):
            try:
                out += [float(toks[i + 2])] * min(int(float(toks[i + 1])), 100_000)
            except ValueError:
                pass
            i += 3
            continue
        try:
            out.append(float(toks[i]))
        except ValueError:
            pass
        i += 1
    return out


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _matrix(text: str | None) -> Matrix:
    vals = _floats(text)
    return tuple(vals) if len(vals) == 6 else IDENTITY  # type: ignore[return-value]


def _rgb(el: ET.Element | None) -> tuple[float, float, float] | None:
    if el is None:
        return None
    vals = _floats(
        el.get("Value") or (_child(el, "Value").text if _child(el, "Value") is not None else None)
    )
    if len(vals) >= 3:
        return (vals[0] / 255, vals[1] / 255, vals[2] / 255)
    return None


class _Package:
    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.names = {n.lower(): n for n in zf.namelist()}

    def xml(self, name: str) -> ET.Element:
        real = self.names.get(name.lstrip("/").lower())
        if real is None:
            raise OfdError("OFD文件不完整：缺少" + name, f"missing member {name}")
        return ET.fromstring(self.zf.read(real))

    def read(self, name: str) -> bytes | None:
        real = self.names.get(name.lstrip("/").lower())
        return self.zf.read(real) if real else None


def _join(base: str, loc: str) -> str:
    """A BaseLoc relative to the folder of `base` (absolute when it starts with '/')."""
    if loc.startswith("/"):
        return loc.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), loc))


def read_pages(path: Path) -> list[OfdPage]:
    """Every page of the first document in the package, objects in drawing order."""
    check_zip(path)
    with zipfile.ZipFile(path) as zf:
        pkg = _Package(zf)
        root = pkg.xml("OFD.xml")
        doc_root = _find(root, "DocBody", "DocRoot")
        if doc_root is None or not (doc_root.text or "").strip():
            raise OfdError("OFD文件不完整：没有文档入口（DocRoot）", "no DocRoot")
        doc_path = doc_root.text.strip().lstrip("/")
        doc = pkg.xml(doc_path)
        common = _child(doc, "CommonData")
        default_box = _box(
            _find(common, "PageArea", "PhysicalBox").text
            if _find(common, "PageArea", "PhysicalBox") is not None
            else None
        )
        media = _media(pkg, doc_path, common)
        templates = {
            t.get("ID"): _join(doc_path, t.get("BaseLoc", ""))
            for t in (_children(common, "TemplatePage") if common is not None else [])
        }
        pages = []
        for entry in _children(_child(doc, "Pages") or ET.Element("x"), "Page")[:MAX_PAGES]:
            page_path = _join(doc_path, entry.get("BaseLoc", ""))
            page_xml = pkg.xml(page_path)
            area = _find(page_xml, "Area", "PhysicalBox") or _find(
                page_xml, "PageArea", "PhysicalBox"
            )
            page = OfdPage(box=_box(area.text) if area is not None else default_box)
            layers: list[tuple[ET.Element, str]] = []
            for tpl in _children(page_xml, "Template"):
                loc = templates.get(tpl.get("TemplateID"))
                if loc:
                    content = _child(pkg.xml(loc), "Content")
                    if content is not None:
                        layers.append((content, tpl.get("ZOrder", "Background")))
            body = _child(page_xml, "Content")
            ordered = [c for c, z in layers if z != "Foreground"]
            ordered += [body] if body is not None else []
            ordered += [c for c, z in layers if z == "Foreground"]
            for content in ordered:
                for layer in _children(content, "Layer"):
                    _objects(layer, page, media, pkg)
            pages.append(page)
    if not pages:
        raise OfdError("OFD文件中没有任何页面", "no pages")
    return pages


def _media(pkg: _Package, doc_path: str, common: ET.Element | None) -> dict[str, str]:
    """MultiMedia ID → member path, from the document's and the public resource files."""
    out: dict[str, str] = {}
    if common is None:
        return out
    for kind in ("DocumentRes", "PublicRes"):
        for ref in _children(common, kind):
            res_path = _join(doc_path, (ref.text or "").strip())
            try:
                res = pkg.xml(res_path)
            except (OfdError, ET.ParseError):
                continue
            base = res.get("BaseLoc", "")
            folder = _join(res_path, base + "/") if base else posixpath.dirname(res_path)
            for mm in res.iter():
                if _local(mm.tag) == "MultiMedia":
                    file_el = _child(mm, "MediaFile")
                    if file_el is not None and file_el.text:
                        loc = file_el.text.strip()
                        out[mm.get("ID", "")] = (
                            loc.lstrip("/")
                            if loc.startswith("/")
                            else posixpath.normpath(posixpath.join(folder, loc))
                        )
    return out


def _objects(parent: ET.Element, page: OfdPage, media: dict[str, str], pkg: _Package) -> None:
    for obj in parent:
        name = _local(obj.tag)
        if name == "PageBlock":
            _objects(obj, page, media, pkg)
        elif name == "TextObject":
            page.glyphs += _text(obj)
        elif name == "PathObject":
            path = _path(obj)
            if path is not None:
                page.paths.append(path)
        elif name == "ImageObject":
            picture = _image(obj, media, pkg)
            if picture is not None:
                page.pictures.append(picture)


def _placement(obj: ET.Element) -> tuple[float, float, Matrix]:
    x, y, _w, _h = _box(obj.get("Boundary"), (0.0, 0.0, 0.0, 0.0))
    return x, y, _matrix(obj.get("CTM"))


def _text(obj: ET.Element) -> list[Glyph]:
    bx, by, ctm = _placement(obj)
    size = float(obj.get("Size") or obj.get("size") or 3.5)
    a, b, c, d = ctm[:4]
    scaled = size * max(abs(a * d - b * c), 1e-9) ** 0.5
    glyphs: list[Glyph] = []
    x = y = 0.0
    for code in _children(obj, "TextCode"):
        text = code.text or ""
        x = float(code.get("X", x))
        y = float(code.get("Y", y))
        dx, dy = _deltas(code.get("DeltaX")), _deltas(code.get("DeltaY"))
        cx, cy = x, y
        for i, ch in enumerate(text):
            if not ch.isspace():
                px, py = _apply(ctm, cx, cy)
                glyphs.append(Glyph(ch, bx + px, by + py, scaled))
            step = dx[i] if i < len(dx) else (dx[-1] if dx else size)
            cx += step
            cy += dy[i] if i < len(dy) else 0.0
    return glyphs


_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _path(obj: ET.Element) -> Path_ | None:
    data = _child(obj, "AbbreviatedData")
    if data is None or not data.text:
        return None
    bx, by, ctm = _placement(obj)

    def pt(x: float, y: float) -> list[float]:
        px, py = _apply(ctm, x, y)
        return [bx + px, by + py]

    ops: list[tuple[str, list[float]]] = []
    toks = _TOKEN.findall(data.text)
    i, cur, start = 0, (0.0, 0.0), (0.0, 0.0)
    need = {"M": 2, "S": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0, "Z": 0}
    while i < len(toks):
        op = toks[i].upper()
        n = need.get(op)
        if n is None:
            i += 1
            continue
        if i + n >= len(toks):
            break  # a command cut short: the path ends here
        try:
            vals = [float(t) for t in toks[i + 1 : i + 1 + n]]
        except ValueError:
            i += 1
            continue
        i += 1 + n
        if op in ("M", "S"):
            cur = start = (vals[0], vals[1])
            ops.append(("m", pt(*cur)))
        elif op == "L":
            cur = (vals[0], vals[1])
            ops.append(("l", pt(*cur)))
        elif op == "B":
            ops.append(("c", pt(vals[0], vals[1]) + pt(vals[2], vals[3]) + pt(vals[4], vals[5])))
            cur = (vals[4], vals[5])
        elif op == "Q":  # quadratic → cubic with the same shape
            (x0, y0), (qx, qy), (x, y) = cur, (vals[0], vals[1]), (vals[2], vals[3])
            c1 = (x0 + 2 / 3 * (qx - x0), y0 + 2 / 3 * (qy - y0))
            c2 = (x + 2 / 3 * (qx - x), y + 2 / 3 * (qy - y))
            ops.append(("c", pt(*c1) + pt(*c2) + pt(x, y)))
            cur = (x, y)
        elif op == "A":  # an arc, drawn as the chord: forms use arcs only for rounded corners
            cur = (vals[5], vals[6])
            ops.append(("l", pt(*cur)))
        else:  # C (close) — Z is not in the standard but some producers write it
            ops.append(("h", []))
            cur = start
    if not ops:
        return None
    stroke = obj.get("Stroke", "true").lower() != "false"
    fill = obj.get("Fill", "false").lower() == "true"
    width = float(obj.get("LineWidth") or 0.353)
    return Path_(
        ops,
        stroke,
        fill,
        width,
        _rgb(_child(obj, "StrokeColor")) or (0.0, 0.0, 0.0),
        _rgb(_child(obj, "FillColor")) or (0.0, 0.0, 0.0),
    )


def _image(obj: ET.Element, media: dict[str, str], pkg: _Package) -> Picture | None:
    loc = media.get(obj.get("ResourceID", ""))
    raw = pkg.read(loc) if loc else None
    if not raw:
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(raw)) as img:
            img.load()
            rgb = img.convert("RGB")
            buf = io.BytesIO()
            rgb.save(buf, "JPEG", quality=90)
            size = rgb.size
    except Exception:  # an unreadable image resource: the page is read without it
        return None
    bx, by, ctm = _placement(obj)
    corners = [_apply(ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
    xs, ys = [bx + p[0] for p in corners], [by + p[1] for p in corners]
    return Picture(buf.getvalue(), size, (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
