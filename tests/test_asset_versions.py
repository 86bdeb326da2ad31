"""Code versions from content (issue 19, item 4): editing the evidence rules, the criteria catalog or the
portal signal and scope files changes the code version of the assets they decide, so Dagster shows them, and
what is downstream, as stale."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from assets import versions
from sources.criteria.catalog import CATALOG_DIR, DEFAULT_STANDARD
from sources.evidence.classify import RULES_PATH
from sources.portals.profile import SIGNALS_FILE
from sources.portals.scope import RULES_FILE as SCOPE_FILE


def _version_of(key: str) -> str | None:
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    return graph.get(dg.AssetKey(key)).code_version


def test_the_evidence_and_index_assets_carry_the_content_versions() -> None:
    assert _version_of("website_crawl_shard_0") == versions.EVIDENCE
    for key in ("crawl_pages", "evidence", "crawl_summaries"):
        assert _version_of(key) == versions.EVIDENCE
    for key in ("city_index", "criterion_scores", "city_signals", "index_calibration"):
        assert _version_of(key) == versions.INDEX
    for key in ("portal_probes", "portals", "portal_datasets", "portal_registry_reads", "portal_quarantine"):
        assert _version_of(key) == versions.PORTALS
    assert len({versions.EVIDENCE, versions.PORTALS, versions.INDEX}) == 3


def test_a_rules_or_catalog_edit_changes_the_version(tmp_path: Path) -> None:
    rules = tmp_path / RULES_PATH.name
    shutil.copyfile(RULES_PATH, rules)
    evidence = versions.RECIPES["EVIDENCE"]
    assert evidence.version(files={RULES_PATH: rules}) == versions.EVIDENCE
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# tuned\n", encoding="utf-8")
    assert evidence.version(files={RULES_PATH: rules}) != versions.EVIDENCE
    original = CATALOG_DIR / f"{DEFAULT_STANDARD}.yaml"
    catalog = tmp_path / original.name
    shutil.copyfile(original, catalog)
    index = versions.RECIPES["INDEX"]
    assert index.version(files={original: catalog}) == versions.INDEX
    catalog.write_text(catalog.read_text(encoding="utf-8").replace("prior: 0.1", "prior: 0.12", 1),
                       encoding="utf-8")
    assert index.version(files={original: catalog}) != versions.INDEX


def test_a_portal_signals_or_scope_edit_changes_the_portal_and_index_versions(tmp_path: Path) -> None:
    """signals.yaml decides the portal profiles (and the index's portal signals), scope.yaml which portals
    are credited to a city: an edit to either must show the portals and the index as stale."""
    signals, scope = tmp_path / SIGNALS_FILE.name, tmp_path / SCOPE_FILE.name
    shutil.copyfile(SIGNALS_FILE, signals)
    shutil.copyfile(SCOPE_FILE, scope)
    copies = {SIGNALS_FILE: signals, SCOPE_FILE: scope}

    def portal_and_index() -> tuple[str, str]:
        return (versions.RECIPES["PORTALS"].version(files=copies), versions.RECIPES["INDEX"].version(files=copies))

    assert portal_and_index() == (versions.PORTALS, versions.INDEX)
    signals.write_text(signals.read_text(encoding="utf-8") + "  - open data plan\n", encoding="utf-8")
    after_signals = portal_and_index()
    assert after_signals[0] != versions.PORTALS and after_signals[1] != versions.INDEX
    scope.write_text(scope.read_text(encoding="utf-8") + "  - '^{city} open geodata$'\n", encoding="utf-8")
    after_scope = portal_and_index()
    assert after_scope[0] not in (versions.PORTALS, after_signals[0])
    assert after_scope[1] not in (versions.INDEX, after_signals[1])


def test_every_asset_carries_a_content_version_never_a_literal() -> None:
    """A literal such as "1" is a version nobody remembers to bump: every asset's version is one of the
    hashed ones, so an edit anywhere that decides an asset's output shows it stale."""
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    hashed = {getattr(versions, name) for name in versions.RECIPES}
    assert len(hashed) == len(versions.RECIPES)     # no two recipes hash alike
    literal = {key.to_user_string(): graph.get(key).code_version for key in graph.get_all_asset_keys()
               if graph.get(key).code_version not in hashed}
    assert not literal, literal
    expected = {"census_places": "UNIVERSE", "cities": "UNIVERSE", "cities_quarantine": "UNIVERSE",
                "city_homepages": "HOMEPAGES", "city_websites": "HOMEPAGES", "certified_cities": "LABELS",
                "wwc_partners": "LABELS", "attested_corrections": "LABELS", "index_validation": "INDEX",
                "published_warehouse": "PUBLISH", "snapshot_exports": "EXPORTS", "outreach_report": "REPORT"}
    for key, name in expected.items():
        assert _version_of(key) == getattr(versions, name), key


#: (version, a file it hashes, an edit of that file that changes what a run makes)
_FILE_CASES = [
    ("UNIVERSE", ("expectations", "suites/cities.json"), lambda s: s.replace("}", "} ", 1)),
    ("PUBLISH", ("warehouse", "sql/40_views.sql"), lambda s: s + "\n-- one more view\nselect 1;\n"),
    ("PUBLISH", ("warehouse", "schema_changes.yaml"), lambda s: s + "\n# a migration\n"),
    ("REPORT", ("warehouse.report", "templates/targets.html"), lambda s: s.replace("<", "<!-- x --><", 1)),
    ("REPORT", ("warehouse.report", "static/report.js"), lambda s: s + "\n;\n"),
    ("EVIDENCE", ("expectations", "suites/evidence.json"), lambda s: s.replace("}", "} ", 1)),
    ("PORTALS", ("expectations", "suites/portals.json"), lambda s: s.replace("}", "} ", 1)),
]


@pytest.mark.parametrize(("version", "where", "edit"), _FILE_CASES)
def test_a_suite_sql_or_template_edit_changes_the_version_of_what_it_decides(
        version: str, where: tuple[str, str], edit: Callable[[str], str], tmp_path: Path) -> None:
    """The SQL, the report's templates and the suites decide an asset's output as much as its Python does."""
    original = versions.package_files(*where)[0]
    recipe = versions.RECIPES[version]
    assert original in recipe.files
    copy = tmp_path / original.name
    shutil.copyfile(original, copy)
    assert recipe.version(files={original: copy}) == getattr(versions, version)
    copy.write_text(edit(copy.read_text(encoding="utf-8")), encoding="utf-8")
    assert recipe.version(files={original: copy}) != getattr(versions, version)
    others = [name for name, other in versions.RECIPES.items() if original not in other.files]
    assert all(versions.RECIPES[name].version(files={original: copy}) == getattr(versions, name) for name in others)


# --- the code that decides an asset is part of its version --------------------------------------------------

#: (version, its module list, a listed module, a function in it) for the code-edit tests below.
_CODE_CASES = [
    ("INDEX", "INDEX_MODULES", "warehouse.index.build", "build_index"),
    ("INDEX", "INDEX_MODULES", "warehouse.index.calibration", "calibrate"),
    ("EVIDENCE", "EVIDENCE_MODULES", "sources.evidence.classify", "classify"),
    ("EVIDENCE", "EVIDENCE_MODULES", "sources.evidence.documents", "_scan"),
    ("PORTALS", "PORTALS_MODULES", "sources.portals.profile", "profile"),
    ("UNIVERSE", "UNIVERSE_MODULES", "sources.universe", "census_places"),
    ("UNIVERSE", "UNIVERSE_MODULES", "sources.websites", "choose_websites"),
    ("HOMEPAGES", "HOMEPAGES_MODULES", "sources.homepages", "settle_homepages"),
    ("LABELS", "LABELS_MODULES", "sources.certified", "match_to_cities"),
    ("PUBLISH", "PUBLISH_MODULES", "warehouse.publish", "publish_run"),
    ("EXPORTS", "EXPORTS_MODULES", "warehouse.export", "export_snapshot"),
    ("REPORT", "REPORT_MODULES", "warehouse.report.render", "band_order"),
]


def _function(source: str, name: str) -> ast.FunctionDef:
    return next(node for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.FunctionDef) and node.name == name)


