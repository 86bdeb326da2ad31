"""Website evidence: each city's own site crawled within a budget, pages classified into evidence kinds."""

import hashlib
import os
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import pandas as pd

from assets import versions
from assets.metadata import table_metadata
from assets.partitions import MONTHLY
from assets.progress import StageProgress
from assets.universe import with_settled_websites
from assets.validation import (
    check_result,
    quarantine_metadata,
    quarantine_outputs,
    suite_checks,
    value_counts,
)
from sources.criteria.catalog import load_catalog
from sources.evidence.classify import KINDS, rules_file
from sources.evidence.crawl import DOC_HOSTS_FIELD, crawl_cities
from sources.portals.registries import registrable_domain

_OUT: dict[str, Any] = {"kinds": {"python", "pandas"}, "owners": ["team:cdpi"], "code_version": versions.EVIDENCE}
_SUITES = ("crawl_pages", "evidence")
_SUMMARY_PREVIEW = ["geoid", "seed_url", "pages_fetched", "pages_ok", "stopped_by", "kinds_found"]


def shard_of(website: str, shards: int) -> int:
    """A city's shard: a stable hash of its site's registrable domain, so one site is never split."""
    domain = registrable_domain(urlsplit(str(website)).hostname) or str(website)
    return int(hashlib.sha256(domain.encode("utf-8")).hexdigest()[:8], 16) % shards


def crawl_shard(k: int, shards: int) -> dg.AssetsDefinition:
    @dg.asset(name=f"website_crawl_shard_{k}", partitions_def=MONTHLY, group_name="signals",
              kinds={"python", "pandas"}, owners=["team:cdpi"], code_version=versions.EVIDENCE,
              required_resource_keys={"fetcher", "warehouse", "crawl"},
              description=f"Shard {k + 1} of {shards} of the website crawl (cities whose site hashes here): every "
                          "request with its outcome, the evidence found, and a summary per city.")
    def _shard(context: dg.AssetExecutionContext, cities: pd.DataFrame, city_homepages: pd.DataFrame
               ) -> dg.Output[dict]:
        res = context.resources
        cities = with_settled_websites(cities, city_homepages)
        mine = cities[[shard_of(w, shards) == k for w in cities["website_url"].fillna("")]]
        limits = res.crawl.limits()
        label = "website crawl" + (f" ({k + 1} of {shards})" if shards > 1 else "")
        with (res.fetcher.open(res.warehouse.paths(), context.run_id, f"city_evidence-{k}",
                               archive_info=limits.archive_info(), revisit=res.crawl.revisit_policy()) as f,
              StageProgress(context, label, "cities", f) as progress):
            # A replay follows the document hosts its archive's crawl followed, besides the configured ones.
            limits = limits.with_doc_hosts(f.declared(DOC_HOSTS_FIELD))
            readers = res.crawl.readers()
            pages, evidence, summaries = progress.call(crawl_cities, f, mine, limits=limits,
                                                       workers=f.config.concurrency, readers=readers,
                                                       progress=progress)
        # The rules and catalog as this step parsed them (cached for the process): what publish records.
        rules_file(), load_catalog()
        versions.record_data_files_used(res.warehouse.paths().run_dir(context.run_id), f"website_crawl_shard_{k}")
        # Row count and schema are the shard's requests (its pages table): what a crawl's size is counted in.
        return dg.Output({"pages": pages, "evidence": evidence, "summaries": summaries}, metadata=table_metadata(
            pages, cities=len(summaries), pid=os.getpid(), reader_processes=readers, **progress.close()))

    return _shard


def evidence_assets(shards: int) -> list[dg.AssetsDefinition]:
    """The crawl shards and the step that merges them into the evidence tables."""
    return [*(crawl_shard(k, shards) for k in range(shards)), _merge(shards)]


