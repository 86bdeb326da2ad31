"""The user guides stay true: every SQL example runs on a real warehouse, every `cdpi` line parses."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from pipelines.cli import _parser
from warehouse.paths import WarehousePaths
from warehouse.read import connect_published

DOCS = Path(__file__).resolve().parents[1] / "docs"
ANALYST = DOCS / "analyst-guide.md"
RESEARCHER = DOCS / "researcher-guide.md"
FENCE = re.compile(r"^```([A-Za-z0-9_-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
SHELL_LANGS = {"bash", "sh", "console"}
SHELL_OPERATORS = set("();<>|&")
PLACEHOLDER = re.compile(r"<([A-Za-z][\w-]*)>")   # `<run_id>` in a path is a placeholder, not a redirection


def _blocks(path: Path, langs: set[str]) -> list[tuple[str, str]]:
    """(title, body) of each fenced block in one of ``langs``; the title is the nearest heading above."""
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        if m.group(1).lower() not in langs:
            continue
        headings = re.findall(r"^#{1,6} +(.+)$", text[: m.start()], re.M)
        out.append((headings[-1].strip() if headings else path.name, m.group(2)))
    return out


def _sql_cases() -> list:
    cases = []
    for n, (title, body) in enumerate(_blocks(ANALYST, {"sql"}), 1):
        cases.append(pytest.param(body, id=f"{n:02d} {title}"[:80]))
    return cases


def _cdpi_argv(line: str) -> list[str]:
    """The arguments of one `cdpi ...` shell line, stopping at a pipe, redirection, `;`, `&&` or comment."""
    lexer = shlex.shlex(PLACEHOLDER.sub(r"\1", line), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = []
    for token in lexer:
        if set(token) <= SHELL_OPERATORS:
            break
        tokens.append(token)
    assert tokens and tokens[0] == "cdpi", line
    return tokens[1:]


def _cdpi_cases() -> list:
    cases = []
    for guide in (ANALYST, RESEARCHER):
        for _title, body in _blocks(guide, SHELL_LANGS):
            lines = body.replace("\\\n", " ").splitlines()
            for raw in lines:
                line = raw.strip().removeprefix("$ ")
                if line.startswith("cdpi "):
                    cases.append(pytest.param(line, id=f"{guide.stem}: {line}"[:100]))
    return cases


SQL_CASES = _sql_cases()
CDPI_CASES = _cdpi_cases()


def test_the_analyst_guide_answers_at_least_ten_questions() -> None:
    assert len(SQL_CASES) >= 10


@pytest.mark.parametrize("sql", SQL_CASES)
def test_analyst_guide_sql_runs_on_the_sample_warehouse(sql: str, sample_home: Path) -> None:
    con = connect_published(WarehousePaths(sample_home))   # read-only, sandboxed: as `cdpi sql` opens it
    try:
        cursor = con.execute(sql)
        assert cursor.description, "the query returns no result set"
        rows = cursor.fetchmany(1)
    finally:
        con.close()
    assert rows, "the query ran but returned no rows on the sample warehouse"


def test_closest_to_silver_lists_no_city_already_silver_or_better(sample_home: Path) -> None:
    """Question 1 claims the cities still to reach Silver: run for every state of the sample, it never
    lists a certified Silver, Gold or Platinum city, though the sample has such cities predicted "none"."""
    [sql] = [p.values[0] for p in SQL_CASES if "closest to Silver" in p.id]
    con = connect_published(WarehousePaths(sample_home))
    try:
        states = [r[0] for r in con.execute("SELECT DISTINCT state FROM marts.city_index_latest").fetchall()]
        trap = con.execute("SELECT count(*) FROM marts.city_index_latest WHERE predicted_tier = 'none' "
                           "AND certified_tier IN ('silver', 'gold', 'platinum')").fetchone()[0]
        listed = []
        for state in states:
            cur = con.execute(sql.replace("'CO'", "?"), [state])
            col = [d[0] for d in cur.description].index("certified_tier")
            listed += [r[col] for r in cur.fetchall()]
    finally:
        con.close()
    assert trap > 0 and listed
    assert not {"silver", "gold", "platinum"} & set(listed)


def test_both_guides_show_cdpi_commands() -> None:
    guides = {case.id.split(":")[0] for case in CDPI_CASES}
    assert guides == {ANALYST.stem, RESEARCHER.stem}


@pytest.mark.parametrize("line", CDPI_CASES)
def test_guide_cdpi_commands_parse(line: str, capsys: pytest.CaptureFixture) -> None:
    argv = _cdpi_argv(line)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:   # argparse reports a bad command line by exiting
        pytest.fail(f"`{line}` does not parse (exit {exc.code}): {capsys.readouterr().err.strip()}")
    assert getattr(args, "func", None) is not None, f"`{line}` names no subcommand"


def test_the_readmes_targets_example_lists_cities_of_the_sample(sample_home: Path, capsys) -> None:
    """A new user's first outreach query, run as the README writes it on the sample `make run` built, shows
    cities: an example answering nothing reads as a broken tool."""
    from pipelines.cli import main as cli

    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    first, *others = [ln for ln in readme.splitlines() if ln.startswith(".venv/bin/cdpi targets ")]
    for line in (first, *others):
        argv = shlex.split(line.split("#", 1)[0])[1:]
        assert cli([*argv, "--home", str(sample_home), "--format", "json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows, line
    argv = shlex.split(first.split("#", 1)[0])[1:]
    assert cli([*argv, "--home", str(sample_home), "--format", "json"]) == 0
    assert all(r["population"] >= 50_000 for r in json.loads(capsys.readouterr().out)), first


#: Views whose rows have an order of their own (a rank): a query showing some of them must say the order,
#: since a view's rows come back in no guaranteed order.
RANKED_VIEWS = ("marts.outreach_targets",)


def _documented_queries() -> list[tuple[str, str]]:
    """(file, query) of every `cdpi sql "..."` line and SQL block of the README and the docs (the generated
    data dictionary aside)."""
    out = []
    for path in (DOCS.parent / "README.md", *sorted(DOCS.glob("*.md"))):
        if path.name == "warehouse.md":
            continue
        text = path.read_text(encoding="utf-8")
        out += [(path.name, m.group(1)) for m in re.finditer(r'cdpi sql "([^"]+)"', text)]
        out += [(path.name, m.group(2)) for m in FENCE.finditer(text) if m.group(1).lower() == "sql"]
    return out


def test_documented_queries_over_a_ranked_view_say_their_order() -> None:
    """README's top-ten targets query had no ORDER BY: the ten it showed were whichever DuckDB read first."""
    queries = _documented_queries()
    assert any("marts.outreach_targets" in q for _, q in queries)
    unordered = [(name, q) for name, q in queries
                 if any(v in q.lower() for v in RANKED_VIEWS) and re.match(r"\s*select\b", q, re.I)
                 and not re.search(r"\border\s+by\b", q, re.I)
                 and not re.search(r"\bcount\s*\(|\bgroup\s+by\b", q, re.I)]
    assert unordered == []


def test_the_readme_counts_the_latest_run_s_cities() -> None:
    """`select count(*) from marts.cities` counted every run's rows (333 after three sample runs)."""
    readme = [q for name, q in _documented_queries() if name == "README.md"]
    assert readme and not [q for q in readme if re.search(r"\bfrom\s+marts\.cities\b(?!_)", q, re.I)]
