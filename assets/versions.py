"""Code versions from content: the data files and the Python that decide an asset's output are its version.

Dagster marks an asset stale when its code version changes. A new evidence rule, a re-weighted criterion, a
portal signal phrase or a scope rule changes what the evidence, the portals and the index say without any
Python changing; an edit to the classifier, the text extraction, the portal profiles or the index's
scoring changes it without any data file changing. So each of those assets' versions is a hash of the files
that decide it and of the source of the modules that decide it (the lists below): after either kind of edit
the UI shows those assets, and everything downstream, as stale, and a backfill knows what to redo. Nobody
has to remember to bump a string.

Only the code counts, not how it is written: comments, docstrings, blank lines, line wrapping, indentation
width, quote style and how a long string is split do not change a version (:func:`normalised_tokens`), so
a reworded comment does not ask for a re-crawl of every city.

What is not hashed: the HTTP layer (``sources/http/``, which fetches pages but does not decide what is made
of them; its URL normalisation, which decides which links are one page, is), the reader process pool (``sources/evidence/reading.py``, whose pages and evidence are the same
as in-process reading, a test holds both) and the installed libraries (their versions differ between
machines, and a version must not). The hand-kept constants below remain for those cases: bump one to mark
assets stale on purpose when nothing hashed changed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import io
import tokenize
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from sources.criteria.catalog import CATALOG_DIR, DEFAULT_STANDARD
from sources.evidence.classify import RULES_PATH
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
    "assets.index",
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


#: The website crawl and its evidence: the evidence rules (and link rules, same file) and EVIDENCE_MODULES.
EVIDENCE = content_version(RULES_PATH, code=EXTRACTION_VERSION, modules=module_files(EVIDENCE_MODULES))
#: The portal survey: the signal phrases its catalog profiles count and the rules that decide who runs a
#: portal (and so whether it is credited to the city), and PORTALS_MODULES.
PORTALS = content_version(SIGNALS_FILE, SCOPE_FILE, code=PORTALS_CODE_VERSION,
                          modules=module_files(PORTALS_MODULES))
#: The index: the criteria catalog, the evidence rules and portal files behind its signals, and
#: INDEX_MODULES (the scoring rule among them).
INDEX = content_version(CATALOG_DIR / f"{DEFAULT_STANDARD}.yaml", RULES_PATH, SIGNALS_FILE, SCOPE_FILE,
                        code=SCORING_VERSION, modules=module_files(INDEX_MODULES))