def _body_edited(source: str, name: str) -> str:
    """``source`` with a ``pass`` put before the first statement after the function's docstring."""
    fn = _function(source, name)
    first = fn.body[1] if ast.get_docstring(fn) is not None else fn.body[0]
    lines = source.splitlines(keepends=True)
    lines.insert(first.lineno - 1, " " * first.col_offset + "pass\n")
    return "".join(lines)


def _words_edited(source: str, name: str) -> str:
    """``source`` with the function's docstring reworded and rewrapped, a comment line and a trailing comment
    added in its body, a blank line added and the module's docstring reworded: nothing a run would see."""
    fn = _function(source, name)
    doc, first = fn.body[0], fn.body[1]
    assert isinstance(doc, ast.Expr) and doc.end_lineno is not None, f"{name} has no docstring"
    lines = source.splitlines(keepends=True)
    pad = " " * first.col_offset
    lines[first.lineno - 1] = (pad + "# a comment that says why, reworded\n\n"
                               + lines[first.lineno - 1].rstrip("\n") + "  # and a trailing one\n")
    lines[doc.lineno - 1:doc.end_lineno] = [pad + "\'\'\'Reworded, on\n", pad + "two lines.\'\'\'\n"]
    module_doc = ast.parse(source).body[0]
    assert isinstance(module_doc, ast.Expr) and module_doc.end_lineno is not None
    lines[module_doc.lineno - 1:module_doc.end_lineno] = ['"""Another module docstring."""\n']
    return "".join(lines)


