"""`cdpi`: the command line. `run` runs the pipeline (sample, replay or live) into the home's Dagster
instance and warehouse; `sql`, `runs`, `city`, `history`, `targets`, `export`, `report` and `docs` read the
published warehouse; `correct` records attested corrections; `classify` and `profile-portal` read single
pages and saved portal responses; `dev` starts the Dagster UI. `cdpi --help` lists them with examples.

Every user-facing failure ends with a one-line message and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import csv
import io
import json
import os
import re
import shlex
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

EXIT_USAGE, EXIT_FAILED = 2, 1


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError as exc:
        if _stdout_closed():  # output piped into head & co.: stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        # Another pipe broke (a worker process, a helper): a failure, never a quiet success.
        print(f"cdpi: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except (CliError, FileNotFoundError) as exc:
        print(f"cdpi: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:    # a folder where a file belongs, a missing folder, no permission: the user's to fix
        print(f"cdpi: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # warehouse and duckdb errors carry user-meaningful messages
        import duckdb

        from warehouse.publish import WarehouseError

        if isinstance(exc, WarehouseError | duckdb.Error):
            print(f"cdpi: error: {exc}", file=sys.stderr)
            if isinstance(exc, duckdb.BinderException | duckdb.CatalogException) and args.func is not cmd_sql:
                # Our own query missing a column or a table: a file an older cdpi published, not yet migrated.
                print("cdpi: the published warehouse may predate this version of cdpi: the next `cdpi run` "
                      "brings its schema up to date", file=sys.stderr)
            return EXIT_FAILED
        raise


def _stdout_closed() -> bool:
    """Whether standard output's reader has gone (a pipe whose reading end is closed reports an error when
    polled): then a broken pipe is the reader's choice, not the command's failure."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):    # no poll here, or no real standard output
        return True


def _os_error(exc: OSError) -> str:
    """``Is a directory: '/tmp/x'`` rather than ``[Errno 21] Is a directory: '/tmp/x'``; libraries' own
    OSErrors (pandas: "Cannot save file into a non-existent directory") keep their text."""
    if exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return str(exc)


# ---------------------------------------------------------------------------------------------- run
def cmd_run(args: argparse.Namespace) -> int:
    from expectations.runner import SuiteError
    from expectations.runner import prepare as prepare_validation
    from pipelines import heap
    from pipelines.definitions import default_resources
    from pipelines.orchestration import run_refresh
    from pipelines.resources import (
        CrawlSettings,
        FetcherResource,
        RunSettings,
        WarehouseResource,
        sample_archive,
    )
    from pipelines.runlock import HomeBusy
    from sources.evidence.reading import started_early

    warehouse = WarehouseResource(home=str(args.home) if args.home else "")
    paths = warehouse.paths()
    fetcher_kwargs: dict = {}
    mode = "live"
    is_sample = bool(args.sample)
    if args.sample:
        archive = sample_archive()
        if not archive.exists():
            raise CliError(f"the built-in sample archive is missing ({archive}); "
                           "rebuild it with `python scripts/build_sample.py`")
        fetcher_kwargs["replay"] = [str(archive)]
        mode = "sample"
    elif args.replay:
        for path in args.replay:
            if not Path(path).exists():
                raise CliError(f"replay archive not found: {path}")
        fetcher_kwargs["replay"] = [str(Path(p).resolve()) for p in args.replay]
        mode = "replay"
    if fetcher_kwargs.get("replay"):
        # Before any fetch: an archive a replay cannot read stops the run here (a replay never goes live),
        # and an archive that declares itself sample data keeps that label.
        from sources.http.archive import check_replay_archives

        try:
            is_sample |= check_replay_archives(fetcher_kwargs["replay"]).sample
        except ValueError as exc:
            raise CliError(f"cannot replay: {exc}") from None
    if args.min_delay is not None:
        fetcher_kwargs["min_delay_s"] = args.min_delay
    if paths.published.exists():   # a damaged file stops the run now, not at publish after hours of fetching
        from warehouse.publish import verify_readable

        verify_readable(paths.published)
    if args.cities and not Path(args.cities).exists():
        raise CliError(f"city list not found: {args.cities}")
    settings = RunSettings(
        min_population=args.min_population, cities_csv=str(Path(args.cities).resolve()) if args.cities else "",
        states=[s.upper() for s in args.state or []], limit=args.limit or 0, mode=mode,
        include_towns=bool(args.include_towns),
        is_sample=is_sample,
        max_quarantined_share=args.max_quarantined_share,
        tier_bands=args.tier_bands or "", calibration=args.calibration)
    if args.tier_bands:
        from sources.criteria.catalog import load_catalog

        try:
            load_catalog().with_bands(args.tier_bands)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    partition = _partition_key(args.month)
    crawl = CrawlSettings(extra_doc_hosts=[h.strip().lower() for h in args.doc_host if h.strip()],
                          reader_processes=-1)   # this command's entry points are guarded (see CrawlSettings)
    resources = default_resources(warehouse, FetcherResource(**fetcher_kwargs), settings, crawl)

    banner = " [SAMPLE DATA: synthetic cities, not real places]" if is_sample else ""
    _err(f"cdpi run: snapshot {partition[:7]}, mode {mode}{banner}")
    if args.workers <= 1:   # the steps run in this process (else in step processes, which build their own)
        with heap.long_lived():      # the imports, the replay index and GX: kept until the process ends
            try:
                prepare_validation()
            except SuiteError as exc:
                raise CliError(f"cannot check the run's data: {exc}") from None
    # Recorded in the home's Dagster instance (`cdpi dev` shows it); Dagster's and every library's log
    # records go to the run's log file, the terminal keeps the progress and the summary. The crawl's page
    # readers start now when the crawl runs in this process: they load while the earlier steps run.
    with started_early(crawl.readers() if args.workers <= 1 else 0):
        try:
            outcome = run_refresh(resources, partition, mode, workers=args.workers, steps=not args.quiet,
                                  progress=not args.quiet, on_abandoned=lambda run_id: _err(
                                      f"cdpi run: run {run_id} was left unfinished by a process that is gone; "
                                      "marked failed (see ops.run_failures)"))
        except HomeBusy as exc:   # nothing of this run started: no Dagster run, no failure to record
            raise CliError(str(exc)) from None
    if not outcome.success:
        raise CliError(f"run {outcome.run_id} failed at {outcome.step or 'an unknown step'}: {outcome.message} "
                       f"(recorded in ops.run_failures" + (f"; full log: {outcome.log})" if outcome.log else ")"))
    _print_run_summary(paths, outcome.run_id, banner)
    return 0


