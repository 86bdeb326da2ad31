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
from warehouse.index.outreach import (
    MIN_GAP_GAIN,
    apply_call,
    core_gating,
    credited_portals,
    reads_as_next,
    shown_gaps,
)

#: Evidence of a kind counts as published from this confidence on (the strength at which the index stops
#: listing the kind among a gap's "lacking" evidence).
MIN_CONFIDENCE = 0.5
#: Practices named in the sentence before the rest are counted ("and 2 more"); links cover all of them.
MAX_NAMED = 4
#: How each website evidence kind (sources/evidence/rules.yaml) reads after "Publishes".
KIND_PHRASES = {
    "open_data_policy": "an open data policy",
    "open_data_portal": "an open data portal",
    "performance_reporting": "performance reports",
    "evaluation": "program evaluations",
    "data_governance": "data governance documents",
    "results_driven_contracting": "results-driven contracting documents",
    "stakeholder_engagement": "resident engagement results",
}
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


def why_call(published: Sequence[Published], gaps: Sequence[Mapping], next_tier: str | None,
             blocked: str | None, text: CatalogText, min_gain: float = MIN_GAP_GAIN,
             attested: Sequence[tuple[str, bool]] = (), predicted_tier: str | None = None) -> tuple[str, list[dict]]:
    """(sentence, links) for one city: ``published`` in the order to name them, ``gaps`` its top gaps (only
    those marked as mattering are named, core first), ``blocked`` its blocking core criteria ("DM1, LC1"),
    ``attested`` the criteria staff corrections decide (id, met): said next to what the web shows, so a
    call never rests on evidence staff have overruled without saying so. ``predicted_tier``: when it is the
    next tier, the sentence says the evidence already reads as that tier (the call is to apply)."""
    if published:
        named = [p.phrase for p in published[:MAX_NAMED]]
        extra = len(published) - len(named)
        first = "Publishes " + _and(named + ([f"{extra} more"] if extra else []))
    else:
        first = "No published data practice found on its website or data portal yet"
    gaps = sorted(shown_gaps(gaps), key=lambda g: not g.get("core"))      # stable: core first, then by gain
    blockers = [c.strip() for c in (blocked or "").split(",") if c.strip()]
    others = [g for g in gaps if g.get("criterion_id") not in blockers]
    parts = [first]
    if reads_as_next(predicted_tier, next_tier):
        parts.append(apply_call(str(next_tier)))
    if attested:
        parts.append("staff corrections decide " + _and([f"{cid} ({'met' if met else 'not met'})"
                                                         for cid, met in attested]) + " (cdpi correct --list)")
    if blockers:
        parts.append(core_gating(", ".join(blockers), next_tier, text.names))
    rest = others if blockers else gaps
    # What the web shows missing, what it shows only weakly (a core criterion to confirm), and what no public
    # evidence can show (only the city can say): three different things to say on a call.
    lacks = [g for g in rest if not g.get("confirm") and g.get("observable", True)]
    unsure = [g for g in rest if g.get("confirm")]
    ask = [g for g in rest if not g.get("confirm") and not g.get("observable", True)]
    if unsure:      # only core criteria are gaps while more likely than not (scoring.CONFIRM_CORE_BELOW)
        parts.append("has not clearly shown " + _gap_list(unsure) + ", which every tier needs")
    if lacks:
        parts.append(("also lacks " if blockers or unsure else "lacks ") + _gap_list(lacks))
    if ask:
        parts.append("ask about " + _gap_list(ask) + ", which no public page shows")
    if not (blockers or gaps) and next_tier:
        points = min_gain * 100
        parts.append(f"no criterion it has not clearly shown would raise its odds of {next_tier.title()} by "
                     f"{points:g} percentage point{'' if points == 1 else 's'} or more")
    lacking = others if blockers else gaps
    topic_ids = [text.topic_of.get(c, "") for c in blockers] + [str(g.get("training_topic") or "") for g in lacking]
    topics = list(dict.fromkeys(text.topic(t) for t in topic_ids if t))
    if topics:
        parts.append("NLC training that fits: " + _and(topics))
    links = [{"what": p.what, "url": u} for p in published for u in p.urls]
    return "; ".join(parts) + ".", links


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
                     min_gain: float = MIN_GAP_GAIN, attested: pd.DataFrame | None = None) -> pd.DataFrame:
    """(why_call, why_call_links as JSON) per row of ``index``; None for cities with no sentence (no next
    tier, or not observed: their outreach note says what to check instead). ``attested``: the corrections
    applied in the run (geoid, criterion_id, met)."""
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
                                   getattr(row, "predicted_tier", None))
        sentences.append(sentence)
        links.append(json.dumps(found))
    return pd.DataFrame({"why_call": sentences, "why_call_links": links}, index=index.index)


def _portal(portals: list[tuple[str, float | None]], page: str | None) -> Published:
    host, count = portals[0]
    detail = host + (f", {count:,.0f} datasets" if count is not None else "")
    if len(portals) > 1:
        detail += f"; {len(portals) - 1} more portal{'s' if len(portals) > 2 else ''}"
    urls = tuple(f"https://{h}/" for h, _ in portals) + ((page,) if page else ())
    return Published("open data portal", f"an open data portal ({detail})", urls)


def _gap_list(gaps: Sequence[Mapping]) -> str:
    return _and([("core criterion " if g.get("core") else "") + _gap(g) for g in gaps])


def _gap(g: Mapping) -> str:
    return f"{g.get('criterion_id')} ({g.get('name')})" if g.get("name") else str(g.get("criterion_id"))


def _and(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
