"""Procedure importer: national catalogue exports (JSONL/JSON) and admin sheets (CSV/XLSX).

``import_file(session, path, actor=...)`` parses the file, reports each row (added, updated,
unchanged, rejected, duplicate) and applies the whole file as one transaction. Format details
and examples: README.md in this folder.
"""

from knowledge.importer.limits import ImportLimitError
from knowledge.importer.rows import ImportFileError, ParsedRow, RowError
from knowledge.importer.service import (
    ImportReport,
    ParsedFile,
    ProgressCallback,
    RowOutcome,
    apply_parsed,
    import_file,
    parse_file,
)

__all__ = [
    "ImportFileError",
    "ImportLimitError",
    "ImportReport",
    "ParsedFile",
    "ParsedRow",
    "ProgressCallback",
    "RowError",
    "RowOutcome",
    "apply_parsed",
    "import_file",
    "parse_file",
]
