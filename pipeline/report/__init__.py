"""The review report (OUTDIR/report.html): one self-contained page an auditor works from.

A summary (files, forms, pages, findings by severity and rule, grades, unreadable
files), then one card per form with findings, each finding next to a picture
of the source row it is about: the page region rendered with pdfium, the row
outlined in red. Filters (severity, rule, unit) and a search box are a few
lines of plain JavaScript; every finding has an anchor named after its CSV row
key (`#f:<file>:<form>:<rule>:<indicator>`), so a link can point at it.

Everything printed in a PDF is untrusted: every text goes through html.escape,
the page carries a Content-Security-Policy that admits only its own inline
script and style (by hash) and data: images, and the script never builds HTML.

Size: crops only (never whole pages), 16-colour lossless WebP, one picture per
source row and form, and an overall image budget filled by severity (errors
first); a run of 500 forms stays well under 50 MB.

The package, by what each module holds:
- `common`: severities, rule names, anchors, escaping;
- `crops`: the source-row pictures (pdfium → WebP data: URIs);
- `cards`: data gathering (findings → cards of row groups, the picture budget);
- `charts`, `sections`: HTML pieces (a new card element or page section goes in `sections`);
- `history`: each project's years (totals, grades, changed targets; scoring/projects.py);
- `page`: the whole page and its atomic write;
- `site`: past a size budget, report/index.html and a page per unit, each page's forms and
  findings read from a `sitedata.SiteData` (in memory, or the nightly job's state and spill);
  `cache`: crops kept across nights (OUTDIR/crops.sqlite).
"""

from perfaudit.pipeline.report.common import (
    RULE_NAMES,
    SEVERITIES,
    SEVERITY_LABEL,
    SEVERITY_RANK,
    finding_anchor,
    form_anchor,
)
from perfaudit.pipeline.report.crops import (
    IMAGE_BUDGET,
    MAX_CROP_PX,
    RENDER_HARD_CAP,
    Crop,
    CropKey,
    crop_key,
    render_crops,
    table_extents,
)
from perfaudit.pipeline.report.page import _csp_hash, render_report, write_report
from perfaudit.pipeline.report.site import write_pages, write_site

__all__ = [
    "IMAGE_BUDGET",
    "MAX_CROP_PX",
    "RENDER_HARD_CAP",
    "RULE_NAMES",
    "SEVERITIES",
    "SEVERITY_LABEL",
    "SEVERITY_RANK",
    "Crop",
    "CropKey",
    "_csp_hash",
    "crop_key",
    "finding_anchor",
    "form_anchor",
    "render_crops",
    "render_report",
    "table_extents",
    "write_report",
    "write_pages",
    "write_site",
]
