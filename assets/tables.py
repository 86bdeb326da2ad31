"""Which warehouse table each asset output is written to: the one place a table is named on the Dagster
side. The publish step takes its inputs and builds its frames from it, the blocking checks name the
table their suite guards from it, each output's metadata carries it (``dagster/table_name``, shown by
the UI), and `cdpi docs` and the report show it as lineage. A test checks that every output named here
exists in the asset graph and every table in the warehouse schema."""

from __future__ import annotations

import pandas as pd

#: table -> the outputs it is written from: (asset output, key of its dict output or None), in order.
TABLE_ASSETS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "raw.census_places": (("census_places", None),), "raw.wikidata_websites": (("wikidata_websites", None),),
    "staging.cities": (("cities", None),), "marts.city_websites": (("city_websites", None),),
    "raw.homepages": (("city_homepages", None),),
    "ops.quarantine": (("cities_quarantine", None), ("portal_quarantine", None), ("evidence_quarantine", None)),
    "staging.portal_probes": (("portal_probes", None),),
    "staging.portal_registry_reads": (("portal_registry_reads", None),),
    "marts.portals": (("portals", None),), "marts.portal_datasets": (("portal_datasets", None),),
    "staging.crawl_pages": (("crawl_pages", None),), "staging.crawl_summaries": (("crawl_summaries", None),),
    "marts.evidence": (("evidence", None),), "staging.city_signals": (("city_signals", None),),
    "marts.criteria": (("criteria_catalog", "criteria"),),
    "marts.criterion_signal_weights": (("criteria_catalog", "weights"),),
    "marts.tier_bands": (("criteria_catalog", "tier_bands"),),
    "marts.criterion_scores": (("criterion_scores", None),), "marts.city_index": (("city_index", None),),
    "staging.certified_cities": (("certified_cities", None),), "marts.validation": (("index_validation", None),),
    "marts.calibration": (("index_calibration", "metrics"),),
    "marts.calibration_params": (("index_calibration", "params"),),
    "marts.criterion_signal_weights_used": (("index_calibration", "weights_used"),),
    "staging.wwc_partners": (("wwc_partners", "partners"),),
    "staging.wwc_partner_announcements": (("wwc_partners", "announcements"),),
    "ops.corrections": (("attested_corrections", None),),
}


def published_outputs() -> list[str]:
    """Every asset output the publish step reads, in the order the mapping first names it."""
    return list(dict.fromkeys(asset for sources in TABLE_ASSETS.values() for asset, _ in sources))


def table_of(output: str) -> str:
    """The table(s) an output is written to, comma-separated (a dict output may feed several)."""
    tables = [t for t, sources in TABLE_ASSETS.items() if any(asset == output for asset, _ in sources)]
    if not tables:
        raise KeyError(f"asset output {output!r} is written to no warehouse table (assets/tables.py)")
    return ", ".join(tables)


def table_frames(inputs: dict) -> dict[str, pd.DataFrame]:
    """The frame of every table, from the upstream outputs (by output name)."""
    frames = {}
    for table, sources in TABLE_ASSETS.items():
        parts = [inputs[asset] if key is None else inputs[asset][key] for asset, key in sources]
        frames[table] = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return frames


def lineage() -> dict[str, list[str]]:
    """Table -> the assets it is written from, for the data dictionary."""
    return {table: list(dict.fromkeys(asset for asset, _ in sources)) for table, sources in TABLE_ASSETS.items()}
