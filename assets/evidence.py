"""Website evidence: each city's own site crawled within a budget, pages classified into evidence kinds."""

import dagster as dg
import pandas as pd

from assets.partitions import MONTHLY
from assets.validation import check_result, quarantine_outputs, suite_checks, value_counts
from expectations.runner import validate
from sources.evidence.classify import KINDS
from sources.evidence.crawl import crawl_cities

_OUT = {"kinds": {"python", "pandas"}, "owners": ["team:cdpi"], "code_version": "1"}
_SUITES = (("crawl_pages", "staging.crawl_pages"), ("evidence", "marts.evidence"))


@dg.multi_asset(
    partitions_def=MONTHLY, group_name="signals", can_subset=False,
    required_resource_keys={"fetcher", "warehouse", "crawl"},
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
def city_evidence(context: dg.AssetExecutionContext, cities: pd.DataFrame):
    """Crawl each city's official website (robots.txt and sitemaps first, then the most promising links,
    within per-city page, depth and byte limits; PDFs text-extracted with a page cap) and classify every
    page and document into the seven evidence kinds by the rules in sources/evidence/rules.yaml."""
    res = context.resources
    with res.fetcher.open(res.warehouse.paths(), context.run_id, "city_evidence") as f:
        pages, evidence, summaries = crawl_cities(f, cities, limits=res.crawl.limits(),
                                                  workers=f.config.concurrency)
    frames, bad_rows = quarantine_outputs({"crawl_pages": (pages, ["geoid", "url"]),
                                           "evidence": (evidence, ["geoid", "url", "kind"])})
    if len(bad_rows):
        context.log.warning(f"{len(bad_rows)} crawl/evidence rows quarantined (see ops.quarantine)")
    yield dg.Output(frames["crawl_pages"], "crawl_pages", metadata={
        "rows": len(frames["crawl_pages"]), "outcomes": value_counts(frames["crawl_pages"]["outcome"]),
        "bytes": int(frames["crawl_pages"]["bytes"].sum()) if len(frames["crawl_pages"]) else 0})
    yield dg.Output(summaries, "crawl_summaries", metadata={
        "cities": len(summaries), "stopped_by": value_counts(summaries["stopped_by"]) if len(summaries) else {},
        "median_pages": float(summaries["pages_fetched"].median()) if len(summaries) else None})
    yield dg.Output(frames["evidence"], "evidence", metadata=_evidence_metadata(frames["evidence"], summaries))
    yield dg.Output(bad_rows, "evidence_quarantine", metadata={"rows": len(bad_rows)})
    for name, _table in _SUITES:
        yield check_result(validate(frames[name], name), asset=name, check_name=f"{name}_suite")



def _evidence_metadata(evidence: pd.DataFrame, summaries: pd.DataFrame) -> dict:
    """Headline figures: cities with evidence of each kind, and a few example calls to check by eye."""
    crawled = int((summaries["pages_ok"] > 0).sum()) if len(summaries) else 0
    meta: dict = {"rows": len(evidence), "cities_crawled": crawled,
                  "cities_with_evidence": int(evidence["geoid"].nunique()) if len(evidence) else 0}
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
