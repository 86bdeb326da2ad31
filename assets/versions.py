"""Code versions from content: the data files and the Python that decide an asset's output are its version.

Dagster marks an asset stale when its code version changes. A new evidence rule, a re-weighted criterion, a
portal signal phrase or a scope rule changes what the evidence, the portals and the index say without any
Python changing; an edit to the classifier, the text extraction, the portal profiles or the index's
scoring changes it without any data file changing. So each of those assets' versions is a hash of the files
that decide it and of the source of the modules that decide it (the lists below): after either kind of edit
the UI shows those assets as stale (and, once they are redone, what reads them), so a backfill knows what
to redo. Nobody has to remember to bump a string.

Only the code counts, not how it is written: comments, docstrings, blank lines, line wrapping, indentation
width, quote style and how a long string is split do not change a version (:func:`normalised_tokens`), so
a reworded comment does not ask for a re-crawl of every city.

Every asset's version is one of :data:`RECIPES` (a test holds that no asset keeps a literal): the city
universe, the home pages, the certified labels, the publish, the exports and the report follow their code,
SQL, templates and suites just as the evidence, the portals and the index do.

What is not hashed: the HTTP layer (``sources/http/``, which fetches pages but does not decide what is made
of them; its URL normalisation, which decides which links are one page, is), the reader process pool
(``sources/evidence/reading.py``, whose pages and evidence are the same as in-process reading, a test holds
both), suites in a folder named by ``$CDPI_SUITES_DIR`` (outside the project; a run records their digest in
``ops.runs``) and the installed libraries (their versions differ between machines, and a version must not).
The hand-kept constants below remain for those cases: bump one to mark assets stale on purpose when nothing
hashed changed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import io
import json
import tokenize
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sources.criteria.catalog import CATALOG_DIR, DEFAULT_STANDARD
from sources.evidence.classify import RULES_PATH
from sources.partners import ANNOUNCEMENTS_FILE
from sources.portals.profile import SIGNALS_FILE
from sources.portals.scope import RULES_FILE as SCOPE_FILE

#: Bump to mark the crawl and the evidence stale when nothing hashed changed (a parser library's upgrade
#: that changes what a page yields, say). rules.yaml and EVIDENCE_MODULES are hashed anyway.
EXTRACTION_VERSION = "2026.12.07.3"
#: Bump to mark the portal assets stale when nothing hashed changed. signals.yaml, scope.yaml and
#: PORTALS_MODULES are hashed anyway. "2" was the portal assets' fixed code version before files were hashed.
PORTALS_CODE_VERSION = "2"
#: Bump to mark the index stale when nothing hashed changed. The catalog, the files behind its signals and
#: INDEX_MODULES (all of warehouse/index/, build.py's sequence of steps included) are hashed anyway.
SCORING_VERSION = "2026.12.05"
#: Bump to mark the other assets stale when nothing hashed changed (the city universe, the home pages, the
#: certified labels, the publish, the exports and the report). Their files and modules are hashed anyway.
OTHER_CODE_VERSION = "1"

# The modules whose source is part of each version, as dotted names. A package stands for every module in
# its folder (``__init__`` included, not subpackages), so a new module there is hashed without an edit
# here. A name that no longer resolves stops the import of this module (and a test names it).

#: The website crawl and its evidence: what is fetched (crawl.py, with the link rules), how a body becomes
#: text (documents.py, markup.py), how text becomes evidence (classify.py, needles.py: its shortcut may
#: never change a result, but a bug in it would), the loaders of rules.yaml and of the catalog whose
#: criteria each evidence row names, the asset bodies that merge the shards and the quarantine that decides
#: which rows are kept. Also what decides which links are followed, though they live elsewhere: the site's
#: registrable domain (portals' registries, with the scope and state names it reads) and URL normalisation.
EVIDENCE_MODULES = (
    "sources.evidence.crawl",
    "sources.portals.registries",
    "sources.portals.scope",
    "sources.geo",
    "sources.http.urls",
    "assets.validation",
    "sources.evidence.documents",
    "sources.markup",
    "sources.evidence.classify",
    "sources.evidence.needles",
    "sources.datafiles",
    "sources.criteria.catalog",
    "assets.evidence",
)
#: The portal survey: every module of sources/portals/ (discovery, catalog parsers, scope, profiles, the
#: registries), the loader of signals.yaml and scope.yaml, and the asset bodies.
PORTALS_MODULES = (
    "sources.portals",
    "sources.datafiles",
    "assets.portals",
)
#: The index: every module of warehouse/index/ (signals, scoring, tiers, calibration, outreach, the build),
#: the catalog's loader and the asset bodies. Code upstream (the classifier, the portal profiles) reaches
#: the index through Dagster: an asset whose upstream is stale is shown stale too.
INDEX_MODULES = (
    "warehouse.index",
    "sources.datafiles",
    "sources.criteria.catalog",
    "assets.runlabels",
    "assets.index",
)
#: The city universe: the Census and city-file readers, the website sources (UScityURL, Wikidata) and their
#: precedence, what makes two addresses one site, and the cities suite's quarantine.
UNIVERSE_MODULES = (
    "sources.universe",
    "sources.census",
    "sources.wikidata",
    "sources.websites",
    "sources.geo",
    "sources.http.urls",
    "sources.portals.registries",
    "sources.portals.scope",
    "sources.datafiles",
    "expectations.runner",
    "assets.validation",
    "assets.runlabels",
    "assets.universe",
)
#: Each city's home page: which candidate is the city's website, what a fetched page yields (title, portal
#: links) and the outcome class of each fetch.
HOMEPAGES_MODULES = (
    "sources.homepages",
    "sources.websites",
    "sources.markup",
    "sources.portals.discovery",
    "sources.portals.registries",
    "sources.http.urls",
    "assets.homepages",
)
#: The labels beside the index: the certified list's parser and matching, the partner announcements, the
#: attested corrections' file, and their assets (in assets/index.py, hashed with the index as well).
LABELS_MODULES = (
    "sources.certified",
    "sources.partners",
    "sources.geo",
    "sources.portals.scope",
    "sources.markup",
    "sources.datafiles",
    "warehouse.corrections",
    "assets.index",
)
#: The published warehouse: the schema, its migrations and models, and how a run's frames become tables.
PUBLISH_MODULES = (
    "warehouse.publish",
    "warehouse.schema",
    "warehouse.changes",
    "warehouse.identifiers",
    "assets.tables",
    "assets.runlabels",
    "assets.publish",
)
#: The snapshot's CSV and Parquet files.
EXPORTS_MODULES = (
    "warehouse.export",
    "warehouse.spreadsheet",
    "assets.publish",
)
#: The outreach report: its pages' data, rendering and wording, the outreach lists and the city card it
#: shares with the CLI.
REPORT_MODULES = (
    "warehouse.report",
    "warehouse.outreach",
    "warehouse.scorecard",
    "warehouse.dictionary",
    "warehouse.index.outreach",
    "assets.report",
)


def module_files(names: Iterable[str]) -> list[tuple[str, Path]]:
    """Each dotted name's source file (a package: each module in its folder), sorted by name, no repeats.

    Located through the import system without importing the modules themselves, so the paths are the ones
    this process imports, wherever the project is installed. A missing module raises: a list naming code
    that was moved or renamed would otherwise hash less than it says, silently.
    """
    found: dict[str, Path] = {}
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(f"assets/versions.py lists {name!r}, which no longer exists", name=name)
        if spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                # Only what the import system could load: an editor's lock link (.#build.py) or a copy's
                # resource fork (._build.py) is no module, and reading it would stop every run.
                for path in sorted(p for p in Path(location).glob("*.py") if p.stem.isidentifier() and p.is_file()):
                    sub = name if path.stem == "__init__" else f"{name}.{path.stem}"
                    found[sub] = path
        else:
            found[name] = Path(spec.origin)
    return sorted(found.items())


def normalised_tokens(source: str) -> Iterator[str]:
    """The source's tokens with what does not change behaviour left out or written one way.

    Why tokens and not the syntax tree: ``ast.dump`` of the same code differs between Python minor versions
    (3.12 added ``type_params`` to every function and class, 3.13 omits empty fields), so a version built
    on it would change with the interpreter. The token stream of valid code is the same on every version
    the project supports (>= 3.11) once f-strings are taken whole: 3.12 splits them into parts, so an
    f-string is written as its exact source text on every version.

    Left out: comments, line breaks inside brackets and blank lines (``NL``), indentation width (only
    ``INDENT``/``DEDENT`` remain), and every statement that is only a string literal: a docstring, or a
    string under an assignment documenting it. Such statements do nothing when run; a docstring sets a
    ``__doc__``, but no listed module reads one, and the description Dagster takes from an asset function's
    is not part of what the asset holds. Written one way: a string literal as the ``repr`` of its value
    (quotes, escapes and implicit concatenation of adjacent literals do not count), a number as the
    ``repr`` of its value (``1_000`` is ``1000``). Still counted, on purpose: trailing commas and redundant
    parentheses, which can change meaning (``(x,)`` is a tuple).
    """
    # 3.12+ (f-strings) and 3.14+ (t-strings) tokenize these literals in parts; -1 matches no token.
    starts = {getattr(tokenize, name, -1) for name in ("FSTRING_START", "TSTRING_START")}
    ends = {getattr(tokenize, name, -1) for name in ("FSTRING_END", "TSTRING_END")}
    lines = io.StringIO(source).readlines()    # the rows tokenize counts (str.splitlines splits on more)

    def text(start: tuple[int, int], end: tuple[int, int]) -> str:
        (row0, col0), (row1, col1) = start, end
        if row0 == row1:
            return lines[row0 - 1][col0:col1]
        return lines[row0 - 1][col0:] + "".join(lines[row0:row1 - 1]) + lines[row1 - 1][:col1]

    line: list[tuple[str, Any]] = []   # the logical line being read: (kind, value)
    depth, fstring_from = 0, (0, 0)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if depth:                          # inside a 3.12+ f-string: only its end matters
            depth += (tok.type in starts) - (tok.type in ends)
            if not depth:
                line.append(("fstring", text(fstring_from, tok.end)))
            continue
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING):
            continue
        if tok.type in starts:
            depth, fstring_from = 1, tok.start
        elif tok.type == tokenize.STRING:
            if any(c in "fF" for c in tok.string[:tok.string.index(tok.string[-1])]):
                line.append(("fstring", tok.string))          # 3.11: one token, the same source text
            elif line and line[-1][0] == "str":              # "a" "b" is "ab"
                line[-1] = ("str", line[-1][1] + ast.literal_eval(tok.string))
            else:
                line.append(("str", ast.literal_eval(tok.string)))
        elif tok.type == tokenize.NUMBER:
            line.append(("number", ast.literal_eval(tok.string)))
        elif tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            if not (tok.type == tokenize.NEWLINE and [kind for kind, _ in line] == ["str"]):
                for kind, value in line:
                    yield f"{kind} {value if isinstance(value, str) and kind != 'str' else repr(value)}"
                yield tokenize.tok_name[tok.type]
            line = []
        else:
            line.append(("op" if tok.type == tokenize.OP else "name" if tok.type == tokenize.NAME
                         else tokenize.tok_name[tok.type].lower(), tok.string))


@lru_cache(maxsize=256)
def source_digest(source: str) -> str:
    """A hash of one module's normalised tokens (cached: modules shared by several versions, and tests that
    recompute a version, tokenize each source once)."""
    digest = hashlib.sha256()
    for token in normalised_tokens(source):
        digest.update(token.encode("utf-8") + b"\0")
    return digest.hexdigest()


def content_version(*files: Path, code: str = "", modules: Iterable[tuple[str, Path]] = ()) -> str:
    """A short hash of the files' bytes, the modules' normalised source (``(name, path)`` pairs, as
    :func:`module_files` gives) and the code version: equal exactly when all of them are."""
    digest = hashlib.sha256(code.encode("utf-8"))
    for name, module in modules:
        digest.update(b"\1" + name.encode("utf-8") + b"\0")
        digest.update(source_digest(Path(module).read_text(encoding="utf-8")).encode("ascii"))
    for path in files:
        digest.update(path.name.encode("utf-8") + b"\0" + Path(path).read_bytes())
    return digest.hexdigest()[:16]


def package_files(package: str, *patterns: str) -> list[Path]:
    """The files under a package's folder matching the glob patterns, sorted: the SQL, templates and suites
    that decide an asset's output as much as its Python does."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"assets/versions.py names package {package!r}, which no longer exists",
                                  name=package)
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted({path for pattern in patterns for path in root.glob(pattern) if path.is_file()})
    if not found:
        raise FileNotFoundError(f"assets/versions.py expects {patterns} under {package}, and none is there")
    return found


