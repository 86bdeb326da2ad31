"""Per-kind precision, recall and F1 of the classifier against labeled pages.

Shared by ``cdpi classify --batch`` (labels in the input), the metrics script that writes
docs/EVIDENCE_METRICS.md and the floor test, so all three report the same numbers the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sources.evidence.classify import KINDS

#: Real data (beside the project, never copied in), relative to its folder: labeled city pages and the
#: Sunlight open-data policies.
REAL_PAGES = "pages/city_pages_labeled.jsonl"
SUNLIGHT_POLICIES = "policies/sunlight_open_data_policies_fulltext.jsonl"


@dataclass
class KindScore:
    kind: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def defined(self) -> bool:
        """False when the kind neither occurs nor is predicted: no figure is meaningful then."""
        return bool(self.support or self.fp)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if not self.fn else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def real_split(page_id: str) -> str:
    """The fixed part of a real labeled page: ``"tune"`` when the SHA-256 of its id (UTF-8) read as an
    integer is even (its last hex digit is even), else ``"test"``. Rules are tuned by reading the tune
    part's pages only; of the test part only the per-kind totals are looked at."""
    return "tune" if int(hashlib.sha256(page_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def true_kinds(record: dict) -> list[str]:
    """A labeled line's kinds; the real set writes ``["none"]`` for a page with no kind."""
    return [k for k in record.get("labels") or () if k in KINDS]


def real_page_scores(path: Path) -> dict[str, dict[str, KindScore]]:
    """Scores of the real labeled pages per part (``tune``, ``test``), each page read the pipeline's way
    (``classify_record``: its text, no title given, so a short first line reads as the title)."""
    from sources.evidence.classify import classify_record

    parts: dict[str, list] = {"tune": [], "test": []}
    for r in read_jsonl(path):
        parts[real_split(r["id"])].append((true_kinds(r), [e.kind for e in classify_record(r)]))
    return {name: score(pairs) for name, pairs in parts.items()}


def probe_exact(path: Path) -> dict[int, list[bool]]:
    """Per batch of the probe pages (tests/fixtures/evidence/probes.jsonl), whether each page's whole label
    set was called exactly: the floor test and the metrics document count the same thing."""
    from sources.evidence.classify import classify_record

    exact: dict[int, list[bool]] = {}
    for r in read_jsonl(path):
        called = {e.kind for e in classify_record({"id": r["id"], "title": r["title"], "text": r["text"]})}
        exact.setdefault(r["batch"], []).append(called == set(r["labels"]))
    return exact


@dataclass
class PolicyRecall:
    found: int
    total: int
    with_text: int
    missed: list[str]
    #: How many policies each other kind was also called on. A policy prescribes practices ("the city shall
    #: seek public input"), so engagement or evaluation called on most of them means prescription is read
    #: as practice shown; data_governance is expected on many (coordinators, inventories, standards).
    also: dict[str, int] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 0.0

    @property
    def recall_with_text(self) -> float:
        return self.found / self.with_text if self.with_text else 0.0


def sunlight_policy_recall(path: Path) -> PolicyRecall:
    """How many Sunlight open-data policies are called ``open_data_policy`` through the HTML path
    (``from_html`` -> ``classify``). Some lines carry no text at all (``text_html`` empty): they count in
    ``total`` and can never be found, so ``recall_with_text`` is reported beside ``recall``."""
    from sources.evidence.classify import classify
    from sources.evidence.documents import from_html

    found, with_text, missed = 0, 0, []
    also: Counter[str] = Counter()
    lines = read_jsonl(path)
    for p in lines:
        html = p.get("text_html") or ""
        with_text += bool(html.strip())
        kinds = {e.kind for e in classify(from_html(html, p.get("policy_url") or None))}
        also.update(kinds - {"open_data_policy"})
        if "open_data_policy" in kinds:
            found += 1
        else:
            missed.append(str(p.get("source_file")))
    return PolicyRecall(found, len(lines), with_text, missed, dict(sorted(also.items())))


def score(pairs: Iterable[tuple[Iterable[str], Iterable[str]]]) -> dict[str, KindScore]:
    """``pairs`` of (true labels, predicted kinds) per page -> scores per kind (all seven, always)."""
    out = {k: KindScore(k) for k in KINDS}
    for truth, predicted in pairs:
        t, p = set(truth), set(predicted)
        for k in KINDS:
            if k in p and k in t:
                out[k].tp += 1
            elif k in p:
                out[k].fp += 1
            elif k in t:
                out[k].fn += 1
    return out


def macro_f1(scores: dict[str, KindScore]) -> float:
    """Mean F1 over the kinds that occur or are predicted (all seven on any real evaluation set)."""
    used = [s for s in scores.values() if s.defined]
    return sum(s.f1 for s in used) / len(used) if used else 0.0


def table(scores: dict[str, KindScore], *, markdown: bool = False) -> str:
    """A fixed-width (or Markdown) table of the scores, with the macro average last."""
    head = ("kind", "support", "tp", "fp", "fn", "precision", "recall", "f1")
    rows: list[tuple] = [(s.kind, s.support, s.tp, s.fp, s.fn, *((f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}")
                                                   if s.defined else ("-", "-", "-")))
            for s in scores.values()]
    used = [s for s in scores.values() if s.defined] or list(scores.values())
    macro_p = sum(s.precision for s in used) / len(used)
    macro_r = sum(s.recall for s in used) / len(used)
    rows.append(("macro", sum(s.support for s in scores.values()), "", "", "", f"{macro_p:.3f}",
                 f"{macro_r:.3f}", f"{macro_f1(scores):.3f}"))
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*map(str, r)) for r in (head, *rows))