def _partition_key(month: str | None) -> str:
    from assets.partitions import MONTHLY

    keys = MONTHLY.get_partition_keys()
    if month is None:
        return keys[-1]
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise CliError(f"--month must be a year and a month like 2026-10, got {month!r}")
    key = f"{month}-01"
    if key not in keys:
        why = ("a month is a snapshot once it is complete" if key > keys[-1]
               else "the monthly partitions start there")
        raise CliError(f"--month {month} is outside the snapshot range {keys[0][:7]}..{keys[-1][:7]} ({why})")
    return key


#: The run settings that decide what a run publishes, and the `cdpi run` flag that sets each.
_REPLAY_FLAGS = (("cities_csv", "--cities"), ("states", "--state"), ("limit", "--limit"),
                 ("min_population", "--min-population"), ("include_towns", "--include-towns"),
                 ("tier_bands", "--tier-bands"), ("calibration", "--calibration"),
                 ("max_quarantined_share", "--max-quarantined-share"))


def _run_flags(config_json: str | None) -> list[str]:
    """The options of a run that decide what it publishes, from its recorded settings, as `cdpi run` flags: a
    replay given them describes the same cities with the same rules. A setting at RunSettings' default is
    left out."""
    from pipelines.resources import RunSettings

    config = json.loads(config_json) if config_json else {}
    settings = config.get("settings") or {}
    flags: list[str] = []
    for key, flag in _REPLAY_FLAGS:
        default = RunSettings.model_fields[key].default
        value = settings.get(key, default)
        if value == default:
            continue
        if isinstance(value, bool):
            flags.append(flag)
        else:
            flags += [a for v in (value if isinstance(value, list) else [value]) for a in (flag, str(v))]
    for host in (config.get("crawl") or {}).get("extra_doc_hosts") or []:
        flags += ["--doc-host", host]
    return flags


#: Outcomes of a request no server answered; when this share of a run's fetches ended so, the network is
#: the likelier cause than the cities, and the summary says so.
_NO_ANSWER = frozenset({"dns_error", "connection_error", "timeout"})
OFFLINE_SHARE = 0.9
#: Share of a replay's fetches missing from its archive past which the archive, not the web, is suspect.
UNARCHIVED_SHARE = 0.5


def _warn_unreadable(count: int, replayed: list[str]) -> None:
    """A replay that could not read every record of its archives does not reproduce the run that wrote them:
    say how many records, and in which files, where the run ends."""
    from sources.http.archive import unreadable_records

    try:
        where = ", ".join(f"{Path(p).name}: {n}" for p, n in unreadable_records(replayed).items())
    except OSError:   # an archive moved away since the run read it: the count stands without the names
        where = ""
    _err(f"cdpi run: warning: {count} record(s) of the replayed archives could not be read (damaged, or cut short by "
         "a killed run); the requests they held ended as not_archived, so this replay may differ from the run that "
         "wrote them" + (f" ({where})" if where else ""))


def _print_run_summary(paths, run_id: str, banner: str) -> None:
    from warehouse.paths import WarehousePaths
    from warehouse.read import connect_published

    con = connect_published(paths)
    try:
        run = con.execute("SELECT snapshot, mode, city_count, fetch_count, quarantined, warc_files, replay_sources, "
                          "config_json, replay_unreadable_records FROM ops.runs WHERE run_id = ?", [run_id]).fetchone()
        latest = con.execute("SELECT run_id FROM ops.latest_run").fetchone()
        outcomes = con.execute("SELECT outcome, fetches FROM marts.fetch_outcomes WHERE run_id = ? "
                               "ORDER BY fetches DESC", [run_id]).fetchall()
        lookups = con.execute("SELECT website_lookup, count(*) FROM marts.cities WHERE run_id = ? AND website_url "
                              "IS NULL AND website_lookup <> 'ok' GROUP BY ALL ORDER BY 2 DESC", [run_id]).fetchall()
    finally:
        con.close()
    if run is None:
        raise CliError(f"run {run_id} is not in the published warehouse")
    snapshot, mode, city_count, fetch_count, quarantined, warcs, replayed, config, unreadable = run
    print(f"Run {run_id} published{banner}")
    print(f"  snapshot      {snapshot:%Y-%m}  (mode: {mode})")
    print(f"  cities        {city_count}  (quarantined rows: {quarantined})")
    scope = [f for f in _run_flags(config) if f in ("--state", "--limit", "--cities")]
    if scope and latest is not None and latest[0] == run_id:
        # A slice of the newest month becomes what every _latest view and the report show.
        print(f"  scope         a slice ({', '.join(dict.fromkeys(scope))}): the _latest views and the report now "
              "show only these cities, until a later run")
    print(f"  fetches       {fetch_count}  " + ", ".join(f"{o}: {n}" for o, n in outcomes))
    offline = sum(n for o, n in outcomes if o in _NO_ANSWER)
    if fetch_count and offline >= OFFLINE_SHARE * fetch_count:
        _err(f"cdpi run: warning: {offline} of {fetch_count} fetches got no answer at all (no name, no connection "
             "or a timeout): is this machine online? What they would have shown is recorded as unknown, not "
             "absent; run again when the network is back")
    unarchived = sum(n for o, n in outcomes if o == "not_archived")
    if mode == "replay" and fetch_count and unarchived >= UNARCHIVED_SHARE * fetch_count:
        _err(f"cdpi run: warning: {unarchived} of {fetch_count} fetches were not in the archive: is it the whole "
             "archive of this month's run (a copy cut short, or another run's)? What they would have shown is "
             "recorded as unknown, not absent")
    if lookups:
        _err(f"cdpi run: warning: {sum(n for _, n in lookups)} of {city_count} cities have no website this month "
             f"because the lists of city websites could not be read ({lookups[0][0]}): their practices are "
             "unknown, not absent; run again when those sources answer")
    if unreadable:
        _warn_unreadable(unreadable, list(replayed or []))
    print(f"  warehouse     {paths.published}")
    print(f"  run folder    {paths.run_dir(run_id)}" + (f"  ({len(warcs)} WARC files)" if warcs else ""))
    # Every run can be replayed: a live run from the WARCs it wrote, a replay from the archives it read.
    again = [str(paths.run_dir(run_id) / "warc")] if warcs else list(replayed or [])
    if again:
        # The month too: without it a replay next month would describe (and publish) another snapshot.
        flags = " ".join(shlex.quote(a) for a in [*again, "--month", f"{snapshot:%Y-%m}", *_run_flags(config)])
        print(f"  replay it     cdpi run --replay {flags}")
    print('  query it      cdpi sql "SELECT * FROM marts.cities_latest LIMIT 10"')
    report = paths.home / "report" / "index.html"   # where the outreach_report asset builds it
    print(f"  report        {report}  (rebuild: cdpi report)" if report.exists()
          else "  report        not built in this run; build it with: cdpi report")
    print(f"  log           {paths.run_log(run_id)}")
    home = "" if paths.home == WarehousePaths.default().home else f" --home {paths.home}"
    print(f"  in Dagster    cdpi dev{home}  (this run, its checks and metadata in the UI)")


