"""Code versions from content: the data files that decide an asset's output are part of its version.

Dagster marks an asset stale when its code version changes. A new evidence rule, a re-weighted criterion, a
portal signal phrase or a scope rule changes what the evidence, the portals and the index say without any
Python changing, so those assets' versions are a hash of the files that decide them (and of a version
constant for the code that reads them): after such an edit the UI shows those assets and everything
downstream as stale, and a backfill knows what to redo.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sources.criteria.catalog import CATALOG_DIR, DEFAULT_STANDARD
from sources.evidence.classify import RULES_PATH
from sources.portals.profile import SIGNALS_FILE
from sources.portals.scope import RULES_FILE as SCOPE_FILE
from warehouse.index.scoring import RULE as SCORING_RULE

#: Bump when the crawl or the text extraction changes what a page yields (rules.yaml is hashed anyway).
EXTRACTION_VERSION = "2026.12.07.3"
#: Bump when the portal survey's code changes what a city's portals yield (signals.yaml and scope.yaml are
#: hashed anyway). "2" was the portal assets' fixed code version before the files were hashed.
PORTALS_CODE_VERSION = "2"
#: Bump when the index code changes what a given catalog and set of signals give: warehouse/index/, the
#: sequence of warehouse/index/build.py included (no Python file is hashed, only the data files below).
SCORING_VERSION = "2026.12.05"


def content_version(*files: Path, code: str = "") -> str:
    """A short hash of the files' bytes and the code version: equal exactly when all of them are."""
    digest = hashlib.sha256(code.encode("utf-8"))
    for path in files:
        digest.update(path.name.encode("utf-8") + b"\0" + Path(path).read_bytes())
    return digest.hexdigest()[:16]


#: The website crawl and its evidence: the evidence rules (and link rules, same file).
EVIDENCE = content_version(RULES_PATH, code=EXTRACTION_VERSION)
#: The portal survey: the signal phrases its catalog profiles count and the rules that decide who runs a
#: portal (and so whether it is credited to the city).
PORTALS = content_version(SIGNALS_FILE, SCOPE_FILE, code=PORTALS_CODE_VERSION)
#: The index: the criteria catalog, the evidence rules and portal files behind its signals, and the scoring
#: rule.
INDEX = content_version(CATALOG_DIR / f"{DEFAULT_STANDARD}.yaml", RULES_PATH, SIGNALS_FILE, SCOPE_FILE,
                        code=f"{SCORING_VERSION} {SCORING_RULE}")
