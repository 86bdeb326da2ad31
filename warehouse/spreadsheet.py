"""The one rule for text written to files that people open in a spreadsheet (CSV, TSV, XLSX).

Much of the text in the warehouse comes from the open web (page snippets, portal titles, URLs), and some
of our own text starts with a sign (``rule_hits``: ``+3.50 ...``). Excel, LibreOffice and Google Sheets
run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and some drop a leading tab or
carriage return on import, which brings such a sign to the front (these six are the characters OWASP
lists for CSV injection). A formula in a scraped snippet could send the sheet's contents to another
site, or run a command through old DDE links, the moment staff open the export.

So every writer of such files passes text cells through :func:`neutralize`: a text cell that starts with
one of those characters gets an apostrophe in front of it, which spreadsheets read as "this cell is
text". Only text is touched: numbers (``-3.5`` in a numeric column), dates, booleans and missing values
are written as they are. Parquet and JSON output carry the exact text and do not use this rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.identifiers import ident

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

#: First characters that make a spreadsheet treat a cell as a formula (or hide one).
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
#: Name under which :func:`register` makes :func:`neutralize` callable from DuckDB SQL.
SQL_FUNCTION = "cdpi_spreadsheet_text"


def neutralize(value: Any) -> Any:
    """``value`` as a spreadsheet should receive it: a string starting with ``= + - @``, a tab or a carriage
    return gets a leading apostrophe; any other value, and any value that is not a string, is returned as
    it is."""
    if isinstance(value, str) and value[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def unneutralize(value: str) -> str:
    """The text :func:`neutralize` was given, read back from a file it wrote: one leading apostrophe is
    dropped when the next character is ``= + - @`` (the tab and carriage return it also guards are gone
    once the reader trims spaces). Only for a file known to come from our own export: elsewhere an
    apostrophe before a sign may be the author's."""
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]
    return value


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`neutralize` applied to every cell of its text columns (object and
    string dtypes); numeric, boolean and date columns are not touched."""
    out = frame.copy()
    for column in out.select_dtypes(include=["object", "string"]).columns:
        out[column] = out[column].map(neutralize).astype(out[column].dtype)
    return out


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make :func:`neutralize` available to SQL on ``con`` as ``cdpi_spreadsheet_text(VARCHAR)``."""
    from duckdb.func import FunctionNullHandling
    from duckdb.sqltypes import VARCHAR

    con.create_function(SQL_FUNCTION, neutralize, [VARCHAR], VARCHAR,
                        null_handling=FunctionNullHandling.DEFAULT, side_effects=False)


def neutralized_select(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """``query`` wrapped so that its text columns (VARCHAR, and JSON, which DuckDB stores as VARCHAR) pass
    through :func:`neutralize`; other columns, their names and their order stay as they are. ``con`` must
    have had :func:`register` called on it."""
    relation = con.sql(query)
    columns = []
    for name, kind in zip(relation.columns, relation.types, strict=True):
        quoted = ident(name)
        columns.append(f"{SQL_FUNCTION}({quoted}) AS {quoted}" if kind.id == "varchar" else quoted)
    return f"SELECT {', '.join(columns)} FROM ({query})"


#: Where the data of every export comes from, for the second sheet of an XLSX (the licences ask for it).
SOURCES = (
    "Cities and populations: U.S. Census Bureau, Population Estimates Program (SUB-EST), public domain",
    "Official websites: UScityURL (Cai, Huang & Decaminada 2023), CC BY 4.0; Wikidata (P856), CC0",
    "Data portal leads: Common Data Index registry of data portals (commondataio/dataportals-registry), CC BY 4.0",
    "Everything else: the cities' own websites and data portals, each row with the address it was read from",
)
#: Widest column, in characters: long text (why_call, snippets) wraps instead of pushing the rest away.
MAX_COLUMN_WIDTH = 60


def write_xlsx(frame: pd.DataFrame, out: str | Path, about: Mapping[str, object]) -> None:
    """``frame`` as a workbook staff can work in: sheet ``cdpi`` with a frozen header row, an autofilter
    over the whole table, column widths from the content (capped at ``MAX_COLUMN_WIDTH``), text cells
    neutralized (:func:`neutralize`) and numbers as numbers; sheet ``about`` with ``about`` (snapshot,
    run id, filters...), when it was written, and :data:`SOURCES`."""
    from datetime import UTC, datetime

    import pandas as pd
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        neutralize_frame(frame).to_excel(writer, index=False, sheet_name="cdpi")
        sheet = writer.sheets["cdpi"]
        sheet.freeze_panes = "A2"
        if len(frame.columns):
            sheet.auto_filter.ref = sheet.dimensions
        for k, column in enumerate(frame.columns, start=1):
            sample = [len(str(v)) for v in frame[column].head(500) if v is not None and not _missing(v)]
            width = min(max([len(str(column)), *sample]) + 2, MAX_COLUMN_WIDTH)
            sheet.column_dimensions[get_column_letter(k)].width = width
            for cell in sheet[get_column_letter(k)][1:]:
                if isinstance(cell.value, str) and len(cell.value) > MAX_COLUMN_WIDTH:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        rows = [(str(k), neutralize(_text(v))) for k, v in about.items()]
        rows.append(("written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")))
        rows += [("source", neutralize(s)) for s in SOURCES]
        pd.DataFrame(rows, columns=["field", "value"]).to_excel(writer, index=False, sheet_name="about")
        info = writer.sheets["about"]
        info.column_dimensions["A"].width = 12
        info.column_dimensions["B"].width = 110
        for cell in info[1]:
            cell.font = Font(bold=True)


def _missing(value: object) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: object) -> str:
    if value is None or _missing(value):
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return str(value)