# ---------------------------------------------------------------------------------------------- sql
#: `SHOW TABLES` on its own lists the current schema, which in the warehouse is the empty `main`: it lists
#: the warehouse's tables and views instead, with their descriptions (what an analyst asking means).
_SHOW_TABLES = re.compile(r"\s*show\s+tables\s*;?\s*", re.I)
_TABLES_QUERY = """
    SELECT schema_name AS schema, table_name AS name, 'table' AS kind, comment FROM duckdb_tables()
    WHERE database_name = current_database() AND NOT internal
    UNION ALL
    SELECT schema_name, view_name, 'view', comment FROM duckdb_views()
    WHERE database_name = current_database() AND NOT internal AND schema_name <> 'main'
    ORDER BY schema, name"""
#: PRAGMAs that only describe: a table's columns, or what SHOW would list.
_READ_PRAGMA = re.compile(r"\s*pragma\s+(?:table_info|show)\s*\(\s*'[A-Za-z0-9_.]+'\s*\)\s*;?\s*", re.I)


def cmd_sql(args: argparse.Namespace) -> int:
    query = _TABLES_QUERY if _SHOW_TABLES.fullmatch(args.query) else args.query
    with _published(args) as con:
        _read_only_statement(con, query)
        cursor = con.execute(query)
        if cursor.description is None:
            return 0
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(args.max_rows + 1)
    truncated = len(rows) > args.max_rows
    _print_rows(columns, rows[: args.max_rows], args.format)
    if truncated:
        _err(f"(showing the first {args.max_rows} rows; use --max-rows to see more)")
    return 0


def _read_only_statement(con, query: str) -> None:
    """`cdpi sql` runs one query that only reads (SELECT, and what DuckDB parses as one: FROM ..., SHOW,
    DESCRIBE, SUMMARIZE; EXPLAIN; or PRAGMA table_info / show of one named table). The connection is
    read-only and sandboxed as well, but a statement list could DETACH it and ATTACH the file again:
    refusing anything but a single read closes that."""
    import duckdb

    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise CliError(f"cannot parse the query: {exc}") from None
    allowed = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
    if len(statements) == 1 and statements[0].type == duckdb.StatementType.PRAGMA and _READ_PRAGMA.fullmatch(query):
        return
    if len(statements) != 1 or statements[0].type not in allowed:
        kinds = ", ".join(_statement_word(st) for st in statements) or "nothing"
        raise CliError(f"cdpi sql runs a single read-only query (SELECT, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN, "
                       f"PRAGMA table_info('t')); got {kinds}")


#: Comments and opening parentheses before a statement's first keyword.
_LEAD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|\()*", re.S)


def _statement_word(statement) -> str:
    """What a refused statement is, in the user's words: its first keyword (DuckDB files INSTALL under LOAD),
    after comments and parentheses; DuckDB's own type when that word does not say (WITH ... DELETE)."""
    words = _LEAD.sub("", statement.query, count=1).split(None, 1)
    word = words[0].rstrip(";").upper() if words else ""
    return word if word.isalpha() and word not in ("WITH", "SELECT", "FROM") else statement.type.name


