"""The report's pages pass an automated accessibility check: axe-core (from the npm registry, installed at test
time into test-artifacts/, never committed) run in Debian's Chromium through Playwright, with no serious or
critical violation; and the tables sort from the keyboard. Skips with the reason when npm is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_report_browser import ARTIFACTS, _missing
from warehouse.paths import WarehousePaths
from warehouse.report import build_report

pytestmark = pytest.mark.slow

AXE_VERSION = "4.14.1"
AXE_DIR = ARTIFACTS.parent / "axe"


@pytest.fixture(scope="module")
def axe_source() -> str:
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        if not shutil.which("npm"):
            pytest.skip("npm is not installed: the accessibility check needs axe-core from the npm registry")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR),
                        f"axe-core@{AXE_VERSION}"], check=True, timeout=300)
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def context(sample_home: Path, tmp_path_factory: pytest.TempPathFactory):
    if _missing():
        pytest.fail(f"{_missing()}: the report's browser tests need Debian's chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    out = tmp_path_factory.mktemp("a11y_report")
    build_report(WarehousePaths(sample_home), out)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        # bypass_csp: the pages' policy would refuse the injected axe script (as it refuses any script not
        # their own); nothing else about the pages changes.
        yield out, browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        browser.close()


PAGES = ["index.html", "targets.html", "validation.html", "methodology.html", "dictionary.html", "city"]


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violation(context, axe_source: str, name: str) -> None:
    out, ctx = context
    path = next((out / "cities").glob("*.html")) if name == "city" else out / name
    page = ctx.new_page()
    page.goto(path.as_uri())
    page.add_script_tag(content=axe_source)
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => "
        "({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{name.replace('.html', '')}.json").write_text(json.dumps(violations, indent=1))
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, json.dumps(serious, indent=1)
    page.close()


def test_tables_sort_from_the_keyboard(context) -> None:
    out, ctx = context
    page = ctx.new_page()
    page.goto((out / "targets.html").as_uri())
    header = page.locator("#targets thead th", has_text="Population")
    header.locator("button").focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") in ("ascending", "descending")
    # Every filter control has a label a screen reader announces.
    for control in page.locator("form.filters select, form.filters input").all():
        assert control.evaluate("el => el.labels.length") >= 1
    page.close()
