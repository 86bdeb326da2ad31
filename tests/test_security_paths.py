"""Security tests for threats 2a-2d of docs/security.md: URLs, geoids and CLI arguments never name files or folders."""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

import pytest

from pipelines.cli import main as cli
from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
from sources.http.urls import normalize_url
from tests.security_support import (
    PUBLIC,
    REPO,
    Wire,
    _config,
    _copy_home,
    _files,
    _read,
    _sha256,
    _visible,
    _write,
    response,
)
from tests.security_support import attack_home as attack_home  # a fixture: pytest finds it by name
from warehouse.paths import WarehousePaths

# ============================================================================== 2. path traversal
HOSTILE_PATHS = ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/tmp/evil", "/..%2f..%2f..%2fevil",
                 "/%2e%2e%5c%2e%2e%5cwin.ini", "/a%00b.html", "/a\x00b.html", "/.%2e/.%2e/x",
                 "/x?file=../../../../tmp/evil&n=%00", "/" + "A" * 4000]


def test_urls_never_become_file_names(tmp_path: Path) -> None:
    """WARC files, the fetch log and the conditional-GET cache are named by prefix, process id and body
    digest, never by anything in a URL: hostile paths stay inside the records, and replay finds them."""
    def page(wfile: BinaryIO) -> None:   # a distinct cacheable body per request (ETag, so it is stored)
        wfile.write(response(200, headers=[("ETag", '"v1"'), ("Content-Type", "text/plain")],
                             body=f"body {len(public.requests)}".encode()))

    with Wire(PUBLIC, routes={"/robots.txt": response(404, "Not Found")}, default=page) as public:
        cfg = _config(resolve={"www.city.example": f"{PUBLIC}:{public.port}"}, allow_addresses=(f"{PUBLIC}/32",),
                      cache_dir=tmp_path / "cache")
        urls = [f"http://www.city.example{p}" for p in HOSTILE_PATHS]
        with Fetcher(cfg, run_dir=tmp_path / "run", archive_prefix="city_evidence") as f:
            live = [f.get(u) for u in urls]
    assert all(r.outcome.value == "ok" for r in live), [(r.url, r.outcome, r.error) for r in live]
    allowed = [r"run/warc/city_evidence-\d+\.warc\.gz", r"run/fetch_log-city_evidence-\d+\.jsonl",
               r"cache/validators\.sqlite(-wal|-shm)?", r"cache/bodies/[0-9a-f]{2}/[0-9a-f]{64}\.gz"]
    files = _files(tmp_path)
    assert files and all(any(re.fullmatch(rx, name) for rx in allowed) for name in files), files
    assert len([n for n in files if n.startswith("cache/bodies/")]) == len(set(r.body for r in live))
    with Fetcher(FetcherConfig(replay=(str(tmp_path / "run" / "warc"),))) as f:
        replayed = [f.get(u) for u in urls]
    # A raw NUL and %00 are one request on the wire (the client percent-encodes what a request line cannot
    # carry), so replay answers both with the last response archived for that URL.
    last = {normalize_url(u): r.body for u, r in zip(urls, live, strict=True)}
    assert [r.body for r in replayed] == [last[normalize_url(u)] for u in urls]


@pytest.mark.parametrize("geoid", ["../../evil", "..", "a/../../evil", "cities/../../evil", "evil\x00x",
                                   "{tmp}/abs/evil", "evil.html\n"])
def test_report_refuses_a_geoid_that_is_not_a_file_name(geoid: str, sample_home: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    geoid = geoid.format(tmp=tmp_path)
    home = _copy_home(sample_home, tmp_path / "home")
    (victim,) = _read(home, "SELECT geoid FROM marts.city_index_latest ORDER BY geoid LIMIT 1")[0]
    _write(home, "UPDATE marts.city_index SET geoid = ? WHERE geoid = ?", [geoid, victim])
    site = tmp_path / "out" / "site"
    before = _files(tmp_path)
    assert cli(["report", "--home", str(home), "--out", str(site)]) == 1
    assert "cannot be used as a file name" in capsys.readouterr().err
    assert _files(tmp_path) == before and not site.exists(), "nothing written, inside or outside the site"


SNAPSHOT_ATTACKS = ["../x", "../../2026-11", "2026-11/../../x", "%", "2026-11' OR '1'='1",
                    "2026-11'; COPY (SELECT 1) TO 'pwn.csv'; --"]


@pytest.mark.parametrize(("command", "snapshot"), [(c, s) for c in ("export", "report") for s in SNAPSHOT_ATTACKS]
                         + [("export", "2026-11\n")])   # export's YYYY-MM check lets a trailing newline through
def test_snapshot_argument_cannot_name_a_folder(command: str, snapshot: str, attack_home: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    """--snapshot is validated as YYYY-MM and then only ever bound; the folder name comes from the run's
    own snapshot date, never from the argument."""
    out = tmp_path / "out"
    assert cli([command, "--snapshot", snapshot, "--home", str(attack_home), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cdpi: error:") and "Parser Error" not in err
    assert not out.exists() and _files(tmp_path) == [] and not (REPO / "pwn.csv").exists()


RUN_ID_ATTACKS = ["../../x", "..", "/x/evil", "%%%%%%%%", "________", "' OR '1'='1' --",
                  "x'; COPY (SELECT 1) TO 'pwn.csv'; --", "2026-11\n"]


@pytest.mark.parametrize("run_id", RUN_ID_ATTACKS)
def test_run_id_argument_cannot_name_a_folder(run_id: str, attack_home: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    """--run-id is only ever bound, and matched as a literal prefix (no LIKE wildcards): no run answers to
    these, and nothing is written."""
    out = tmp_path / "out"
    assert cli(["export", "--run-id", run_id, "--home", str(attack_home), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cdpi: error:") and "`cdpi runs` lists the runs" in err and "Parser Error" not in err
    assert not out.exists() and _files(tmp_path) == [] and not (REPO / "pwn.csv").exists()


def test_a_stored_run_id_that_is_not_an_id_never_names_a_folder(sample_home: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture) -> None:
    """The run's folder is named from its stored id, which must be letters, digits and dashes: a warehouse
    whose ops.runs holds a path there is refused before anything is written."""
    home = _copy_home(sample_home, tmp_path / "home")
    _write(home, "UPDATE ops.runs SET run_id = '../../evil' WHERE run_id = (SELECT run_id FROM ops.latest_run)")
    out = tmp_path / "out" / "exports"
    assert cli(["export", "--run-id", "../../evil", "--home", str(home), "--out", str(out)]) == 1
    assert "unexpected run id '../../evil'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil").exists()


def test_export_out_folder_with_sql_quotes_is_a_literal(attack_home: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    """COPY takes no bound parameter for its target, so the path is quoted: a folder name carrying SQL
    lands as a folder, and the warehouse is untouched."""
    digest = _sha256(WarehousePaths(attack_home).published)
    out = tmp_path / "it's'); DROP TABLE marts.city_index; --"
    assert cli(["export", "--home", str(attack_home), "--out", str(out), "--format", "csv"]) == 0
    capsys.readouterr()
    (folder,) = _visible(out)
    assert re.fullmatch(r"\d{4}-\d{2}", folder.name) and (folder / "manifest.json").exists()
    assert (folder / "marts.city_index.csv").exists()
    assert _sha256(WarehousePaths(attack_home).published) == digest