def cmd_runs(args: argparse.Namespace) -> int:
    with _published(args) as con:
        # Newest first by the full timestamp: the minute shown would order runs of one minute at random.
        cursor = con.execute("""
            SELECT run_id, snapshot, mode, status, finished_utc, cities, fetches, outcomes FROM (
                SELECT r.run_id, strftime(r.snapshot, '%Y-%m') AS snapshot, r.mode, r.status,
                       strftime(r.finished_at, '%Y-%m-%d %H:%M') AS finished_utc, r.city_count AS cities,
                       r.fetch_count AS fetches,
                       coalesce((SELECT string_agg(outcome || '=' || fetches, ' ' ORDER BY fetches DESC)
                                 FROM marts.fetch_outcomes f WHERE f.run_id = r.run_id), '') AS outcomes,
                       r.finished_at AS sort_at
                FROM ops.runs r
                UNION ALL
                SELECT run_id, NULL, NULL, 'failed', strftime(failed_at, '%Y-%m-%d %H:%M'), NULL, NULL,
                       left(coalesce(step || ': ', '') || error, 80), failed_at
                FROM ops.run_failures)
            ORDER BY sort_at DESC NULLS LAST, run_id
            LIMIT ?""", [args.limit])
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    # Each run's Great Expectations Data Docs, when its folder is there (runs write them since 2026-12).
    from warehouse.paths import DATA_DOCS

    paths = _paths(args)
    docs = [paths.run_dir(r[0]) / DATA_DOCS / "index.html" for r in rows]
    rows = [(*r, str(d) if d.exists() else "") for r, d in zip(rows, docs, strict=True)]
    _print_rows([*columns, "data_docs"], rows, args.format)
    return 0


# --------------------------------------------------------------------------------------- docs, dev
def cmd_docs(args: argparse.Namespace) -> int:
    from warehouse.docs import render_markdown

    if args.html:
        from assets.tables import lineage
        from warehouse.report import build_dictionary

        page = build_dictionary(Path(args.html), lineage(), _installed_version())
        print(f"wrote {page} (open it in a browser; searchable, works offline)")
        return 0

    text = render_markdown()
    out = Path(args.out)
    if args.check:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            raise CliError(f"{out} is out of date; run `cdpi docs`")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    """`dagster dev` on the home's Dagster instance ($CDPI_HOME/dagster, the one `cdpi run` records into),
    telemetry and the sign-up pop-up off; dagster.yaml is written only when missing (pipelines/instance.py)."""
    from pipelines.instance import prepare_dagster_home

    paths = _paths(args)
    dagster_home = prepare_dagster_home(paths)
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "CDPI_HOME": str(paths.home),
           "GX_ANALYTICS_ENABLED": "false"}
    exe = Path(sys.executable).with_name("dagster")
    cmd = [str(exe) if exe.exists() else "dagster", "dev", "-m", "pipelines.definitions",
           "--port", str(args.port)]
    os.execvpe(cmd[0], cmd, env)
    return 0  # not reached


def cmd_profile_portal(args: argparse.Namespace) -> int:
    """Profile a portal from saved API responses: the answer to "why does this count look wrong?"."""
    from sources.portals.parsers import PARSERS, CatalogFormatError
    from sources.portals.profile import profile_pages

    as_of = None
    if args.as_of:
        try:
            as_of = datetime.fromisoformat(args.as_of).replace(tzinfo=UTC)
        except ValueError:
            raise CliError(f"--as-of must be a date like 2026-10-31, got {args.as_of!r}") from None
    pages = []
    for path in args.files:
        try:
            pages.append(PARSERS[args.platform](Path(path).read_bytes(), args.portal))
        except CatalogFormatError as exc:
            raise CliError(f"{path}: not a catalog page of {args.platform} ({exc})") from None
    print(json.dumps(profile_pages(args.platform, pages, as_of=as_of), indent=2, sort_keys=True))
    return 0


def cmd_city(args: argparse.Namespace) -> int:
    """A city's scorecard: tier odds, change since the previous snapshot, why to call, criteria by practice
    with probabilities, evidence and gaps."""
    from warehouse.index.outreach import core_gating, shown_gaps
    from warehouse.scorecard import CityNotFound, scorecard

    with _published(args) as con:
        try:
            card = scorecard(con, args.city)
        except CityNotFound as exc:
            raise CliError(str(exc)) from None
    if args.format == "json":
        print(json.dumps(card, indent=2, default=str))
        return 0
    print(f"{card['city']}, {card['state']}  (geoid {card['geoid']}, population {card['population']:,}, "
          f"snapshot {card['snapshot']})")
    print(f"expected points {card['expected_points']:.1f} of {card['max_points']} ({card['score_pct']:.0f}%), "
          f"coverage {card['coverage']:.0%}, predicted tier: {card['predicted_tier']}"
          + (f", certified: {card['certified_tier']}" if card["certified_tier"] else "")
          + (", WWC partner city (2015-2018)" if card.get("wwc_partner") else ""))
    print(f"P(Silver or better) {card['p_silver_or_better']:.2f}  P(Gold or better) {card['p_gold_or_better']:.2f}"
          f"  P(Platinum) {card['p_platinum']:.2f}")
    print(_scored_with_line(card))
    status = card.get("outreach_status")
    if status == "not_observed":    # unknown is not absent: say so before any figure is read as a judgement
        print(f"NOT OBSERVED this month: {card['outreach_note']}. The figures here count what could not be read "
              "as not shown, so they say nothing yet about the city's practices.")
    elif status == "longer_path":
        print(f"longer path: {card['outreach_note']}")
    if card.get("corrections_applied"):
        n = card["corrections_applied"]
        print(f"{n} criteri{'on' if n == 1 else 'a'} decided by attested corrections (cdpi correct --list); "
              f"from the web evidence alone: {card['expected_points_web']:.1f} expected points, "
              f"tier {card['predicted_tier_web']}")
    print(_change_line(card.get("change")))
    if card.get("blocked_by_core"):
        names = {c["criterion_id"]: c["name"] for c in card["criteria"]}
        print(f"{core_gating(card['blocked_by_core'], card['next_tier'], names)}: every tier needs them")
    if card.get("why_call"):
        print(f"why call: {card['why_call']}")
        for link in json.loads(card.get("why_call_links") or "[]"):
            print(f"  {link['what']}: {link['url']}")
    practice = None
    for c in card["criteria"]:
        if c["practice"] != practice:
            practice = c["practice"]
            print(f"\n[{practice}]")
        flag = " (core)" if c["core"] else ""
        print(f"  {c['criterion_id']:<6} {c['probability']:5.2f}  {c['name']}{flag}")
        if c.get("attested"):
            a = c["attested"]
            web = f"; web evidence alone: {a['probability_web']:.2f}" if a.get("probability_web") is not None else ""
            print(f"           {a['text']}, correction #{a['correction_id']}{web}")
            continue
        for e in c["evidence"][:3]:
            where = e["source"] or ("not observed" if not e["observed"] else "")
            print(f"           {e['signal']}={e['value']:.2f} {weight_shown(e['weight'], e.get('catalog_weight'))}  "
                  f"{where}")
    gaps = shown_gaps(card["top_gaps"])
    if gaps:
        tier = str(gaps[0]["next_tier"]).title()
        print(f"\nMost attainable gaps toward {tier} (each raising P({tier}) by 1 percentage point or more, "
              "or core):")
        for g in gaps:
            what = (" (core, to confirm: more likely than not, not clearly shown)" if g.get("confirm")
                    else " (core)" if g.get("core") else "")
            what += "" if g.get("observable", True) else " (no public page can show it: ask the city)"
            print(f"  {g['criterion_id']} {g['name']}{what}: p={g['probability']:.2f}, "
                  f"P({tier}) +{100 * g['tier_gain']:.0f} percentage points if met, "
                  f"lacking {', '.join(g['lacking']) or '-'}; training: {g['training_topic']}")
    return 0


