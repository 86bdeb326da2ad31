"""Code versions from content (issue 19, item 4): editing the evidence rules, the criteria catalog or the
portal signal and scope files changes the code version of the assets they decide, so Dagster shows them, and
what is downstream, as stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

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
    assert versions.content_version(rules, code=versions.EXTRACTION_VERSION) == versions.EVIDENCE
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# tuned\n", encoding="utf-8")
    assert versions.content_version(rules, code=versions.EXTRACTION_VERSION) != versions.EVIDENCE
    catalog = tmp_path / f"{DEFAULT_STANDARD}.yaml"
    shutil.copyfile(CATALOG_DIR / f"{DEFAULT_STANDARD}.yaml", catalog)
    scoring = f"{versions.SCORING_VERSION} {versions.SCORING_RULE}"
    same = versions.content_version(catalog, RULES_PATH, SIGNALS_FILE, SCOPE_FILE, code=scoring)
    assert same == versions.INDEX
    catalog.write_text(catalog.read_text(encoding="utf-8").replace("prior: 0.1", "prior: 0.12", 1),
                       encoding="utf-8")
    changed = versions.content_version(catalog, RULES_PATH, SIGNALS_FILE, SCOPE_FILE, code=scoring)
    assert changed != versions.INDEX


def test_a_portal_signals_or_scope_edit_changes_the_portal_and_index_versions(tmp_path: Path) -> None:
    """signals.yaml decides the portal profiles (and the index's portal signals), scope.yaml which portals
    are credited to a city: an edit to either must show the portals and the index as stale."""
    catalog = CATALOG_DIR / f"{DEFAULT_STANDARD}.yaml"
    scoring = f"{versions.SCORING_VERSION} {versions.SCORING_RULE}"
    signals, scope = tmp_path / SIGNALS_FILE.name, tmp_path / SCOPE_FILE.name
    shutil.copyfile(SIGNALS_FILE, signals)
    shutil.copyfile(SCOPE_FILE, scope)

    def portal_and_index() -> tuple[str, str]:
        return (versions.content_version(signals, scope, code=versions.PORTALS_CODE_VERSION),
                versions.content_version(catalog, RULES_PATH, signals, scope, code=scoring))

    assert portal_and_index() == (versions.PORTALS, versions.INDEX)
    signals.write_text(signals.read_text(encoding="utf-8") + "  - open data plan\n", encoding="utf-8")
    after_signals = portal_and_index()
    assert after_signals[0] != versions.PORTALS and after_signals[1] != versions.INDEX
    scope.write_text(scope.read_text(encoding="utf-8") + "  - '^{city} open geodata$'\n", encoding="utf-8")
    after_scope = portal_and_index()
    assert after_scope[0] not in (versions.PORTALS, after_signals[0])
    assert after_scope[1] not in (versions.INDEX, after_signals[1])


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