def _suite(name: str) -> Path:
    """A shipped suite file: the rules a table's rows are kept or quarantined by. (A run with
    ``$CDPI_SUITES_DIR`` records that folder's digest in ``ops.runs`` instead; a version cannot follow a
    folder outside the project.)"""
    return package_files("expectations", f"suites/{name}.json")[0]


#: The data files that decide what a run scores, by the name a run records them under (ops.runs.config_json
#: ``data_files_sha256``, the export's manifest ``data_files``): the evidence rules, the criteria catalog
#: (criteria, weights, tier bands), the portal signal phrases and scope rules, and the partner announcements.
#: A version string inside a file (rules.yaml ``version``) is bumped by hand and can be forgotten; the
#: digest of the bytes cannot, so two runs with the same digests used the same rules.
DATA_FILES: dict[str, Path] = {
    "evidence_rules": RULES_PATH,
    "criteria_catalog": CATALOG_DIR / f"{DEFAULT_STANDARD}.yaml",
    "portal_signals": SIGNALS_FILE,
    "portal_scope": SCOPE_FILE,
    "wwc_partners": ANNOUNCEMENTS_FILE,
}


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex: what ``sha256sum`` prints, so anyone can check a recorded digest."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def data_files_sha256() -> dict[str, str]:
    """Each of :data:`DATA_FILES` by name with the SHA-256 of its bytes as they are now (read when called,
    not at import: a file edited between runs of one long-lived process is seen)."""
    return {name: file_sha256(path) for name, path in DATA_FILES.items()}


