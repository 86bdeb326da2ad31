"""Portal profile metrics, in the spirit of Open Data Portal Watch's existence/conformance/openness."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sources.datafiles import SignalsFile, load_data_file
from sources.portals.records import DatasetRecord, each_id_once

if TYPE_CHECKING:
    from sources.portals.parsers import CatalogPage


SIGNALS_FILE = Path(__file__).with_name("signals.yaml")


@cache
def signal_phrases(path: Path = SIGNALS_FILE) -> dict[str, list[re.Pattern]]:
    """The phrases of each signal in signals.yaml, as whole-word patterns. Typed: a misspelt or missing
    signal names the file and the key, instead of counting as no dataset for every city."""
    spec = load_data_file(path, SignalsFile)
    return {kind: [re.compile(rf"\b{re.escape(p)}\b", re.I) for p in phrases]
            for kind, phrases in spec.model_dump().items()}


def matching_signals(record: DatasetRecord) -> list[str]:
    haystack = " | ".join([record.title or "", " ".join(record.tags), record.department or ""])
    return [kind for kind, pats in signal_phrases().items() if any(p.search(haystack) for p in pats)]


#: Days after ``as_of`` (UTC) an update may carry and still count as of that date: a U.S. city's evening is
#: the next day in UTC, and a catalog recorded on a date can list an update from that evening.
UPDATE_SLACK_DAYS = 1


def updated_after(record: DatasetRecord, as_of: datetime) -> bool:
    """True when the record's last update falls after the day of ``as_of`` and the day of slack (UTC).

    A catalog keeps only the latest update, so such a record's age on ``as_of`` is unknown: it may have
    been fresh or years old then. This happens when a past month is built from catalogs read later (a
    backfill, or a replay of a newer archive). The snapshot is about the whole day of ``as_of`` (the last
    day of its month), so an update later that day, or that evening in U.S. time, is not after it."""
    if record.updated_at is None:
        return False
    last = as_of.astimezone(UTC).date() + timedelta(days=UPDATE_SLACK_DAYS)
    return record.updated_at.astimezone(UTC).date() > last


def after_as_of_note(count: int, as_of: datetime) -> str:
    """What the profile tells the user when it leaves records out of freshness."""
    entries = f"{count} entr{'y' if count == 1 else 'ies'}"
    return (f"{entries} last updated after {as_of.date().isoformat()} (the catalog was read later): their age "
            "on that date is unknown, so the freshness shares and the median leave them out")


def profile(records: list[DatasetRecord], *, as_of: datetime | None = None,
            reported_total: int | None = None) -> dict:
    """Metrics over a whole catalog. Shares are over all records; None when there are none. Freshness
    (the 90 and 365 day shares, the median age) is over the records whose age on ``as_of`` is known,
    so it leaves out those updated after it (counted in ``updated_after_as_of``, with a note)."""
    as_of = as_of or datetime.now(UTC)
    as_of = as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)
    n = len(records)

    def share(pred: Callable[[DatasetRecord], bool], over: list[DatasetRecord] = records) -> float | None:
        return round(sum(1 for r in over if pred(r)) / len(over), 4) if over else None

    known = [r for r in records if not updated_after(r, as_of)]
    after = n - len(known)

    def within(days: int) -> Callable[[DatasetRecord], bool]:
        return lambda r: r.updated_at is not None and (as_of - r.updated_at).days <= days

    ages = [(as_of - r.updated_at).days for r in known if r.updated_at is not None]
    with_cols = [r for r in records if r.column_descriptions is not None]
    # Every signal starts at zero, so a name below that is not a signal is a KeyError, not a silent zero.
    signals = dict.fromkeys(signal_phrases(), 0) | Counter(s for r in records for s in matching_signals(r))
    return {
        "dataset_count": n,
        "reported_total": reported_total,
        "by_type": dict(sorted(Counter(r.type for r in records).items())),
        "updated_90d_share": share(within(90), known),
        "updated_365d_share": share(within(365), known),
        "median_days_since_update": statistics.median(ages) if ages else None,
        "updated_after_as_of": after,
        "described_share": share(lambda r: bool(r.description and r.description.strip())),
        "licensed_share": share(lambda r: bool(r.license)),
        "contact_share": share(lambda r: bool(r.contact)),
        "tagged_share": share(lambda r: bool(r.tags)),
        "column_descriptions_share": (round(sum(1 for r in with_cols if r.column_descriptions) / len(with_cols), 4)
                                      if with_cols else None),
        "machine_readable_share": share(lambda r: r.machine_readable),
        "api_share": share(lambda r: r.api_access),
        "departments": len({r.department for r in records if r.department}),
        "has_data_inventory": signals["data_inventory"] > 0,
        "has_open_data_policy": signals["open_data_policy"] > 0,
        "performance_datasets": signals["performance_measures"],
        "flagged_records": sum(1 for r in records if r.issues),
        "as_of": as_of.date().isoformat(),
        "notes": [after_as_of_note(after, as_of)] if after else [],
    }


def profile_pages(platform: str, pages: list[CatalogPage], *, as_of: datetime | None = None) -> dict:
    """The profile of a portal from its parsed catalog pages (what ``cdpi profile-portal`` prints): the
    records of every page, each id once, the largest total a page reports, and the parsers' notes followed
    by the profile's own."""
    notes: list[str] = []
    for page in pages:
        notes.extend(n for n in page.notes if n not in notes)
    totals = [p.total for p in pages if p.total is not None]
    records, repeated = each_id_once((r for p in pages for r in p.records), set())
    if repeated:
        notes.append(f"{repeated} entr{'y' if repeated == 1 else 'ies'} repeated an id already read (the same "
                     "page given twice, or pages of a catalog that changed between them): counted once")
    result = profile(records, as_of=as_of, reported_total=max(totals, default=None))
    result.update({"platform": platform, "pages": len(pages), "notes": notes + result["notes"],
                   "skipped_entries": sum(p.skipped for p in pages)})
    return result
