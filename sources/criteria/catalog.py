"""Load the criteria catalog (``wwc_2022.yaml``) and answer the questions other modules ask of it.

The catalog is the single place where the standard lives: which criteria exist, what each needs, which
observed signals count as evidence and how much. Code reads it; nothing here restates it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from sources.datafiles import CatalogFile, load_data_file

CATALOG_DIR = Path(__file__).parent
DEFAULT_STANDARD = "wwc_2022"


@dataclass(frozen=True)
class Criterion:
    id: str
    practice: str
    name: str
    observable: str
    prior: float
    prerequisites: tuple[str, ...]
    evidence: tuple[tuple[str, float], ...]    # (signal, weight)
    training_topic: str
    core: bool = False                           # needed for any tier, whatever the total


@dataclass(frozen=True)
class Catalog:
    standard: str
    practices: dict[str, str]
    criteria: tuple[Criterion, ...]
    training_topics: dict[str, str]
    bands: str                                   # name of the bands in use (``tier_bands`` in the YAML)
    tier_bands: dict[str, dict[str, float]]      # every band set the YAML offers

    @property
    def tiers(self) -> dict[str, float]:
        """The bands in use: share of max points needed per tier."""
        return self.tier_bands[self.bands]

    def with_bands(self, name: str | None) -> Catalog:
        """The same standard read with another set of tier bands (empty or None: the ones in use)."""
        if not name or name == self.bands:
            return self
        if name not in self.tier_bands:
            raise ValueError(f"unknown tier bands {name!r} for {self.standard}; known: {', '.join(self.tier_bands)}")
        return replace(self, bands=name)

    def by_id(self) -> dict[str, Criterion]:
        return {c.id: c for c in self.criteria}

    def for_signal(self, signal: str, min_weight: float = 0.0) -> list[str]:
        """Criterion ids a signal counts toward (weight above ``min_weight``), strongest first. Every weight
        the score uses, however small: a page that moves a criterion's probability is listed as its evidence."""
        hits = [(w, c.id) for c in self.criteria for s, w in c.evidence if s == signal and w > min_weight]
        return [cid for _, cid in sorted(hits, key=lambda t: (-t[0], t[1]))]


@lru_cache(maxsize=4)
def load_catalog(standard: str = DEFAULT_STANDARD) -> Catalog:
    path = CATALOG_DIR / f"{standard}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in CATALOG_DIR.glob("*.yaml"))
        raise ValueError(f"unknown standard {standard!r}; known: {', '.join(known)}")
    raw = load_data_file(path, CatalogFile)   # typed: a slip names the file, the entry and the field
    criteria = tuple(
        Criterion(id=c.id, practice=c.practice, name=c.name, observable=c.observable, prior=c.prior,
                  prerequisites=tuple(c.prerequisites), evidence=tuple((e.signal, e.weight) for e in c.evidence),
                  training_topic=c.training_topic, core=c.core)
        for c in raw.criteria)
    bands = {name: {tier: float(share) for tier, share in spec.items()}
             for name, spec in raw.tier_bands.items() if name != "default"}
    return Catalog(standard=raw.standard, practices={p.id: p.name for p in raw.practices}, criteria=criteria,
                   training_topics={t.id: t.name for t in raw.training_topics},
                   bands=raw.tier_bands["default"], tier_bands=bands)
