"""The outreach staff's commands: `cdpi city` (a scorecard, and the lines it is printed with), `targets`,
`history`, `correct` (attested corrections, one or a CSV batch) and `report`."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.cli.errors import CliError
from pipelines.cli.home import _paths, _published
from pipelines.cli.output import SAMPLE_DATA, _err, _json_ready, _sample_banner, _write_frame

if TYPE_CHECKING:
    import duckdb


def _require_a_published_run(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse that holds only what failed runs recorded has no latest run: saying a city or a target
    is missing from it would send the user looking for the wrong thing."""
    if con.execute("SELECT 1 FROM ops.latest_run LIMIT 1").fetchone() is None:
        raise CliError("no run of this home has published yet; cdpi runs lists the failed ones")


def cmd_city(args: argparse.Namespace) -> int:
    """A city's scorecard: tier odds, change since the previous snapshot, why to call, criteria by practice
    with probabilities, evidence and gaps."""
    from warehouse.index.outreach import assumed_note, blocked_note, certified_words, shown_gaps, split_gaps
    from warehouse.scorecard import CityNotFound, scorecard, signal_value

    with _published(args) as con:
        _require_a_published_run(con)
        try:
            card = scorecard(con, args.city)
        except CityNotFound as exc:
            raise CliError(str(exc)) from None
    if args.format == "json":    # an object: its is_sample says what the banner says elsewhere
        _sample_banner(card["is_sample"])
        print(json.dumps(_json_ready(card), indent=2, default=str))
        return 0
    print(f"{card['city']}, {card['state']}  (geoid {card['geoid']}, population {card['population']:,}, "
          f"snapshot {card['snapshot']})" + (f"  [{SAMPLE_DATA}]" if card["is_sample"] else ""))
    print(f"expected points {card['expected_points']:.1f} of {card['max_points']} ({card['score_pct']:.0f}%), "
          f"coverage {card['coverage']:.0%}, predicted tier: {card['predicted_tier']}"
          + (f", certified: {certified_words(card['certified_tier'])}" if card["certified_tier"] else "")
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
        print(blocked_note(card["blocked_by_core"], card["next_tier"], card.get("certified_tier"), names))
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
        else:
            for e in c["evidence"][:3]:
                where = e["source"] or ("" if e["observed"] else f"not read: {e['not_read']}" if e.get("not_read")
                                        else "not observed")
                print(f"           {e['signal']}={signal_value(e['value'])} "
                      f"{weight_shown(e['weight'], e.get('catalog_weight'))}"
                      f"  {where}")
        # The line the probability multiplies out from (every signal found, the prior, the prerequisites).
        print(f"           = {c['explanation']}")
    gaps = shown_gaps(card["top_gaps"])
    if gaps:
        tier = str(gaps[0]["next_tier"]).title()
        print(f"\nMost attainable gaps toward {tier} (each raising P({tier}) by 1 percentage point or more, "
              "or core):")
        publish, confirm = split_gaps(gaps)
        for heading, group in (("publishing would close:", publish),
                               ("confirm with the city (public web evidence cannot show these):", confirm)):
            if group and publish and confirm:
                print(f"  {heading}")
            for g in group:
                print(_gap_line(g, tier))
    note = assumed_note(card["top_gaps"], card["min_gap_gain"])
    if note:
        print(note)
    return 0


def _gap_line(g: Mapping, tier: str) -> str:
    """One gap as staff read it: names in words (signals, training topic), ids only as the criterion's code."""
    from warehouse.index.outreach import closable

    what = (" (core, to confirm: more likely than not, not clearly shown)" if g.get("confirm") and closable(g)
            else " (core)" if g.get("core") else "")
    topic = g.get("training_topic_name") or str(g.get("training_topic") or "").replace("_", " ").capitalize()
    return (f"  {g['criterion_id']} {g['name']}{what}: p={g['probability']:.2f}, "
            f"P({tier}) +{100 * g['tier_gain']:.0f} percentage point{'' if round(100 * g['tier_gain']) == 1 else 's'} "
            "if met, "
            f"{g['reason']}; training: {topic}")


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
    from warehouse.outreach import TargetFilter, count_listed, list_counts, targets

    if args.min_pop is not None and args.max_pop is not None and args.min_pop > args.max_pop:
        raise CliError(f"--min-pop {args.min_pop} is above --max-pop {args.max_pop}")
    which = args.list.replace("-", "_")
    if which == "not_observed" and args.tier is not None:
        raise CliError("--list not-observed has no next tier to filter by: leave out --tier")
    wanted = TargetFilter(state=args.state, min_population=args.min_pop, max_population=args.max_pop,
                          tier=args.tier, limit=args.limit)
    with _published(args) as con:
        sample = con.execute("SELECT is_sample FROM ops.latest_run").fetchone()
        if sample is None:
            _require_a_published_run(con)
        # The first --limit rows, and how many pass the filters (counted, not read): a list cut short says so.
        frame = targets(con, wanted, which).reset_index(drop=True)
        total = count_listed(con, wanted, which)
        counts = list_counts(con, wanted) if frame.empty else None
    noun = {"targets": "outreach targets", "longer_path": "cities on a longer path",
            "not_observed": "cities not observed"}[which]
    if counts is not None:
        _err(_none_listed(args, which, noun, counts))
    filters = {"state": args.state, "min_pop": args.min_pop, "max_pop": args.max_pop, "tier": args.tier,
               "limit": args.limit}
    about = {"table": f"{noun} (cdpi targets --list {args.list})",
             "filters": ", ".join(f"{k}={v}" for k, v in filters.items() if v is not None) or "none"}
    is_sample = bool(sample and sample[0])
    # In a terminal, the columns that fit under the names docs/methodology.md gives them (csv, tsv, json and
    # xlsx carry every column under its warehouse name); gaps as criterion ids.
    _write_frame(frame, args.format, args.out, compact=terminal_columns(frame, which), about=about,
                 sample=is_sample)
    if len(frame) < total:    # standard error: a CSV or TSV on standard output stays the rows alone
        _err(f"showing {len(frame)} of {total} {noun}; --limit N to change")
    if args.out is not None or not (args.format == "table" or (args.format == "auto" and sys.stdout.isatty())):
        return 0
    if which != "not_observed":     # that list shows no chance or points to explain
        print(TERMINAL_LEGEND)
    if which == "targets":
        # The sentence (core blockers included) and the change are too wide for the table: one line per target.
        print("\nWhy call:")
        for r in frame.itertuples():
            print(f"  {r.rank}. {r.city}, {r.state} ({r.change_summary or 'change unknown'}): {r.why_call or '-'}")
    return 0


#: The terminal table's headings, as docs/methodology.md and the report name the columns.
TERMINAL_HEADINGS = {"population": "population", "certified_tier": "certified", "predicted_tier": "predicted",
                     "next_tier": "next tier", "p_next_tier": "P(next)", "p_next_tier_if_gaps_closed": "If gaps closed",
                     "points_to_next_tier": "To next", "gaps": "gaps", "outreach_note": "note"}
#: Said under the terminal table: what its shortened headings mean (docs/methodology.md says more).
TERMINAL_LEGEND = ("P(next): chance of the next tier now; If gaps closed: that chance with the top gaps met; "
                   "To next: points short of the next tier (docs/methodology.md, \"What each column means\")")


def terminal_columns(frame, which: str):
    """The terminal table of a list: place, tiers (certified, predicted, next: what "near a tier" means),
    the chances with two decimals each (0.90, not 0.9), the population with its thousands separated, points to the next tier and the gaps as criterion
    ids; the lists kept apart add their note, the column to read there."""
    shown = {"targets": ["rank", "city", "state", "population", "certified_tier", "predicted_tier", "next_tier",
                         "p_next_tier", "p_next_tier_if_gaps_closed", "points_to_next_tier", "gaps"],
             "longer_path": ["city", "state", "population", "certified_tier", "predicted_tier", "next_tier",
                             "p_next_tier", "p_next_tier_if_gaps_closed", "points_to_next_tier", "gaps",
                             "outreach_note"],
             "not_observed": ["city", "state", "population", "certified_tier", "outreach_note"]}[which]
    compact = frame[[c for c in shown if c in frame]].copy()
    for column in ("p_next_tier", "p_next_tier_if_gaps_closed"):
        if column in compact:
            compact[column] = compact[column].map(lambda p: None if p is None or p != p else f"{p:.2f}")
    if "points_to_next_tier" in compact:
        compact["points_to_next_tier"] = compact["points_to_next_tier"].map(
            lambda n: None if n is None or n != n else f"{n:g}")
    compact["population"] = compact["population"].map(lambda n: None if n is None or n != n else f"{n:,}")
    for column in ("certified_tier", "predicted_tier"):
        if column in compact:
            compact[column] = compact[column].fillna("none")
    if "gaps" in compact:
        compact["gaps"] = compact["gaps"].fillna("").map(lambda g: " ".join(part.split(" ")[0]
                                                                            for part in g.split("; ")))
    return compact.rename(columns=TERMINAL_HEADINGS)


def _none_listed(args: argparse.Namespace, which: str, noun: str, counts) -> str:
    """Why a list came out empty: the state has no city in the run at all, no city is in the filters'
    place, or the place's cities are on the other lists, each with its count and the command that shows it
    (an empty targets list for TX does not mean TX has no cities worth a look)."""
    if counts.state_cities == 0:
        return f"the latest run (snapshot {counts.snapshot}) has no city in {args.state}: no {noun} to list"
    place = " ".join(part for part in (
        f"in {args.state}" if args.state else "",
        f"of population {args.min_pop:,} or more" if args.min_pop is not None else "",
        f"of population {args.max_pop:,} or less" if args.max_pop is not None else "") if part)
    if counts.place_cities == 0:
        return (f"no {noun} match these filters: the latest run (snapshot {counts.snapshot}) has no city "
                f"{place or 'at all'}")

    def command(listed: str, tier: str | None) -> str:
        flags = [f"{flag} {value}" for flag, value in (("--state", args.state), ("--min-pop", args.min_pop),
                                                        ("--max-pop", args.max_pop), ("--tier", tier))
                 if value is not None]
        if listed != "target":
            flags.append(f"--list {listed.replace('_', '-')}")
        return " ".join(["cdpi targets", *flags])

    status = {"targets": "target", "longer_path": "longer_path", "not_observed": "not_observed"}[which]
    shown = []
    other_tiers = counts.any_tier.get(status, 0) - counts.by_list.get(status, 0)
    if args.tier and other_tiers:      # the list asked for has cities of the place, for another tier
        shown.append(f"{other_tiers} {noun} for another next tier ({command(status, None)})")
    for other, label in (("target", "outreach targets"), ("longer_path", "on the longer-path list"),
                         ("not_observed", "not observed")):
        if other == status:
            continue
        n = counts.by_list.get(other, 0)
        tier = args.tier if other != "not_observed" else None     # that list has no next tier to filter by
        shown.append(f"{n} {label}" + (f" ({command(other, tier)})" if n else ""))
    if counts.by_list.get("top_tier"):
        shown.append(f"{counts.by_list['top_tier']} already at the top tier")
    cities = "city" if counts.place_cities == 1 else "cities"
    of_tier = f"; next tier {args.tier} where a list has one" if args.tier else ""
    return (f"no {noun} match these filters. Of the {counts.place_cities} {cities} {place or 'in the run'} "
            f"(latest run, snapshot {counts.snapshot}{of_tier}): " + "; ".join(shown))


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
                        "city": f"{row['city']}, {row['state']} (geoid {row['geoid']})"},
                 sample=bool(frame["is_sample"].any()))    # each row says which; the banner, if any does
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
    from warehouse.spreadsheet import unneutralize

    if not csv_path.exists():
        raise CliError(f"batch CSV not found: {csv_path}")
    with io.StringIO(_spreadsheet_text(csv_path), newline="") as fh:
        reader = csv.DictReader(fh)
        needed = {"city", "criterion", "met", "source"}
        # The columns of an exported ops.corrections.csv name the same things: it loads back as it is.
        headers = {(h or "").strip().lower() for h in (reader.fieldnames or [])}
        given = {_BATCH_ALIASES.get(h, h) for h in headers}
        # An exported ops.corrections.csv (its own column names): its text cells went through the export's
        # spreadsheet guard, which put an apostrophe before a leading = + - @; the fact had none.
        from_export = {"correction_id", "attested_by"} <= headers
        missing = needed - given
        if missing:
            raise CliError(f"{csv_path.name}: missing columns {', '.join(sorted(missing))} "
                           "(expected city, criterion, met, source, note, by, and optionally recorded_at)")
        drafts, problems = [], []
        for line, row in enumerate(reader, start=2):
            if None in row:      # csv puts the surplus fields of a row under None
                problems.append(f"line {line}: more fields than the header names (a value holding a comma, "
                                'such as "Alder Springs, MA", needs double quotes)')
                continue
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            if row.get("applied", "").lower() == "false":
                continue   # an export's row its run did not apply (withdrawn, lapsed): not a fact to record again
            for export_name, name in _BATCH_ALIASES.items():
                if export_name in row:
                    # An export's geoid names the city exactly (its city column holds the name alone).
                    row[name] = row[export_name] if name != "city" or row[export_name] else row.get(name, "")
            if from_export:
                row = {k: unneutralize(v) if k in ("by", "note") else v for k, v in row.items()}
            try:
                recorded_at = _recorded_at(row.get("recorded_at"))
                drafts.append(draft(con, catalog, city=row["city"], criterion=row["criterion"], met=row["met"],
                                    source=row["source"], note=row.get("note"), by=row.get("by") or default_by,
                                    recorded_at=recorded_at))
            except CorrectionError as exc:
                problems.append(f"line {line}: {exc}")
    if problems:
        raise CliError(f"{csv_path.name}: nothing recorded; {len(problems)} bad row(s): " + "; ".join(problems[:10])
                       + ("; ..." if len(problems) > 10 else ""))
    if not drafts:
        raise CliError(f"{csv_path.name}: no rows")
    return drafts


