"""perfaudit: extract and audit 财政项目支出绩效自评表 from PDFs."""

__version__ = "0.1.0"

# `perfaudit.load(OUTDIR)`: a run's outputs as pandas DataFrames (pandas is imported on call)
from perfaudit.load import Tables, load  # noqa: E402

__all__ = ["Tables", "__version__", "load"]
