"""The hand-edited YAML files (criteria catalog, evidence rules, partner announcements, portal signals and
scope rules) load through typed models: a slip names the file, the entry and the field (issue 19, item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sources.criteria.catalog import CATALOG_DIR, DEFAULT_STANDARD
from sources.datafiles import (
    AnnouncementsFile,
    CatalogFile,
    DataFileError,
    RulesFile,
    ScopeFile,
    SignalsFile,
    load_data_file,
)
from sources.evidence.classify import RULES_PATH
from sources.partners import ANNOUNCEMENTS_FILE
from sources.portals.profile import SIGNALS_FILE, signal_phrases
from sources.portals.scope import RULES_FILE as SCOPE_FILE
from sources.portals.scope import scope_rules

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
    assert load_data_file(SIGNALS_FILE, SignalsFile).data_inventory
    assert list(load_data_file(SCOPE_FILE, ScopeFile).levels)[0] == "city"   # the file's order is kept


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

    def outscored_by_nothing(raw):
        raw["kinds"]["open_data_policy"]["yields_when_outscored"] = {"data_governace": 1.75}
    with pytest.raises(DataFileError, match="kind open_data_policy: yields_when_outscored 'data_governace' is not"):
        load_data_file(RULES_PATH, RulesFile, text=_edited(RULES_PATH, outscored_by_nothing))

    def yields_to_itself(raw):   # it would always be dropped: its own score is always at least its score
        raw["kinds"]["evaluation"]["yields_to"] = ["evaluation"]
    with pytest.raises(DataFileError, match="kind evaluation: yields to itself"):
        load_data_file(RULES_PATH, RulesFile, text=_edited(RULES_PATH, yields_to_itself))

    def yields_to_a_weaker_kind(raw):   # below 1 it would drop the kind beside a weaker one: not a yield
        raw["kinds"]["open_data_policy"]["yields_when_outscored"] = {"data_governance": 0.5}
    with pytest.raises(DataFileError, match="factor for 'data_governance' must be at least 1, got 0.5"):
        load_data_file(RULES_PATH, RulesFile, text=_edited(RULES_PATH, yields_to_a_weaker_kind))

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


def _copy_with(folder: Path, source: Path, old: str, new: str) -> Path:
    """A copy of a shipped file with one piece of text replaced, written in ``folder`` (under the test's
    tmp_path) for the loader to be pointed at."""
    text = source.read_text(encoding="utf-8")
    assert old in text
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / source.name
    copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def test_a_misspelt_portal_signal_is_refused_not_counted_as_zero(tmp_path: Path) -> None:
    """Misspelling ``data_inventory`` once switched the data inventory signal off for every city."""
    with pytest.raises(DataFileError) as exc:
        signal_phrases(_copy_with(tmp_path / "misspelt", SIGNALS_FILE, "data_inventory:", "data_inventroy:"))
    message = str(exc.value)
    assert message.startswith("signals.yaml: ")
    assert "field data_inventroy: unknown key" in message and "field data_inventory: missing" in message
    with pytest.raises(DataFileError, match="performance_measures.*blank phrase"):
        signal_phrases(_copy_with(tmp_path / "blank", SIGNALS_FILE, "  - kpi\n", "  - ' '\n"))


def test_a_misspelt_scope_key_level_or_placeholder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError) as exc:
        scope_rules(_copy_with(tmp_path / "key", SCOPE_FILE, "city_name_titles:", "city_name_title:"))
    message = str(exc.value)
    assert message.startswith("scope.yaml: ")
    assert "field city_name_title: unknown key" in message and "field city_name_titles: missing" in message
    with pytest.raises(DataFileError, match="scope.yaml: levels field countee: unknown key"):
        scope_rules(_copy_with(tmp_path / "level", SCOPE_FILE, "  county:", "  countee:"))
    with pytest.raises(DataFileError, match=r"levels field city\[1\]: unknown placeholder \{citty\}"):
        scope_rules(_copy_with(tmp_path / "placeholder", SCOPE_FILE, "of {city}", "of {citty}"))