#: The columns of an exported ops.corrections.csv, and the batch column each stands for.
_BATCH_ALIASES = {"geoid": "city", "criterion_id": "criterion", "source_url": "source", "attested_by": "by"}


def _recorded_at(value: str | None) -> str | None:
    """A batch row's recorded_at (when the fact was attested, ISO 8601; no zone: UTC) as the file keeps it,
    ``...Z``; None when empty (recorded now). A later date than now is refused: it would apply to no run yet."""
    from warehouse.corrections import CorrectionError, now_utc

    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CorrectionError(f"recorded_at must be an ISO 8601 time such as 2026-11-03T09:15:00Z, not {value!r}") \
            from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    text = moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if text > now_utc():
        raise CorrectionError(f"recorded_at {value} is in the future")
    return text


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


def cmd_report(args: argparse.Namespace) -> int:
    """The static outreach report (overview, targets, a page per city) from the published warehouse."""
    from warehouse.report import build_report

    paths = _paths(args)
    out = Path(args.out) if args.out else paths.home / "report"
    try:
        summary = build_report(paths, out, args.snapshot, lineage=_lineage())
    except ValueError as exc:
        raise CliError(str(exc)) from None
    banner = f"  [{SAMPLE_DATA}]" if summary.is_sample else ""
    print(f"report for snapshot {summary.snapshot}: {summary.pages} pages, {summary.cities} cities{banner}")
    print(f"  open {(summary.out_dir / 'index.html').resolve()}")
    return 0


def _lineage() -> dict[str, list[str]]:
    """Which assets write which warehouse table (the report's data dictionary shows it)."""
    from assets.tables import lineage

    return lineage()
