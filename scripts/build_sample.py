"""Rebuild the built-in offline sample (pipelines/sample/sample.warc.gz) from the simulated web.

The sample is a real run of the live code path (fetch -> archive -> parse -> warehouse) against the
simulated web's synthetic cities, so `cdpi run --sample` replays exactly what a live run would do.
Content is deterministic for a given seed and size; WARC record ids and dates differ per rebuild.

    python scripts/build_sample.py [--cities 40] [--seed 2026]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import dagster as dg  # noqa: E402

from pipelines.definitions import ALL_ASSETS, default_resources  # noqa: E402
from pipelines.resources import REAL_DNS, CrawlSettings, FetcherResource, RunSettings, WarehouseResource  # noqa: E402
from tests.simweb.faults import FaultPlan  # noqa: E402
from tests.simweb.population import build_population  # noqa: E402
from tests.simweb.server import DOC_HOSTS, SimWeb  # noqa: E402

OUT = REPO / "pipelines" / "sample" / "sample.warc.gz"


def run_on_simweb(n_cities: int, seed: int, home: Path) -> str:
    """One live run of every asset against the simulated web (with a few faulty sites) into ``home``;
    returns the Dagster run id. Also used by the calibration report, which needs more cities than the sample."""
    population = build_population(n_cities, seed=seed)
    # A few misbehaving sites, so the sample shows that unreachable is recorded, not read as absent.
    faults = FaultPlan.random(population, ["http_404", "robots_disallow", "redirect_private", "http_500",
                                           "timeout"], share=0.06, seed=seed)
    with SimWeb(population, seed=seed, faults=faults) as sim:
        warehouse = WarehouseResource(home=str(home))
        fetcher = FetcherResource(
            min_delay_s=0.01, max_crawl_delay_s=0.05, conditional_get=False, read_timeout_s=2.0, backoff_base_s=0.05, allow_addresses=["127.0.0.1"],
            sample_data=True,
            resolve={k: (REAL_DNS if v is None else v) for k, v in sim.resolve_map().items()})
        settings = RunSettings(mode="live", is_sample=True)
        # Documents capped at 1 MB: the sample's huge PDFs still end as too_large, without 20 MB of filler
        # each in the archive (the live default is 20 MB).
        # The simulated web's document hosts are named here, never in the production defaults; the crawl's
        # archive declares them (warcinfo), so a replay of the sample follows them too.
        crawl = CrawlSettings(max_document_bytes=1024 * 1024, extra_doc_hosts=list(DOC_HOSTS))
        result = dg.materialize(ALL_ASSETS, resources=default_resources(warehouse, fetcher, settings, crawl),
                                partition_key="2026-10-01", instance=dg.DagsterInstance.ephemeral())
        if not result.success:
            raise SystemExit("simulated-web run failed; see the log above")
        return result.run_id


def build(n_cities: int, seed: int, out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        run_id = run_on_simweb(n_cities, seed, Path(tmp))
        warcs = sorted((Path(tmp) / "runs" / run_id / "warc").glob("*.warc.gz"))
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as dst:
            dst.write(_sample_notice())
            for warc in warcs:  # gzip members concatenate into one valid WARC file
                with open(warc, "rb") as src:
                    shutil.copyfileobj(src, dst)
    # Index it once now: the replay index kept beside it (committed with it) spares every sample run,
    # and every process of one, reading the archive record by record (sources/http/replay_sidecar.py).
    from sources.http.archive import ReplayIndex

    ReplayIndex([str(out)])
    return out


def _sample_notice() -> bytes:
    """A leading warcinfo record saying, inside the archive itself, that this is synthetic data."""
    import io

    from warcio.warcwriter import WARCWriter

    from sources.http.archive import SAMPLE_FIELD

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    writer.write_record(writer.create_warcinfo_record("sample.warc.gz", {
        "description": "cdpi built-in SAMPLE: synthetic cities served by the cdpi simulated web. "
                       "Not real places, not real Census or Wikidata content.",
        "software": "cdpi scripts/build_sample.py",
        SAMPLE_FIELD: "true"}))   # read by every replay: a replay of this archive stays labelled sample data
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=120)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    path = build(args.cities, args.seed, args.out)
    with gzip.open(path) as fh:
        size = sum(len(chunk) for chunk in iter(lambda: fh.read(1 << 20), b""))
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB compressed, {size / 1e6:.2f} MB raw)")


if __name__ == "__main__":
    main()
