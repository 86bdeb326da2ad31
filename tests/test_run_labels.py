"""A run's labels (ops.runs.mode, is_sample) follow what it reads, however it was launched (assets/runlabels.py).

The reviewer's case: in the Dagster UI's Launchpad, only ``resources.fetcher.config.replay`` set to the built-in
sample. The run replayed made-up cities and was recorded as live, real data (mode ``live``, is_sample false),
so ``ops.latest_run`` chose it over real runs and `cdpi targets` listed synthetic cities without a banner. The
end-to-end test launches the job exactly so, through Dagster, and reads what was published.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import dagster as dg
import pytest

from assets.runlabels import RunLabels, decide_labels
from pipelines.definitions import sharded_refresh_job
from pipelines.resources import sample_archive
from sources.http.archive import WarcArchive
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

MONTH = "2026-09"


def _plain_archive(folder: Path) -> Path:
    """A WARC that does not declare itself sample data (a real run's archive, as far as labels go)."""
    archive = WarcArchive(folder, "real")
    archive.write_exchange(url="https://example.org/", method="GET", request_headers=[], status=200, reason="OK",
                           response_headers=[("Content-Type", "text/html")], body=b"<p>hi</p>",
                           date="2026-09-01T00:00:00Z")
    archive.close()
    return archive.path


def test_a_replay_is_labelled_replay_and_a_replay_of_the_sample_is_sample_data(tmp_path: Path) -> None:
    sample = [str(sample_archive())]
    real = [str(_plain_archive(tmp_path / "warc"))]
    # What the UI's defaults give (settings mode live, is_sample false): the archives decide.
    assert decide_labels(mode="live", is_sample=False, replay=sample) == RunLabels("replay", True)
    assert decide_labels(mode="live", is_sample=False, replay=real) == RunLabels("replay", False)
    # `cdpi run --sample`.
    assert decide_labels(mode="sample", is_sample=True, replay=sample) == RunLabels("sample", True)
    # Settings that contradict the archive never make synthetic cities real ...
    assert decide_labels(mode="replay", is_sample=False, replay=sample) == RunLabels("replay", True)
    # ... and a run that replays nothing read the network, whatever the settings call it.
    assert decide_labels(mode="replay", is_sample=False, replay=[]) == RunLabels("live", False)
    assert decide_labels(mode="sample", is_sample=False, replay=[]) == RunLabels("live", False)
    # Settings can only add the sample label: a run said to be sample data stays so.
    assert decide_labels(mode="live", is_sample=True, replay=[]) == RunLabels("live", True)
    assert decide_labels(mode="sample", is_sample=False, replay=real) == RunLabels("sample", True)
    # A fetcher that marks the WARCs it writes as sample data (scripts/build_sample.py) makes sample data.
    assert decide_labels(mode="live", is_sample=False, replay=[], writes_sample=True) == RunLabels("live", True)


def test_an_archive_a_replay_cannot_read_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "not.warc.gz"
    bad.write_bytes(b"not a warc")
    with pytest.raises(ValueError, match="not.warc.gz"):
        decide_labels(mode="live", is_sample=False, replay=[str(bad)])


@pytest.mark.slow   # a whole run of the sample through Dagster's executor
def test_a_run_launched_with_only_the_sample_as_replay_is_published_as_sample_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # As the Launchpad sends it: the job's defaults, plus the fetcher's replay list (and the home to write).
    run_config = {"resources": {"warehouse": {"config": {"home": str(home)}},
                                "fetcher": {"config": {"replay": [str(sample_archive())]}}}}
    with tempfile.TemporaryDirectory() as dagster_home, dg.DagsterInstance.local_temp(dagster_home) as instance:
        result = dg.execute_job(dg.reconstructable(sharded_refresh_job), instance=instance, run_config=run_config,
                                tags={"dagster/partition": f"{MONTH}-01"}, raise_on_error=False)
        assert result.success
        metadata = {e.asset_key.to_user_string(): e.step_materialization_data.materialization.metadata
                    for e in result.get_asset_materialization_events()}
    con = connect_published(WarehousePaths(home))
    try:
        assert con.execute("SELECT mode, is_sample FROM ops.runs WHERE run_id = ?",
                           [result.run_id]).fetchone() == ("replay", True)
        assert con.execute("SELECT DISTINCT is_sample FROM marts.city_index_latest").fetchall() == [(True,)]
        assert con.execute("SELECT DISTINCT is_sample FROM marts.cities").fetchall() == [(True,)]
    finally:
        con.close()
    manifest = json.loads((home / "exports" / MONTH / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["mode"], manifest["is_sample"]) == ("replay", True)
    assert metadata["published_warehouse"]["sample_data"].value is True
    # The Census file came from the archive, and the metadata says so beside the URL it was recorded from.
    census = metadata["census_places"]
    assert census["source"].value.startswith("https://")
    assert census["served_from"].value == "replay archive sample.warc.gz"
    assert census["recorded_at"].value
    assert metadata["wikidata_websites"]["served_from"].value == "replay archive sample.warc.gz"
