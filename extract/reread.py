"""Another look at one cell of an OCR'd page: the CellReader hook of RawDocument.

The OCR path reads each cell once, the fast way. normalize/selfcheck.py knows
afterwards, from the form's arithmetic, which few cells are likely misread,
and asks for them again through `RawDocument.reader`: this module keeps each
OCR'd page's prepared image (upright, deskewed, rules and seals removed; the
last few as they are, older ones PNG-compressed) and reads a cell in other ways:

- the whole cell as one line, at twice the scale (no line splitting, which a
  stamp or a signature crossing the cell can fool);
- binarized with Otsu's threshold on the cell alone (light toner, uneven light);
- the same, its strokes thickened (broken fax strokes) or thinned (bled ink);
- numbers read as digits only, so a speck or a stroke cannot turn into a letter.

Bboxes are PDF points in the frame of the upright, deskewed page, as the Cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from perfaudit.extract.recognize import recognize
from perfaudit.model import BBox

DIGITS = "0123456789.-%"
# A document's last pages are kept as they are up to this many bytes (four A4 pages at 200 dpi,
# one at 300): PNG-compressing a page took ~40 ms, 3 % of a scan's CPU, and most documents
# end within it. Older pages are compressed (~1.5 MB a page instead of ~4 MB).
RAW_BYTES = 16 * 2**20
INSET_PT = 1.5  # off the cell's rules
PAD_PX = 12


@dataclass
class PageReader:
    """The prepared images of a document's OCR'd pages, and re-reads of their cells."""

    # page → (image, scale): the image as it is while the kept pages fit RAW_BYTES, PNG bytes
    # for the older pages past it
    pages: dict[int, tuple[np.ndarray | bytes, float]] = field(default_factory=dict)
    # the last page decoded: the self-check re-reads a form's cells one by one, most on the
    # same page, and decoding the whole page's PNG for each took more time than reading it
    _decoded: tuple[int, np.ndarray] | None = field(default=None, repr=False)

    def keep(self, page_no: int, clean: np.ndarray, scale: float) -> None:
        self.pages[page_no] = (clean, scale)
        raw = [p for p, (image, _) in self.pages.items() if isinstance(image, np.ndarray)]
        while sum(self.pages[p][0].nbytes for p in raw) > RAW_BYTES:
            oldest = raw.pop(0)
            ok, png = cv2.imencode(".png", self.pages[oldest][0])
            if ok:
                self.pages[oldest] = (png.tobytes(), self.pages[oldest][1])
            else:
                del self.pages[oldest]

    def __call__(self, page: int, bbox: BBox, numeric: bool) -> list[tuple[str, float]]:
        """Readings (text, confidence) of the cell at `bbox` on `page`, best first."""
        if page not in self.pages:
            return []
        image, scale = self.image(page), self.pages[page][1]
        crops = variants(cell_crop(image, bbox, scale))
        if not crops:
            return []
        reads = recognize(crops, DIGITS if numeric else None)
        return sorted(((t.strip(), s) for t, s in reads if t.strip()), key=lambda r: -r[1])

    def image(self, page: int) -> np.ndarray:
        """The page's prepared image, decoded once for the re-reads that follow."""
        kept = self.pages[page][0]
        if isinstance(kept, np.ndarray):
            return kept
        if self._decoded is None or self._decoded[0] != page:
            png = kept
            self._decoded = (page, cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE))
        return self._decoded[1]

    def __getstate__(self) -> dict:  # a RawDocument crossing processes leaves its pages behind
        return {"pages": {}, "_decoded": None}


def cell_crop(image: np.ndarray, bbox: BBox, scale: float) -> np.ndarray | None:
    """The inside of the cell, trimmed to its ink (Otsu), with a white margin."""
    d = INSET_PT * scale
    x0, y0 = round(bbox[0] * scale + d), round(bbox[1] * scale + d)
    x1, y1 = round(bbox[2] * scale - d), round(bbox[3] * scale - d)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(image.shape[1], x1), min(image.shape[0], y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    cell = image[y0:y1, x0:x1]
    _, ink = cv2.threshold(cell, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if cell.max() - cell.min() < 40:  # no print: Otsu would split the paper's noise
        return None
    ys, xs = np.nonzero(ink)
    if len(xs) < 6:
        return None
    part = cell[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return cv2.copyMakeBorder(part, PAD_PX, PAD_PX, PAD_PX, PAD_PX, cv2.BORDER_CONSTANT, value=255)


def variants(crop: np.ndarray | None) -> list[np.ndarray]:
    """The crop as it is, twice the size, Otsu-binarized, thickened, thinned."""
    if crop is None:
        return []
    big = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    _, bw = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    kernel = np.ones((3, 3), np.uint8)
    thick = cv2.erode(bw, kernel)  # white paper eroded: black strokes grow
    thin = cv2.dilate(bw, kernel)
    return [crop, big, bw, thick, thin]
