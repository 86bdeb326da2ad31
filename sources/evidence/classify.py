"""Classify a document into evidence of city data practices, by the readable rules in ``rules.yaml``.

Every decision can be explained: each evidence object carries the rule version, the patterns that
matched with their weights, the resulting score and a snippet around the strongest match, so a reader
can check the call against the page and the rule that made it.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from sources.criteria.catalog import load_catalog
from sources.datafiles import DataFileError, RulesFile, load_data_file
from sources.evidence.documents import Document, from_html, from_text
from sources.evidence.needles import NeedleFinder, fold, fold_pattern, needles

RULES_PATH = Path(__file__).with_name("rules.yaml")
KINDS = ("open_data_policy", "open_data_portal", "performance_reporting", "evaluation", "data_governance",
         "results_driven_contracting", "stakeholder_engagement")
SNIPPET_CHARS = 300
_REPEAT = {1: 1.0, 2: 1.4}       # a pattern matched 3+ times counts 1.7x its weight
_REPEAT_MAX = 1.7


@dataclass(frozen=True)
class Pattern:
    """One rule of ``rules.yaml``: its regex, weight (0 for masks and requirements) and the literal needles
    one of which every match contains (``needles.py``), so a page without any of them skips the regex.
    ``regex`` is ``source`` folded (``needles.fold_pattern``): it runs on folded text, and the
    explanations quote ``source``, as written in the file."""

    regex: re.Pattern[str]
    weight: float = 0.0
    needles: frozenset[str] | None = None
    source: str = ""
    spare: frozenset[str] = frozenset()      # a shared penalty's kinds it does not apply to

    def can_match(self, present: frozenset[str]) -> bool:
        """Whether the pattern can match a text in which the needles ``present`` were found."""
        return self.needles is None or not self.needles.isdisjoint(present)


@dataclass(frozen=True)
class KindRules:
    kind: str
    label: str
    requires: tuple[Pattern, ...]
    masks: tuple[Pattern, ...]
    phrases: tuple[Pattern, ...]
    penalties: tuple[Pattern, ...]
    threshold: float
    yields_to: tuple[tuple[str, float], ...] = ()   # (kind, factor): dropped when that kind scores factor x this
    with_kind: tuple[tuple[str, float], ...] = ()   # (kind, threshold): a lower bar beside that kind


@dataclass(frozen=True)
class Rules:
    version: str
    title_factor: float
    scale: float
    single_sentence_factor: float
    masks: tuple[Pattern, ...]
    kinds: dict[str, KindRules]
    penalties: tuple[Pattern, ...] = ()
    link_line_factor: float = 1.0
    link_line_trust: float = 0.0

    @cached_property
    def shared_penalties(self) -> dict[str, tuple[Pattern, ...]]:
        """Per kind, the shared penalties that apply to it (those not sparing it), worked out once per rule set
        rather than for every kind of every page."""
        return {kind: tuple(p for p in self.penalties if kind not in p.spare) for kind in self.kinds}

    def patterns(self) -> list[Pattern]:
        """Every pattern of the rule set: masks, requirements, phrases and penalties."""
        out = [*self.masks, *self.penalties]
        for k in self.kinds.values():
            out += [*k.requires, *k.masks, *k.phrases, *k.penalties]
        return out

    @cached_property
    def finder(self) -> NeedleFinder:
        return NeedleFinder(n for p in self.patterns() if p.needles for n in p.needles)


@dataclass
class Evidence:
    """One call: this document is evidence of ``kind``; JSON-ready via ``to_dict``."""

    kind: str
    confidence: float
    criteria: list[str]
    snippet: str
    score: float
    hits: list[str] = field(default_factory=list)    # "pattern (weight x factor)" of every matched rule
    extractor_version: str = ""

    def to_dict(self, *, explain: bool = False) -> dict:
        out = {"kind": self.kind, "confidence": self.confidence, "criteria": self.criteria, "snippet": self.snippet}
        if explain:
            out |= {"score": self.score, "hits": self.hits, "extractor_version": self.extractor_version}
        return out


def _compile(p: str, weight: float = 0.0, spare: Iterable[str] = ()) -> Pattern:
    try:
        regex = re.compile(fold_pattern(p))
    except (ValueError, re.error) as exc:
        raise DataFileError(f"{RULES_PATH.name}: pattern {p!r}: {exc}") from exc
    found = needles(regex)
    return Pattern(regex, weight, frozenset(found) if found is not None else None, p, frozenset(spare))


@lru_cache(maxsize=4)
def rules_file(path: Path = RULES_PATH) -> RulesFile:
    """rules.yaml read and validated once per process: the classifier's kinds and the crawl's link rules
    both come from it. Typed: a slip names the file, the entry and the field."""
    return load_data_file(path, RulesFile)


@lru_cache(maxsize=4)
def load_rules(path: Path = RULES_PATH) -> Rules:
    raw = rules_file(path)
    unknown = set(raw.kinds) ^ set(KINDS)
    if unknown:
        raise DataFileError(f"{path.name}: kinds must be exactly {', '.join(KINDS)}; mismatched: {sorted(unknown)}")
    kinds = {}
    for kind, k in raw.kinds.items():
        kinds[kind] = KindRules(
            kind=kind, label=k.label or kind, requires=tuple(_compile(p) for p in k.requires),
            masks=tuple(_compile(p) for p in k.masks),
            # Strongest first: a stretch of text is counted by the strongest pattern that reads it (see _score).
            phrases=tuple(sorted((_compile(x.p, x.w) for x in k.phrases), key=lambda pat: -pat.weight)),
            penalties=tuple(_compile(x.p, x.w) for x in k.penalties),
            threshold=k.threshold if k.threshold is not None else raw.default_threshold,
            yields_to=tuple((y, 1.0) for y in k.yields_to) + tuple(k.yields_when_outscored.items()),
            with_kind=tuple(k.with_kind.items()))
    return Rules(version=raw.version, title_factor=raw.title_factor, scale=raw.scale,
                 single_sentence_factor=raw.single_sentence_factor, link_line_factor=raw.link_line_factor,
                 link_line_trust=raw.link_line_trust,
                 masks=tuple(_compile(p) for p in raw.masks), kinds=kinds,
                 penalties=tuple(_compile(x.p, x.w, x.spare) for x in raw.penalties))


def classify(doc: Document, rules: Rules | None = None, *, standard: str | None = None) -> list[Evidence]:
    """Evidence objects for every kind whose score reaches its threshold, most confident first."""
    rules = rules or load_rules()
    catalog = load_catalog(standard) if standard else load_catalog()
    text, links = _flatten(doc.text)
    title = " ".join((doc.title if doc.title is not None else _first_line_title(doc)).split())
    base = _masked(_Text.of(text, rules.finder, links), rules.masks)
    base_title = _masked(_Text.of(title, rules.finder), rules.masks)
    scored = []
    for kind, kr in rules.kinds.items():
        body = _masked(base, kr.masks)
        head = _masked(base_title, kr.masks)
        if kr.requires and not any(_search(r, body) or _search(r, head) for r in kr.requires):
            continue
        score, hits, marks, spread = _score(kr, body, head, rules.title_factor, rules.shared_penalties[kind],
                                            rules.link_line_factor, rules.link_line_trust)
        if spread == 1 and score > 0:
            score *= rules.single_sentence_factor
            hits.append(f"x{rules.single_sentence_factor:.2f} every match in one sentence")
        scored.append((kind, kr, score, hits, marks))
    found = {kind for kind, kr, score, _, _ in scored if score >= kr.threshold}
    # A page's lines are its blocks (headings, paragraphs); a PDF's or a text's lines wrap its sentences.
    headings = _heading_ends(doc.text) if doc.kind == "html" else ()
    # The passage below a page's cover is quoted without it, as a sentence below a heading is.
    cover = _cover_end(doc.text, title, 0 if doc.kind == "html" else COVER_LINES)
    breaks = tuple(sorted({*headings, cover})) if cover is not None else headings
    out = []
    for kind, kr, score, hits, marks in scored:
        threshold = kr.threshold
        for other, lower in kr.with_kind:     # the lower bar is named only where it decides the call
            if other in found and lower < threshold and lower <= score < kr.threshold:
                threshold = lower
                hits.append(f"threshold {lower:.2f} beside {other}")
        confidence = 1.0 / (1.0 + math.exp(-(score - threshold) / rules.scale))
        if confidence < 0.5:
            continue
        out.append(Evidence(kind=kind, confidence=round(confidence, 4), criteria=catalog.for_signal(kind),
                            snippet=_quote_passage(text, marks, breaks, cover) if marks else title[:SNIPPET_CHARS],
                            score=round(score, 3), hits=hits, extractor_version=rules.version))
    return sorted(_yield(out, rules), key=lambda e: (-e.confidence, e.kind))


def _yield(found: list[Evidence], rules: Rules) -> list[Evidence]:
    """Drop a kind when a kind it yields to was found with at least its score (times the yield's factor):
    performance targets inside a contract page are contracting evidence, a portal named in a policy is the
    policy, and a governance page that cites the open data policy is governance, not the policy.

    Compared with every kind found, dropped or not (rules.yaml, step 8): a portal the policy outscores, on
    a page that then proves to be governance, is a mention on a governance page (a real governance page
    of the tune part names the portal so), not the city's portal shown."""
    scores = {e.kind: e.score for e in found}
    kept = []
    for e in found:
        stronger = [k for k, factor in rules.kinds[e.kind].yields_to
                    if scores.get(k, float("-inf")) >= factor * e.score]
        if not stronger:
            kept.append(e)
    return kept


def classify_record(record: dict) -> list[Evidence]:
    """One ``cdpi classify --batch`` line: ``{"id", "url"?, "html" | "text"}``. Raises ValueError when the
    line has neither (or both) bodies, so the caller can report that line and go on."""
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    has_html, has_text = isinstance(record.get("html"), str), isinstance(record.get("text"), str)
    if has_html == has_text:
        raise ValueError('each line needs exactly one of "html" or "text" (a string)')
    url = record.get("url") if isinstance(record.get("url"), str) else None
    doc = from_html(record["html"], url) if has_html else from_text(record["text"], url, record.get("title"))
    return classify(doc)


#: A document without a title (plain text, or HTML with neither <title> nor <h1>) reads its first line as the
#: title when that line is at most this long and more text follows: pages saved as text keep their heading as
#: the first line, as a PDF's first line is its title.
TITLE_LINE_CHARS = 120


#: Site chrome a text crawler leaves at the top of a page (a loading banner, a skip link, share icons, a
#: print button, a document viewer's "HomeMy WebLinkAbout" trail): such a line is not the page's title, so
#: the title is the next line instead (at most ``TITLE_SKIP_LINES`` lines are skipped).
_CHROME_LINE = re.compile(r"(loading|skip to (the )?(main )?content|print( this)? page|share( this( page)?)?|menu|"
                          r"home|search|title|press release|news release|back|close|(facebook|twitter|youtube|"
                          r"instagram|linkedin|email|print)( icon)?( ?(\||,)? ?(facebook|twitter|youtube|instagram|"
                          r"linkedin|email|print)( icon)?){0,6})\W*", re.I)
_CHROME_PREFIX = re.compile(r"^(home ?my ?weblink ?about|home\s*[>»/|›]\s*)", re.I)
TITLE_SKIP_LINES = 3


#: A line of two to LINK_LINE_WORDS words, without a sentence's end, a comma or a figure (a year, fiscal year or
#: date is allowed from three words on), reads like a link. LINK_RUN_LINES or more of them in a row are a link
#: list that extraction left in the text (a menu, related links, a list of headlines), and so is one line of
#: three or more such items separated by " | " (a menu bar). A table of contents' entry and a document list's
#: lines (a title, then "(PDF, 2.1 MB)"; a file's name; its date and size; a table row ending in its type and
#: size) read as links whatever figures they hold. One-word lines (menu
#: items, field names) neither start nor break a run; prose wrapped across lines (a lower-case start) and
#: bulleted items (lists a page makes of its own content) are never links. A pattern found only in a link list is discounted (_score).
LINK_LINE_WORDS = 12
LINK_RUN_LINES = 3
_BULLET = re.compile(r"^[\s•·*>|\-–]+")
_NOT_LINK = re.compile(r"[.!?:;]$|,")
_FIGURE = re.compile(r"\d")
#: A headline's year, fiscal year ("FY2023") or date ("March 26, 2024"): a title may carry one and still be a link.
_YEAR = re.compile(r"\b(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}, )?(?:fy ?)?(?:19|20)\d\d\b",
                   re.I)
#: A table of contents' entry: a title, dot leaders, a page number ("Performance Measures ........ 22").
_CONTENTS_ENTRY = re.compile(r"(.*?[^\s.])\s*(?:\.\s?){3,}\s*(?:[ivxlc]+|\d{1,4}(?:\s?[–-]\s?\d{1,4})?)")
#: A document list's entry: a title, then the file's type and size ("Quarterly Report, Q3 (PDF, 2.1 MB)").
#: Documents only: a dataset offered "(CSV, API)" is what a portal page shows, not a signpost to it.
_FILE_ENTRY = re.compile(r"(.*?[^\s.!?:;])\s*[(\[]\s*(?:pdf|docx?|pptx?|rtf)\b[^)\]]{0,30}[)\]]", re.I)
#: A document list's other lines: a file's own name ("FY2023-Annual-Report.pdf"), the line giving its date and
#: size ("Modified 3/12/2024 9:41 AM 2.41 MB"), and a table row that ends in the file's type and size ("...
#: Resolution 04/09/2019 PDF (212 KB)"). Like an entry, they name a document; they do not show what it says.
#: The date-and-size pattern backtracks quadratically on a long run of digits that does not end in a size (a
#: PDF's table run together), so it is tried only on short lines ending in "b" (_file_meta).
FILE_META_CHARS = 60
_FILE_NAME = re.compile(r"\S+\.(?:pdf|docx?|pptx?|rtf|xlsx?)", re.I)
_FILE_META = re.compile(r"(?:modified|uploaded|updated|posted|added)?\s*[\d/.:,\s-]*(?:[ap]m)?\s*[\d.,]+\s*[kmg]b", re.I)
_FILE_ROW = re.compile(r"(.*?\S)\s+(?:pdf|docx?|pptx?|rtf)\s*[(\[]\s*[\d.,]+\s*[kmg]b\s*[)\]]", re.I)


def _flatten(raw: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The whitespace-collapsed text (``" ".join(raw.split())``) and the spans in it of the link lists."""
    lines = [words for words in (line.split() for line in raw.split("\n")) if words]
    spans: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []            # spans of the link-like lines of the current run
    pos = 0
    for k, words in enumerate(lines):
        end = pos + sum(len(w) for w in words) + len(words) - 1
        # A line that goes on in lower case on the next one is prose wrapped by a PDF or a narrow column.
        wrapped = words[0][:1].islower() or (k + 1 < len(lines) and lines[k + 1][0][:1].islower())
        shape = "text" if wrapped else _line_shape(words)
        if shape == "bar":                       # a menu bar is a link list on its own
            spans.append((pos, end))
        elif shape == "link":
            run.append((pos, end))
        elif shape == "text":
            if len(run) >= LINK_RUN_LINES:
                spans.append((run[0][0], run[-1][1]))
            run = []
        pos = end + 1
    if len(run) >= LINK_RUN_LINES:
        spans.append((run[0][0], run[-1][1]))
    return " ".join(w for words in lines for w in words), tuple(sorted(spans))


def _line_shape(words: list[str]) -> str:
    """"link", "bar" (three or more link-like items separated by " | "), "word" (one word: neither) or
    "text"."""
    line = " ".join(words)
    if words[-1][-2:].lower() in ("b)", "b]") and _FILE_ROW.fullmatch(line):
        return "link"                     # a row of a document table, however many columns it has
    if len(words) > LINK_LINE_WORDS and "|" not in words:
        return "text"                     # most lines of prose end here
    entry = _CONTENTS_ENTRY.fullmatch(line)
    if entry:                             # a table of contents names a chapter: read its title as a link
        title = entry.group(1).split()
        chapter = _YEAR.sub("", entry.group(1), count=1)     # a chapter may name its year, as a headline does
        return "link" if 1 <= len(title) <= LINK_LINE_WORDS - 2 and not _FIGURE.search(chapter) else "text"
    entry = _FILE_ENTRY.fullmatch(line)
    if entry:                             # a document list names a file: its title reads as a link, figures and all
        return "link" if 1 <= len(entry.group(1).split()) <= LINK_LINE_WORDS else "text"
    if _FILE_NAME.fullmatch(line) or _file_meta(line):
        return "link"                     # a file's name, or its date and size, in a document list
    if _BULLET.match(line) and not line.startswith("|"):
        return "text"                     # a bulleted item is a list the page itself makes: content
    items = line.split(" | ")
    if len(items) >= 3 and all(_line_shape(item.split()) in ("link", "word") for item in items if item.strip()):
        return "bar"
    n = len(words)
    if n <= 1:
        return "word" if line and not _FIGURE.search(line) else "text"
    bare = _YEAR.sub("", line, count=1) if n >= 3 else line     # a headline's year or date; two are a table's
    if n > LINK_LINE_WORDS or _NOT_LINK.search(bare):
        return "text"
    return "text" if _FIGURE.search(bare) else "link"


def _file_meta(line: str) -> bool:
    """Whether ``line`` is a document list's date-and-size line ("Modified 3/12/2024 9:41 AM 2.41 MB")."""
    return len(line) <= FILE_META_CHARS and line[-1:] in "bB" and _FILE_META.fullmatch(line) is not None


def _on_link_line(position: int, links: tuple[tuple[int, int], ...]) -> bool:
    """Whether ``position`` falls in one of the sorted, disjoint ``links`` spans."""
    k = bisect.bisect_right(links, (position, math.inf)) - 1
    return k >= 0 and links[k][0] <= position < links[k][1]


def _first_line_title(doc: Document) -> str:
    lines = doc.text.strip().split("\n")
    for i, line in enumerate(lines[:TITLE_SKIP_LINES + 1]):
        line = _CHROME_PREFIX.sub("", line.strip(" •·|>-")).strip()
        if not line or _CHROME_LINE.fullmatch(line):
            continue
        more = any(x.strip() for x in lines[i + 1:])
        return line if more and len(line) <= TITLE_LINE_CHARS else ""
    return ""


@dataclass(frozen=True)
class _Text:
    """Text to score, the same text folded (what the rules run on: ``fold``, with typographic quotes and hyphens
    read as ASCII ones, keeps every character in place, so a match's span indexes both) and the rule needles
    found in it: a pattern none of whose needles is there is not run."""

    text: str
    folded: str
    present: frozenset[str]
    links: tuple[tuple[int, int], ...] = ()     # spans of link-list lines (see _flatten), sorted

    @classmethod
    def of(cls, text: str, finder: NeedleFinder, links: tuple[tuple[int, int], ...] = ()) -> _Text:
        folded = fold(text.translate(_TYPOGRAPHY))
        return cls(text, folded, finder.present_in_folded(folded), links)


#: Typographic marks a word processor puts in for the ASCII ones the rules are written with: curly quotes and
#: apostrophes ("the contractor’s performance"), and hyphens, non-breaking hyphens, figure and en dashes and the
#: minus sign ("difference‐in‐differences"). One character for one, so match spans still index the page's text;
#: the em dash stays, as it joins clauses rather than words.
_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"',
                             "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"})


