"""Attested corrections: what a city showed staff about one criterion, kept across runs and homes.

The web misses things (a policy on an intranet, a snippet misread), and the same wrong call would come back
every month. A correction records an attested fact (met or not, who says so, when, the source URL and a
note) in an append-only JSON Lines file outside every snapshot: ``corrections.jsonl`` in the home, or the
file ``CDPI_CORRECTIONS`` names (so a team can keep one file under version control for several homes).
Nothing is ever deleted: a withdrawal is an event of its own, and a correction lapses by age or when the
standard changes, so the history stays readable. Each run reads the file, records every correction with its
status as of the run in ``ops.corrections``, and the index applies the open ones as their own signal
(warehouse/index/scoring.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from warehouse.paths import WarehousePaths

CORRECTIONS_NAME = "corrections.jsonl"
#: A correction older than this lapses: practices change, and an attestation should be renewed.
DEFAULT_MAX_AGE_MONTHS = 12
STATUSES = ("open", "withdrawn", "expired", "other_standard")
COLUMNS = ["correction_id", "geoid", "city", "state", "criterion_id", "met", "source_url", "note", "attested_by",
           "recorded_at", "standard", "status", "expires_at", "withdrawn_at", "withdrawn_by", "withdraw_note"]
MAX_TEXT = 2000


class CorrectionError(ValueError):
    """A correction that cannot be recorded or read, with a message meant for the person typing it."""


@dataclass(frozen=True)
class Correction:
    """One attested fact about one criterion of one city."""

    geoid: str
    city: str
    state: str
    criterion_id: str
    met: bool
    source_url: str
    note: str
    attested_by: str
    recorded_at: str          # ISO 8601, UTC
    standard: str
    correction_id: int = 0    # given when recorded


def corrections_file(paths: WarehousePaths) -> Path:
    """The corrections file: ``CDPI_CORRECTIONS`` when set, else ``corrections.jsonl`` in the home."""
    configured = os.environ.get("CDPI_CORRECTIONS", "").strip()
    return Path(configured).expanduser().resolve() if configured else paths.home / CORRECTIONS_NAME


def check_source(url: str) -> str:
    """An attestation needs somewhere to check it: an http(s) URL with a host."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CorrectionError(f"source must be an http(s) URL with a host, not {url!r}")
    return url


def check_text(value: str | None, what: str, *, required: bool) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise CorrectionError(f"{what} is required")
    if len(text) > MAX_TEXT:
        raise CorrectionError(f"{what} is longer than {MAX_TEXT} characters")
    return text


