"""Code versions from content: the data files that decide an asset's output are part of its version.

Dagster marks an asset stale when its code version changes. A new evidence rule or a re-weighted criterion
changes what the evidence and the index say without any Python changing, so those assets' versions are a
hash of the files that decide them (and of a version constant for the code that reads them): after such an
edit the UI shows the evidence, the scores and everything downstream as stale, and a backfill knows what to
redo.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sources.criteria.catalog import CATALOG_DIR, DEFAULT_STANDARD
from sources.evidence.classify import RULES_PATH
from warehouse.index.scoring import RULE as SCORING_RULE

#: Bump when the crawl or the text extraction changes what a page yields (rules.yaml is hashed anyway).
EXTRACTION_VERSION = "2026.12.07.2"
#: Bump when the scoring code changes what a given catalog and set of signals give.
SCORING_VERSION = "2026.12.05"


def content_version(*files: Path, code: str = "") -> str:
    """A short hash of the files' bytes and the code version: equal exactly when all of them are."""
    digest = hashlib.sha256(code.encode("utf-8"))
    for path in files:
        digest.update(path.name.encode("utf-8") + b"\0" + Path(path).read_bytes())
    return digest.hexdigest()[:16]


#: The website crawl and its evidence: the evidence rules (and link rules, same file).
EVIDENCE = content_version(RULES_PATH, code=EXTRACTION_VERSION)
#: The index: the criteria catalog, the evidence rules behind its signals, and the scoring rule.
INDEX = content_version(CATALOG_DIR / f"{DEFAULT_STANDARD}.yaml", RULES_PATH,
                        code=f"{SCORING_VERSION} {SCORING_RULE}")
