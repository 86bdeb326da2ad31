"""A replay never reaches the network, and says what it replays: an archive it cannot read stops the run
before any fetch, an empty archive is still a replay (not "no replay"), no socket is opened in replay
mode, and an archive that declares itself sample data keeps that label."""

from __future__ import annotations

import io
import logging
import shlex
import socket
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.cli import main as cli
from pipelines.resources import sample_archive
from sources.http.archive import SAMPLE_FIELD, WarcArchive, check_replay_archives
from sources.http.config import FetcherConfig
from sources.http.fetcher import Fetcher
from sources.http.outcomes import Outcome
from warehouse.paths import WarehousePaths


class NetworkForbidden(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way to a remote host fails loudly and is recorded: name resolution and socket connects."""
    attempts: list[str] = []

    def refuse(what: str):
        def _refuse(*args, **kwargs):
            attempts.append(f"{what} {args[1:2] or args[:1]}")
            raise NetworkForbidden(f"{what} attempted during a replay")
        return _refuse

    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    return attempts


@pytest.mark.parametrize("make", ["empty_dir", "not_warc", "markdown", "empty_file"])
def test_an_archive_a_replay_cannot_read_stops_the_run_before_any_fetch(make: str, tmp_path: Path, capsys, caplog,
                                                                      no_network: list[str]) -> None:
    target = tmp_path / "archive"
    if make == "empty_dir":
        target.mkdir()
    elif make == "not_warc":
        target = tmp_path / "page.html"
        target.write_text("<html><body>not an archive</body></html>", encoding="utf-8")
    elif make == "markdown":
        # warcio takes a file whose first line splits in two like a WARC header for a record without
        # HTTP headers: a README passed by mistake once printed a warning naming an AttributeError too.
        target = tmp_path / "notes.md"
        target.write_text("# Notes: a run\n\nWhat I replayed, and why.\n", encoding="utf-8")
    else:
        target = tmp_path / "empty.warc.gz"
        target.write_bytes(b"")
    home = tmp_path / "home"
    assert cli(["run", "--replay", str(target), "--home", str(home), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("cdpi: error: cannot replay:") and str(target) in err, err
    assert "Error" not in err, err     # the cause in words, not a Python exception's name
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert not WarehousePaths(home).published.exists()
    assert no_network == []


def test_an_empty_replay_index_is_still_a_replay_and_never_goes_live(tmp_path: Path, no_network: list[str]) -> None:
    (tmp_path / "nothing").mkdir()
    with Fetcher(FetcherConfig(replay=(str(tmp_path / "nothing"),), obey_robots=True)) as f:
        result = f.get("https://www2.census.gov/programs-surveys/popest/datasets/")
    assert result.outcome == Outcome.NOT_ARCHIVED and result.status is None, result
    assert no_network == []


def test_archives_declare_sample_data_and_the_check_reads_it(tmp_path: Path) -> None:
    for name, info in (("sample", {SAMPLE_FIELD: "true"}), ("real", {})):
        archive = WarcArchive(tmp_path / name, "t", {"operator": "test", **info})
        archive.write_failure(url="https://example.org/", method="GET", outcome="timeout", error="x",
                              date="2026-11-01T00:00:00Z")
        archive.close()
    assert check_replay_archives([str(tmp_path / "sample")]).sample
    assert not check_replay_archives([str(tmp_path / "real")]).sample
    assert check_replay_archives([str(tmp_path / "real"), str(tmp_path / "sample")]).sample


def test_the_built_in_sample_archive_says_it_is_sample_data() -> None:
    assert check_replay_archives([str(sample_archive())]).sample


@pytest.mark.slow
def test_replaying_the_sample_archive_opens_no_socket_and_keeps_the_sample_label(
        tmp_path: Path, capsys, no_network: list[str]) -> None:
    home = tmp_path / "home"
    assert cli(["run", "--replay", str(sample_archive()), "--home", str(home), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert no_network == []
    assert "SAMPLE DATA" in out and "(mode: replay)" in out
    assert f"cdpi run --replay {sample_archive()}" in out      # every run says how to replay it
    assert cli(["sql", "select mode, is_sample, replay_unreadable_records from ops.runs", "--home", str(home),
                "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[1:] == ["replay,True,0"]
    # The line it prints, run as printed (in another home), gives the same snapshot, whatever today's month.
    [again] = [line.split("replay it", 1)[1].split() for line in out.splitlines() if "replay it" in line]
    assert again[:2] == ["cdpi", "run"] and "--month" in again
    assert cli([*again[1:], "--home", str(tmp_path / "again"), "--quiet"]) == 0
    capsys.readouterr()
    snapshots = []
    for h in (home, tmp_path / "again"):
        assert cli(["sql", "select strftime(snapshot, '%Y-%m') from ops.runs", "--home", str(h), "--format", "csv"]) == 0
        snapshots.append(capsys.readouterr().out.strip().splitlines()[1:])
    assert snapshots[0] == snapshots[1] and len(snapshots[0]) == 1


@pytest.mark.slow
def test_a_replay_of_an_archive_with_a_damaged_record_says_so_and_records_it(tmp_path: Path, capsys) -> None:
    """A record damaged in the middle of the sample archive: the replay still reads the records after it, and
    the one it could not read is counted in ops.runs and named where the run ends."""
    data = sample_archive().read_bytes()
    records = ArchiveIterator(io.BytesIO(data))
    members = [(records.get_record_offset(), records.get_record_length()) for _ in records]
    offset, length = members[len(members) // 10]
    at = offset + length // 2                      # inside the compressed bytes: the member no longer inflates
    archive = tmp_path / "archive" / sample_archive().name
    archive.parent.mkdir()
    archive.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:])
    home = tmp_path / "home"
    assert cli(["run", "--replay", str(archive), "--limit", "1", "--home", str(home), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "1 record(s) of the replayed archives could not be read" in err and f"({archive.name}: 1)" in err, err
    assert cli(["sql", "select replay_unreadable_records from ops.runs", "--home", str(home), "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[1:] == ["1"]


@pytest.mark.slow
def test_the_printed_replay_line_carries_the_runs_filters_and_reproduces_it(tmp_path: Path, capsys) -> None:
    """A slice with its own rules (states, a population floor, tier bands, the calibration choice): the
    closing summary's replay line names them, and run as printed it publishes the same cities and scores."""
    first = tmp_path / "first"
    assert cli(["run", "--sample", "--month", "2026-10", "--state", "OR", "--state", "ND", "--min-population",
                "40000", "--tier-bands", "wwc_2019", "--calibration", "catalog", "--doc-host", "example.org",
                "--home", str(first), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "a slice (--state): the _latest views and the report now show only these cities" in out
    [line] = [ln.split("replay it", 1)[1] for ln in out.splitlines() if "replay it" in ln]
    again = shlex.split(line)
    for flag in ("--state", "--min-population", "--tier-bands", "--calibration", "--month", "--doc-host"):
        assert flag in again, (flag, line)
    assert cli([*again[1:], "--home", str(tmp_path / "again"), "--quiet"]) == 0
    capsys.readouterr()
    published = []
    for home in (first, tmp_path / "again"):
        assert cli(["sql", "select geoid, expected_points, predicted_tier from marts.city_index_latest order by 1",
                    "--home", str(home), "--format", "csv"]) == 0
        published.append(capsys.readouterr().out)
    assert published[0] == published[1] and 2 <= len(published[0].splitlines()) <= 20


def test_the_replay_line_goes_to_a_scratch_home_and_carries_the_corrections_it_applied() -> None:
    """Pasted as printed, a replay must not land in $CDPI_HOME (it could become the shared home's latest run),
    and a corrected run replays with the same corrections file, judged at the run's own moment."""
    import datetime as dt
    import json

    from pipelines.cli.run import replay_command

    plain = shlex.split(replay_command(json.dumps({"corrections": {"applied": 0}}), ["a.warc.gz"],
                                       dt.date(2026, 10, 1), "9456068b-828c-4763"))
    assert plain[-2:] == ["--home", "./replay-9456068b"] and "--corrections-as-of" not in plain
    corrected = shlex.split(replay_command(json.dumps({"corrections": {
        "applied": 2, "file": "/srv/team corrections.jsonl", "as_of": "2026-11-03T09:15:00Z"}}), ["a.warc.gz"],
        dt.date(2026, 10, 1), "9456068b-828c-4763"))
    assert corrected[0] == "CDPI_CORRECTIONS=/srv/team corrections.jsonl" and corrected[1:3] == ["cdpi", "run"]
    at = corrected.index("--corrections-as-of")
    assert corrected[at + 1] == "2026-11-03T09:15:00Z" and corrected[-2:] == ["--home", "./replay-9456068b"]