def _merge(shards: int) -> dg.AssetsDefinition:
    @dg.multi_asset(
        partitions_def=MONTHLY, group_name="signals", can_subset=False,
        required_resource_keys={"settings", "warehouse"},
        ins={"cities": dg.AssetIn("cities"),
             **{f"shard_{k}": dg.AssetIn(f"website_crawl_shard_{k}") for k in range(shards)}},
        outs={
            "crawl_pages": dg.AssetOut(**_OUT, description="Every request of the website crawl, with its outcome, "
                                                           "depth, priority and the evidence kinds found on it."),
            "crawl_summaries": dg.AssetOut(**_OUT, description="Per city: pages fetched, bytes, robots blocks, "
                                                               "unreachable pages and why the crawl stopped."),
            "evidence": dg.AssetOut(**_OUT, description="Evidence of data practices: city, page, kind, criteria, "
                                                        "confidence, snippet, content hash and rule version."),
            "evidence_quarantine": dg.AssetOut(**_OUT, description="Crawl and evidence rows that failed their "
                                                                   "suite (ops.quarantine)."),
        },
        check_specs=suite_checks(_SUITES),
    )
    def city_evidence(context: dg.AssetExecutionContext, cities: pd.DataFrame, **shards: dict):
        """Each city's official website crawled (robots.txt and sitemaps first, then the most promising links,
        within per-city page, depth and byte limits; PDFs text-extracted with a page cap) and every page and
        document classified into the seven evidence kinds by sources/evidence/rules.yaml: the crawl shards
        merged (in city order), validated and quarantined here."""
        parts = [shards[f"shard_{k}"] for k in range(len(shards))]
        pages, evidence, summaries = (
            pd.concat([p[key] for p in parts], ignore_index=True) for key in ("pages", "evidence", "summaries"))
        # Back in the universe's city order, each city's own rows in crawl order: as one crawl would give.
        order = {g: i for i, g in enumerate(cities["geoid"])}
        pages, evidence, summaries = (
            f.sort_values("geoid", kind="stable", key=lambda col: col.map(order)).reset_index(drop=True)
            for f in (pages, evidence, summaries))
        with_site = int((cities["website_url"].fillna("") != "").sum())
        frames, bad_rows, reports = quarantine_outputs({"crawl_pages": (pages, ["geoid", "url"]),
                                                        "evidence": (evidence, ["geoid", "url", "kind"])},
                                                       inputs={"crawl_pages": with_site},
                                                       max_quarantined_share=context.resources.settings.max_quarantined_share)
        if len(bad_rows):
            context.log.warning(f"{len(bad_rows)} crawl/evidence rows quarantined (see ops.quarantine)")
        yield dg.Output(frames["crawl_pages"], "crawl_pages", metadata=table_metadata(
            frames["crawl_pages"], outcomes=value_counts(frames["crawl_pages"]["outcome"]),
            bytes=int(frames["crawl_pages"]["bytes"].sum()) if len(frames["crawl_pages"]) else 0,
            shards=len(parts)))
        yield dg.Output(summaries, "crawl_summaries", metadata=table_metadata(
            summaries, preview=5, preview_columns=_SUMMARY_PREVIEW, cities=len(summaries),
            stopped_by=value_counts(summaries["stopped_by"]) if len(summaries) else {},
            median_pages=float(summaries["pages_fetched"].median()) if len(summaries) else None))
        yield dg.Output(frames["evidence"], "evidence", metadata=_evidence_metadata(frames["evidence"], summaries))
        yield dg.Output(bad_rows, "evidence_quarantine", metadata=quarantine_metadata(bad_rows))
        for name in _SUITES:
            yield check_result(reports[name], asset=name, check_name=f"{name}_suite", context=context)

    return city_evidence


def _evidence_metadata(evidence: pd.DataFrame, summaries: pd.DataFrame) -> dict:
    """Headline figures: cities with evidence of each kind, and a few example calls to check by eye."""
    crawled = int((summaries["pages_ok"] > 0).sum()) if len(summaries) else 0
    meta: dict = table_metadata(evidence, cities_crawled=crawled,
                                cities_with_evidence=int(evidence["geoid"].nunique()) if len(evidence) else 0)
    per_kind = {k: int(evidence.loc[evidence["kind"] == k, "geoid"].nunique()) if len(evidence) else 0
                for k in KINDS}
    meta["cities_by_kind"] = dg.MetadataValue.json(per_kind)
    if len(evidence):
        top = evidence.sort_values("confidence", ascending=False).drop_duplicates("kind").head(7)
        lines = ["| kind | confidence | url | snippet |", "|---|---|---|---|"]
        lines += [f"| {r.kind} | {r.confidence:.2f} | {r.url} | {str(r.snippet)[:120].replace('|', '/')} |"
                  for r in top.itertuples()]
        meta["examples"] = dg.MetadataValue.md("\n".join(lines))
    return meta