def parse_met(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    answer = str(value).strip().lower()
    if answer in ("yes", "y", "true", "1", "met"):
        return True
    if answer in ("no", "n", "false", "0", "not met", "not_met"):
        return False
    raise CorrectionError(f"met must be yes or no, not {value!r}")


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time: numbering and the duplicate check must see every earlier line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_events(path: Path) -> list[dict]:
    """Every event of the file in order. A line that does not parse stops the reading with its line number:
    an attested fact must never be dropped silently."""
    if not path.exists():
        return []
    events = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorrectionError(f"{path}: line {number} is not JSON ({exc.msg}); fix or remove that line") from None
        if not isinstance(event, dict) or event.get("event") not in ("correct", "withdraw") or not isinstance(
                event.get("correction_id"), int):
            raise CorrectionError(f"{path}: line {number} is not a correction or withdrawal event")
        events.append(event)
    return events


def status_table(path: Path, *, as_of: datetime, standard: str,
                 max_age_months: int = DEFAULT_MAX_AGE_MONTHS) -> pd.DataFrame:
    """Every correction recorded up to ``as_of``, with its status then: open, withdrawn, expired (older
    than ``max_age_months``) or other_standard (recorded against another version of the standard)."""
    stamp = pd.Timestamp(as_of)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    rows: dict[int, dict] = {}
    for e in read_events(path):
        when = pd.Timestamp(e["recorded_at"])
        if when > stamp:
            continue
        if e["event"] == "correct":
            rows[e["correction_id"]] = {c: e.get(c) for c in COLUMNS if c in e} | {
                "expires_at": (when + pd.DateOffset(months=max_age_months)).isoformat().replace("+00:00", "Z"),
                "withdrawn_at": None, "withdrawn_by": None, "withdraw_note": None}
        elif e["correction_id"] in rows:
            rows[e["correction_id"]] |= {"withdrawn_at": e["recorded_at"], "withdrawn_by": e.get("attested_by"),
                                         "withdraw_note": e.get("note")}
    for row in rows.values():
        if row["withdrawn_at"] is not None:
            row["status"] = "withdrawn"
        elif pd.Timestamp(row["expires_at"]) <= stamp:
            row["status"] = "expired"
        elif row.get("standard") != standard:
            row["status"] = "other_standard"
        else:
            row["status"] = "open"
    return pd.DataFrame(list(rows.values()), columns=COLUMNS)


#: What decides a correction's effect on the index: the digest of a run's applied corrections covers these.
#: Not correction_id: it is only the line's number in one file, and an export loaded back into another file
#: (the researcher guide's reproduce procedure) numbers the same facts from 1.
DIGESTED = ["geoid", "criterion_id", "met", "source_url", "attested_by", "recorded_at", "standard"]


def applied_summary(table: pd.DataFrame) -> dict:
    """How many corrections of a run's status table were applied, and a SHA-256 over them (the columns in
    :data:`DIGESTED`, sorted by city, criterion and recorded_at, as canonical JSON): two runs with the same
    digest applied the same attested facts, whatever ids their files gave them, so a replay that got another
    digest did not reproduce the corrected run."""
    applied = table[table["applied"].astype(bool)] if "applied" in table else table.iloc[0:0]
    rows = sorted(({c: (None if pd.isna(r[c]) else bool(r[c]) if c == "met" else str(r[c])) for c in DIGESTED}
                   for _, r in applied.iterrows()),
                  key=lambda r: (r["geoid"] or "", r["criterion_id"] or "", r["recorded_at"] or ""))
    text = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return {"applied": len(rows), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def record(path: Path, drafts: list[Correction], *, standard: str,
           max_age_months: int = DEFAULT_MAX_AGE_MONTHS) -> list[Correction]:
    """Append ``drafts`` (already validated against the warehouse and the catalog) with new ids, all or
    none: a duplicate of an open correction, or two drafts for the same criterion of a city, refuses the
    whole batch and writes nothing.

    A draft may be dated earlier than now (``recorded_at`` of a batch row, an export loaded back). Open is
    judged both now, over every event of the file, and at the draft's own date, so no moment has two open
    corrections of one criterion. And a draft dated before any event of its criterion already in the file is
    refused: slipped in under later events, it would rewrite what the runs after its date saw (a replay of
    such a run would apply it). Loading an export into a file with nothing on that criterion, as the
    reproduce procedure does, is not affected."""
    with _locked(path):
        events = read_events(path)
        by_id = {e["correction_id"]: e for e in events if e["event"] == "correct"}
        latest: dict[tuple[str, str], dict] = {}
        for e in events:
            made = by_id.get(e["correction_id"])
            if made is None:
                continue
            key = (made["geoid"], made["criterion_id"])
            if key not in latest or pd.Timestamp(e["recorded_at"]) > pd.Timestamp(latest[key]["recorded_at"]):
                latest[key] = e

        judged: dict[pd.Timestamp, dict[tuple[str, str], int]] = {}

        def open_at(moment: pd.Timestamp) -> dict[tuple[str, str], int]:
            if moment not in judged:
                table = status_table(path, as_of=moment.to_pydatetime(), standard=standard,
                                     max_age_months=max_age_months)
                judged[moment] = {(r.geoid, r.criterion_id): r.correction_id
                                  for r in table[table["status"] == "open"].itertuples()}
            return judged[moment]

        open_now = open_at(pd.Timestamp(now_utc()))
        seen: dict[tuple[str, str], int] = {}
        for k, d in enumerate(drafts, start=1):
            key = (d.geoid, d.criterion_id)
            what = f"{d.city}, {d.state} {d.criterion_id}"
            later = latest.get(key)
            if later is not None and pd.Timestamp(later["recorded_at"]) > pd.Timestamp(d.recorded_at):
                verb = "withdrawn" if later["event"] == "withdraw" else "recorded"
                raise CorrectionError(
                    f"row {k} ({what}) is dated {d.recorded_at}, before correction #{later['correction_id']} of "
                    f"it was {verb} ({later['recorded_at']}): a correction cannot be slipped in under later "
                    "ones; record it without recorded_at")
            open_ = open_now if key in open_now else open_at(pd.Timestamp(d.recorded_at))
            if key in open_:
                raise CorrectionError(f"{what} already has open correction "
                                      f"#{open_[key]}; withdraw it first (cdpi correct --withdraw {open_[key]})")
            if key in seen:
                raise CorrectionError(f"rows {seen[key]} and {k} both correct {what}")
            seen[key] = k
        first = max((e["correction_id"] for e in events), default=0) + 1
        done = [Correction(**{**asdict(d), "correction_id": first + k}) for k, d in enumerate(drafts)]
        _append(path, [{"event": "correct", **asdict(c)} for c in done])
    return done


def withdraw(path: Path, correction_id: int, *, by: str, note: str, recorded_at: str | None = None) -> dict:
    """Withdraw an open (or lapsed) correction: a new event, the correction itself stays in the file."""
    by = check_text(by, "--by (who withdraws it)", required=True)
    note = check_text(note, "--note", required=False)
    with _locked(path):
        events = read_events(path)
        made = [e for e in events if e["event"] == "correct" and e["correction_id"] == correction_id]
        if not made:
            known = sorted({e["correction_id"] for e in events if e["event"] == "correct"})
            hint = f"; known: {', '.join(map(str, known[-10:]))}" if known else "; none recorded yet"
            raise CorrectionError(f"no correction #{correction_id} in {path}{hint}")
        if any(e["event"] == "withdraw" and e["correction_id"] == correction_id for e in events):
            raise CorrectionError(f"correction #{correction_id} is already withdrawn")
        event = {"event": "withdraw", "correction_id": correction_id, "attested_by": by, "note": note,
                 "recorded_at": recorded_at or now_utc()}
        _append(path, [event])
    return made[0] | {"withdrawn": event}


def _append(path: Path, events: list[dict]) -> None:
    """One write of whole lines, flushed to disk before the command reports success."""
    data = "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in events).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def draft(con, catalog, *, city: str, criterion: str, met: str | bool, source: str, note: str | None,
          by: str | None, recorded_at: str | None = None) -> Correction:
    """A correction checked against the published warehouse (the city is in the latest run: ``"Name, ST"``
    or its GEOID) and the criteria catalog (a known criterion id, any case); CorrectionError otherwise."""
    from warehouse.scorecard import CityNotFound, find_city

    text = (city or "").strip()
    if not text:
        raise CorrectionError('a city is required ("Name, ST" or its GEOID)')
    if text.isdigit():
        row = con.execute("SELECT geoid, city, state FROM marts.city_index_latest WHERE geoid = ?", [text]).fetchone()
        if row is None:
            raise CorrectionError(f"no city with GEOID {text} in the latest run")
        geoid, name, state = row
    else:
        try:
            found = find_city(con, text)
        except CityNotFound as exc:
            raise CorrectionError(str(exc)) from None
        geoid, name, state = found["geoid"], found["city"], found["state"]
    ids = {c.id.lower(): c.id for c in catalog.criteria}
    criterion_id = ids.get((criterion or "").strip().lower())
    if criterion_id is None:
        raise CorrectionError(f"unknown criterion {criterion!r} of the {catalog.standard} standard; known: "
                              + ", ".join(c.id for c in catalog.criteria))
    return Correction(geoid=str(geoid), city=str(name), state=str(state), criterion_id=criterion_id,
                      met=parse_met(met), source_url=check_source(source),
                      note=check_text(note, "note", required=False),
                      attested_by=check_text(by, "--by (who attests it)", required=True),
                      recorded_at=recorded_at or now_utc(), standard=catalog.standard)
