"""Synthetic dataset metadata shared by every portal format, generated lazily one entry at a time.

Entry ``i`` of a portal depends only on ``(portal host, i)``, so a page of a 30,000-dataset catalog
is built without the other 29,900 entries. Socrata-style ids grow with ``i`` (random gaps, fixed
width, sorted alphabet), so "ordered by id" equals "ordered by index" and ``scroll_id`` paging is a
binary search instead of a sort.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from tests.simweb.formats.common import EPOCH

DEPARTMENTS = ["Police Department", "Finance", "Public Works", "Planning and Development",
               "Parks and Recreation", "Fire Department", "Housing", "311 Customer Service", "Budget Office",
               "Transportation", "Information Technology", "City Clerk", "Human Resources", "Water Utility"]
#: (title stem, category, tags); a few stems are the portal-level signals the profiler looks for.
TOPICS = [
    ("Crime Incidents", "Public Safety", ("public safety", "crime", "police")),
    ("Adopted Budget", "Finance", ("budget", "finance", "transparency")),
    ("Building Permits", "Housing & Development", ("permits", "construction")),
    ("311 Service Requests", "City Services", ("311", "service requests")),
    ("Performance Measures", "Government", ("performance measures", "kpi")),
    ("Data Inventory", "Government", ("data inventory", "open data")),
    ("Street Trees", "Environment", ("trees", "gis")),
    ("Parcels", "Property", ("parcels", "gis", "assessor")),
    ("Restaurant Inspections", "Health", ("inspections", "food")),
    ("Employee Payroll", "Finance", ("payroll", "salaries", "transparency")),
    ("Code Violations", "Housing & Development", ("code enforcement",)),
    ("Traffic Crashes", "Transportation", ("traffic", "crashes", "safety")),
    ("Zoning Districts", "Property", ("zoning", "gis", "planning")),
    ("Open Data Policy", "Government", ("open data policy", "policy")),
    ("Vendor Payments", "Finance", ("checkbook", "vendors", "transparency")),
    ("Fire Responses", "Public Safety", ("fire", "ems")),
    ("Park Locations", "Recreation", ("parks", "gis")),
    ("Water Quality Results", "Environment", ("water", "utilities")),
]
LICENSES = ["Public Domain", "Creative Commons Attribution 4.0", "Open Data Commons Open Database License",
            "See Terms of Use", "Creative Commons 1.0 Universal (Public Domain Dedication)"]
KINDS = ["dataset", "map", "file", "href", "chart", "filter"]
_KIND_WEIGHTS = [68, 14, 8, 5, 3, 2]
FORMATS = ["CSV", "JSON", "XLSX", "PDF", "GeoJSON", "Shapefile", "XML", "KML"]
_ID_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyz"   # sorted, so string order == numeric order
_ID_STRIDE = 1 << 16


@dataclass(frozen=True)
class SynthDataset:
    """One catalog entry, platform-neutral; each format maps it to its own field names."""

    index: int
    uid: str                       # Socrata-style "abcd-1234"
    uuid: str                      # CKAN-style UUID
    slug: str
    title: str
    description: str | None
    license: str | None
    department: str | None
    category: str
    tags: tuple[str, ...]
    kind: str                      # dataset | map | file | href | chart | filter
    formats: tuple[str, ...]
    created: datetime
    updated: datetime
    metadata_updated: datetime
    records: int
    columns: tuple[tuple[str, str, str, str], ...]   # (name, field name, datatype, description)
    contact: str | None
    downloads: int


def entry(host: str, i: int) -> SynthDataset:
    """Entry ``i`` of the portal at ``host`` (pure function of its arguments)."""
    return _entry(host, i)


@lru_cache(maxsize=4096)
def _entry(host: str, i: int) -> SynthDataset:
    rng = random.Random(f"{host}#{i}")
    stem, category, tags = TOPICS[rng.randrange(len(TOPICS))]
    dept = rng.choice(DEPARTMENTS) if rng.random() < 0.9 else None
    year = 2012 + rng.randrange(15)
    title = f"{stem} {year}" if i % 3 else stem
    if i % 7 == 2:
        title = f"{stem} ({dept or 'Citywide'})"
    age = int(rng.lognormvariate(4.2, 1.4))            # median ~ 2 months, long stale tail (years)
    updated = EPOCH - timedelta(days=age, seconds=rng.randrange(86_400))
    created = updated - timedelta(days=rng.randrange(0, 2_500))
    kind = rng.choices(KINDS, _KIND_WEIGHTS)[0]
    n_cols = rng.randrange(2, 9)
    described = rng.random() < 0.4
    columns = tuple((f"Column {c + 1}" if c else "ID", f"column_{c + 1}" if c else "id",
                     rng.choice(["Text", "Number", "Calendar date", "Location"]) if c else "Number",
                     f"Meaning of column {c + 1}." if described else "") for c in range(n_cols))
    description = (f"{stem} maintained by the {dept or 'City'}; updated {rng.choice(['daily', 'weekly', 'monthly', 'annually'])}. "
                   "Synthetic sample entry.") if rng.random() < 0.75 else (None if rng.random() < 0.5 else "")
    return SynthDataset(
        index=i, uid=socrata_id(host, i), uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        slug=f"{_slug(title)}-{i}", title=title, description=description,
        license=rng.choice(LICENSES) if rng.random() < 0.65 else None, department=dept, category=category,
        tags=tuple(tags[: rng.randrange(0, len(tags) + 1)]), kind=kind,
        formats=tuple(rng.sample(FORMATS, rng.randrange(1, 4))) if kind in ("dataset", "file", "map") else (),
        created=created, updated=updated,
        metadata_updated=updated + timedelta(days=rng.randrange(0, 3)) if age > 3 else updated,
        records=int(rng.lognormvariate(7, 2)), columns=columns,
        contact=f"opendata@{host}" if rng.random() < 0.5 else None, downloads=int(rng.lognormvariate(4, 2)))


def socrata_id(host: str, i: int) -> str:
    """Fixed-width 4x4 id, strictly increasing with ``i`` for a given host."""
    base = int.from_bytes(hashlib.sha256(host.encode()).digest()[:8], "big") % (1 << 39)
    jitter = int.from_bytes(hashlib.sha256(f"{host}#{i}".encode()).digest()[:4], "big") % _ID_STRIDE
    value = base + i * _ID_STRIDE + jitter
    digits = []
    for _ in range(8):
        value, d = divmod(value, 32)
        digits.append(_ID_ALPHABET[d])
    text = "".join(reversed(digits))
    return f"{text[:4]}-{text[4:]}"


def first_after(host: str, total: int, scroll_id: str) -> int:
    """Index of the first entry whose id sorts after ``scroll_id`` (``total`` when none does)."""
    lo, hi = 0, total
    while lo < hi:
        mid = (lo + hi) // 2
        if socrata_id(host, mid) <= scroll_id:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _slug(text: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())