def _search(pat: Pattern, t: _Text) -> re.Match[str] | None:
    return pat.regex.search(t.folded) if t.folded and pat.can_match(t.present) else None


def _masked(t: _Text, masks: tuple[Pattern, ...]) -> _Text:
    """Blank masked phrases with spaces of the same length, so match positions still index the text. The
    needles found before masking stay: a superset of those left, so no pattern that could match is skipped."""
    text, folded = t.text, t.folded
    for m in masks:
        if m.can_match(t.present):
            spans = [x.span() for x in m.regex.finditer(folded) if x.end() > x.start()]
            if spans:
                text, folded = _blank(text, spans), _blank(folded, spans)
    return _Text(text, folded, t.present, t.links)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each of the sorted, disjoint ``spans`` replaced by as many spaces."""
    out, at = [], 0
    for start, end in spans:
        out += [text[at:start], " " * (end - start)]
        at = end
    out.append(text[at:])
    return "".join(out)


def _score(kr: KindRules, body: _Text, head: _Text, title_factor: float, shared_penalties: tuple[Pattern, ...] = (),
           link_factor: float = 1.0, link_trust: float = 0.0) -> tuple[float, list[str], tuple[_Mark, ...], int]:
    """Score, explanation lines, the counted matches (``_Mark``: what the snippet is chosen from, see
    ``_quote_passage``; the matches in link lists when nothing else matched, none when only the title did),
    and how many sentences hold matches (0 when the title matched: a title is never a passing mention). The
    same words count once: a match inside text a stronger pattern already counted adds nothing, so
    overlapping patterns cannot make one line outscore a page that shows the practice.

    Link lists (``body.links``: menus, related links, headline lists) count in full only on a page whose
    other text and title already score ``link_trust`` of the kind's threshold: there a list is part of
    what the page shows (a policy's list of roles). Elsewhere a pattern found only in link lists counts
    once at ``link_factor`` of its weight and never makes the matches span two sentences: naming a page is
    not showing the practice."""
    found: list[tuple[Pattern, list[re.Match[str]], list[re.Match[str]], bool, re.Match[str] | None]] = []
    read: list[tuple[int, int]] = []          # spans of text already counted, strongest patterns first
    read_title: list[tuple[int, int]] = []
    for pat in kr.phrases:                   # strongest first (load_rules sorts them)
        matches = _fresh(pat.regex, body.folded, read) if pat.can_match(body.present) else []
        title_match = _search(pat, head)
        in_title = title_match is not None and not _inside(title_match.span(), read_title)
        if not matches and not in_title:
            continue
        read.extend(m.span() for m in matches)
        if in_title and title_match is not None:
            read_title.append(title_match.span())
        content = [m for m in matches if not _on_link_line(m.start(), body.links)] if body.links else matches
        found.append((pat, matches, content, in_title, title_match))
    trusted = not body.links or link_trust * kr.threshold <= sum(
        pat.weight * (_REPEAT.get(len(content), _REPEAT_MAX) if content else 0.0)
        + (pat.weight * title_factor if in_title else 0.0) for pat, _, content, in_title, _ in found)
    score, hits, in_any_title = 0.0, [], False
    spans: list[tuple[int, int, float]] = []
    marks: list[_Mark] = []
    linked: list[_Mark] = []    # matches of patterns found only in link lists
    for rank, (pat, matches, content, in_title, title_match) in enumerate(found):
        counted = matches if trusted else content
        in_any_title |= in_title
        if counted:
            factor = _REPEAT.get(len(counted), _REPEAT_MAX)
        else:
            factor = link_factor if matches else 0.0
            linked.extend(_Mark(m.start(), m.end(), pat.weight * link_factor, rank) for m in matches)
        gained = pat.weight * factor + (pat.weight * title_factor if in_title else 0.0)
        score += gained
        where = f" x{len(counted)}" if counted else (" (link list)" if matches else "")
        quoted = _quote(body.text, (counted or matches)[0]) if matches else _quote(head.text, title_match)
        hits.append(f"+{gained:.2f} {quoted}{where}" + (" (title)" if in_title else "") + f" by {pat.source}")
        spans.extend((m.start(), m.end(), pat.weight) for m in counted)
        marks.extend(_Mark(m.start(), m.end(), pat.weight, rank) for m in counted)
    for pat in (*kr.penalties, *shared_penalties):
        in_body = _search(pat, body)
        in_head = None if in_body else _search(pat, head)
        if in_body or in_head:
            score -= pat.weight
            quoted = _quote(body.text, in_body) if in_body else _quote(head.text, in_head)
            hits.append(f"-{pat.weight:.2f} {quoted} by {pat.source}")
    if not spans and not linked:
        return score, hits, (), 0
    spread = 0 if in_any_title else (_sentences_with(body.text, spans) if spans else 1)
    return score, hits, tuple(marks or linked), spread


#: How much of a match an explanation quotes.
QUOTE_CHARS = 60


def _quote(text: str, match: re.Match[str] | None) -> str:
    """The words a rule matched, as the page has them (``text`` is the unfolded text the match indexes), in
    quotes: an explanation says what was read before the rule that read it."""
    if match is None:
        return '""'
    words = " ".join(text[match.start():match.end()].split())
    return f'"{words[:QUOTE_CHARS - 1]}…"' if len(words) > QUOTE_CHARS else f'"{words}"'


def _fresh(regex: re.Pattern[str], text: str, read: list[tuple[int, int]], keep: int = 20, look: int = 200
           ) -> list[re.Match[str]]:
    """Up to ``keep`` matches of ``regex`` that are not inside text already counted, among its first ``look``
    matches (three already earn the most a repetition can; the bounds keep a hostile page linear)."""
    out: list[re.Match[str]] = []
    for k, m in enumerate(regex.finditer(text)):
        if k >= look or len(out) >= keep:
            break
        if not _inside(m.span(), read):
            out.append(m)
    return out


def _inside(span: tuple[int, int], read: list[tuple[int, int]]) -> bool:
    """Whether ``span`` lies within text a stronger pattern already counted: the same words count once."""
    start, end = span
    return any(s <= start and end <= e for s, e in read)


def _sentences_with(text: str, spans: list[tuple[int, int, float]]) -> int:
    """How many sentences the matches fall in (2 means "more than one"; counting stops there)."""
    first = min(s for s, _, _ in spans)
    last = max(s for s, _, _ in spans)
    if first == last:
        return 1
    if last - first > SENTENCE_CHARS:
        return 2                     # counted as more than one: most likely a table or list without full stops
    return 2 if _SENTENCE_END.search(text, first, last + 1) else 1


#: A heading: a line of at most this many words, without a sentence's end, followed by a line of prose.
HEADING_WORDS = 12


def _heading_ends(raw: str) -> tuple[int, ...]:
    """Where, in the text ``_flatten`` makes of ``raw``, a heading line ends and a paragraph begins (the space
    that joined them): flattened, "2025 Resident Survey Results" and the paragraph below it would read as one
    sentence, and a snippet would run them together. For HTML only, whose lines are its blocks: a PDF's
    line "On March 3 the Council adopted" is a sentence wrapped, not a heading."""
    lines = [words for words in (line.split() for line in raw.split("\n")) if words]
    out, pos = [], 0
    for k, words in enumerate(lines[:-1]):
        pos += sum(len(w) for w in words) + len(words) - 1
        following = lines[k + 1]
        heading = len(words) <= HEADING_WORDS and not _NOT_LINK.search(words[-1]) and words[0][:1].isupper()
        prose = len(following) > HEADING_WORDS or following[-1][-1:] in ".!?"
        if heading and prose and following[0][:1].isupper():
            out.append(pos)
        pos += 1
    return tuple(out)


#: Matches further apart than this count as more than one sentence, stops or not: whitespace is collapsed, so
#: a table of goals and results read from a page has no line breaks left to end its rows. (A long legal
#: sentence is then not discounted as a passing mention either; a page of such clauses is no mention.)
SENTENCE_CHARS = 400


#: A sentence ends at . ? ! followed by space and a capital or quote, unless the word is an abbreviation.
_SENTENCE_END = re.compile(r"(?<!\bNo)(?<!\bSec)(?<!\bSt)(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bInc)(?<!\bvs)"
                           r"(?<!\b[A-Z])[.?!](?=\s+[A-Z0-9\"“(])")


def snippet(text: str, span: tuple[int, int], limit: int = SNIPPET_CHARS, breaks: tuple[int, ...] = ()) -> str:
    """The sentence around ``span``, trimmed to ``limit`` characters with the match kept inside. ``breaks``
    (``_heading_ends``) end a heading: a sentence below one is quoted without it, and a match in the heading
    is quoted with the sentence that follows it, as the page shows them."""
    left, right = _snippet_bounds(text, span, limit, breaks)
    return text[left:right].strip()[:limit]


def _snippet_bounds(text: str, span: tuple[int, int], limit: int = SNIPPET_CHARS, breaks: tuple[int, ...] = ()
                    ) -> tuple[int, int]:
    """Where in ``text`` the snippet around ``span`` starts and ends (see ``snippet``)."""
    start, end = span
    window_start = max(0, start - 2 * limit)
    ends_before = [m.end() for m in _SENTENCE_END.finditer(text, window_start, start + 1)]
    left = ends_before[-1] if ends_before else (0 if window_start == 0 else window_start)
    after = _SENTENCE_END.search(text, end, min(len(text), end + 2 * limit))
    right = after.end() if after else min(len(text), end + 2 * limit)
    k = bisect.bisect_right(breaks, start) - 1
    if k >= 0 and breaks[k] >= left:
        left = breaks[k] + 1           # the heading above the sentence is not part of it
    if right - left > limit:
        room = max(0, limit - (end - start))
        left = max(left, start - room // 2)
        right = min(right, left + limit)
        left = max(0, min(left, right - limit))
        # A cut sentence is cut between words ("Service data", not "tomer Service data"), the match kept whole.
        if 0 < left < start and not text[left - 1].isspace() and " " in text[left:start]:
            left = text.index(" ", left, start) + 1
        if end < right < len(text) and not text[right].isspace() and " " in text[end:right]:
            right = text.rindex(" ", end, right)
    return left, right


@dataclass(frozen=True)
class _Mark:
    """One counted match: where it is in the page's text, its pattern's weight and which pattern it is (the
    pattern's place in the kind's phrases), so a passage's weight counts each rule once."""

    start: int
    end: int
    weight: float
    rule: int


def _cover_end(raw: str, title: str, extra: int = 0) -> int | None:
    """Where, in the text ``_flatten`` makes of ``raw``, the page's cover ends: the lines at its top through
    the line that repeats its title (among the first ``TITLE_SKIP_LINES + 1``, at most
    ``TITLE_LINE_CHARS`` long unless it is the title itself), and up to ``extra`` short lines after it (a
    PDF's subtitle, "Prepared for the City of X", a section's name: ``COVER_LINES``; none on an HTML page,
    whose lines are blocks: a short paragraph below the heading is content); a bulleted line, or prose
    wrapped across lines, is content and ends the cover. The title is matched whole or by its longest part
    of two words or more between separators ("Data Management Program" of "Data Management Program | City
    of X"), as written; a line holding it counts only if it looks like a heading (``_heading_like``: short,
    not a sentence) or is the title itself. None when no line repeats it, or the cover would be the whole
    page.

    A snippet should show the practice, and a cover only names it: the title's weight is counted already
    (``title_factor``, marked "(title)" in the explanation)."""
    parts = sorted((p.strip() for p in _TITLE_SEPARATORS.split(title)), key=len, reverse=True)
    longest = next((p for p in parts if len(p.split()) >= 2), "")
    pieces = [p for p in dict.fromkeys((title, longest)) if len(p.split()) >= 2]
    if not pieces:
        return None
    # The first lines only (one more than the cover can take, to tell whether anything follows it): a page
    # may be long, and its cover is at the top.
    lines = list(itertools.islice((words for words in (line.split() for line in _lines(raw)) if words),
                                  TITLE_SKIP_LINES + extra + 2))
    ends, pos = [], -1
    for words in lines[:TITLE_SKIP_LINES + 1 + extra]:
        pos += 1 + sum(len(w) for w in words) + len(words) - 1
        ends.append(pos)
    for k, words in enumerate(lines[:TITLE_SKIP_LINES + 1]):
        line = " ".join(words)
        if not any(p in line for p in pieces) or not (line == title or _heading_like(line, words)):
            continue
        if k + 1 < len(lines) and lines[k + 1][0][:1].islower():
            return None                           # the line is a sentence's start, wrapped: no cover to leave out
        last = k
        for j in range(k + 1, min(len(ends), k + 1 + extra)):
            wrapped = any(x[0][:1].islower() for x in lines[j:j + 2])     # prose a PDF wrapped at this line
            if len(lines[j]) > HEADING_WORDS or _BULLET.match(lines[j][0]) or wrapped:
                break
            last = j
        return ends[last] if last < len(lines) - 1 else None
    return None


def _heading_like(line: str, words: list[str]) -> bool:
    """A line that could be a page's title line: short, and not a sentence ("The City of X publishes ...
    in 2024." names the city of the title, yet it is the content a snippet should show)."""
    return len(line) <= TITLE_LINE_CHARS and len(words) <= HEADING_WORDS and not line.endswith((".", "!", "?"))


def _lines(raw: str) -> Iterator[str]:
    """``raw.split("\\n")``, one line at a time."""
    at = 0
    while at <= len(raw):
        nl = raw.find("\n", at)
        if nl < 0:
            yield raw[at:]
            return
        yield raw[at:nl]
        at = nl + 1


#: Short lines after the title that still belong to the cover of a PDF or a text (see ``_cover_end``).
COVER_LINES = 2
#: What separates a page title's parts ("Open Data | City of X", "Reports - Finance", "Budget: FY2025").
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•]\s+|:\s+")