#: Under a run's folder: one JSON file per step that read the data files, each file's digest as it parsed it.
DATA_FILES_USED = "data_files_used"


class DataFilesChanged(RuntimeError):
    """Steps of one run parsed different bytes of a data file: no single digest describes the run."""


def record_data_files_used(run_dir: Path, step: str) -> dict[str, str]:
    """Write, for ``step``, the digest of the bytes this process parsed of each data file it has read: the
    loaders cache what they parse, possibly long before publish reads the files (and with --workers, in
    another process), so publish records these, not the files as they are then."""
    from sources.datafiles import parsed_sha256

    used = {name: digest for name, path in DATA_FILES.items() if (digest := parsed_sha256(path)) is not None}
    folder = Path(run_dir) / DATA_FILES_USED
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{step}.json").write_text(json.dumps(used, sort_keys=True), encoding="utf-8")
    return used


def data_files_used(run_dir: Path) -> tuple[dict[str, str], list[str]]:
    """The digests a run records (``data_files_sha256``): each data file as its steps parsed it
    (:func:`record_data_files_used`), else as it is now; and a warning per file changed since a step
    parsed it, naming both digests. Steps that parsed different bytes raise :class:`DataFilesChanged`."""
    now = data_files_sha256()
    used: dict[str, tuple[str, str]] = {}
    for found in sorted((Path(run_dir) / DATA_FILES_USED).glob("*.json")):
        for name, digest in json.loads(found.read_text(encoding="utf-8")).items():
            if name in used and used[name][0] != digest:
                raise DataFilesChanged(
                    f"{DATA_FILES[name].name} changed during the run: step {used[name][1]} read {used[name][0][:12]}, "
                    f"step {found.stem} read {digest[:12]}; run the month again")
            used[name] = (digest, found.stem)
    warnings = [f"{DATA_FILES[name].name} changed after step {step} read it (sha256 {digest[:12]}, now {now[name][:12]}): "
                "the run records the bytes it used; the next run uses the file as it is now"
                for name, (digest, step) in sorted(used.items()) if name in now and digest != now[name]]
    return now | {name: digest for name, (digest, _) in used.items()}, warnings


