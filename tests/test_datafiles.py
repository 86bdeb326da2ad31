"""The hand-edited YAML files (criteria catalog, evidence rules, partner announcements) load through typed
models: a slip names the file, the entry and the field (issue 19, item 2)."""

from __future__ import annotations

import pytest
import yaml

from sources.criteria.catalog import CATALOG_DIR, DEFAULT_STANDARD
from sources.datafiles import AnnouncementsFile, CatalogFile, DataFileError, RulesFile, load_data_file
from sources.evidence.classify import RULES_PATH
from sources.partners import ANNOUNCEMENTS_FILE

CATALOG = CATALOG_DIR / f"{DEFAULT_STANDARD}.yaml"


def _edited(path, edit) -> str:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(raw)
    return yaml.safe_dump(raw, sort_keys=False)


def test_the_shipped_files_validate() -> None:
    catalog = load_data_file(CATALOG, CatalogFile)
    rules = load_data_file(RULES_PATH, RulesFile)
    partners = load_data_file(ANNOUNCEMENTS_FILE, AnnouncementsFile)
    assert len(catalog.criteria) == 43 and len(rules.kinds) == 7 and partners.announcements


def _catalog_error(edit) -> str:
    with pytest.raises(DataFileError) as exc:
        load_data_file(CATALOG, CatalogFile, text=_edited(CATALOG, edit))
    return str(exc.value)


def test_a_misspelt_key_names_the_criterion_and_the_key() -> None:
    def misspell(raw):
        raw["criteria"][3]["priorr"] = raw["criteria"][3].pop("prior")
    message = _catalog_error(misspell)
    assert message.startswith(f"{CATALOG.name}: ")
    cid = yaml.safe_load(CATALOG.read_text())["criteria"][3]["id"]
    assert f"criteria[4] (id {cid}) field priorr: unknown key" in message
    assert f"criteria[4] (id {cid}) field prior: missing" in message


def test_a_weight_written_as_text_names_the_signal_entry() -> None:
    def as_text(raw):
        raw["criteria"][0]["evidence"][0]["weight"] = "high"
    message = _catalog_error(as_text)
    cid = yaml.safe_load(CATALOG.read_text())["criteria"][0]["id"]
    assert f"criteria[1] (id {cid}).evidence[1] field weight: " in message and "number" in message


def test_references_and_bands_are_checked() -> None:
    def unknown_practice(raw):
        raw["criteria"][0]["practice"] = "XX"
    assert "practice 'XX' is not among the practices" in _catalog_error(unknown_practice)

    def bad_bands(raw):
        raw["tier_bands"]["wwc_2022"]["gold"] = 0.4
    assert "shares must rise from silver to platinum" in _catalog_error(bad_bands)

    def unknown_default(raw):
        raw["tier_bands"]["default"] = "wwc_2030"
    assert "default names 'wwc_2030'" in _catalog_error(unknown_default)


def test_a_broken_pattern_in_the_rules_names_its_kind_and_entry() -> None:
    def broken(raw):
        raw["kinds"]["evaluation"]["phrases"][1]["p"] = "evaluat(ion"
    with pytest.raises(DataFileError) as exc:
        load_data_file(RULES_PATH, RulesFile, text=_edited(RULES_PATH, broken))
    assert "rules.yaml: kinds.evaluation.phrases[2] (p evaluat(ion) field p: not a regular expression" in str(exc.value)

    def yields_to_nothing(raw):
        raw["kinds"]["evaluation"]["yields_to"] = ["evaluations"]
    with pytest.raises(DataFileError, match="kind evaluation: yields_to 'evaluations' is not a kind"):
        load_data_file(RULES_PATH, RulesFile, text=_edited(RULES_PATH, yields_to_nothing))

    def beside_nothing(raw):
        raw["kinds"]["data_governance"]["with_kind"] = {"open_data_polcy": 2.5}
    with pytest.raises(DataFileError, match="kind data_governance: with_kind 'open_data_polcy' is not a kind"):
        load_data_file(RULES_PATH, RulesFile, text=_edited(RULES_PATH, beside_nothing))

    def spares_nothing(raw):
        raw["penalties"][0]["spare"] = ["data_governence"]
    with pytest.raises(DataFileError, match="spare 'data_governence' is not a kind"):
        load_data_file(RULES_PATH, RulesFile, text=_edited(RULES_PATH, spares_nothing))


def test_an_announcement_needs_a_web_address_and_a_date() -> None:
    text = "announcements:\n  - url: www.example.org/news\n    date: someday\n"
    with pytest.raises(DataFileError) as exc:
        load_data_file(ANNOUNCEMENTS_FILE, AnnouncementsFile, text=text)
    message = str(exc.value)
    assert "announcements[1] (url www.example.org/news) field url" in message
    assert "announcements[1] (url www.example.org/news) field date" in message


def test_unreadable_yaml_is_one_clear_error() -> None:
    with pytest.raises(DataFileError, match=r"wwc_2022.yaml: not readable YAML"):
        load_data_file(CATALOG, CatalogFile, text="criteria: [\n")