def _quote_passage(text: str, marks: tuple[_Mark, ...], breaks: tuple[int, ...] = (),
                   cover: int | None = None) -> str:
    """The snippet a reader should see: the passage (``snippet``) around a match of the strongest rule that
    matched below the page's cover, and of its matches the one whose passage holds the most weight of the
    kind's rules (each rule counted once), so the quote shows the practice the call rests on rather than a
    title or cover line naming it. Matches in the cover (the text before ``cover``, ``_cover_end``) weigh
    only when nothing below it matched, or as a tie-break. On ties, a passage clear of the cover, then the
    most weight in all, then the earliest. The rules whose words the quote shows are among those the
    explanation cites: the marks are the matches the score counted."""
    ordered = sorted(marks, key=lambda m: (m.start, m.end))
    starts = [m.start for m in ordered]
    below = [m for m in ordered if cover is None or m.end > cover]
    strongest = max((m.weight for m in below), default=None)
    anchors = [m for m in below if m.weight == strongest] if below else ordered
    seen: dict[tuple[int, int], tuple[float, float, bool, float, int]] = {}
    for m in anchors:
        bounds = _snippet_bounds(text, (m.start, m.end), SNIPPET_CHARS, breaks)
        if bounds in seen:
            continue
        left, right = bounds
        body: dict[int, float] = {}
        every: dict[int, float] = {}
        for inside in ordered[bisect.bisect_left(starts, left):bisect.bisect_left(starts, right)]:
            if inside.end > right:
                continue
            every[inside.rule] = inside.weight
            if cover is None or inside.end > cover:
                body[inside.rule] = inside.weight
        clear = cover is None or left >= cover
        seen[bounds] = (max(body.values(), default=0.0), round(sum(body.values()), 6), clear,
                        round(sum(every.values()), 6), -left)
    left, right = max(seen, key=lambda b: seen[b])
    return text[left:right].strip()[:SNIPPET_CHARS]
