"""Materialization metadata every table-like asset shares, under the keys the Dagster UI understands.

``dagster/row_count`` is shown on the asset's page, in the catalog and plotted across partitions;
``dagster/column_schema`` fills the asset's Columns tab; a short Markdown ``preview`` shows what the rows
look like without opening the warehouse. One helper, so every asset reports them the same way.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd

#: Longest cell text in a preview: scraped snippets and URLs would otherwise make the table unreadable.
_CELL_CHARS = 60


def table_metadata(frame: pd.DataFrame, *, preview: int = 0, preview_columns: list[str] | None = None,
                   **extra: Any) -> dict[str, Any]:
    """Row count and column schema of ``frame``, a Markdown preview of its first ``preview`` rows
    (``preview_columns`` only, when given), then ``extra`` (an asset's own figures)."""
    meta: dict[str, Any] = {"dagster/row_count": len(frame), "dagster/column_schema": column_schema(frame)}
    if preview and len(frame):
        meta["preview"] = dg.MetadataValue.md(markdown_table(frame, preview, preview_columns))
    meta.update(extra)
    return meta


def column_schema(frame: pd.DataFrame) -> dg.TableSchema:
    """The frame's columns with their types; text columns (pandas' ``object``) named by what they hold."""
    return dg.TableSchema(columns=[dg.TableColumn(name=str(name), type=_type_name(frame[name]))
                                   for name in frame.columns])


def _type_name(column: pd.Series) -> str:
    if column.dtype == object:
        # "string", "mixed", "empty", ...: what the rows hold, not how pandas stores them.
        return pd.api.types.infer_dtype(column, skipna=True)
    return str(column.dtype)


def markdown_table(frame: pd.DataFrame, rows: int, columns: list[str] | None = None) -> str:
    """The first ``rows`` rows as a Markdown table, cells shortened and made safe for the table syntax."""
    head = frame.head(rows)
    if columns is not None:
        head = head[[c for c in columns if c in head.columns]]
    lines = ["| " + " | ".join(_cell(c) for c in head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in head.itertuples(index=False, name=None)]
    return "\n".join(lines)


def _cell(value: object) -> str:
    try:
        missing = bool(pd.isna(value))
    except (TypeError, ValueError):   # lists and arrays are values
        missing = False
    text = "" if missing else " ".join(str(value).split())
    if len(text) > _CELL_CHARS:
        text = text[: _CELL_CHARS - 1] + "…"
    return text.replace("|", "\\|")