def _version_with(version: str, listed: str, module: str, source: str, tmp_path: Path) -> str:
    """The named version as it would be with ``module`` holding ``source`` (written to a temporary copy)."""
    copy = tmp_path / (module.replace(".", "_") + ".py")
    copy.write_text(source, encoding="utf-8")
    recipe = versions.RECIPES[version]
    assert recipe.modules == getattr(versions, listed)
    assert module in dict(versions.module_files(recipe.modules)), f"{module} is not in {listed}"
    return recipe.version(modules={module: copy})


@pytest.mark.parametrize(("version", "listed", "module", "function"), _CODE_CASES)
def test_a_function_body_edit_changes_the_version_and_a_comment_or_docstring_edit_does_not(
        version: str, listed: str, module: str, function: str, tmp_path: Path) -> None:
    """Editing the code that decides an asset shows it stale without anyone bumping a string; rewording a
    comment or a docstring does not (it would ask for a re-crawl or a re-score for nothing)."""
    source = dict(versions.module_files([module]))[module].read_text(encoding="utf-8")
    current = getattr(versions, version)
    assert _version_with(version, listed, module, source, tmp_path) == current
    assert _version_with(version, listed, module, _words_edited(source, function), tmp_path) == current
    assert _version_with(version, listed, module, _body_edited(source, function), tmp_path) != current


def test_the_versions_computed_at_import_follow_the_code(tmp_path: Path) -> None:
    """End to end, as Dagster loads them: a copy of the project whose index build has one more statement
    has another index version (and the same evidence and portal versions); a copy with only comments and
    docstrings reworded has the same three versions."""
    root = Path(__file__).resolve().parents[1]

    def versions_of(edits: dict[str, Callable[[str], str]], name: str) -> list[str]:
        tree = tmp_path / name
        for package in ("assets", "sources", "warehouse"):
            shutil.copytree(root / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
        for relative, edit in edits.items():
            path = tree / relative
            path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        script = (f"import assets.versions as v; assert v.__file__.startswith({str(tree)!r}), v.__file__; "
                  "print(v.EVIDENCE, v.PORTALS, v.INDEX)")
        # cwd: python -c puts the working directory first on sys.path, and it must not be the checkout.
        done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(tree)},
                              cwd=tree, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    now = [versions.EVIDENCE, versions.PORTALS, versions.INDEX]
    reworded = versions_of({"warehouse/index/build.py": lambda s: _words_edited(s, "build_index"),
                            "sources/evidence/classify.py": lambda s: _words_edited(s, "classify"),
                            "sources/portals/profile.py": lambda s: _words_edited(s, "profile")}, "reworded")
    assert reworded == now
    edited = versions_of({"warehouse/index/build.py": lambda s: _body_edited(s, "build_index")}, "edited")
    assert edited[:2] == now[:2] and edited[2] != now[2]