def weight_shown(weight: float | None, catalog_weight: float | None) -> str:
    """ "x0.62 (catalog 0.4)": the weight the score used, and the catalog's when calibration changed it, so
    the line multiplies out to the probability shown and still says what the catalog set."""
    if weight is None:      # a calibrated run published before the weights used were stored
        return f"x? (catalog {catalog_weight:g}; weight used not stored for this run)"
    used = f"x{weight:.3g}"
    if catalog_weight is None or abs(weight - catalog_weight) < 5e-4:
        return used
    return f"{used} (catalog {catalog_weight:g})"


def _signed(value: float) -> str:
    """+2.1, -0.4, or ±0.0 for what rounds to zero (never "-0.0")."""
    return "±0.0" if abs(value) < 0.05 else f"{value:+.1f}"


def _change_line(change: dict | None) -> str:
    """The city's change since its previous snapshot in one line; says so when there is none to compare."""
    if change is None or change.get("previous_snapshot") is None:
        return "change: first snapshot (no earlier snapshot of this city to compare with)"
    parts = [f"{_signed(change['points_change'])} points"]
    if change.get("p_next_tier_change") is not None and change.get("next_tier") not in (None, "silver"):
        parts.append(f"P({str(change['next_tier']).title()}) {_signed(change['p_next_tier_change'] * 100)} pp")
    parts.append(f"P(Silver+) {_signed(change['p_silver_or_better_change'] * 100)} pp")
    for key, label in (("evidence_gained", "gained"), ("evidence_lost", "lost"),
                       ("evidence_not_reread", "not re-read")):
        if change.get(key):
            parts.append(f"evidence {label}: {change[key]}")
    return f"change since {change['previous_snapshot']}: " + "; ".join(parts)


def _scored_with_line(card: dict) -> str:
    """Which weights the figures above use, with the catalog's version beside a calibrated one."""
    if card.get("scored_with") == "calibrated":
        fold = card.get("calibration_fold")
        how = (f"fitted without this city (fold {fold})" if fold and fold != "all"
               else "fitted on the certified list (this city took no part in the fit)")
        return (f"scored with calibrated weights, {how}; with the catalog's weights: "
                f"{card['expected_points_catalog']:.1f} expected points, tier {card['predicted_tier_catalog']}")
    if card.get("scored_with") == "catalog":
        return "scored with the catalog's hand-set weights (a fit to the certified list was not adopted this run)"
    return "scored with the catalog's hand-set weights"


