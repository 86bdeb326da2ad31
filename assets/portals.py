"""Open data portals: discovered per city, catalogs read once per host, judged and profiled."""

from typing import Any

import dagster as dg
import pandas as pd

from assets import versions
from assets.metadata import table_metadata
from assets.partitions import MONTHLY, snapshot_of
from assets.progress import StageProgress
from assets.universe import with_settled_websites
from assets.validation import (
    check_result,
    quarantine_metadata,
    quarantine_outputs,
    suite_checks,
    value_counts,
)
from sources.portals.dataportals import registry_url
from sources.portals.survey import survey

_OUT: dict[str, Any] = {"kinds": {"python", "pandas"}, "owners": ["team:cdpi"],
                        "code_version": versions.PORTALS}
_SUITES = ("portal_probes", "portals", "portal_datasets")


@dg.multi_asset(
    partitions_def=MONTHLY, group_name="signals", can_subset=False,
    required_resource_keys={"fetcher", "warehouse", "settings"},
    outs={
        "portal_probes": dg.AssetOut(**_OUT, description="Every (city, host) examined as a possible portal: the "
                                                          "routes that led there and what came of it."),
        "portals": dg.AssetOut(**_OUT, description="Portals whose catalogs were read, per city: platform, who "
                                                   "runs it (scope), whether it is credited as the city's own, "
                                                   "catalog metrics."),
        "portal_datasets": dg.AssetOut(**_OUT, description="Every dataset listed by a portal that was read."),
        "portal_registry_reads": dg.AssetOut(**_OUT, description="Socrata domain list and ArcGIS Hub search "
                                                                 "requests, with their outcomes."),
        "portal_quarantine": dg.AssetOut(**_OUT, description="Portal rows that failed their suite "
                                                             "(ops.quarantine)."),
    },
    check_specs=suite_checks(_SUITES),
)
def city_portals(context: dg.AssetExecutionContext, cities: pd.DataFrame, city_homepages: pd.DataFrame):
    """Gather portal leads per city (home page links, conventional host names, Socrata's domain list,
    ArcGIS Hub search, the registry of data portals), examine each host once with each platform's
    identifying request, read catalogs with the platforms' own paging, decide who runs each portal, and
    profile the catalogs."""
    res = context.resources
    as_of = snapshot_of(context) + pd.offsets.MonthEnd(0)
    commit = res.settings.portal_registry_commit
    try:
        registry = registry_url(commit=commit) if commit else None
    except ValueError as exc:
        raise dg.Failure(description=str(exc)) from exc
    with (res.fetcher.open(res.warehouse.paths(), context.run_id, "city_portals") as f,
          StageProgress(context, "portal hosts", "hosts", f) as progress):
        result = progress.call(survey, f, with_settled_websites(cities, city_homepages), city_homepages,
                               as_of=as_of.to_pydatetime(),
                               workers=f.config.concurrency, portal_registry_url=registry, progress=progress)
    frames, bad_rows, reports = quarantine_outputs({
        "portal_probes": (result.probes, ["geoid", "portal_host"]),
        "portals": (result.portals, ["geoid", "portal_host"]),
        "portal_datasets": (result.datasets, ["portal_host", "dataset_id"])},
        max_quarantined_share=res.settings.max_quarantined_share)
    if len(bad_rows):
        context.log.warning(f"{len(bad_rows)} portal rows quarantined (see ops.quarantine)")
    portals, probes = frames["portals"], frames["portal_probes"]
    yield dg.Output(probes, "portal_probes", metadata=table_metadata(
        probes, hosts_examined=result.notes.get("hosts_examined", 0), outcomes=value_counts(probes["outcome"]),
        **progress.close()))
    yield dg.Output(portals, "portals", metadata=_portal_metadata(portals))
    yield dg.Output(frames["portal_datasets"], "portal_datasets", metadata=table_metadata(
        frames["portal_datasets"], types=value_counts(frames["portal_datasets"]["type"])))
    reads = result.registries
    yield dg.Output(reads, "portal_registry_reads", metadata=table_metadata(
        reads, requests=int(reads["requests"].sum()) if len(reads) else 0,
        outcomes=value_counts(reads["registry"] + ":" + reads["outcome"]) if len(reads) else {}))
    yield dg.Output(bad_rows, "portal_quarantine", metadata=quarantine_metadata(bad_rows))
    for name in _SUITES:
        yield check_result(reports[name], asset=name, check_name=f"{name}_suite", context=context)



def _portal_metadata(portals: pd.DataFrame) -> dict:
    """Headline figures for the Dagster UI: how many cities have a credited portal, on which platforms,
    and the median catalog metrics of credited portals."""
    credited = portals[portals["credited"].astype(bool)] if len(portals) else portals
    meta = table_metadata(portals, credited_portals=len(credited),
                          cities_with_credited_portal=int(credited["geoid"].nunique()) if len(credited) else 0,
                          by_platform=value_counts(credited["platform"]) if len(credited) else {},
                          by_scope=value_counts(portals["scope"]) if len(portals) else {})
    for col in ("dataset_count", "updated_365d_share", "described_share", "licensed_share", "machine_readable_share"):
        if len(credited):
            value = credited[col].median()
            meta[f"median_{col}"] = float(value) if pd.notna(value) else None
    if len(credited):
        top = credited.sort_values("dataset_count", ascending=False).head(10)
        cols = ["geoid", "portal_host", "platform", "dataset_count", "updated_365d_share"]
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for _, r in top.iterrows()]
        meta["largest_credited"] = dg.MetadataValue.md("\n".join(lines))
    return meta
