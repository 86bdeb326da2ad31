"""A whole run on real recorded bytes: discovery -> crediting -> profiling -> index -> report for real cities.

Builds a replay archive from the real material beside the project (``<shared>/realdata``, never copied into
the repository; the archive goes to a temporary folder, or ``--keep-archive DIR``):
- every recorded portal response (``portals/**/<name>.json``) at the URL its sidecar says it answers
  (when several recordings answer one URL, the latest ``recorded`` wins);
- the registry of data portals' Parquet export and UScityURL's CSV at the pinned URLs a live run asks for.

Then replays the pipeline (``cdpi run --replay``) for the real ACS list of incorporated places of 30,000+
(read in place with ``--cities``), restricted to the states of the cities whose portal catalogs are
recorded, into ``$CDPI_HOME`` (or ``--home``), so `cdpi sql` reads the result like any run. Everything
not recorded (home pages, city websites, platform APIs) ends as ``not_archived``: counted, never a crash.
Finally prints, per credited portal, the dataset count the run read against the count its recording's
sidecar expects.

    python scripts/real_replay.py [--shared PATH] [--home DIR] [--month YYYY-MM] [--keep-archive DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402

from sources.http.archive import WarcArchive  # noqa: E402
from sources.http.urls import normalize_url  # noqa: E402
from sources.portals.dataportals import REGISTRY_URL, registry_leads  # noqa: E402
from sources.websites import USCITYURL_URL  # noqa: E402
from warehouse.paths import WarehousePaths, cdpi_home  # noqa: E402
from warehouse.read import connect_published  # noqa: E402

ACS = "census_acs2023_places_pop20k.csv"
REGISTRY = "registries/dataportals_registry_full_2026-08.parquet"
USCITYURL = "websites/UScityURL.csv"
#: When the two lists were taken (the registry file's month; UScityURL's collection, per its codebook).
LIST_DATES = {REGISTRY: "2026-08-01T00:00:00Z", USCITYURL: "2022-09-30T00:00:00Z"}


@dataclass(frozen=True)
class Recording:
    url: str
    path: Path
    recorded: str
    expected: int | None


def recordings(realdata: Path) -> dict[str, Recording]:
    """Normalised URL -> the latest recording answering it (sidecar ``url``, ``recorded``, ``expect``)."""
    out: dict[str, Recording] = {}
    for meta_path in sorted((realdata / "portals").rglob("*.meta.json")):
        body = meta_path.with_name(meta_path.name.removesuffix(".meta.json") + ".json")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not body.exists() or not meta.get("url"):
            continue
        url = normalize_url(meta["url"])
        rec = Recording(url, body, str(meta.get("recorded") or ""),
                        (meta.get("expect") or {}).get("dataset_count"))
        if url not in out or rec.recorded > out[url].recorded:
            out[url] = rec
    return out


def build_archive(realdata: Path, directory: Path, recs: dict[str, Recording]) -> Path:
    """One WARC holding every recording (``recs``) and the two lists, each at the URL a live run would ask."""
    archive = WarcArchive(directory, "real-replay", {"cdpi-real-replay": "recordings of ../shared/realdata"})
    try:
        for rec in recs.values():
            archive.write_exchange(url=rec.url, method="GET", request_headers=[], status=200, reason="OK",
                                   response_headers=[("Content-Type", "application/json")],
                                   body=rec.path.read_bytes(), date=_warc_date(rec.recorded))
        for relative, url, ctype in ((REGISTRY, REGISTRY_URL, "application/octet-stream"),
                                     (USCITYURL, USCITYURL_URL, "text/plain; charset=utf-8")):
            archive.write_exchange(url=url, method="GET", request_headers=[], status=200, reason="OK",
                                   response_headers=[("Content-Type", ctype)],
                                   body=(realdata / relative).read_bytes(), date=LIST_DATES[relative])
    finally:
        archive.close()
    return archive.path


def recorded_states(realdata: Path, recs: dict[str, Recording]) -> list[str]:
    """States of the registry entries whose listed endpoints have a recording (``recs``): where the replay
    has something to find."""
    urls = set(recs)
    leads = registry_leads((realdata / REGISTRY).read_bytes())
    states = set()
    for state, endpoints in zip(leads["state_abbr"], leads["endpoints"], strict=True):
        if state and any(normalize_url(e["url"]) in urls for e in json.loads(endpoints)):
            states.add(state)
    return sorted(states)


def replay(realdata: Path, recs: dict[str, Recording], home: Path, month: str | None, archive_dir: Path) -> str:
    """Build the archive, run the pipeline on it into ``home``; returns the run id."""
    from pipelines.cli import main as cli

    archive = build_archive(realdata, archive_dir, recs)
    argv = ["run", "--replay", str(archive), "--cities", str(realdata / ACS), "--home", str(home), "--quiet"]
    for state in recorded_states(realdata, recs):
        argv += ["--state", state]
    if month:
        argv += ["--month", month]
    if cli(argv) != 0:
        raise SystemExit("the replay run failed (see the line above)")
    con = connect_published(WarehousePaths(home))
    try:
        return con.execute("SELECT run_id FROM ops.runs ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()


def credited_table(home: Path, run_id: str, recs: dict[str, Recording]) -> pd.DataFrame:
    """Per credited portal: the city, platform, datasets read, and what the recording (of ``recs``) it was
    read from expects (none when no recording answered)."""
    con = connect_published(WarehousePaths(home))
    try:
        portals = con.execute(
            "SELECT c.city, c.state, p.geoid, p.portal_host, p.platform, p.dataset_count, "
            "p.discovered_via FROM marts.portals p JOIN marts.cities c USING (run_id, geoid) "
            "WHERE p.run_id = ? AND p.credited ORDER BY c.state, c.city", [run_id]).df()
        read = con.execute("SELECT host, url FROM ops.fetch_log WHERE run_id = ? AND outcome = 'ok'",
                           [run_id]).df()
    finally:
        con.close()
    answered = {}
    for host, url in zip(read["host"], read["url"], strict=True):
        rec = recs.get(normalize_url(url))
        if rec is not None:
            answered[host] = rec
    portals["recording"] = [answered[h].path.name if h in answered else None for h in portals["portal_host"]]
    portals["expected"] = [answered[h].expected if h in answered else None for h in portals["portal_host"]]
    return portals


def _warc_date(recorded: str) -> str:
    try:
        day = datetime.fromisoformat(recorded[:10])
    except ValueError:
        day = datetime(2000, 1, 1)
    return day.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                        help="the shared folder holding realdata/ (default: ../shared beside the project)")
    parser.add_argument("--home", type=Path, default=None, help="cdpi home to publish into (default $CDPI_HOME)")
    parser.add_argument("--month", default=None, help="snapshot month YYYY-MM (default: the last full month)")
    parser.add_argument("--keep-archive", type=Path, default=None,
                        help="write the replay archive here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    realdata = args.shared / "realdata"
    missing = [p for p in (ACS, REGISTRY, USCITYURL, "portals") if not (realdata / p).exists()]
    if missing:
        print(f"real_replay: {realdata} lacks {', '.join(missing)}", file=sys.stderr)
        return 2
    home = (args.home or cdpi_home()).resolve()
    recs = recordings(realdata)
    with tempfile.TemporaryDirectory(prefix="cdpi-real-replay-") as tmp:
        archive_dir = args.keep_archive or Path(tmp)
        run_id = replay(realdata, recs, home, args.month, archive_dir)
    table = credited_table(home, run_id, recs)
    print(f"run {run_id} in {home}: {len(table)} credited portals")
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 48):
        print(table[["city", "state", "portal_host", "platform", "dataset_count", "expected", "recording"]]
              .to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