def cmd_targets(args: argparse.Namespace) -> int:
    """Outreach targets: cities closest to their next tier if their top gaps were closed, filtered."""
    from warehouse.outreach import TargetFilter, targets

    if args.min_pop is not None and args.max_pop is not None and args.min_pop > args.max_pop:
        raise CliError(f"--min-pop {args.min_pop} is above --max-pop {args.max_pop}")
    which = args.list.replace("-", "_")
    if which == "not_observed" and args.tier is not None:
        raise CliError("--list not-observed has no next tier to filter by: leave out --tier")
    with _published(args) as con:
        frame = targets(con, TargetFilter(state=args.state, min_population=args.min_pop,
                                          max_population=args.max_pop, tier=args.tier, limit=args.limit), which)
        sample = con.execute("SELECT is_sample FROM ops.latest_run").fetchone()
    noun = {"targets": "outreach targets", "longer_path": "cities on a longer path",
            "not_observed": "cities not observed"}[which]
    if frame.empty:
        _err(f"no {noun} match these filters")
    filters = {"state": args.state, "min_pop": args.min_pop, "max_pop": args.max_pop, "tier": args.tier,
               "limit": args.limit}
    about = {"table": f"{noun} (cdpi targets --list {args.list})",
             "filters": ", ".join(f"{k}={v}" for k, v in filters.items() if v is not None) or "none"}
    if sample and sample[0]:    # a spreadsheet passed on loses the terminal's banner: its about sheet keeps it
        about = {"data": "SAMPLE DATA: synthetic cities, not real places", **about}
    if which != "targets":      # listed apart, each with its reason: the note is the column to read
        _write_frame(frame, args.format, args.out, about=about,
                     compact=frame[[c for c in ("city", "state", "population", "next_tier", "p_next_tier_if_gaps_closed",
                                                "outreach_note") if c in frame]].rename(
                         columns={"population": "pop", "p_next_tier_if_gaps_closed": "p_push"}).round(2))
        return 0
    # In a terminal: the columns that fit, gaps as criterion ids (csv/json/xlsx carry every column).
    compact = frame[["rank", "city", "state", "population", "next_tier", "p_next_tier",
                     "p_next_tier_if_gaps_closed"]].rename(columns={"p_next_tier": "p_now", "population": "pop",
                                                                    "p_next_tier_if_gaps_closed": "p_push"}).round(2)
    compact["gaps"] = frame["gaps"].fillna("").map(lambda g: " ".join(part.split(" ")[0] for part in g.split("; ")))
    _write_frame(frame, args.format, args.out, compact=compact, about=about)
    # The sentence (core blockers included) and the change are too wide for the table: one line per target.
    if args.out is None and (args.format == "table" or (args.format == "auto" and sys.stdout.isatty())):
        print("\nWhy call:")
        for r in frame.itertuples():
            print(f"  {r.rank}. {r.city}, {r.state} ({r.change_summary or 'change unknown'}): {r.why_call or '-'}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """One city's index across every successful run, oldest first."""
    from warehouse.outreach import history
    from warehouse.scorecard import CityNotFound

    with _published(args) as con:
        try:
            row, frame = history(con, args.city)
        except CityNotFound as exc:
            raise CliError(str(exc)) from None
    if args.format in ("auto", "table") and args.out is None:
        _err(f"{row['city']}, {row['state']} (geoid {row['geoid']}): {len(frame)} run(s)")
    _write_frame(frame, args.format, args.out,
                 about={"table": "index history of one city (cdpi history)",
                        "city": f"{row['city']}, {row['state']} (geoid {row['geoid']})"})
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    """Record attested facts (one, or a CSV batch), withdraw one, or list them with their status now."""
    from sources.criteria.catalog import load_catalog
    from warehouse.corrections import (
        CorrectionError,
        corrections_file,
        draft,
        record,
        status_table,
        withdraw,
    )

    paths = _paths(args)
    path = corrections_file(paths)
    catalog = load_catalog()
    chosen = [bool(args.withdraw is not None), bool(args.batch), bool(args.list), bool(args.city or args.criterion)]
    if sum(chosen) != 1:
        raise CliError('give one of: "City, ST" CRITERION --met yes|no --source URL --by NAME; --batch FILE.csv; '
                       "--withdraw ID --by NAME; --list")
    try:
        if args.list:
            frame = status_table(path, as_of=datetime.now(UTC), standard=catalog.standard,
                                 max_age_months=args.max_age_months)
            if frame.empty:
                _err(f"no corrections recorded yet ({path})")
            _write_frame(frame, args.format, None, compact=frame[
                ["correction_id", "city", "state", "criterion_id", "met", "status", "attested_by", "recorded_at"]])
            return 0
        if args.withdraw is not None:
            done = withdraw(path, args.withdraw, by=args.by, note=args.note)
            print(f"withdrew correction #{args.withdraw} ({done['city']}, {done['state']} {done['criterion_id']}); "
                  "it stays in the history and no longer applies from the next run")
            return 0
        with _published(args) as con:
            if args.batch:
                drafts = _correction_batch(con, catalog, Path(args.batch), default_by=args.by)
            else:
                if not args.criterion or args.met is None or not args.source:
                    raise CliError('a correction needs "City, ST" CRITERION --met yes|no --source URL --by NAME')
                drafts = [draft(con, catalog, city=args.city, criterion=args.criterion, met=args.met,
                                source=args.source, note=args.note, by=args.by)]
        recorded = record(path, drafts, standard=catalog.standard, max_age_months=args.max_age_months)
    except CorrectionError as exc:
        raise CliError(str(exc)) from None
    for c in recorded:
        print(f"recorded correction #{c.correction_id}: {c.city}, {c.state} {c.criterion_id} "
              f"{'met' if c.met else 'not met'}, attested by {c.attested_by} ({c.source_url})")
    print(f"  kept in {path}; applied from the next `cdpi run`")
    return 0


def _correction_batch(con, catalog, csv_path: Path, default_by: str | None) -> list:
    """Every row of a corrections CSV checked before any is recorded: all bad rows are named, none written."""
    from warehouse.corrections import CorrectionError, draft

    if not csv_path.exists():
        raise CliError(f"batch CSV not found: {csv_path}")
    with io.StringIO(_spreadsheet_text(csv_path), newline="") as fh:
        reader = csv.DictReader(fh)
        needed = {"city", "criterion", "met", "source"}
        missing = needed - {(h or "").strip().lower() for h in (reader.fieldnames or [])}
        if missing:
            raise CliError(f"{csv_path.name}: missing columns {', '.join(sorted(missing))} "
                           "(expected city, criterion, met, source, note, by)")
        drafts, problems = [], []
        for line, row in enumerate(reader, start=2):
            if None in row:      # csv puts the surplus fields of a row under None
                problems.append(f"line {line}: more fields than the header names (a value holding a comma, "
                                'such as "Alder Springs, MA", needs double quotes)')
                continue
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            try:
                drafts.append(draft(con, catalog, city=row["city"], criterion=row["criterion"], met=row["met"],
                                    source=row["source"], note=row.get("note"), by=row.get("by") or default_by))
            except CorrectionError as exc:
                problems.append(f"line {line}: {exc}")
    if problems:
        raise CliError(f"{csv_path.name}: nothing recorded; {len(problems)} bad row(s): " + "; ".join(problems[:10])
                       + ("; ..." if len(problems) > 10 else ""))
    if not drafts:
        raise CliError(f"{csv_path.name}: no rows")
    return drafts


def _spreadsheet_text(path: Path) -> str:
    """A CSV saved by a spreadsheet: UTF-8 (with or without Excel's byte-order mark), else Windows-1252, what
    Excel's plain "CSV" writes on Windows; said on standard error, since only the user can know for sure."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _err(f"cdpi: {path.name} is not UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start}): read as "
             "Windows-1252, as Excel's \"CSV\" is saved on Windows; save it as \"CSV UTF-8\" to be sure")
        return raw.decode("cp1252", errors="replace")


def cmd_export(args: argparse.Namespace) -> int:
    """Every mart of one snapshot as CSV and/or Parquet, with a manifest of rows and checksums."""
    from warehouse.export import FORMATS, export_snapshot

    paths = _paths(args)
    formats = FORMATS if args.format == "both" else (args.format,)
    try:
        summary = export_snapshot(paths, args.snapshot, args.out, formats)
    except ValueError as exc:       # an --out that is a file, or a folder cdpi did not write
        raise CliError(str(exc)) from None
    print(f"exported snapshot {summary.snapshot} (run {summary.run_id}): {len(summary.files)} files "
          f"in {summary.folder}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The static outreach report (overview, targets, a page per city) from the published warehouse."""
    from warehouse.report import build_report

    paths = _paths(args)
    out = Path(args.out) if args.out else paths.home / "report"
    try:
        summary = build_report(paths, out, args.snapshot, lineage=_lineage())
    except ValueError as exc:
        raise CliError(str(exc)) from None
    banner = "  [SAMPLE DATA: synthetic cities, not real places]" if summary.is_sample else ""
    print(f"report for snapshot {summary.snapshot}: {summary.pages} pages, {summary.cities} cities{banner}")
    print(f"  open {(summary.out_dir / 'index.html').resolve()}")
    return 0


def _lineage() -> dict[str, list[str]]:
    """Which assets write which warehouse table (the report's data dictionary shows it)."""
    from assets.tables import lineage

    return lineage()


def _paths(args: argparse.Namespace):
    """The CDPI home a command works on: --home, else $CDPI_HOME or ./data."""
    from warehouse.paths import WarehousePaths

    return WarehousePaths(Path(args.home).resolve()) if args.home else WarehousePaths.default()


@contextlib.contextmanager
def _published(args: argparse.Namespace):
    """The published warehouse of the command's home, read-only, closed when the block ends."""
    from warehouse.read import connect_published

    con = connect_published(_paths(args))
    try:
        yield con
    finally:
        con.close()


def _write_frame(frame, fmt: str, out: Path | None, compact=None, about: dict | None = None) -> None:
    """A result frame as a terminal table (compact columns), TSV when piped, or CSV/JSON/XLSX to a file or
    standard output (XLSX only to a file, with ``about`` and the snapshot and run of its rows on a second
    sheet). Text in CSV, TSV and XLSX follows warehouse/spreadsheet.py. Without --format, a file's format
    follows its name (.xlsx, .json, .tsv; CSV otherwise); text is never written under an .xlsx name."""
    suffix = Path(out).suffix.lower() if out is not None else ""
    if out is not None and fmt in ("auto", "table"):
        fmt = {".json": "json", ".tsv": "tsv", ".xlsx": "xlsx"}.get(suffix, "csv")
    if suffix == ".xlsx" and fmt != "xlsx":
        raise CliError(f"--format {fmt} writes text, which a spreadsheet cannot open as {Path(out or '').name}: "
                       "use --format xlsx, or a .csv name")
    if fmt == "xlsx":
        from warehouse.spreadsheet import write_xlsx

        if out is None:
            raise CliError("--format xlsx needs --out FILE.xlsx")
        about = dict(about or {})
        for column in ("snapshot", "run_id"):
            if column in frame.columns and len(frame):
                about[column] = "; ".join(sorted({str(v)[:10] if column == "snapshot" else str(v)
                                                  for v in frame[column].dropna()}))
        write_xlsx(frame, out, about)
        _err(f"wrote {len(frame)} rows to {out}")
        return
    if out is not None:
        with open(out, "w", encoding="utf-8", newline="") as fh, contextlib.redirect_stdout(fh):
            _print_rows(list(frame.columns), _plain_rows(frame), fmt)
        _err(f"wrote {len(frame)} rows to {out}")
        return
    if fmt == "auto":
        fmt = "table" if sys.stdout.isatty() else "tsv"
    shown = compact if fmt == "table" and compact is not None else frame
    _print_rows(list(shown.columns), _plain_rows(shown), fmt)


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


def cmd_classify(args: argparse.Namespace) -> int:
    """Evidence the pipeline would record for a page; with --batch, for a JSON Lines file of pages."""
    import logging

    from sources.evidence.documents import DEFAULT_PDF_PAGES
    from sources.evidence.reading import read_body

    if args.batch:
        return _classify_batch(args)
    if not args.file:
        raise CliError("give a FILE to classify (HTML, PDF or text; - for standard input), or --batch FILE.jsonl")
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    # pypdf logs each defect it works around; what could not be read is said once, below, in words.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    # The crawl's own reading (sources/evidence/reading.py): the same document and evidence it would record.
    doc, evidence = read_body(data, content_type=None, charset_header=None, url=args.url,
                              max_pdf_pages=DEFAULT_PDF_PAGES)
    print(json.dumps([e.to_dict(explain=args.explain) for e in evidence], indent=2, ensure_ascii=False))
    name = "standard input" if args.file == "-" else args.file
    if doc is None or doc.error:    # unknown is not absent: say that the page, or part of it, went unread
        why = doc.error if doc is not None else "binary content, not a page"
        if doc is None or not doc.text:
            _err(f"cdpi: error: {name} could not be read ({why}): no evidence can be judged from it")
            return EXIT_FAILED
        _err(f"cdpi: warning: {name} was read only in part ({doc.error}): the evidence is from the part read")
    return 0


def _classify_batch(args: argparse.Namespace) -> int:
    """One output line per input line, in order; a bad line gets an "error" and the rest go on."""
    from sources.evidence.classify import KINDS, classify_record
    from sources.evidence.evaluate import macro_f1, score, table

    pairs, failed, labeled = [], 0, 0
    # Bytes, decoded line by line: one line in another encoding is that line's error, not the file's end.
    stream = sys.stdin.buffer if args.batch == "-" else open(args.batch, "rb")  # noqa: SIM115
    with stream:
        for n, raw in enumerate(stream, 1):
            rid = None
            try:
                line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
                if not line.strip():
                    continue
                record = json.loads(line)
                rid = record.get("id") if isinstance(record, dict) else None
                evidence = classify_record(record)
            except UnicodeDecodeError as exc:
                failed += 1
                print(json.dumps({"id": None, "line": n, "error": f"not UTF-8 (byte {raw[exc.start]:#04x} at "
                                  f"column {exc.start + 1}): JSON Lines are UTF-8 text"}))
                continue
            except ValueError as exc:   # JSONDecodeError is a ValueError
                failed += 1
                print(json.dumps({"id": rid, "line": n, "error": str(exc)}, ensure_ascii=False))
                continue
            out = {"id": rid, "evidence": [e.to_dict(explain=args.explain) for e in evidence]}
            labels = record.get("labels")
            unknown = sorted({str(k) for k in labels} - set(KINDS)) if isinstance(labels, list) else []
            if unknown:             # a misspelt kind would be scored as a miss of a kind nobody meant
                failed += 1
                out |= {"line": n, "error": f"labels that are not kinds: {', '.join(unknown)} (kinds: "
                                            f"{', '.join(KINDS)}); this line is left out of the scores"}
            elif isinstance(labels, list):
                labeled += 1
                pairs.append((labels, [e.kind for e in evidence]))
            print(json.dumps(out, ensure_ascii=False))
    if labeled:
        scores = score(pairs)
        _err(f"{labeled} labeled lines\n{table(scores)}\nmacro-F1 {macro_f1(scores):.3f}")
    if failed:
        _err(f"cdpi: {failed} line(s) could not be classified or scored; see their \"error\" fields")
        return EXIT_FAILED
    return 0


# ------------------------------------------------------------------------------------------ output
def _print_rows(columns: list[str], rows: list[tuple], fmt: str) -> None:
    if fmt == "auto":
        fmt = "table" if sys.stdout.isatty() else "tsv"
    if fmt == "json":
        print(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str, indent=2))
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


