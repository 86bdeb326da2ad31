"""The `cdpi` arguments: every sub-command, its options and the function it runs (the one place the
commands are wired to their modules), and the checkers of option values."""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

from pipelines.cli.analyst import (
    _installed_version,
    cmd_dev,
    cmd_docs,
    cmd_export,
    cmd_profile_portal,
    cmd_runs,
    cmd_sql,
)
from pipelines.cli.classify import cmd_classify
from pipelines.cli.run import cmd_run
from pipelines.cli.staff import cmd_city, cmd_correct, cmd_history, cmd_report, cmd_targets


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cdpi", description="City Data Practices Index pipeline")
    p.add_argument("--version", action="version", version=f"cdpi {_installed_version()}")
    sub = p.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run the whole pipeline in-process and publish a snapshot")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--sample", action="store_true",
                        help="replay the built-in synthetic sample archive (offline; not real cities)")
    source.add_argument("--replay", nargs="+", metavar="WARC",
                        help="serve every request from these WARC files or run folders, never the network")
    run.add_argument("--cities", metavar="CSV", help="city list (SUB-EST, ACS-style or geoid,name,state_abbr,"
                                                      "population[,website]) instead of the Census download")
    run.add_argument("--state", action="append", metavar="XX", type=_state_code,
                     help="only this state (USPS code; repeatable)")
    run.add_argument("--limit", type=_positive_int, metavar="N", help="only the N most populous cities")
    run.add_argument("--include-towns", action="store_true",
                     help="also towns and townships that are governments (New England, NY, NJ, PA, MI, WI, MN), "
                          "from a SUB-EST file; 10-digit GEOIDs")
    run.add_argument("--month", metavar="YYYY-MM", help="snapshot month (default: the last complete month)")
    run.add_argument("--min-population", type=_positive_int, default=30_000, metavar="N")
    run.add_argument("--min-delay", type=_seconds, metavar="SECONDS", help="per-host delay (default 1 s)")
    run.add_argument("--home", type=Path, help="state folder (default $CDPI_HOME or ./data)")
    run.add_argument("--quiet", action="store_true", help="no progress bars or step lines, only the closing summary")
    run.add_argument("--doc-host", action="append", metavar="DOMAIN", default=[], type=_doc_host,
                     help="also follow links to this document host (registrable domain, e.g. a city's own "
                          "agenda vendor; repeatable)")
    run.add_argument("--max-quarantined-share", type=_share, metavar="X",
                     help="largest share of a table's rows that may fail validation before the run stops "
                          "without publishing (default: each suite's own limit, 0.05)")
    run.add_argument("--tier-bands", metavar="NAME",
                     help="tier bands of the standard, as named under tier_bands in sources/criteria/wwc_2022.yaml "
                          "(default: the catalog's own, the 2022 bands; e.g. wwc_2019)")
    run.add_argument("--corrections-as-of", metavar="TIME", type=_utc_time,
                     help="judge the attested corrections as of this ISO 8601 time (default: when the run starts); "
                          "a replay of a corrected run gives the original run's, as its summary prints")
    run.add_argument("--calibration", choices=["auto", "catalog"], default="auto",
                     help="auto: publish the fit to the certified list when it clearly beats the catalog's "
                          "weights; catalog: always the catalog's (the fit is still measured)")
    run.add_argument("--workers", type=_workers, default=1, metavar="N",
                     help="crawl websites in N processes side by side (Dagster's multiprocess executor); "
                          "politeness per host holds across them")
    run.set_defaults(func=cmd_run)

    sql = sub.add_parser("sql", help="run a read-only SQL query on the published warehouse")
    sql.add_argument("query")
    sql.add_argument("--format", choices=["auto", "table", "csv", "tsv", "json"], default="auto")
    sql.add_argument("--max-rows", type=_positive_int, default=1000)
    sql.add_argument("--home", type=Path)
    sql.set_defaults(func=cmd_sql)

    runs = sub.add_parser("runs", help="recent runs with fetch outcome counts")
    runs.add_argument("--limit", type=_positive_int, default=20)
    runs.add_argument("--format", choices=["auto", "table", "csv", "tsv", "json"], default="auto")
    runs.add_argument("--home", type=Path)
    runs.set_defaults(func=cmd_runs)

    docs = sub.add_parser("docs", help="regenerate docs/warehouse.md from the schema comments")
    docs.add_argument("--out", default="docs/warehouse.md")
    docs.add_argument("--check", action="store_true", help="fail if the file is out of date")
    docs.add_argument("--html", metavar="DIR", help="write a searchable HTML data dictionary (dictionary.html, "
                                                    "with lineage from assets to tables) into DIR instead")
    docs.set_defaults(func=cmd_docs)

    prof = sub.add_parser("profile-portal", help="profile a portal from saved catalog API responses (JSON)")
    prof.add_argument("--platform", required=True,
                      choices=["socrata", "ckan", "arcgis_hub", "opendatasoft", "dcat"])
    prof.add_argument("files", nargs="+", metavar="FILE", help="one or more saved pages of the catalog API")
    prof.add_argument("--portal", help="portal host, when the responses do not name it")
    prof.add_argument("--as-of", metavar="YYYY-MM-DD",
                      help="date freshness is measured from, e.g. a recording's date (default: today)")
    prof.set_defaults(func=cmd_profile_portal)

    city = sub.add_parser("city", help='a city\'s scorecard: tier odds, criteria, evidence, gaps ("Name, ST")')
    city.add_argument("city", help='city name and state, e.g. "Alder Heights, MD" (a city of the built-in sample), '
                      "or its GEOID; a city of the latest run")
    city.add_argument("--format", choices=["text", "json"], default="text")
    city.add_argument("--home", type=Path)
    city.set_defaults(func=cmd_city)

    tg = sub.add_parser("targets", help="outreach targets: cities a modest push would carry to their next tier")
    tg.add_argument("--state", type=_state_code, metavar="XX", help="only this state (USPS code)")
    tg.add_argument("--min-pop", type=_positive_int, metavar="N", help="population at least N")
    tg.add_argument("--max-pop", type=_positive_int, metavar="N", help="population at most N")
    tg.add_argument("--tier", choices=["silver", "gold", "platinum"], help="only cities whose next tier is this")
    tg.add_argument("--list", choices=["targets", "longer-path", "not-observed"], default="targets",
                    help="the ranked targets (default); or the cities listed apart, each with its reason: "
                         "longer-path (little chance even with the top gaps closed), not-observed (could not be "
                         "judged: what to check first)")
    tg.add_argument("--limit", type=_positive_int, default=50, metavar="N", help="at most N cities (default 50)")
    tg.add_argument("--format", choices=["auto", "table", "tsv", "csv", "json", "xlsx"], default="auto",
                    help="table in a terminal, TSV when piped (default); with --out, the file's extension "
                         "(.xlsx, .json, .tsv, else CSV), and a --format must match it; xlsx needs --out")
    tg.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    tg.add_argument("--home", type=Path)
    tg.set_defaults(func=cmd_targets)

    hist = sub.add_parser("history", help='a city\'s index across every run ("Name, ST")')
    hist.add_argument("city", help='city name and state, e.g. "Alder Heights, MD" (a city of the built-in sample), '
                      "or its GEOID; found in any run, not only the latest")
    hist.add_argument("--format", choices=["auto", "table", "tsv", "csv", "json", "xlsx"], default="auto")
    hist.add_argument("--out", type=Path, metavar="FILE")
    hist.add_argument("--home", type=Path)
    hist.set_defaults(func=cmd_history)

    rep = sub.add_parser("report", help="the static outreach report (HTML, opens from disk, no network)")
    rep.add_argument("--out", type=Path, metavar="DIR", help="folder to write: new, empty, or a report written "
                     "before, which is replaced (default: $CDPI_HOME/report)")
    rep.add_argument("--snapshot", metavar="YYYY-MM", help="month to show (default: the latest)")
    rep.add_argument("--home", type=Path)
    rep.set_defaults(func=cmd_report)

    cor = sub.add_parser("correct", help="record an attested fact about a city's criterion (kept across runs), "
                                         "withdraw one, or list them")
    cor.add_argument("city", nargs="?", help='"Name, ST" or the city\'s GEOID, e.g. "Alder Springs, MA"')
    cor.add_argument("criterion", nargs="?", help="criterion id of the standard, e.g. DM1")
    cor.add_argument("--met", choices=["yes", "no"], help="what the city showed: the criterion is met, or not")
    cor.add_argument("--source", metavar="URL", help="where the fact can be checked (http or https)")
    cor.add_argument("--note", default="", help="what was shown, or what the index misread")
    cor.add_argument("--by", metavar="NAME", help="who attests it (required)")
    cor.add_argument("--batch", metavar="FILE.csv",
                     help="record every row of a CSV with columns city, criterion, met, source, note, by and "
                          "optionally recorded_at (all or none); the columns of an exported ops.corrections.csv "
                          "are accepted too; UTF-8, or Excel's Windows CSV")
    cor.add_argument("--withdraw", type=_positive_int, metavar="ID", help="withdraw correction ID (never deleted)")
    cor.add_argument("--list", action="store_true", help="every correction with its status today")
    cor.add_argument("--max-age-months", type=_positive_int, default=12, metavar="N",
                     help="corrections lapse after N months (default 12; a run uses its own setting)")
    cor.add_argument("--format", choices=["auto", "table", "tsv", "csv", "json"], default="auto")
    cor.add_argument("--home", type=Path)
    cor.set_defaults(func=cmd_correct)

    ex = sub.add_parser("export", help="every mart of a snapshot as CSV/Parquet files with a checksum manifest")
    ex.add_argument("--snapshot", metavar="YYYY-MM", help="month to export (default: the latest)")
    ex.add_argument("--run-id", metavar="RUN_ID",
                    help="export this run instead of its month's current one (a full id as `cdpi runs` shows it, "
                         "or its first 8 or more characters); written to <YYYY-MM>_run-<first 8 of the id>/")
    ex.add_argument("--out", type=Path, metavar="DIR", help="parent folder (default: $CDPI_HOME/exports)")
    ex.add_argument("--format", choices=["csv", "parquet", "both"], default="both")
    ex.add_argument("--home", type=Path)
    ex.set_defaults(func=cmd_export)

    cls = sub.add_parser("classify", help="evidence of data practices in a page (HTML, PDF or text) as JSON")
    cls.add_argument("file", nargs="?", metavar="FILE", help="the page or document; - reads standard input")
    cls.add_argument("--url", help="where the page came from (resolves its links; recorded with the evidence)")
    cls.add_argument("--batch", metavar="FILE.jsonl",
                     help='JSON Lines of {"id", "url"?, "html"|"text", "labels"?}; one result line each, in order; '
                          "with labels, per-kind precision/recall/F1 goes to standard error")
    cls.add_argument("--explain", action="store_true", help="add score, matched rules and rule version")
    cls.set_defaults(func=cmd_classify)

    dev = sub.add_parser("dev", help="start the Dagster UI on the home's instance: every run, its checks and "
                                     "metadata (telemetry off)")
    dev.add_argument("--port", type=int, default=3000)
    dev.add_argument("--home", type=Path)
    dev.set_defaults(func=cmd_dev)
    return p


