"""perfaudit: extract and audit 财政项目支出绩效自评表 from PDFs."""

__version__ = "0.1.0"