def _installed_version() -> str:
    """The installed package's version (what ops.runs.cdpi_version records for a run)."""
    from importlib import metadata

    try:
        return metadata.version("cdpi")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


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
    run.add_argument("--min-delay", type=float, metavar="SECONDS", help="per-host delay (default 1 s)")
    run.add_argument("--home", type=Path, help="state folder (default $CDPI_HOME or ./data)")
    run.add_argument("--quiet", action="store_true", help="no progress bars or step lines, only the closing summary")
    run.add_argument("--doc-host", action="append", metavar="DOMAIN", default=[],
                     help="also follow links to this document host (registrable domain, e.g. a city's own "
                          "agenda vendor; repeatable)")
    run.add_argument("--max-quarantined-share", type=_share, metavar="X",
                     help="largest share of a table's rows that may fail validation before the run stops "
                          "without publishing (default: each suite's own limit, 0.05)")
    run.add_argument("--tier-bands", metavar="NAME",
                     help="tier bands of the standard, as named under tier_bands in sources/criteria/wwc_2022.yaml "
                          "(default: the catalog's own, the 2022 bands; e.g. wwc_2019)")
    run.add_argument("--calibration", choices=["auto", "catalog"], default="auto",
                     help="auto: publish the fit to the certified list when it clearly beats the catalog's "
                          "weights; catalog: always the catalog's (the fit is still measured)")
    run.add_argument("--workers", type=_positive_int, default=1, metavar="N",
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
                         "(.xlsx, .json, .tsv, else CSV); xlsx needs --out")
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
                     help="record every row of a CSV with columns city, criterion, met, source, note, by (all or "
                          "none); UTF-8, or Excel's Windows CSV")
    cor.add_argument("--withdraw", type=_positive_int, metavar="ID", help="withdraw correction ID (never deleted)")
    cor.add_argument("--list", action="store_true", help="every correction with its status today")
    cor.add_argument("--max-age-months", type=_positive_int, default=12, metavar="N",
                     help="corrections lapse after N months (default 12; a run uses its own setting)")
    cor.add_argument("--format", choices=["auto", "table", "tsv", "csv", "json"], default="auto")
    cor.add_argument("--home", type=Path)
    cor.set_defaults(func=cmd_correct)

    ex = sub.add_parser("export", help="every mart of a snapshot as CSV/Parquet files with a checksum manifest")
    ex.add_argument("--snapshot", metavar="YYYY-MM", help="month to export (default: the latest)")
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


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return n


def entry() -> NoReturn:
    """The ``cdpi`` command: ``main``, then an exit that skips tearing the interpreter down.

    By the time ``main`` returns, every file, connection and Dagster instance it opened is closed. What a
    normal exit still does is free every object one by one and unload every module: about a second
    after a sample run (dagster, great_expectations, pandas, duckdb and the run's data), longer than many
    of the commands themselves. So the exit handlers are run (log handlers flushed, temporary folders
    removed) and the process ends there. Only when a thread that is not a daemon is still running does
    the exit take the normal path, which waits for it. ``main`` itself stays an ordinary function for
    callers in the same process (the tests), which also keep Python's garbage-collector settings (the
    command tunes them for a long run: pipelines/heap.py)."""
    from pipelines import heap

    heap.configure()
    try:
        code = main()
    except SystemExit as exc:      # argparse's usage errors and --help
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_FAILED)
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()        # what a normal exit runs first (logging.shutdown, finalizers)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()


