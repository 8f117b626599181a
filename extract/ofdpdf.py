"""OFD pages (extract/ofd.py's model) written out as a plain PDF, with the standard library.

Each glyph is placed by its own text matrix at the position the OFD gives it,
in a Type0 font with Identity-H encoding whose character codes are the UTF-16
units of the text and a ToUnicode map saying so: pdfminer reads every BMP
character exactly. No font is embedded: the text is read, not looked at (the
report shows no picture of an OFD row). Paths keep their stroke/fill and
colours; images are JPEG XObjects. The PDF path then reads the pages as it
reads an exported form.
"""

from __future__ import annotations

import io
import zlib

from perfaudit.extract.ofd import PT_PER_MM, OfdPage


def _num(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") or "0"


def _to_unicode_cmap() -> bytes:
    """Character code (UTF-16BE) → the same Unicode: what pdfminer reads the text with."""
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    highs = [h for h in range(256) if not 0xD8 <= h <= 0xDF]
    for chunk in range(0, len(highs), 100):
        part = highs[chunk : chunk + 100]
        lines.append(f"{len(part)} beginbfrange")
        lines += [f"<{h:02X}00> <{h:02X}FF> <{h:02X}00>" for h in part]
        lines.append("endbfrange")
    lines += ["endcmap CMapName currentdict /CMap defineresource pop end end"]
    return "\n".join(lines).encode()


def _content(page: OfdPage, images: list[str]) -> bytes:
    x0, y0, w, h = page.box
    k = PT_PER_MM
    height = h * k

    def X(x: float) -> str:
        return _num((x - x0) * k)

    def Y(y: float) -> str:
        return _num(height - (y - y0) * k)

    out: list[str] = []
    for name, pic in zip(images, page.pictures, strict=True):
        px, py, pw, ph = pic.box
        out.append(
            f"q {_num(pw * k)} 0 0 {_num(ph * k)} {X(px)} {_num(height - (py + ph - y0) * k)} cm "
            f"/{name} Do Q"
        )
    for p in page.paths:
        seg = []
        for op, v in p.ops:
            coords = " ".join(f"{X(v[i])} {Y(v[i + 1])}" for i in range(0, len(v), 2))
            seg.append(f"{coords} {op}".strip())
        paint = "B" if p.stroke and p.fill else "f" if p.fill else "S"
        out.append(
            f"q {_num(p.width * k)} w {' '.join(_num(c) for c in p.stroke_rgb)} RG "
            f"{' '.join(_num(c) for c in p.fill_rgb)} rg {' '.join(seg)} {paint} Q"
        )
    if page.glyphs:
        out.append("BT 0 g")
        for g in page.glyphs:
            code = g.text.encode("utf-16-be")
            if len(code) != 2:
                continue  # outside the BMP: no single 2-byte code
            out.append(f"/F1 {_num(g.size * k)} Tf 1 0 0 1 {X(g.x)} {Y(g.y)} Tm <{code.hex()}> Tj")
        out.append("ET")
    return "\n".join(out).encode()


def to_pdf(pages: list[OfdPage]) -> bytes:
    """A PDF with one page per OFD page, the same objects at the same places."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: str = "") -> bytes:
        packed = zlib.compress(data)
        return (
            f"<< /Length {len(packed)} /Filter /FlateDecode {extra}>>\nstream\n".encode()
            + packed
            + b"\nendstream"
        )

    cmap = add(stream(_to_unicode_cmap()))
    # Identity-H with the code = the UTF-16 unit, and a ToUnicode saying so: pdfminer reads
    # every BMP character exactly. Nothing is embedded; the text is read, not shown.
    descendant = add(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /OFDText "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/FontDescriptor << /Type /FontDescriptor /FontName /OFDText /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >> /DW 1000 /W [32 126 500] >>"
    )
    font = add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /OFDText /Encoding /Identity-H "
        f"/DescendantFonts [{descendant} 0 R] /ToUnicode {cmap} 0 R >>".encode()
    )
    pages_id = len(objects) + 1
    objects.append(b"")  # the page tree, filled in below
    kids = []
    for page in pages:
        xobjects = []
        for pic in page.pictures:
            w, h = pic.size
            img = add(
                f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceRGB "
                f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(pic.data)} >>\nstream\n".encode()
                + pic.data
                + b"\nendstream"
            )
            xobjects.append((f"Im{len(xobjects)}", img))
        content = add(stream(_content(page, [n for n, _ in xobjects])))
        res_x = " ".join(f"/{n} {i} 0 R" for n, i in xobjects)
        _x0, _y0, w_mm, h_mm = page.box
        kids.append(
            add(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {_num(w_mm * PT_PER_MM)} "
                f"{_num(h_mm * PT_PER_MM)}] /Contents {content} 0 R /Resources << /Font << /F1 {font} 0 R >> "
                f"/XObject << {res_x} >> >> >>".encode()
            )
        )
    objects[pages_id - 1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    )
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()
