"""Typed models of the YAML data files people edit by hand: the criteria catalog, the evidence rules, the
partner announcements, and the portal signal phrases and scope rules.

These files are where a reviewer changes the index's behaviour without touching code, so a slip in them
(a misspelt key, a weight written as text, a criterion without its practice) must fail at load with the
file, the entry and the field named, not as a bare KeyError deep in scoring. Unknown keys are refused for
the same reason: a misspelt optional key (``threshhold``) would otherwise be ignored in silence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails


class DataFileError(ValueError):
    """A data file does not match its model; the message names the file, the entry and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- criteria catalog (sources/criteria/*.yaml) ----------------------------------------------------------

class SignalWeight(_Strict):
    signal: str
    weight: float = Field(ge=0, le=1)


class CriterionEntry(_Strict):
    id: str
    practice: str
    name: str
    observable: str
    prior: float = Field(ge=0, le=1)
    training_topic: str
    core: bool = False
    prerequisites: list[str] = []
    evidence: list[SignalWeight] = []
    # Provenance, for readers of the file and docs/criteria-sources.md; not used by scoring.
    name_confirmed: bool | str | None = None
    numbering: str | None = None
    summary: str | None = None
    sources: list[Any] = []


class PracticeEntry(_Strict):
    id: str
    name: str
    training_topic: str | None = None
    sources: list[Any] = []


class TopicEntry(_Strict):
    id: str
    name: str


class CatalogFile(_Strict):
    standard: str
    name: str | None = None
    version_note: str | None = None
    tier_bands: dict[str, Any]
    training_topics: list[TopicEntry]
    practices: list[PracticeEntry]
    criteria: list[CriterionEntry]

    @field_validator("tier_bands")
    @classmethod
    def _bands(cls, bands: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(bands.get("default"), str):
            raise ValueError("needs a 'default' naming one of the band sets")
        for name, spec in bands.items():
            if name == "default":
                continue
            if not isinstance(spec, dict) or set(spec) != {"silver", "gold", "platinum"}:
                raise ValueError(f"band set {name!r} needs exactly silver, gold and platinum")
            shares = [spec["silver"], spec["gold"], spec["platinum"]]
            if not all(isinstance(s, int | float) and 0 < s <= 1 for s in shares) or shares != sorted(shares):
                raise ValueError(f"band set {name!r}: shares must rise from silver to platinum within (0, 1]")
        if bands["default"] not in bands:
            raise ValueError(f"default names {bands['default']!r}, not one of the band sets")
        return bands

    @model_validator(mode="after")
    def _references(self) -> CatalogFile:
        ids = [c.id for c in self.criteria]
        practices, topics = {p.id for p in self.practices}, {t.id for t in self.training_topics}
        problems = [f"criterion id {i} appears twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
        for c in self.criteria:
            if c.practice not in practices:
                problems.append(f"criterion {c.id}: practice {c.practice!r} is not among the practices")
            if c.training_topic not in topics:
                problems.append(f"criterion {c.id}: training_topic {c.training_topic!r} is not among the topics")
            problems += [f"criterion {c.id}: prerequisite {p!r} is not a criterion"
                         for p in c.prerequisites if p not in ids]
        if problems:
            raise ValueError("; ".join(problems[:5]))
        return self


# ---- evidence rules (sources/evidence/rules.yaml) --------------------------------------------------------

def _regex(p: str) -> str:
    try:
        re.compile(p, re.I)
    except re.error as exc:
        raise ValueError(f"not a regular expression ({exc}): {p!r}") from None
    return p


#: A pattern the classifier compiles (case-insensitive): refused at load when it does not compile.
Regex = Annotated[str, AfterValidator(_regex)]


class WeightedPattern(_Strict):
    p: Regex
    w: float


class SharedPenalty(WeightedPattern):
    #: Kinds the penalty does not apply to: a job posting is evidence of nothing, except a data leader's post
    #: (data_governance) which the labelling guide counts.
    spare: list[str] = []


class KindEntry(_Strict):
    label: str | None = None
    threshold: float | None = None
    requires: list[Regex] = []
    masks: list[Regex] = []
    phrases: list[WeightedPattern] = []
    penalties: list[WeightedPattern] = []
    yields_to: list[str] = []
    #: {kind: factor}: this kind is dropped when that kind is found with at least factor x its score (step 8).
    yields_when_outscored: dict[str, float] = {}
    #: A lower threshold that applies when the named kind is found on the same page (see rules.yaml, step 9).
    with_kind: dict[str, float] = {}


class FollowPattern(WeightedPattern):
    #: Evidence kinds a page reached by such a link would likely show: when that page cannot be read, the
    #: kinds it would show are unknown for the city, not absent (warehouse/index/signals.py).
    kinds: list[str] = []


class LinkRules(_Strict):
    depth_penalty: float
    min_priority: float
    follow: list[FollowPattern]
    avoid: list[WeightedPattern]


class RulesFile(_Strict):
    version: str
    title_factor: float
    scale: float = Field(gt=0)
    single_sentence_factor: float = 1.0
    link_line_factor: float = Field(default=1.0, ge=0, le=1)
    link_line_trust: float = Field(default=0.0, ge=0)
    default_threshold: float
    masks: list[Regex] = []
    penalties: list[SharedPenalty] = []
    kinds: dict[str, KindEntry]
    links: LinkRules

    @model_validator(mode="after")
    def _yields(self) -> RulesFile:
        wrong = [f"kind {k}: yields_to {y!r} is not a kind" for k, e in self.kinds.items()
                 for y in e.yields_to if y not in self.kinds]
        wrong += [f"kind {k}: yields_when_outscored {y!r} is not a kind" for k, e in self.kinds.items()
                  for y in e.yields_when_outscored if y not in self.kinds]
        wrong += [f"kind {k}: yields to itself" for k, e in self.kinds.items()
                  if k in e.yields_to or k in e.yields_when_outscored]
        wrong += [f"kind {k}: yields_when_outscored factor for {y!r} must be at least 1, got {f}"
                  for k, e in self.kinds.items() for y, f in e.yields_when_outscored.items() if not f >= 1]
        wrong += [f"penalty {x.p!r}: spare {k!r} is not a kind" for x in self.penalties for k in x.spare
                  if k not in self.kinds]
        wrong += [f"kind {k}: with_kind {w!r} is not a kind" for k, e in self.kinds.items() for w in e.with_kind
                  if w not in self.kinds]
        wrong += [f"links.follow {x.p!r}: kinds {k!r} is not a kind" for x in self.links.follow for k in x.kinds
                  if k not in self.kinds]
        if wrong:
            raise ValueError("; ".join(wrong))
        return self


# ---- partner announcements (sources/wwc_partners.yaml) ---------------------------------------------------

class AnnouncementEntry(_Strict):
    url: str = Field(pattern=r"^https?://")
    date: dt.date | None = None
    note: str | None = None


class AnnouncementsFile(_Strict):
    announcements: list[AnnouncementEntry]


# ---- portal signal phrases (sources/portals/signals.yaml) ------------------------------------------------

def _phrase(p: str) -> str:
    if not p.strip():
        raise ValueError("a blank phrase would match every dataset")
    return p


#: A phrase matched as whole words, case-insensitively, in a dataset's title, tags and category.
Phrase = Annotated[str, AfterValidator(_phrase)]


class SignalsFile(_Strict):
    """One field per signal the portal profile counts: a misspelt or missing signal is refused here rather
    than counted as zero datasets for every city. Each needs at least one phrase, for the same reason."""

    data_inventory: list[Phrase] = Field(min_length=1)
    open_data_policy: list[Phrase] = Field(min_length=1)
    performance_measures: list[Phrase] = Field(min_length=1)


# ---- portal scope rules (sources/portals/scope.yaml) -----------------------------------------------------

#: The levels scope.yaml gives rules for (scope.py adds "unknown" for a portal no rule places).
ScopeLevel = Literal["city", "county", "state", "regional", "federal", "other_city"]
#: The placeholders scope.py fills in for the city asked about; a pattern naming another is never applied.
SCOPE_PLACEHOLDERS = ("city", "state", "st")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _scope_pattern(p: str) -> str:
    """A misspelt placeholder (``{citty}``) would make scope.py skip the pattern in silence, so it is refused;
    the rest must compile once the placeholders are filled."""
    unknown = sorted(set(_PLACEHOLDER.findall(p)) - set(SCOPE_PLACEHOLDERS))
    if unknown:
        known = ", ".join("{" + k + "}" for k in SCOPE_PLACEHOLDERS)
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} (known: {known}) in {p!r}")
    _regex(_PLACEHOLDER.sub("x", p))
    return p


ScopePattern = Annotated[str, AfterValidator(_scope_pattern)]


class ScopeFile(_Strict):
    #: Level -> patterns, tried in the file's order (the first level with a match wins), so a mapping rather
    #: than one field per level; every level must be there, and no other.
    levels: dict[ScopeLevel, list[ScopePattern]]
    city_name_titles: list[ScopePattern]

    @field_validator("levels")
    @classmethod
    def _every_level(cls, levels: dict[str, list[str]]) -> dict[str, list[str]]:
        missing = [level for level in get_args(ScopeLevel) if level not in levels]
        if missing:
            raise ValueError(f"missing level(s): {', '.join(missing)}")
        return levels


# ---- loading -------------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)
#: libyaml's loader where PyYAML was built with it (the wheels are): the same safe subset of YAML, read in C;
#: rules.yaml alone took 0.07 s of every run with the pure-Python loader.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


#: The SHA-256 of the bytes each data file was last parsed from in this process, by resolved path. The
#: loaders keep what they parse (lru_cache), so the file on disk may have changed since: what a run records
#: as the rules it used must be the bytes parsed, not the file read again at publish.
_PARSED: dict[Path, str] = {}


def parsed_sha256(path: Path) -> str | None:
    """The SHA-256 of the bytes ``path`` was last parsed from in this process; None if it was not parsed."""
    return _PARSED.get(Path(path).resolve())


def load_data_file(path: Path, model: type[M], *, text: str | None = None) -> M:
    """``path`` (or ``text``, read as if it were that file) validated against ``model``. The digest of the
    bytes read is kept (:func:`parsed_sha256`)."""
    if text is None:
        data = path.read_bytes()
        _PARSED[Path(path).resolve()] = hashlib.sha256(data).hexdigest()
        # As read_text() would: universal newlines.
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    try:
        raw = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise DataFileError(f"{path.name}: not readable YAML: {exc}") from None
    return validate(raw, model, path.name)


def validate(raw: object, model: type[M], file: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{_where(raw, err['loc'])}: {_message(err)}" for err in exc.errors()[:5]]
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise DataFileError(f"{file}: " + "; ".join(problems) + more) from None


def _where(raw: object, loc: tuple) -> str:
    """``criteria[4] (id DM5) field prior``: list positions counted from 1, with the entry's id when it has
    one, so the reader finds the entry in the file."""
    parts: list[str] = []
    node = raw
    if loc and loc[-1] == "[key]":   # a mapping's key failed its check: the key is the field to name
        loc = loc[:-1]
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            node = node[key]
            label = next((f" ({k} {node[k]})" for k in ("id", "url", "p") if isinstance(node, dict) and k in node), "")
            parts[-1] = f"{parts[-1]}[{key + 1}]{label}" if parts else f"[{key + 1}]{label}"
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    if len(parts) > 1:
        return f"{'.'.join(parts[:-1])} field {parts[-1]}"
    return f"field {parts[0]}" if parts else "the file"


def _message(err: ErrorDetails) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key (misspelt?)"
    if err["type"] == "missing":
        return "missing"
    if err["loc"] and err["loc"][-1] == "[key]":
        return "unknown key (misspelt?); " + str(err["msg"]).removeprefix("Input ")
    return str(err["msg"]).removeprefix("Value error, ")