def test_every_listed_module_exists_and_a_missing_one_stops_the_version() -> None:
    """A module moved or renamed must not drop out of a version in silence."""
    for listed in ("EVIDENCE_MODULES", "PORTALS_MODULES", "INDEX_MODULES"):
        names = getattr(versions, listed)
        found = dict(versions.module_files(names))
        assert all(path.is_file() for path in found.values()), listed
        assert set(names) <= set(found), listed   # each listed name is hashed (a package: its __init__ too)
    # The modules named in docs/*.md as deciding each asset's output are covered.
    index = dict(versions.module_files(versions.INDEX_MODULES))
    assert {"warehouse.index.build", "warehouse.index.scoring", "warehouse.index.calibration"} <= set(index)
    assert {"sources.evidence.classify", "sources.evidence.documents", "sources.evidence.crawl"} <= set(
        dict(versions.module_files(versions.EVIDENCE_MODULES)))
    assert {"sources.portals.profile", "sources.portals.scope", "sources.portals.discovery"} <= set(
        dict(versions.module_files(versions.PORTALS_MODULES)))
    for missing in ("warehouse.index.gone", "sources.nowhere.classify"):
        with pytest.raises(ModuleNotFoundError):
            versions.module_files([*versions.INDEX_MODULES, missing])


def test_the_crawls_link_scope_is_part_of_the_evidence_version() -> None:
    """Which links the crawl follows decides the evidence: the site's registrable domain and URL normalisation
    live outside sources/evidence/, and the crawl's shards take no portal asset as input, so a change there
    would otherwise reach the evidence without marking it stale."""
    evidence = set(dict(versions.module_files(versions.EVIDENCE_MODULES)))
    assert {"sources.portals.registries", "sources.http.urls", "assets.validation"} <= evidence


def test_files_the_import_system_could_not_load_are_not_read(tmp_path: Path) -> None:
    """An editor's lock link (.#build.py, often dangling) or a resource fork (._build.py) beside a listed
    package's modules is no module: reading it would stop every run, hashing it would change a version."""
    package = tmp_path / "stray_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "build.py").write_text("X = 1\n", encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        before = dict(versions.module_files(["stray_pkg"]))
        (package / ".#build.py").symlink_to("user@host.1234:1700000000")     # dangling, as editors leave it
        (package / "._build.py").write_bytes(b"\x00\x05\x16\x07 binary")
        (package / "not-a-module.py").write_text("Y = 2\n", encoding="utf-8")
        after = dict(versions.module_files(["stray_pkg"]))
    finally:
        sys.path.remove(str(tmp_path))
    assert set(after) == set(before) == {"stray_pkg", "stray_pkg.build"}
    assert versions.content_version(modules=after.items()) == versions.content_version(modules=before.items())


_WRITTEN_ONE_WAY = '''"""A module."""
import re

#: A threshold.
LIMIT = 1_000


def f(x: str, *, n: int = 2) -> list[str]:
    """What f does, and why."""
    found = re.findall(r"[a-z]+" "s?", x)  # words
    return [w for w in found
            if len(w) > n] + [f"{x!r:>{n}} {{x}}"]
'''

_WRITTEN_ANOTHER = '''import re
LIMIT = 1000
def f(x: str, *, n: int = 2) -> list[str]:
  \'\'\'Rewritten.\'\'\'
  "A bare string does nothing either."
  found = re.findall(r\'[a-z]+s?\', x)
  return [w for w in found if len(w) > n] + [f"{x!r:>{n}} {{x}}"]
'''


