"""Literal strings a regular expression cannot match without: a cheap test that skips most rules on a page.

Why: the classifier runs about 400 case-insensitive patterns over every page, and Python's ``re`` scans
a case-insensitive pattern position by position (its literal-prefix search is off under ``re.I``). Most
patterns cannot match most pages, and whether one can is answered much faster by one Aho-Corasick pass over
the folded page (``NeedleFinder``): a pattern is run only when one of its *needles* occurs. The needles are
derived from the compiled pattern's syntax tree, so ``rules.yaml`` stays plain regular expressions and a
new rule is guarded with no extra work; a pattern whose needles cannot be derived is always run.

The guarantee is one-sided and is what makes the shortcut safe: every match of the pattern contains one
of its needles (after ``fold``), so skipping a pattern never changes a result.

The patterns that do run are folded too (``fold_pattern``) and run case-sensitively on the folded page,
which lets ``re`` use its literal-prefix search again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import product

import ahocorasick

try:  # the parser ``re`` itself uses; private, so its absence only turns the shortcut off
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other Python versions
    _p = _c = None

#: Non-ASCII characters that ``re.IGNORECASE`` equates with an ASCII letter (dotted and dotless i, long s,
#: Kelvin sign): ``fold`` maps them to that letter so a needle written in ASCII still finds them.
#: ``tests/test_evidence_needles.py`` checks this list against every Unicode code point.
IGNORECASE_ASCII_TWINS = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
_TWINS = str.maketrans(IGNORECASE_ASCII_TWINS)

#: An alternation is expanded into at most this many strings before it is treated as a gap.
MAX_NEEDLES = 64
#: Needles shorter than this are too common to be worth testing: the pattern is then always run.
MIN_NEEDLE = 3
#: Needles of this many characters are rare enough on a page; past it, fewer needles beat longer ones.
SELECTIVE = 6


def fold(text: str) -> str:
    """The page as needles are looked for in it: ASCII lower case, re's case twins of ASCII letters mapped."""
    return text.translate(_TWINS).lower()


#: What ``fold_pattern`` cannot fold: escapes that name a character by its code (it could be a capital
#: letter that folded text no longer holds) and inline flags that turn case-insensitivity off.
_UNFOLDABLE = re.compile(r"\\(?:x|u|U|N|0|[1-7][0-7]{2})|\(\?[a-zA-Z]*-[a-zA-Z]*i")
#: The head of a group's syntax (``(?P<name>``, ``(?P=name)``, ``(?#...)``, ``(?i)``, ``(?:``, lookarounds):
#: names and flags are syntax, not text, so ``fold_pattern`` keeps them as written.
_GROUP_HEAD = re.compile(r"\(\?(?:P<[^>]*>|P=[^)]*\)|#[^)]*\)|[aiLmsux]*[:)]|<[=!]|[=!])")


def fold_pattern(pattern: str) -> str:
    """A case-insensitive pattern rewritten to run case-sensitively on ``fold``-ed text, with the same
    matches at the same places (``fold`` keeps every character in place): its literal letters folded,
    escapes (``\\S``, ``\\B``, ``\\.``) kept as written. Why: without ``re.I`` the ``re`` engine can
    search for a pattern's literal prefix or first characters instead of trying every position, and the
    rules run about twice as fast. Raises ValueError for what cannot be folded (see ``_UNFOLDABLE``)."""
    bad = _UNFOLDABLE.search(pattern)
    if bad:
        raise ValueError(f"{bad.group(0)!r} cannot be matched on folded text: write the letter itself")
    out, k = [], 0
    while k < len(pattern):
        head = _GROUP_HEAD.match(pattern, k) if pattern[k] == "(" else None
        if head:                        # (?P<name>, (?i), (?:... : syntax, kept as written
            out.append(head.group(0))
            k = head.end()
        elif pattern[k] == "\\":
            out.append(pattern[k:k + 2])
            k += 2
        else:
            out.append(fold(pattern[k]))
            k += 1
    return "".join(out)


