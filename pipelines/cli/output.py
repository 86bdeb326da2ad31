"""What the commands write: result frames as terminal tables, TSV, CSV, JSON or XLSX files, rows too wide
for the terminal as records, and messages on standard error."""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from pathlib import Path

from pipelines.cli.errors import CliError

#: What rows of the built-in sample say about themselves wherever they are shown: its cities are made up.
SAMPLE_DATA = "SAMPLE DATA: synthetic cities, not real places"


def _write_frame(frame, fmt: str, out: Path | None, compact=None, about: dict | None = None,
                 sample: bool = False) -> None:
    """A result frame as a terminal table (compact columns), TSV when piped, or CSV/JSON/XLSX to a file or
    standard output (XLSX only to a file, with ``about`` and the snapshot and run of its rows on a second
    sheet). Text in CSV, TSV and XLSX follows warehouse/spreadsheet.py. Without --format, a file's format
    follows its name (.xlsx, .json, .tsv; CSV otherwise); text is never written under an .xlsx name.
    ``sample``: the rows are of the built-in sample, which standard error says (and the XLSX's about sheet)."""
    suffix = Path(out).suffix.lower() if out is not None else ""
    if out is not None and fmt in ("auto", "table"):
        fmt = _SUFFIX_FORMATS.get(suffix, "csv")
    if suffix == ".xlsx" and fmt != "xlsx":
        raise CliError(f"--format {fmt} writes text, which a spreadsheet cannot open as {Path(out or '').name}: "
                       "use --format xlsx, or a .csv name")
    if suffix in _SUFFIX_FORMATS and _SUFFIX_FORMATS[suffix] != fmt:
        # A name says what a file holds: a workbook named .csv, or JSON named .tsv, opens as garbage.
        raise CliError(f"--format {fmt} does not match the name {Path(out or '').name}: use --format "
                       f"{_SUFFIX_FORMATS[suffix]}, or a .{fmt} name (or leave --format out: the name decides)")
    if out is not None:
        _check_out_folder(Path(out))
    if fmt == "xlsx":
        from warehouse.spreadsheet import write_xlsx

        if out is None:
            raise CliError("--format xlsx needs --out FILE.xlsx")
        about = {"data": SAMPLE_DATA, **(about or {})} if sample else dict(about or {})
        for column in ("snapshot", "run_id"):
            if column in frame.columns and len(frame):
                about[column] = "; ".join(sorted({str(v)[:10] if column == "snapshot" else str(v)
                                                  for v in frame[column].dropna()}))
        write_xlsx(frame, out, about)
        _sample_banner(sample)      # beside the file it is about, and only once it is written
        _err(f"wrote {len(frame)} rows to {out}")
        return
    if out is not None:
        with open(out, "w", encoding="utf-8", newline="") as fh, contextlib.redirect_stdout(fh):
            _print_rows(list(frame.columns), _plain_rows(frame), fmt)
        _sample_banner(sample)
        _err(f"wrote {len(frame)} rows to {out}")
        return
    if fmt == "auto":
        fmt = "table" if sys.stdout.isatty() else "tsv"
    shown = compact if fmt == "table" and compact is not None else frame
    _sample_banner(sample)          # first: a terminal shows it above the rows
    _print_rows(list(shown.columns), _plain_rows(shown), fmt)


#: The format a file name asks for when --format is not given (any other name gets CSV).
_SUFFIX_FORMATS = {".json": "json", ".tsv": "tsv", ".xlsx": "xlsx", ".csv": "csv"}


def _check_out_folder(out: Path) -> None:
    """The folder an --out file goes into must be there: one line saying so, not the ``[Errno 2]`` of the
    open (or pandas' own words) with the whole path."""
    folder = out.absolute().parent
    if not folder.exists():
        raise CliError(f"folder {folder} does not exist (create it first, or write elsewhere)")
    if not folder.is_dir():
        raise CliError(f"{folder} is a file, not a folder: cannot write {out.name} in it")


