"""`cdpi run`: the pipeline run itself, its snapshot month, and the closing summary with its warnings (a
network that did not answer, an archive that was not the run's, records a replay could not read) and the
flags that replay the run."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
from pathlib import Path

from pipelines.cli.errors import CliError, check_environment
from pipelines.cli.home import check_home, check_input_file
from pipelines.cli.output import SAMPLE_DATA, _err


def cmd_run(args: argparse.Namespace) -> int:
    check_environment()     # before anything loads the definitions, which read it
    from expectations.runner import SuiteError, suites_note
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
    from warehouse.corrections import corrections_file

    warehouse = WarehouseResource(home=str(args.home) if args.home else "")
    paths = warehouse.paths()
    check_home(paths.home, "--home" if args.home else "CDPI_HOME")
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
        # and an archive that declares itself sample data keeps that label. The rule is the one every run's
        # steps apply however it was launched (assets/runlabels.py), so the banner says what ops.runs will.
        from assets.runlabels import decide_labels

        try:
            labels = decide_labels(mode=mode, is_sample=is_sample, replay=fetcher_kwargs["replay"])
        except ValueError as exc:
            raise CliError(f"cannot replay: {exc}") from None
        mode, is_sample = labels.mode, labels.is_sample
    if args.min_delay is not None:
        fetcher_kwargs["min_delay_s"] = args.min_delay
    # A damaged file, one another process is writing, or writes a killed session left unsaved in its WAL
    # that cannot be saved into it: the run stops now, not at publish after hours of fetching.
    from warehouse.publish import settle_wal, verify_readable

    settle_wal(paths)
    if paths.published.exists():
        verify_readable(paths.published)
    edited = rules_edit_warning(paths)
    if edited:
        _err(f"cdpi run: warning: {edited}")
    if args.cities:
        check_input_file(Path(args.cities), "city list")
    corrections = corrections_file(paths)
    if corrections.exists():   # absent, it holds no corrections yet (the first `cdpi correct` writes it)
        check_input_file(corrections, "corrections file" + (
            " (CDPI_CORRECTIONS)" if os.environ.get("CDPI_CORRECTIONS", "").strip() else ""))
    settings = RunSettings(
        min_population=args.min_population, cities_csv=str(Path(args.cities).resolve()) if args.cities else "",
        states=[s.upper() for s in args.state or []], limit=args.limit or 0, mode=mode,
        include_towns=bool(args.include_towns),
        is_sample=is_sample,
        max_quarantined_share=args.max_quarantined_share,
        tier_bands=args.tier_bands or "", calibration=args.calibration,
        corrections_as_of=args.corrections_as_of or "")
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

    banner = f" [{SAMPLE_DATA}]" if is_sample else ""
    _err(f"cdpi run: snapshot {partition[:7]}, mode {mode}{banner}")
    try:
        note = suites_note()
    except SuiteError as exc:   # CDPI_SUITES_DIR names no folder
        raise CliError(f"cannot check the run's data: {exc}") from None
    if note:
        _err(f"cdpi run: {note}")
    try:
        if args.workers <= 1:   # the steps run in this process (else in step processes, which build their own)
            with heap.long_lived():      # the imports, the replay index and GX: kept until the process ends
                prepare_validation()
        else:   # GX built here only to refuse a bad suite before any fetch; each step process builds its own
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
                                      "marked failed (see ops.run_failures)"), on_recorded_late=lambda run_id: _err(
                                      f"cdpi run: run {run_id} failed earlier and its failure could not be "
                                      "recorded then; recorded now (see ops.run_failures)"))
        except HomeBusy as exc:   # nothing of this run started: no Dagster run, no failure to record
            raise CliError(str(exc)) from None
    if outcome.interrupted:   # recorded in ops.run_failures as interrupted; the command ends as Ctrl-C does
        raise KeyboardInterrupt
    if not outcome.success:
        recorded = ("recorded in ops.run_failures" if not outcome.unrecorded else
                    f"not recorded in ops.run_failures yet ({outcome.unrecorded}): the next `cdpi run` records it")
        raise CliError(f"run {outcome.run_id} failed at {outcome.step or 'an unknown step'}: "
                       f"{_user_cause(outcome.message)} "
                       f"({recorded}" + (f"; full log: {outcome.log})" if outcome.log else ")"))
    _print_run_summary(paths, outcome.run_id, banner)
    return 0


#: The newest published run that used another rules.yaml under the version string the file has now.
_SAME_RULES_VERSION = """
    SELECT run_id FROM ops.runs
    WHERE status = 'success' AND json_extract_string(config_json, '$.evidence_rules_version') = $version
      AND json_extract_string(config_json, '$.data_files_sha256.evidence_rules') <> $sha
    ORDER BY finished_at DESC NULLS LAST LIMIT 1"""


def rules_edit_warning(paths) -> str | None:
    """A warning when rules.yaml was edited since a published run without its ``version`` being bumped: the
    evidence rows of both runs would carry one extractor_version for different rules. The digest each run
    records tells them apart anyway; the warning asks for the bump that makes the rows say so. None when
    there is nothing to say, or no warehouse to ask (a new home, a file that cannot be read now)."""
    import duckdb

    from assets.versions import DATA_FILES, file_sha256
    from sources.evidence.classify import load_rules
    from warehouse.publish import WarehouseError
    from warehouse.read import connect_published

    if not paths.published.exists():
        return None
    version = load_rules().version
    try:
        con = connect_published(paths)
        try:
            row = con.execute(_SAME_RULES_VERSION, {"version": version,
                                                    "sha": file_sha256(DATA_FILES["evidence_rules"])}).fetchone()
        finally:
            con.close()
    except (WarehouseError, duckdb.Error):
        return None
    if row is None:
        return None
    return (f"sources/evidence/rules.yaml differs from the file run {row[0]} used, but its version is still "
            f"{version!r}: bump `version` in it, or the evidence of both runs carries one extractor_version for "
            "different rules (each run records the file's SHA-256 in config_json either way)")


#: Dagster's wrapper around an error a step or a resource raised, with that error in brackets after it.
_DAGSTER_WRAPPER = re.compile(r'dagster\.[\w.]+: (?:Error occurred while executing op "[^"]*":|Error executing '
                              r"resource_fn on ResourceDefinition \w+)\s*\((?P<cause>.+)\)", re.S)
#: A class path of Dagster's own at the start of a message (``dagster._core.errors.SomeError``).
_DAGSTER_CLASS = re.compile(r"dagster\.(?:[\w]+\.)*(?P<name>\w+)(?=: |$)")


def _user_cause(message: str) -> str:
    """A failed step's line as the user can act on it: the error the step's own code raised rather than
    Dagster's wrapper around it, and never Dagster's class path first."""
    wrapped = _DAGSTER_WRAPPER.fullmatch(message.strip())
    if wrapped:
        return wrapped["cause"].strip()
    return _DAGSTER_CLASS.sub(lambda m: m["name"], message.strip(), count=1)


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


def replay_command(config_json: str | None, archives: list[str], snapshot, run_id: str) -> str:
    """The `cdpi run --replay` line that reproduces a run: its archives, its month (without it a replay next
    month would describe another snapshot), the flags of its settings, the edited suites and the attested
    corrections it applied (their file, and the moment their status was judged: later, some would have
    lapsed or others been recorded), into a scratch home of its own, so that pasted as printed it never
    becomes the latest run of the home it came from."""
    config = json.loads(config_json) if config_json else {}
    corrections = config.get("corrections") or {}
    env = _suites_prefix(config_json)
    flags = [*archives, "--month", f"{snapshot:%Y-%m}", *_run_flags(config_json)]
    if corrections.get("applied"):
        env += f"CDPI_CORRECTIONS={shlex.quote(str(corrections.get('file')))} "
        flags += ["--corrections-as-of", str(corrections.get("as_of"))]
    flags += ["--home", f"./replay-{run_id[:8]}"]
    return f"{env}cdpi run --replay " + " ".join(shlex.quote(a) for a in flags)


def _suites_prefix(config_json: str | None) -> str:
    """``CDPI_SUITES_DIR=<folder> `` when the run validated with an edited copy of the suites: a replay with
    the shipped ones could quarantine other rows."""
    folder = (json.loads(config_json) if config_json else {}).get("suites_dir")
    return f"CDPI_SUITES_DIR={shlex.quote(folder)} " if folder else ""


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
    from warehouse.publish import WarehouseError
    from warehouse.read import connect_published

    try:
        con = connect_published(paths)
    except WarehouseError as exc:   # published all the same: a summary that cannot be read is no failed run
        print(f"Run {run_id} published{banner}")
        _err(f"cdpi run: warning: the run is published, but its summary cannot be read now: {exc}")
        print(f"  warehouse     {paths.published}")
        print(f"  log           {paths.run_log(run_id)}")
        return
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
    corrections = (json.loads(config) if config else {}).get("corrections") or {}
    if corrections.get("applied"):
        print(f"  corrections   {corrections['applied']} applied, as of {corrections.get('as_of')} "
              f"(from {corrections.get('file')}); a replay applies the same ones with that file and that time")
    again = [str(paths.run_dir(run_id) / "warc")] if warcs else list(replayed or [])
    if again:
        print(f"  replay it     {replay_command(config, again, snapshot, run_id)}")
    # Pasted in a new shell, each command must reach this run's home, not the default one.
    home = "" if paths.home == WarehousePaths.default().home else f" --home {shlex.quote(str(paths.home))}"
    print(f'  query it      cdpi sql "SELECT * FROM marts.cities_latest LIMIT 10"{home}')
    report = paths.home / "report" / "index.html"   # where the outreach_report asset builds it
    print(f"  report        {report}  (rebuild: cdpi report{home})" if report.exists()
          else f"  report        not built in this run; build it with: cdpi report{home}")
    print(f"  log           {paths.run_log(run_id)}")
    print(f"  in Dagster    cdpi dev{home}  (this run, its checks and metadata in the UI)")