def test_normalised_tokens_ignore_how_code_is_written_not_what_it_does() -> None:
    tokens = list(versions.normalised_tokens(_WRITTEN_ONE_WAY))
    assert tokens == list(versions.normalised_tokens(_WRITTEN_ANOTHER))
    # Pinned, so an interpreter that tokenizes differently (3.12 splits f-strings) shows here first.
    assert tokens[:14] == ["name import", "name re", "NEWLINE", "name LIMIT", "op =", "number 1000",
                           "NEWLINE", "name def", "name f", "op (", "name x", "op :", "name str", "op ,"]
    assert "fstring f\"{x!r:>{n}} {{x}}\"" in tokens and "str '[a-z]+s?'" in tokens
    # What the code does counts: a value, a string's contents, an f-string's, an operator, a tuple.
    for old, new in [("LIMIT = 1_000", "LIMIT = 1_001"),
                     ('r"[a-z]+" "s?"', 'r"[a-z]+" "s"'),
                     ("{{x}}", "{{y}}"),
                     ("if len(w) > n]", "if len(w) >= n]"),
                     ("if len(w) > n]", "if len((w,)) > n]")]:
        assert old in _WRITTEN_ONE_WAY, old
        assert list(versions.normalised_tokens(_WRITTEN_ONE_WAY.replace(old, new))) != tokens, new


def test_every_revisit_setting_is_reachable_from_the_crawl_settings_with_the_policys_default() -> None:
    import dataclasses

    from pipelines.resources import CrawlSettings
    from sources.http.revisit import RevisitPolicy

    default = RevisitPolicy()
    assert CrawlSettings().revisit_policy() == default
    bumped = CrawlSettings(revisit=False, **{f"revisit_{f.name}": getattr(default, f.name) * 2
                                            for f in dataclasses.fields(RevisitPolicy) if f.name != "enabled"})
    assert bumped.revisit_policy() == RevisitPolicy(
        enabled=False, **{f.name: getattr(default, f.name) * 2 for f in dataclasses.fields(RevisitPolicy)
                          if f.name != "enabled"})


def test_every_fetcher_setting_is_reachable_from_run_config_with_the_fetchers_default() -> None:
    """FetcherResource repeats no default (issue 19, item 2): each setting of FetcherConfig that a run can
    set is a resource field with FetcherConfig's default, and reaches the config the fetcher gets."""
    import dataclasses

    from pipelines.resources import FetcherResource
    from sources.http.config import FetcherConfig

    # (revisit is the website crawl's policy: CrawlSettings holds it, see the test below)
    internal = {"resolve", "allow_addresses", "replay", "cache_dir", "shared_gate_dir", "revisit"}
    fields = {f.name: f.default for f in dataclasses.fields(FetcherConfig) if f.name not in internal}
    resource = FetcherResource()
    assert {k: getattr(resource, k) for k in fields} == fields
    bumped = FetcherResource(**{k: (v * 2 if isinstance(v, int | float) and not isinstance(v, bool) else v)
                                for k, v in fields.items()}).fetcher_config(None)
    for name, default in fields.items():
        if isinstance(default, int | float) and not isinstance(default, bool):
            assert getattr(bumped, name) == default * 2, name


def test_every_crawl_limit_is_reachable_from_the_crawl_settings_with_the_crawls_default() -> None:
    """CrawlSettings repeats no default of CrawlLimits (issue 19, item 2) and reaches every limit."""
    import dataclasses

    from pipelines.resources import CrawlSettings
    from sources.evidence.crawl import CrawlLimits

    limits = {f.name: f.default for f in dataclasses.fields(CrawlLimits) if f.name != "doc_hosts"}
    assert CrawlSettings().limits() == CrawlLimits()
    bumped = CrawlSettings(**{k: v * 2 for k, v in limits.items()}, extra_doc_hosts=["Agendas.Example.org"])
    assert bumped.limits() == CrawlLimits(**{k: v * 2 for k, v in limits.items()},
                                          doc_hosts=(*CrawlLimits().doc_hosts, "agendas.example.org"))
