"""A city row as the cities asset stages it (staging.cities): what tests that publish a warehouse by hand
need, without running the pipeline."""

from __future__ import annotations


def city_row(geoid: str, name: str, population: int, *, is_sample: bool) -> dict:
    """One Ohio city with a known website, found in a CSV list: the smallest row the publish accepts."""
    return {"geoid": geoid, "name": name, "legal_name": f"{name} city", "state_abbr": "OH",
            "state_fips": geoid[:2], "place_fips": geoid[2:], "state_name": "Ohio", "population": population,
            "population_year": 2024, "sumlev": "162", "funcstat": "A", "source": "csv",
            "website_url": f"https://www.{name.lower()}.example/", "website_match": "csv",
            "website_lookup": "ok", "website_candidates": 1, "wikidata_qid": None, "is_sample": is_sample}
