"""What a new user gives the CLI by mistake: a file where a folder belongs, a folder where a file belongs, a
folder that does not exist, text in another encoding, a misspelt label, a damaged PDF. Each ends as one line
saying what is wrong, exit status 1, and nothing of the user's lost; never a traceback, never a silent success."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.cli import main as cli


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = cli(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("command", ["report", "export"])
def test_an_out_folder_that_is_a_users_file_is_refused_and_the_file_kept(command: str, sample_home: Path,
                                                                         tmp_path: Path, capsys) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    for out in (notes, notes / "inside"):
        code, _, err = _run(capsys, command, "--home", str(sample_home), "--out", str(out))
        assert code == 1 and err.startswith("cdpi: error:") and "is a file, not a folder" in err, err
    assert notes.read_text() == "my notes\n" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_link_where_the_report_folder_goes_is_refused(sample_home: Path, tmp_path: Path, capsys) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "site").symlink_to(elsewhere)
    code, _, err = _run(capsys, "report", "--home", str(sample_home), "--out", str(tmp_path / "site"))
    assert code == 1 and "is a link, not a folder" in err and list(elsewhere.iterdir()) == []


def test_folders_given_as_files_and_missing_folders_are_one_line_errors(sample_home: Path, tmp_path: Path,
                                                                       capsys) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    home = str(sample_home)
    for argv in (["profile-portal", "--platform", "socrata", str(folder)], ["classify", str(folder)],
                 ["classify", "--batch", str(folder)], ["correct", "--home", home, "--batch", str(folder)],
                 ["targets", "--home", home, "--out", str(folder)]):
        code, _, err = _run(capsys, *argv)
        assert code == 1 and err == f"cdpi: error: Is a directory: {folder}\n", (argv, err)
    missing = tmp_path / "no" / "such" / "t.xlsx"
    code, _, err = _run(capsys, "targets", "--home", home, "--format", "xlsx", "--out", str(missing))
    assert (code, err) == (1, f"cdpi: error: folder {missing.parent} does not exist (create it first, or write "
                              "elsewhere)\n")


def test_an_xlsx_name_gets_a_workbook_and_never_text(sample_home: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "targets.xlsx"
    code, _, err = _run(capsys, "targets", "--home", str(sample_home), "--out", str(out))
    assert code == 0 and out.read_bytes()[:2] == b"PK", "an .xlsx file is a zip, not CSV text"
    code, _, err = _run(capsys, "targets", "--home", str(sample_home), "--format", "csv", "--out",
                        str(tmp_path / "t2.xlsx"))
    assert code == 1 and "--format xlsx" in err and not (tmp_path / "t2.xlsx").exists()
    code, _, _ = _run(capsys, "targets", "--home", str(sample_home), "--out", str(tmp_path / "t.json"))
    assert code == 0 and isinstance(json.loads((tmp_path / "t.json").read_text()), list)


def test_a_batch_line_in_another_encoding_or_with_a_misspelt_label_is_that_lines_error(tmp_path: Path,
                                                                                      capsys) -> None:
    """Every line gets its output line, in order; a line that is not UTF-8 or names a kind that does not
    exist says so, is left out of the scores, and the exit status says a line failed."""
    page = ("Our open data portal lists 300 datasets you can download. Browse the data catalog, filter the "
            "datasets by department and download them as CSV or use the API.")
    lines = [json.dumps({"id": "a", "text": page, "labels": ["open_data_portal"]}).encode(),
             b'{"id": "b", "text": "Caf\xe9 hours"}',
             json.dumps({"id": "c", "text": page, "labels": ["open_data_portl"]}).encode()]
    batch = tmp_path / "pages.jsonl"
    batch.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = _run(capsys, "classify", "--batch", str(batch))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and [r["id"] for r in rows] == ["a", None, "c"]
    assert "error" not in rows[0] and [e["kind"] for e in rows[0]["evidence"]] == ["open_data_portal"]
    assert rows[1]["line"] == 2 and "not UTF-8 (byte 0xe9" in rows[1]["error"]
    assert "open_data_portl" in rows[2]["error"] and rows[2]["evidence"], "classified, left out of the scores"
    assert "1 labeled lines" in err and "macro-F1 1.000" in err and "2 line(s)" in err


def test_a_damaged_pdf_is_unread_not_evidence_free(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "report.pdf"
    bad.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntruncated")
    code, out, err = _run(capsys, "classify", str(bad))
    assert code == 1 and json.loads(out) == []
    assert err.startswith("cdpi: error:") and "could not be read" in err and "unreadable PDF" in err
    assert err.count("\n") == 1, "one line: the PDF library's own log lines are not shown"


@pytest.mark.parametrize("body", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"PK\x03\x04\x14\x00\x06\x00word/document.xml",
                                  b"\x00\x01\x02binary\x00record"], ids=["png", "docx", "unknown"])
def test_an_image_or_archive_given_as_a_page_is_unread_not_evidence_free(body: bytes, tmp_path: Path,
                                                                        capsys) -> None:
    """A file says no type: its bytes do. An image read as text was a page of noise, '[]' and exit 0."""
    picture = tmp_path / "chart"
    picture.write_bytes(body)
    code, out, err = _run(capsys, "classify", str(picture))
    assert code == 1 and json.loads(out) == [] and "could not be read (binary content" in err, err


def test_a_corrections_csv_saved_by_excel_on_windows_is_read_and_a_stray_comma_named(sample_home: Path,
                                                                                     tmp_path: Path,
                                                                                     capsys) -> None:
    """Nothing is recorded from either file (both have a bad row), so the shared sample home is unchanged."""
    unquoted = tmp_path / "unquoted.csv"
    unquoted.write_bytes(b"city,criterion,met,source\nAlder Springs, MA,DM1,yes,https://x.example/\n")
    code, _, err = _run(capsys, "correct", "--home", str(sample_home), "--batch", str(unquoted), "--by", "staff")
    assert code == 1 and "line 2: more fields than the header names" in err and "Traceback" not in err
    windows = tmp_path / "windows.csv"
    windows.write_bytes('city,criterion,met,source,note\n"Caf\u00e9 Town, MD",DM1,yes,https://x.example/,'
                        '"the city\u2019s own page"\n'.encode("cp1252"))
    code, _, err = _run(capsys, "correct", "--home", str(sample_home), "--batch", str(windows), "--by", "staff")
    assert "read as Windows-1252" in err and "no city 'Caf\u00e9 Town, MD'" in err and code == 1


def _closed_check(reader_open: bool) -> str:
    """_stdout_closed() in a process whose standard output is a pipe, with its reader open or gone."""
    import subprocess
    import sys

    code = ("import os, sys\n"
            "r, w = os.pipe()\n"
            f"{'' if reader_open else 'os.close(r)'}\n"
            "os.dup2(w, 1)\n"
            "from pipelines.cli import _stdout_closed\n"
            "sys.stderr.write(str(_stdout_closed()))\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parent.parent).stderr


def test_only_a_closed_standard_output_makes_a_broken_pipe_quiet() -> None:
    """`cdpi ... | head` ends quietly; any other broken pipe (a worker's, a helper's) is a failure: a run
    that lost its resource tracker's pipe had exited 0 after its banner line."""
    assert _closed_check(reader_open=False) == "True"
    assert _closed_check(reader_open=True) == "False"


def test_output_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    page = tmp_path / "page.html"
    page.write_text("<html><body><p>The city publishes its open data portal with 120 datasets.</p>"
                    "<p>Our open data policy requires every department to publish its data.</p></body></html>")
    cdpi = [sys.executable, "-c", "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"]
    proc = subprocess.Popen([*cdpi, "classify", "--explain", str(page)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=Path(__file__).parent.parent)
    proc.stdout.close()                    # the reader goes before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait() == 0 and "Broken pipe" not in err, err
