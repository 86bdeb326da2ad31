"""One sentence per outreach target saying why NLC staff should call: what the city already publishes,
what it lacks (core criteria first), and which NLC training fits, with the evidence links kept apart.

Staff read the sentence before a call, so it names the practices in words and keeps URLs out of the text
(``why_call_links`` holds them, in the order the sentence names the practices). Criterion names and
training topics come from the criteria catalog the run used; the result depends only on the city's own
rows, so two runs on the same evidence write the same sentence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sources.criteria.catalog import Catalog
from sources.evidence.classify import KINDS
from warehouse.index.outreach import (
    CERTIFIED_TIERS,
    MIN_GAP_GAIN,
    apply_call,
    certified_by_geoid,
    closable,
    core_gating,
    credited_portals,
    reads_as_next,
    shown_gaps,
)
from warehouse.index.signals import SIGNAL_NAMES

#: Evidence of a kind counts as published from this confidence on (the strength at which the index stops
#: listing the kind among a gap's "lacking" evidence).
MIN_CONFIDENCE = 0.5
#: Practices named in the sentence before the rest are counted ("and 2 more"); links cover all of them.
MAX_NAMED = 4
#: How each website evidence kind (sources/evidence/rules.yaml) reads after "Publishes": its name in words.
KIND_PHRASES = {kind: SIGNAL_NAMES[kind] for kind in KINDS}
#: Statuses that get a sentence: the observed cities with a next tier (not-observed ones get what to check).
STATUSES = ("target", "longer_path")


@dataclass(frozen=True)
class CatalogText:
    """What the sentence borrows from the criteria catalog: criterion names, their training topic, topic names."""

    names: Mapping[str, str] = field(default_factory=dict)
    topic_of: Mapping[str, str] = field(default_factory=dict)
    topics: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> CatalogText:
        return cls(names={c.id: c.name for c in catalog.criteria},
                   topic_of={c.id: c.training_topic for c in catalog.criteria},
                   topics=dict(catalog.training_topics))

    def topic(self, topic_id: str) -> str:
        return self.topics.get(topic_id) or topic_id.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Published:
    """One practice the city publishes: its phrase in the sentence and the pages that show it."""

    what: str
    phrase: str
    urls: tuple[str, ...]
    #: What each URL is, when they differ (a portal's own address, the website page about it); else ``what``.
    what_each: tuple[str, ...] = ()

    def labels(self) -> tuple[str, ...]:
        """One label per URL, so two links to different things never read the same."""
        return self.what_each if len(self.what_each) == len(self.urls) else (self.what,) * len(self.urls)


def why_call(published: Sequence[Published], gaps: Sequence[Mapping], next_tier: str | None,
             blocked: str | None, text: CatalogText, min_gain: float = MIN_GAP_GAIN,
             attested: Sequence[tuple[str, bool]] = (), predicted_tier: str | None = None,
             certified: str | None = None, certified_year: int | None = None) -> tuple[str, list[dict]]:
    """(sentence, links) for one city: ``published`` in the order to name them, ``gaps`` its top gaps (only
    those marked as mattering are named, core first), ``blocked`` its blocking core criteria ("DM1, LC1"),
    ``attested`` the criteria staff corrections decide (id, met): said next to what the web shows, so a
    call never rests on evidence staff have overruled without saying so. ``predicted_tier``: when it is the
    next tier, the sentence says the evidence already reads as that tier (the call is to apply).

    ``certified`` (with ``certified_year`` when known): a certified city met every core criterion, so the
    sentence says it is certified and that its public web evidence reads weaker than the certification
    where the web does not clearly show a core criterion; it never says such a city "lacks" one. A gap that
    public evidence cannot close (``closable: false``: scoring.closable_by_web) is one to confirm with the city,
    said apart from the gaps publishing would close, never as "lacks"."""
    if published:
        named = [p.phrase for p in published[:MAX_NAMED]]
        extra = len(published) - len(named)
        first = "Publishes " + _and(named + ([f"{extra} more"] if extra else []))
    else:
        first = "No published data practice found on its website or data portal yet"
    gaps = sorted(shown_gaps(gaps), key=lambda g: not g.get("core"))      # stable: core first, then by gain
    blockers = [c.strip() for c in (blocked or "").split(",") if c.strip()]
    held = str(certified) if certified in CERTIFIED_TIERS else None
    parts = [first]
    if held:
        parts.append(f"certified {held.title()}" + (f" ({certified_year})" if certified_year else ""))
    if reads_as_next(predicted_tier, next_tier):
        parts.append(apply_call(str(next_tier)))
    if attested:
        parts.append("staff corrections decide " + _and([f"{cid} ({'met' if met else 'not met'})"
                                                         for cid, met in attested]) + " (cdpi correct --list)")
    by_id = {str(g.get("criterion_id")): g for g in gaps}
    if held:
        parts += _certified_gaps(held, blockers, gaps, by_id, text, predicted_tier)
    else:
        parts += _gap_parts(blockers, gaps, next_tier, text)
    if not (blockers or gaps) and next_tier:
        points = min_gain * 100
        parts.append(f"no single practice it is missing would raise its chance of {next_tier.title()} by "
                     f"{points:g} percentage point{'' if points == 1 else 's'} or more")
    lacking = [g for g in gaps if g.get("criterion_id") not in blockers]
    topic_ids = [text.topic_of.get(c, "") for c in blockers] + [str(g.get("training_topic") or "") for g in lacking]
    topics = list(dict.fromkeys(text.topic(t) for t in topic_ids if t))
    if topics:
        parts.append("NLC training that fits: " + _and(topics))
    return "; ".join(parts) + ".", _links(published)


def _gap_parts(blockers: list[str], gaps: Sequence[Mapping], next_tier: str | None, text: CatalogText) -> list[str]:
    """The gaps of a city not certified: the core criteria blocking it, then what publishing would close
    (core first), then what only the city can confirm."""
    parts = []
    if blockers:
        parts.append(core_gating(", ".join(blockers), next_tier, text.names))
    rest = [g for g in gaps if g.get("criterion_id") not in blockers]
    # What the web shows missing, what it shows only weakly (a core criterion to confirm), and what no public
    # evidence can show (only the city can say): three different things to say on a call.
    open_ = [g for g in rest if closable(g)]
    unsure = [g for g in open_ if g.get("confirm")]
    core = [g for g in open_ if not g.get("confirm") and g.get("core")]
    others = [g for g in open_ if not g.get("confirm") and not g.get("core")]
    ask = [g for g in rest if not closable(g)]
    if unsure:      # only core criteria are gaps while more likely than not (scoring.CONFIRM_CORE_BELOW)
        parts.append(f"has not clearly shown {_core_list(unsure)}, which every tier needs")
    if core:
        parts.append(("also lacks " if blockers or unsure else "lacks ") + _core_list(core))
    if others:
        parts.append(("also lacks " if blockers or unsure or core else "lacks ") + _and([_gap(g) for g in others]))
    if ask:
        parts.append(_confirm(ask))
    return parts


def _certified_gaps(held: str, blockers: list[str], gaps: Sequence[Mapping], by_id: Mapping[str, Mapping],
                    text: CatalogText, predicted_tier: str | None) -> list[str]:
    """The gaps of a certified city, never as verdicts: its certification means it met every core criterion,
    so a core criterion the web does not clearly show says the web evidence reads weaker than the
    certification; the gaps toward its next tier are what the web does not show."""
    core_ids = list(dict.fromkeys([*blockers, *(str(g.get("criterion_id")) for g in gaps if g.get("core"))]))
    core = [dict(by_id.get(c) or {"criterion_id": c, "name": text.names.get(c), "core": True}) for c in core_ids]
    parts = []
    order = ("none", *CERTIFIED_TIERS)
    below = predicted_tier in order and order.index(str(predicted_tier)) < order.index(held)
    if below:
        reads = "no tier" if predicted_tier == "none" else str(predicted_tier).title()
        parts.append(f"its public web evidence reads weaker than its {held.title()} certification (it reads as "
                     f"{reads})")
    if core:
        parts.append(f"the web does not clearly show {_core_list(core)}, which its certification means it met")
    rest = [g for g in gaps if not g.get("core")]
    open_ = [g for g in rest if closable(g)]
    if open_:
        parts.append("the web does not show " + _and([_gap(g) for g in open_]))
    ask = [g for g in rest if not closable(g)]
    if ask:
        parts.append(_confirm(ask))
    return parts


def _confirm(gaps: Sequence[Mapping]) -> str:
    """The words for gaps public evidence cannot close: to be confirmed with the city, not published."""
    one = len(gaps) == 1
    return (f"to confirm with the city (public web evidence cannot show {'it' if one else 'them'}): "
            + _and([_gap(g, core=True) for g in gaps]))


def _links(published: Sequence[Published]) -> list[dict]:
    return [{"what": what, "url": u} for p in published for what, u in zip(p.labels(), p.urls, strict=True)]


def published_practices(evidence: pd.DataFrame, portals: pd.DataFrame) -> dict[str, list[Published]]:
    """Per geoid, what it publishes: its credited data portals (largest first) in place of the portal kind,
    then each evidence kind at or above :data:`MIN_CONFIDENCE`, in the classifier's order of kinds, each
    with its strongest page (ties by URL)."""
    kinds: dict[str, dict[str, str]] = {}
    if len(evidence):
        strong = evidence[evidence["confidence"].astype(float) >= MIN_CONFIDENCE]
        strong = strong.sort_values(["geoid", "kind", "confidence", "url"], ascending=[True, True, False, True],
                                    kind="stable").drop_duplicates(["geoid", "kind"])
        for row in strong.itertuples():
            kinds.setdefault(str(row.geoid), {})[str(row.kind)] = str(row.url)
    credited = credited_portals(portals)
    out: dict[str, list[Published]] = {}
    for geoid in sorted(set(kinds) | set(credited)):
        found = kinds.get(geoid, {})
        items: list[Published] = []
        for kind, phrase in KIND_PHRASES.items():
            if kind == "open_data_portal" and geoid in credited:
                items.append(_portal(credited[geoid], found.get(kind)))
            elif kind in found:
                items.append(Published(kind.replace("_", " "), phrase, (found[kind],)))
        out[geoid] = items
    return out


def why_call_columns(index: pd.DataFrame, evidence: pd.DataFrame, portals: pd.DataFrame, text: CatalogText,
                     min_gain: float = MIN_GAP_GAIN, attested: pd.DataFrame | None = None,
                     certified: pd.DataFrame | None = None) -> pd.DataFrame:
    """(why_call, why_call_links as JSON) per row of ``index``; None for cities with no sentence (no next
    tier, or not observed: their outreach note says what to check instead). ``attested``: the corrections
    applied in the run (geoid, criterion_id, met); ``certified``: the certified list (geoid, tier, year), for
    the year a certified city's sentence names (its tier is ``index.certified_tier``)."""
    # The year of the row index.certified_tier came from (the same rule, scoring._city_rows).
    years = {g: year for g, (_, year) in certified_by_geoid(certified).items() if year is not None}
    published = published_practices(evidence, portals)
    decided: dict[str, list[tuple[str, bool]]] = {}
    if attested is not None and len(attested):
        for r in attested.sort_values(["geoid", "criterion_id"]).itertuples():
            decided.setdefault(str(r.geoid), []).append((str(r.criterion_id), bool(r.met)))
    sentences: list[str | None] = []
    links: list[str | None] = []
    for row in index.itertuples():
        if row.outreach_status not in STATUSES or not isinstance(row.next_tier, str):
            sentences.append(None)
            links.append(None)
            continue
        blocked = row.blocked_by_core if isinstance(row.blocked_by_core, str) else None
        sentence, found = why_call(published.get(str(row.geoid), []), json.loads(row.top_gaps or "[]"),
                                   row.next_tier, blocked, text, min_gain, decided.get(str(row.geoid), ()),
                                   getattr(row, "predicted_tier", None), _text(getattr(row, "certified_tier", None)),
                                   years.get(str(row.geoid)))
        sentences.append(sentence)
        links.append(json.dumps(found))
    return pd.DataFrame({"why_call": sentences, "why_call_links": links}, index=index.index)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _portal(portals: list[tuple[str, float | None]], page: str | None) -> Published:
    host, count = portals[0]
    detail = host + (f", {count:,.0f} dataset{'' if round(count) == 1 else 's'}" if count is not None else "")
    if len(portals) > 1:
        detail += f"; {len(portals) - 1} more portal{'s' if len(portals) > 2 else ''}"
    urls = tuple(f"https://{h}/" for h, _ in portals) + ((page,) if page else ())
    labels = tuple(f"open data portal ({h})" for h, _ in portals) + (("open data page on its website",) if page else ())
    return Published("open data portal", f"an open data portal ({detail})", urls, labels)


def _core_list(gaps: Sequence[Mapping]) -> str:
    """ "core criterion DM1 (Name)", or "core criteria DM1 (Name) and LC1 (Name)"."""
    return ("core criterion " if len(gaps) == 1 else "core criteria ") + _and([_gap(g) for g in gaps])


def _gap(g: Mapping, core: bool = False) -> str:
    """ "EVAL2 (Name)"; with ``core``, a core criterion says so ("core criterion LC1 (Name)")."""
    named = f"{g.get('criterion_id')} ({g.get('name')})" if g.get("name") else str(g.get("criterion_id"))
    return ("core criterion " if core and g.get("core") else "") + named


def _and(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