def needles(regex: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings one of which every match of ``regex`` contains (folded, see ``fold``), or None when none can
    be derived (then the pattern must always be run), as for any pattern the parser rejects."""
    if _p is None:
        return None
    try:
        tree = _p.parse(regex.pattern, regex.flags)
    except Exception:  # noqa: BLE001 - any parser disagreement only disables the shortcut
        return None
    found = _required(list(tree), ignorecase=bool(regex.flags & re.IGNORECASE))
    if not found or min(len(s) for s in found) < MIN_NEEDLE:
        return None
    return tuple(sorted(found, key=lambda s: (len(s), s)))


class NeedleFinder:
    """Every needle of a rule set that occurs in a text, found in one pass (an Aho-Corasick automaton):
    checking each pattern's needles one by one would cost more than the patterns it spares."""

    def __init__(self, all_needles: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for n in set(all_needles):
            self._automaton.add_word(n, n)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def present(self, text: str) -> frozenset[str]:
        """The needles that occur in ``text`` (folded here)."""
        return self.present_in_folded(fold(text))

    def present_in_folded(self, folded: str) -> frozenset[str]:
        """The needles that occur in ``folded``, a text already ``fold``-ed."""
        if self._empty or not folded:
            return frozenset()
        return frozenset(n for _end, n in self._automaton.iter(folded))


def _char(code: int, ignorecase: bool) -> str | None:
    """A literal character as it appears in folded text. ``fold`` maps one character to one, so a
    case-sensitive literal always survives it; under ``re.I`` only ASCII literals do (their case twins
    are in ``IGNORECASE_ASCII_TWINS``), a non-ASCII one is treated as a gap."""
    ch = chr(code)
    if ignorecase and not ch.isascii():
        return None
    return fold(ch)


def _exact(item: tuple, ignorecase: bool) -> set[str] | None:
    """The finite set of strings one syntax node matches, or None when it is not small and finite."""
    op, av = item
    if op is _c.LITERAL:
        ch = _char(av, ignorecase)
        return {ch} if ch is not None else None
    if op is _c.IN:
        if any(o is not _c.LITERAL for o, _ in av):
            return None
        chars = {_char(a, ignorecase) for _, a in av}
        return None if None in chars else {c for c in chars if c is not None}
    if op is _c.AT:
        return {""}                     # a zero-width assertion: dropping it only loosens the pattern
    if op in (_c.SUBPATTERN, _c.BRANCH):
        return _group(op, av, lambda seq: _exact_seq(seq, ignorecase))
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[:2] in ((0, 1), (1, 1)):
        low, _high, sub = av
        got = _exact_seq(list(sub), ignorecase)
        if got is None:
            return None
        return got | {""} if low == 0 else got
    return None


def _exact_seq(seq: list, ignorecase: bool) -> set[str] | None:
    out = {""}
    for item in seq:
        got = _exact(item, ignorecase)
        if got is None:
            return None
        out = {a + b for a, b in product(out, got)}
        if len(out) > MAX_NEEDLES:
            return None
    return out


def _required(seq: list, ignorecase: bool) -> set[str] | None:
    """A set of strings one of which every match of the node sequence ``seq`` contains: the best of the
    runs of consecutive exact nodes and of what each non-exact node itself requires."""
    candidates: list[set[str]] = []
    run = {""}
    for item in seq:
        got = _exact(item, ignorecase)
        if got is not None:
            grown = {a + b for a, b in product(run, got)}
            if len(grown) <= MAX_NEEDLES:
                run = grown
                continue
            candidates.append(run)
            run = got
            continue
        candidates.append(run)
        run = {""}
        inner = _inner_required(item, ignorecase)
        if inner:
            candidates.append(inner)
    candidates.append(run)
    useful = [_minimal(c) for c in candidates if c and "" not in c]
    if not useful:
        return None
    # Each needle costs one substring search; beyond SELECTIVE characters a longer one is hardly rarer.
    return max(useful, key=lambda c: (min(SELECTIVE, *(len(s) for s in c)), -len(c)))


def _minimal(found: set[str]) -> set[str]:
    """Without the needles that contain another: wherever such a needle occurs, the shorter one does too."""
    kept: list[str] = []
    for s in sorted(found, key=lambda s: (len(s), s)):
        if not any(k in s for k in kept):
            kept.append(s)
    return set(kept)


def _group(op: object, av: tuple, walk) -> set[str] | None:
    """A group or an alternation, for both walks (``walk``: a node sequence to a set, or None): a group is
    its body unless it changes flags; an alternation is the union of its branches when each gives a set."""
    if op is _c.SUBPATTERN:
        _number, add, delete, sub = av
        return None if add or delete else walk(list(sub))
    out: set[str] = set()
    for alt in av[1]:
        got = walk(list(alt))
        if got is None:
            return None
        out |= got
    return out if len(out) <= MAX_NEEDLES else None


def _inner_required(item: tuple, ignorecase: bool) -> set[str] | None:
    op, av = item
    if op in (_c.SUBPATTERN, _c.BRANCH):
        return _group(op, av, lambda seq: _required(seq, ignorecase) or None)
    if op in _REPEATS and av[0] >= 1:
        return _required(list(av[2]), ignorecase)
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _required(list(av), ignorecase)
    return None


_REPEATS = tuple(op for op in (getattr(_c, n, None) for n in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"))
                 if op is not None)
