"""Per-kind precision, recall and F1 of the classifier against labeled pages.

Shared by ``cdpi classify --batch`` (labels in the input), the metrics script that writes
docs/EVIDENCE_METRICS.md and the floor test, so all three report the same numbers the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sources.evidence.classify import KINDS


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
    rows = [(s.kind, s.support, s.tp, s.fp, s.fn, *((f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}")
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