@dataclass(frozen=True)
class Recipe:
    """What one version is a hash of: data files, a hand-kept constant and the source of listed modules."""

    files: tuple[Path, ...]
    code: str
    modules: tuple[str, ...]

    def version(self, *, files: Mapping[Path, Path] | None = None, modules: Mapping[str, Path] | None = None) -> str:
        """The version; ``files`` and ``modules`` put other copies in place of listed ones (a copy keeps its
        file's name), which is how a test asks what an edit would do without touching the project."""
        files, modules = files or {}, modules or {}
        return content_version(*(files.get(path, path) for path in self.files), code=self.code,
                               modules=[(name, modules.get(name, path)) for name, path in module_files(self.modules)])


#: Every version by name. An asset's ``code_version`` is one of these, never a literal (a test holds that).
RECIPES: dict[str, Recipe] = {
    # The website crawl and its evidence: the evidence rules (and link rules, same file) and the suites
    # that quarantine pages and evidence rows.
    "EVIDENCE": Recipe((RULES_PATH, _suite("crawl_pages"), _suite("evidence")), EXTRACTION_VERSION,
                       EVIDENCE_MODULES),
    # The portal survey: the signal phrases its catalog profiles count, the rules that decide who runs a
    # portal (and so whether it is credited to the city) and the portal suites.
    "PORTALS": Recipe((SIGNALS_FILE, SCOPE_FILE, *package_files("expectations", "suites/portal*.json")),
                      PORTALS_CODE_VERSION, PORTALS_MODULES),
    # The index: the criteria catalog and the evidence rules and portal files behind its signals.
    "INDEX": Recipe((CATALOG_DIR / f"{DEFAULT_STANDARD}.yaml", RULES_PATH, SIGNALS_FILE, SCOPE_FILE),
                    SCORING_VERSION, INDEX_MODULES),
    # The city universe: the cities suite and the scope rules that name states and places.
    "UNIVERSE": Recipe((_suite("cities"), SCOPE_FILE), OTHER_CODE_VERSION, UNIVERSE_MODULES),
    # Each city's home page and settled website: the portal link rules its pages are read with.
    "HOMEPAGES": Recipe((SIGNALS_FILE, SCOPE_FILE), OTHER_CODE_VERSION, HOMEPAGES_MODULES),
    # The certified labels, the partner flag and the attested corrections: the announcements file.
    "LABELS": Recipe((ANNOUNCEMENTS_FILE, SCOPE_FILE), OTHER_CODE_VERSION, LABELS_MODULES),
    # The published warehouse: its SQL (schemas, views, models, comments) and the schema changes older
    # files are migrated by.
    "PUBLISH": Recipe(tuple(package_files("warehouse", "sql/*.sql", "sql/models/*.sql", "schema_changes.yaml")),
                      OTHER_CODE_VERSION, PUBLISH_MODULES),
    # The snapshot's CSV and Parquet files.
    "EXPORTS": Recipe((), OTHER_CODE_VERSION, EXPORTS_MODULES),
    # The report: its templates, style sheet, script and methodology page.
    "REPORT": Recipe(tuple(package_files("warehouse.report", "templates/*.html", "static/*", "*.md")),
                     OTHER_CODE_VERSION, REPORT_MODULES),
}
EVIDENCE = RECIPES["EVIDENCE"].version()
PORTALS = RECIPES["PORTALS"].version()
INDEX = RECIPES["INDEX"].version()
UNIVERSE = RECIPES["UNIVERSE"].version()
HOMEPAGES = RECIPES["HOMEPAGES"].version()
LABELS = RECIPES["LABELS"].version()
PUBLISH = RECIPES["PUBLISH"].version()
EXPORTS = RECIPES["EXPORTS"].version()
REPORT = RECIPES["REPORT"].version()