def _sample_banner(sample: bool) -> None:
    """The sample's banner on standard error: a table, CSV, TSV or JSON made from the sample must not pass
    for real cities, and standard output stays the rows alone, for whatever parses them."""
    if sample:
        _err(f"[{SAMPLE_DATA}]")


def _json_ready(record: dict) -> dict:
    """A record for JSON output, with the columns that hold JSON as text (warehouse/schema.py) as the JSON
    values they hold: a list of links is read as a list, not as a string to decode again. A value that is
    not a JSON list or object stays the text it is."""
    from warehouse.schema import JSON_TEXT_COLUMNS

    def value(column: str, v: object) -> object:
        if column not in JSON_TEXT_COLUMNS or not isinstance(v, str):
            return v
        try:
            decoded = json.loads(v)
        except ValueError:
            return v
        return decoded if isinstance(decoded, (list, dict)) else v

    return {column: value(column, v) for column, v in record.items()}


def _plain_rows(frame) -> list[tuple]:
    """Rows with pandas' missing values as None (printed empty) and numpy scalars as Python values."""
    return [tuple(None if _missing(v) else (v.item() if hasattr(v, "item") else v) for v in row)
            for row in frame.itertuples(index=False, name=None)]


def _missing(value) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))          # None, NaN, NaT and pd.NA
    except (TypeError, ValueError):          # lists and arrays are values, not missing
        return False


def _print_rows(columns: list[str], rows: list[tuple], fmt: str) -> None:
    if fmt == "auto":
        fmt = "table" if sys.stdout.isatty() else "tsv"
    if fmt == "json":
        print(json.dumps([_json_ready(dict(zip(columns, r, strict=True))) for r in rows], default=str, indent=2))
    elif fmt in ("csv", "tsv"):
        from warehouse.spreadsheet import neutralize  # text a spreadsheet would run as a formula

        delimiter = "," if fmt == "csv" else "\t"
        writer = csv.writer(sys.stdout, delimiter=delimiter, lineterminator="\n")
        # The csv module quotes only the characters of its line terminator, and a bare carriage return
        # inside a text ends the row for a spreadsheet: what follows it would start a cell of its own.
        # A row holding one is written with every field quoted.
        quoted = csv.writer(sys.stdout, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(columns)
        for r in rows:
            cells = ["" if v is None else neutralize(v) for v in r]
            (quoted if any(isinstance(v, str) and "\r" in v for v in cells) else writer).writerow(cells)
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console()
        shown = [["" if v is None else str(v) for v in row] for row in rows]
        if _table_width(columns, shown) > console.width:
            _print_records(columns, shown)      # a table squeezed to the terminal would cut every value
            return
        table = Table(*columns, show_lines=False)
        for line in shown:
            table.add_row(*line)
        console.print(table)


def _table_width(columns: list[str], cells: list[list[str]]) -> int:
    """Terminal cells a table needs with no value cut: each column as wide as its widest line (wide characters,
    such as CJK, take two cells), plus borders."""
    from rich.cells import cell_len

    widths = [max([cell_len(c)] + [cell_len(line) for r in cells for line in r[k].splitlines() or [""]])
              for k, c in enumerate(columns)]
    return sum(widths) + 3 * len(columns) + 1


def _print_records(columns: list[str], cells: list[list[str]]) -> None:
    """Rows one below the other, a line per column (as psql's expanded display): nothing is cut, whatever the
    terminal's width."""
    pad = max((len(c) for c in columns), default=0)
    for n, r in enumerate(cells, 1):
        print(f"-[ row {n} ]" + "-" * max(0, pad - 8))
        for c, value in zip(columns, r, strict=True):
            lines = value.splitlines() or [""]
            print(f"{c.ljust(pad)} | {lines[0]}")
            for more in lines[1:]:
                print(f"{'':{pad}} | {more}")


def _err(message: str) -> None:
    print(message, file=sys.stderr)
