"""The classifier's needle shortcut (sources/evidence/needles.py) never changes a call.

Three ways it could: a needle that some match of its pattern does not contain (checked on strings generated
from every rule pattern), a character ``re.IGNORECASE`` equates with an ASCII letter that ``fold`` misses
(checked over every code point), or any difference in the evidence of real and synthetic pages classified
with and without the shortcut.
"""

from __future__ import annotations

import dataclasses
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sources.evidence.classify import classify, load_rules
from sources.evidence.documents import from_html, from_text
from sources.evidence.evaluate import REAL_PAGES, read_jsonl
from sources.evidence.needles import IGNORECASE_ASCII_TWINS, NeedleFinder, fold, needles
from tests.conftest import realdata
from tests.test_evidence_eval import EVAL_SET

RULES = load_rules()
PATTERNS = RULES.patterns()


def test_fold_knows_every_character_ignorecase_equates_with_an_ascii_letter() -> None:
    letter = re.compile("[a-z]", re.I)
    twins = {chr(i) for i in range(128, sys.maxunicode + 1) if letter.fullmatch(chr(i))}
    assert twins == set(IGNORECASE_ASCII_TWINS)
    for ch, ascii_letter in IGNORECASE_ASCII_TWINS.items():
        assert re.fullmatch(ascii_letter, ch, re.I) and fold(ch) == ascii_letter


def test_almost_every_rule_pattern_has_needles() -> None:
    guarded = [p for p in PATTERNS if p.needles is not None]
    assert len(guarded) >= 0.95 * len(PATTERNS)


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"open (data|government) polic(y|ies)",
     {"open data policy", "open data policies", "open government policy", "open government policies"}),
    (r"\w+stat\b", {"stat"}),
    (r"(open )?data coordinators?", {"data coordinator"}),     # "open data coordinator" contains it
    (r"\bdata\b", {"data"}),
    (r"\d+ ?%", None),                                          # nothing literal to look for
    (r"ab", None),                                              # too short to be worth looking for
    (r"caf\u00e9 menu", {" menu"}),                             # a non-ASCII letter under re.I is a gap
])
def test_needles_of_small_patterns(pattern: str, expected: set[str] | None) -> None:
    got = needles(re.compile(pattern, re.I))
    assert (set(got) if got is not None else None) == expected


def test_a_case_sensitive_pattern_is_found_in_folded_text() -> None:
    rx = re.compile("Open Data Portal")
    assert needles(rx) == ("open data portal",)
    assert NeedleFinder(needles(rx)).present("Visit the OPEN DATA PORTAL") == {"open data portal"}


def test_the_finder_reports_every_needle_present_and_no_other() -> None:
    finder = NeedleFinder(["data", "open data", "portal", "atap"])
    assert finder.present("The \u0130 OPEN DATA Portal") == {"data", "open data", "portal"}
    assert finder.present("") == frozenset()
    assert NeedleFinder([]).present("anything") == frozenset()


@pytest.mark.slow
@pytest.mark.parametrize("k", range(len(PATTERNS)), ids=lambda k: f"pattern{k}")
def test_every_match_of_a_rule_pattern_contains_one_of_its_needles(k: int) -> None:
    pat = PATTERNS[k]
    if pat.needles is None:
        pytest.skip("no needles: the pattern is always run")

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(st.from_regex(pat.regex, fullmatch=True))
    def check(s: str) -> None:
        folded = fold(s)
        assert any(n in folded for n in pat.needles), (pat.regex.pattern, s)

    check()


def _without_shortcut():
    """The same rules with every pattern always run."""
    off = lambda p: dataclasses.replace(p, needles=None)  # noqa: E731
    kinds = {k: dataclasses.replace(kr, requires=tuple(map(off, kr.requires)), masks=tuple(map(off, kr.masks)),
                                    phrases=tuple(map(off, kr.phrases)), penalties=tuple(map(off, kr.penalties)))
             for k, kr in RULES.kinds.items()}
    return dataclasses.replace(RULES, masks=tuple(map(off, RULES.masks)), kinds=kinds,
                               penalties=tuple(map(off, RULES.penalties)))


def _same_calls(records: list[dict]) -> None:
    plain = _without_shortcut()
    for r in records:
        doc = (from_html(r["html"], r.get("url")) if "html" in r
               else from_text(r.get("text", ""), r.get("url"), r.get("title")))
        assert classify(doc) == classify(doc, plain), r.get("id")


def test_the_shortcut_changes_no_call_on_the_synthetic_set() -> None:
    _same_calls(read_jsonl(EVAL_SET))


def test_the_shortcut_changes_no_call_on_real_pages() -> None:
    _same_calls(read_jsonl(realdata(REAL_PAGES)))


def test_a_folded_pattern_keeps_its_escapes_and_refuses_letters_named_by_code() -> None:
    from sources.evidence.needles import fold_pattern

    assert fold_pattern(r"\bOpen[- ]Data\S*\B(?P<Year>20\d\d)\.PDF(?P=Year)(?i:X)") == \
        r"\bopen[- ]data\S*\B(?P<Year>20\d\d)\.pdf(?P=Year)(?i:x)"
    assert fold_pattern("KELVIN \u212a") == "kelvin k"
    for unfoldable in (r"\x41ct", r"\u0041ct", r"\N{LATIN CAPITAL LETTER A}", r"\101ct", "(?-i:Act)", "(?s-i:Act)"):
        with pytest.raises(ValueError, match="cannot be matched on folded text"):
            fold_pattern(unfoldable)


def test_a_rules_file_with_an_unfoldable_pattern_is_refused_by_name() -> None:
    from sources.datafiles import DataFileError
    from sources.evidence.classify import _compile

    with pytest.raises(DataFileError, match=r"rules.yaml: pattern '\\\\x41ct'"):
        _compile(r"\x41ct", 2.0)


@pytest.mark.slow
def test_every_rule_pattern_folded_matches_where_the_case_insensitive_pattern_does() -> None:
    """The rules run case-sensitively on folded text (faster); on every synthetic page, each pattern of
    rules.yaml finds the same spans as the pattern as written, run with re.IGNORECASE on the page itself."""
    texts = [" ".join(f"{r.get('title') or ''}\n{r.get('text') or ''}".split()) for r in read_jsonl(EVAL_SET)]
    texts += ["The CITY'S OPEN DATA PORTAL \u0130S LIVE", "Kelvin \u212a and long \u017f"]
    for pat in PATTERNS:
        original = re.compile(pat.source, re.I)
        for text in texts:
            folded = fold(text)
            assert [m.span() for m in original.finditer(text)] == [m.span() for m in pat.regex.finditer(folded)], \
                (pat.source, text[:80])
