"""Every recorded portal API response in ../shared/realdata/portals, checked against its sidecar.

Recordings are discovered, not listed: any ``<name>.json`` with a ``<name>.meta.json`` beside it under
``portals/<platform>/…`` is parsed with that platform's parser (the folder name) and profiled as
``cdpi profile-portal`` does (``PARSERS`` + ``profile_pages``), as of the sidecar's recording date (never
today: a recording is a fixed past state). What the sidecar states is then compared with the profile:

- ``expect.dataset_count`` / ``reported_total``: exact (counted from the raw JSON);
- ``expect.entries`` / ``self_entries`` (legacy v1.0 files): entries read = datasets + left-out self entries;
- ``expect.domains`` / ``facts.domains``: the set of portals the records name;
- ``expect.id`` / ``name`` / ``column_count`` / ``rows_updated_at`` (Socrata ``/api/views/<id>.json``):
  exact, through ``parse_socrata_view``;
- ``facts.with_modified``: exact, records with a readable last-update time;
- ``facts.updated_365d_share``: the sidecars give shares rounded to 4 decimals (as the profile does), so
  they must agree within half a unit of the 4th decimal;
- ``facts.median_days_since_update``: whole days between the update time and midnight UTC of the
  recording date, so a median is an integer or a half: exact. A median given otherwise has been rounded
  and may be off by up to a day;
- ``facts.results_in_page`` / ``resultSetSize``: page length and reported total, exact.

A sidecar without ``expect``/``facts`` must still parse. Keys this file does not know are listed in the
summary, never silently passed as checked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.cli import main as cli
from sources.portals.parsers import PARSERS, CatalogFormatError, parse_socrata_view
from sources.portals.profile import profile_pages
from tests.conftest import realdata

CHECKED_EXPECT = {"dataset_count", "reported_total", "entries", "self_entries", "domains",
                  "id", "name", "column_count", "rows_updated_at"}
CHECKED_FACTS = {"as_of", "with_modified", "updated_365d_share", "median_days_since_update",
                 "results_in_page", "resultSetSize", "domains"}
SHARE_TOLERANCE = 0.5e-4 + 1e-9


#: Freshness is measured from here when a sidecar has no recording date (it then states no freshness).
NO_DATE = datetime(2000, 1, 1, tzinfo=UTC)


def _recordings() -> list[tuple[Path, Path, str]]:
    """(sidecar, body, platform) for every sidecar under portals/**; skips when the folder is absent."""
    root = realdata("portals")
    out = []
    for meta in sorted(root.rglob("*.meta.json")):
        body = meta.with_name(meta.name.removesuffix(".meta.json") + ".json")
        out.append((meta, body, meta.relative_to(root).parts[0]))
    if not out:
        pytest.skip(f"no recorded responses (*.meta.json) under {root}")
    return out


def _as_of(meta: dict) -> datetime | None:
    date = (meta.get("facts") or {}).get("as_of") or meta.get("recorded")
    return datetime.fromisoformat(date).replace(tzinfo=UTC) if date else None


def _is_view(meta: dict) -> bool:
    return "column_count" in (meta.get("expect") or {}) or "/api/views/" in str(meta.get("url", ""))


def _median_ok(got, want) -> bool:
    if got is None or want is None:
        return got == want
    return abs(got - want) <= (0 if float(want * 2).is_integer() else 1)


def _check(meta: dict, prof: dict, view=None) -> list[str]:
    """Disagreements between a sidecar and a profile (and, for a Socrata view, its parsed metadata)."""
    expect, facts, bad = meta.get("expect") or {}, meta.get("facts") or {}, []

    def same(key: str, got, want) -> None:
        if got != want:
            bad.append(f"{key}: got {got!r}, sidecar says {want!r}")

    for key in ("dataset_count", "reported_total"):
        if key in expect and not (view is not None and key == "dataset_count"):
            same(key, prof[key], expect[key])
    if "entries" in expect:
        same("entries (datasets + self entries)", prof["dataset_count"] + prof["skipped_entries"], expect["entries"])
    if "self_entries" in expect:
        same("self_entries", prof["skipped_entries"], expect["self_entries"])
    for key in ("domains",):
        want = expect.get(key, facts.get(key))
        if want is not None:
            same(key, sorted(prof["_portals"]), sorted(want))
    if view is not None:
        for key, got in (("id", view.id), ("name", view.name), ("column_count", view.column_count),
                         ("rows_updated_at", view.rows_updated_at)):
            if key in expect:
                same(key, got, expect[key])
    if "results_in_page" in facts:
        same("results_in_page", prof["dataset_count"], facts["results_in_page"])
    if "resultSetSize" in facts:
        same("resultSetSize", prof["reported_total"], facts["resultSetSize"])
    if "with_modified" in facts:
        same("with_modified", prof["_with_modified"], facts["with_modified"])
    if "updated_365d_share" in facts:
        got, want = prof["updated_365d_share"], facts["updated_365d_share"]
        if got is None or want is None or abs(got - want) > SHARE_TOLERANCE:
            bad.append(f"updated_365d_share: got {got!r}, sidecar says {want!r} (±{SHARE_TOLERANCE:.5f})")
    if "median_days_since_update" in facts and not _median_ok(prof["median_days_since_update"],
                                                              facts["median_days_since_update"]):
        bad.append(f"median_days_since_update: got {prof['median_days_since_update']!r}, "
                   f"sidecar says {facts['median_days_since_update']!r}")
    if facts.keys() & {"with_modified", "updated_365d_share", "median_days_since_update"} and _as_of(meta) is None:
        bad.append("freshness facts but no recording date (recorded or facts.as_of) to measure them from")
    return bad


def _profile(meta: dict, body: Path, platform: str) -> tuple[dict, object]:
    """The library path of ``cdpi profile-portal``, plus the fields the sidecars check that the profile
    does not print (portals named by the records, records with an update time)."""
    page = PARSERS[platform](body.read_bytes(), meta.get("portal"))
    prof = profile_pages(platform, [page], as_of=_as_of(meta) or NO_DATE)
    prof["_portals"] = {r.portal for r in page.records}
    prof["_with_modified"] = sum(1 for r in page.records if r.updated_at is not None)
    view = parse_socrata_view(body.read_bytes(), meta.get("portal")) if _is_view(meta) else None
    return prof, view


def test_every_recording_agrees_with_its_sidecar() -> None:
    recordings = _recordings()
    failures, unchecked, checked, agree = [], set(), 0, 0
    root = realdata("portals")
    for meta_path, body, platform in recordings:
        name = str(body.relative_to(root))
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        unchecked |= {f"expect.{k}" for k in (meta.get("expect") or {}).keys() - CHECKED_EXPECT}
        unchecked |= {f"facts.{k}" for k in (meta.get("facts") or {}).keys() - CHECKED_FACTS}
        if not body.exists():
            failures.append(f"{name}: sidecar without its response {body.name}")
            continue
        if platform not in PARSERS:
            failures.append(f"{name}: folder {platform!r} is not a platform ({', '.join(sorted(PARSERS))})")
            continue
        try:
            prof, view = _profile(meta, body, platform)
        except CatalogFormatError as exc:
            failures.append(f"{name}: not parsed as {platform}: {exc}")
            continue
        if not (meta.get("expect") or meta.get("facts")):
            continue    # nothing stated beyond "parses"
        checked += 1
        bad = _check(meta, prof, view)
        agree += not bad
        failures.extend(f"{name}: {b}" for b in bad)
    summary = (f"{checked} recordings checked, {agree} agree ({len(recordings)} sidecars in all)"
               + (f"; keys not checked: {', '.join(sorted(unchecked))}" if unchecked else ""))
    print(summary)
    assert checked, f"no recording under {root} states anything to check"
    assert not failures, summary + "\n" + "\n".join(failures)


def _one_per_kind() -> list[tuple[Path, Path, str]]:
    """The smallest recording of each kind (folder + name prefix), for the real CLI entry point."""
    kinds: dict[tuple, tuple[Path, Path, str]] = {}
    for meta, body, platform in _recordings():
        if not body.exists():
            continue
        kind = (meta.parent, meta.name.split("_")[0])
        if kind not in kinds or body.stat().st_size < kinds[kind][1].stat().st_size:
            kinds[kind] = (meta, body, platform)
    return sorted(kinds.values())


def test_profile_portal_cli_agrees_on_each_kind_of_recording(capsys: pytest.CaptureFixture) -> None:
    failures, runs = [], 0
    for meta_path, body, platform in _one_per_kind():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        argv = ["profile-portal", "--platform", platform, str(body),
                "--as-of", (_as_of(meta) or NO_DATE).date().isoformat()]
        argv += ["--portal", meta["portal"]] if meta.get("portal") else []
        code = cli(argv)
        captured = capsys.readouterr()
        runs += 1
        if code != 0:
            failures.append(f"{body.name}: exit {code}: {captured.err.strip()}")
            continue
        printed = json.loads(captured.out)
        library, view = _profile(meta, body, platform)
        extra = {k: v for k, v in library.items() if k.startswith("_")}   # not printed by the CLI
        if printed != {k: v for k, v in library.items() if k not in extra}:
            failures.append(f"{body.name}: CLI output differs from the library profile")
        failures.extend(f"{body.name} (CLI): {b}" for b in _check(meta, {**printed, **extra}, view))
    assert runs >= 5, f"only {runs} kinds of recording found"
    assert not failures, "\n".join(failures)


def test_legacy_v1_catalog_self_entry_is_recognised_by_identifier_even_on_another_host() -> None:
    body = realdata("portals/dcat/legacy2013_data.redmond.gov.json").read_bytes()
    own = PARSERS["dcat"](body, "data.redmond.gov")
    other = PARSERS["dcat"](body, "opendata.example.gov")
    assert own.skipped == other.skipped == 1 and len(own.records) == len(other.records)
    assert any("v1.0" in n for n in own.notes)
