"""One dataset record shape for every platform; entries with missing fields are flagged, never dropped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

MACHINE_READABLE = {"csv", "json", "geojson", "xml", "xlsx", "xls", "kml", "shp", "zip", "api", "rdf",
                    "parquet", "tsv", "text/csv", "application/json", "application/geo+json", "application/xml",
                    "application/vnd.ms-excel", "esri rest", "arcgis geoservices rest api"}


@dataclass
class DatasetRecord:
    platform: str
    portal: str | None
    id: str | None
    title: str | None
    type: str = "dataset"                # dataset | map | file | link | other
    updated_at: datetime | None = None
    department: str | None = None
    description: str | None = None
    license: str | None = None
    contact: str | None = None
    tags: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    column_descriptions: bool | None = None   # None: the platform does not say
    api_access: bool = False
    issues: list[str] = field(default_factory=list)

    @property
    def machine_readable(self) -> bool:
        return any(f.lower() in MACHINE_READABLE for f in self.formats) or self.api_access

    def to_row(self) -> dict:
        # A shallow copy of the fields: ``asdict`` deep-copies every value, and the lists it would copy are
        # joined into strings just below (a national catalog survey makes hundreds of thousands of rows).
        row = {name: getattr(self, name) for name in _FIELDS}
        row["has_description"] = bool(self.description and self.description.strip())
        row["machine_readable"] = self.machine_readable
        row["tags"] = ";".join(self.tags)
        row["formats"] = ";".join(sorted(set(self.formats)))
        row["issues"] = ";".join(self.issues)
        return row


_FIELDS = tuple(f.name for f in fields(DatasetRecord))


def each_id_once(records: Iterable[DatasetRecord], seen: set[str]) -> tuple[list[DatasetRecord], int]:
    """The records whose id is not yet in ``seen`` (which they are added to), records without an id all kept,
    and how many repeated an id: overlapping catalog pages (a catalog that changed while it was paged, the
    same page given twice) count each dataset once."""
    kept, repeated = [], 0
    for rec in records:
        if rec.id is not None:
            if rec.id in seen:
                repeated += 1
                continue
            seen.add(rec.id)
        kept.append(rec)
    return kept, repeated


def parse_time(value) -> datetime | None:
    """ISO-8601 dates and datetimes (with Z or offsets) and epoch seconds; anything else is None."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("name") or value.get("title") or value.get("fn")
    value = str(value).strip() if value is not None else None
    return value or None
