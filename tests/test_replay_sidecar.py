"""The replay index kept beside an archive (sources/http/replay_sidecar.py): the next process replays from
it with the same answers as reading the file, and it is never trusted for other bytes than its own."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from sources.http import archive as archive_mod
from sources.http import replay_sidecar
from sources.http.archive import ReplayIndex, WarcArchive, warc_now
from tests.test_replay_index import REQ, _write_sample


@pytest.fixture(autouse=True)
def _fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: nothing indexed in memory."""
    monkeypatch.setattr(archive_mod, "_FILE_INDEXES", {})


def _answers(path: Path) -> dict:
    index = ReplayIndex([str(path)])
    out = {}
    for method, url in index.archived():
        ex = index.lookup(method, url)
        assert ex is not None
        out[(method, url)] = (ex.status, ex.body, ex.outcome, ex.error, ex.reused_body, ex.date, sorted(ex.headers))
    return out


def _forget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_mod, "_FILE_INDEXES", {})


def test_the_next_process_replays_from_the_kept_index_with_the_same_answers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_sample(tmp_path)
    first = _answers(path)                                  # reads the file, keeps its index
    kept = replay_sidecar.path_for(path)
    assert kept.exists() and kept.stat().st_mode & 0o777 == path.stat().st_mode & 0o666
    assert ReplayIndex([str(tmp_path)]).files == [path], "the kept index is not taken for an archive"
    _forget(monkeypatch)
    read_file = []
    monkeypatch.setattr(archive_mod._FileIndex, "_index", lambda *a: read_file.append(a))
    again = _answers(path)
    assert read_file == [], "the file was read record by record although its index was kept"
    assert again == first and len(first) == 5
    assert ReplayIndex([str(path)]).declared("cdpi-doc-hosts") == ["docs.example"]


def test_an_appended_archive_is_indexed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_sample(tmp_path)
    _answers(path)
    more = WarcArchive(tmp_path, "t")       # same prefix and process: appends to the same file
    assert more.path == path
    more.write_exchange(url="https://www.a.example/new", method="GET", request_headers=REQ, status=200,
                        reason="OK", response_headers=[], body=b"fresh", date=warc_now())
    more.close()
    _forget(monkeypatch)
    assert ReplayIndex([str(path)]).lookup("GET", "https://www.a.example/new").body == b"fresh"
    payload = json.loads(gzip.decompress(replay_sidecar.path_for(path).read_bytes()))
    assert payload["size"] == path.stat().st_size, "the kept index was not renewed"


def _edit_kept(path: Path, edit) -> None:
    kept = replay_sidecar.path_for(path)
    payload = json.loads(gzip.decompress(kept.read_bytes()))
    edit(payload)
    kept.write_bytes(gzip.compress(json.dumps(payload).encode()))


@pytest.mark.parametrize("damage", ["offsets", "digest", "format", "garbage", "truncated"])
def test_a_damaged_or_foreign_index_is_never_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     damage: str) -> None:
    path = _write_sample(tmp_path)
    truth = _answers(path)
    kept = replay_sidecar.path_for(path)
    if damage == "offsets":      # a sidecar whose digest matches but whose entries point elsewhere
        def swap(p: dict) -> None:
            stored = [r for r in p["entries"] if r[2] == "stored"]
            stored[0][3:5], stored[-1][3:5] = stored[-1][3:5], stored[0][3:5]
        _edit_kept(path, swap)
    elif damage == "digest":     # built from other bytes of the same size
        _edit_kept(path, lambda p: p.update(sha256="0" * 64))
    elif damage == "format":
        _edit_kept(path, lambda p: p.update(format="cdpi-replay-index/0"))
    elif damage == "garbage":
        kept.write_bytes(b"not gzip at all")
    else:
        kept.write_bytes(kept.read_bytes()[:40])
    _forget(monkeypatch)
    assert _answers(path) == truth


def test_an_archive_read_while_cut_short_is_read_whole_once_complete(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_sample(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-150])            # replayed while its last records were still being written
    partial = len(ReplayIndex([str(path)]))
    path.write_bytes(data)
    _forget(monkeypatch)
    assert partial < 5 and len(ReplayIndex([str(path)])) == 5


def test_no_index_is_kept_in_a_folder_that_cannot_be_written(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    shared = _write_sample(tmp_path)

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    # The folder refuses new files (a shared archive, an installed sample); root may write anywhere, so
    # the refusal is the operating system's answer, stood in for here.
    monkeypatch.setattr(replay_sidecar.tempfile, "mkstemp", read_only)
    assert len(ReplayIndex([str(shared)])) == 5
    assert not replay_sidecar.path_for(shared).exists()