def _state_code(value: str) -> str:
    from sources.geo import state_by_usps

    code = value.strip().upper()
    if state_by_usps(code) is None:
        raise argparse.ArgumentTypeError(f"unknown state code {value!r} (use USPS codes like OH, TX)")
    return code


def _share(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share from 0 to 1, got {value!r}") from None
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share from 0 to 1, got {value}")
    return x


def _seconds(value: str) -> float:
    """A delay in seconds: a finite number, 0 or more (``nan`` would make every second request to a host
    wait for ever, ``inf`` too, and a negative one means no delay at all)."""
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not math.isfinite(x) or x < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, 0 or more, got {value}")
    return x


def _workers(value: str) -> int:
    """Crawl processes: each is a shard of the crawl, and the shards are capped (assets/evidence.py)."""
    from assets.shards import MAX_SHARDS

    n = _positive_int(value)
    if n > MAX_SHARDS:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_SHARDS} workers, got {n}")
    return n


def _doc_host(value: str) -> str:
    """A registrable domain (``granicus.com``), as the crawl compares a link's own registrable domain with
    it: a URL, a path or a sub-domain would never match a link, so the flag would quietly do nothing."""
    from sources.portals.registries import registrable_domain

    host = value.strip().lower().rstrip(".")
    labels = host.split(".")
    if not (len(labels) >= 2 and all(re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", label) for label in labels)
            and not labels[-1].isdigit()):
        raise argparse.ArgumentTypeError(f"expected a domain name like granicus.com, got {value!r}")
    base = registrable_domain(host)
    if base != host:
        hint = f" (its registrable domain is {base})" if base else ""
        raise argparse.ArgumentTypeError(f"expected a registrable domain like granicus.com, got {value!r}{hint}")
    return host


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return n


def _utc_time(value: str) -> str:
    """An ISO 8601 time (``2026-11-03T09:15:00Z``; no zone: UTC), given back as it was written. Not a time
    to come: corrections recorded between now and then would apply to a run that never saw them."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time such as 2026-11-03T09:15:00Z, got {value!r}") \
            from None
    if (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment) > datetime.now(UTC):
        raise argparse.ArgumentTypeError(f"{value.strip()} is in the future; give a past time, such as the "
                                         "corrections.as_of a run recorded")
    return value.strip()
