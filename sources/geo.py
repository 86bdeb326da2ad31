"""U.S. states and the District of Columbia: FIPS code, USPS code and name.

The city universe is the 50 states plus DC. The inhabited territories are listed separately
(``TERRITORIES``) and are out of scope by default: Puerto Rico has no incorporated places at all
(its places are all statistical "zonas urbanas" and "comunidades", and its municipios are
county-equivalents), the Census population-estimates file for cities does not cover any territory,
and What Works Cities Certification is aimed at municipal governments in the states. Keeping them in
a separate tuple lets a caller opt in explicitly instead of the scope depending on what a source
file happens to contain.

Lookups return ``None`` for unknown codes instead of raising, because the parsers use them on every
row of a file and treat an unknown code as "not in scope".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    """A state-level entity: 2-digit FIPS code (string, zero-padded), USPS code and official name."""

    fips: str
    usps: str
    name: str
    is_territory: bool = False


STATES: tuple[State, ...] = (
    State("01", "AL", "Alabama"),
    State("02", "AK", "Alaska"),
    State("04", "AZ", "Arizona"),
    State("05", "AR", "Arkansas"),
    State("06", "CA", "California"),
    State("08", "CO", "Colorado"),
    State("09", "CT", "Connecticut"),
    State("10", "DE", "Delaware"),
    State("11", "DC", "District of Columbia"),
    State("12", "FL", "Florida"),
    State("13", "GA", "Georgia"),
    State("15", "HI", "Hawaii"),
    State("16", "ID", "Idaho"),
    State("17", "IL", "Illinois"),
    State("18", "IN", "Indiana"),
    State("19", "IA", "Iowa"),
    State("20", "KS", "Kansas"),
    State("21", "KY", "Kentucky"),
    State("22", "LA", "Louisiana"),
    State("23", "ME", "Maine"),
    State("24", "MD", "Maryland"),
    State("25", "MA", "Massachusetts"),
    State("26", "MI", "Michigan"),
    State("27", "MN", "Minnesota"),
    State("28", "MS", "Mississippi"),
    State("29", "MO", "Missouri"),
    State("30", "MT", "Montana"),
    State("31", "NE", "Nebraska"),
    State("32", "NV", "Nevada"),
    State("33", "NH", "New Hampshire"),
    State("34", "NJ", "New Jersey"),
    State("35", "NM", "New Mexico"),
    State("36", "NY", "New York"),
    State("37", "NC", "North Carolina"),
    State("38", "ND", "North Dakota"),
    State("39", "OH", "Ohio"),
    State("40", "OK", "Oklahoma"),
    State("41", "OR", "Oregon"),
    State("42", "PA", "Pennsylvania"),
    State("44", "RI", "Rhode Island"),
    State("45", "SC", "South Carolina"),
    State("46", "SD", "South Dakota"),
    State("47", "TN", "Tennessee"),
    State("48", "TX", "Texas"),
    State("49", "UT", "Utah"),
    State("50", "VT", "Vermont"),
    State("51", "VA", "Virginia"),
    State("53", "WA", "Washington"),
    State("54", "WV", "West Virginia"),
    State("55", "WI", "Wisconsin"),
    State("56", "WY", "Wyoming"),
)

TERRITORIES: tuple[State, ...] = (
    State("60", "AS", "American Samoa", is_territory=True),
    State("66", "GU", "Guam", is_territory=True),
    State("69", "MP", "Northern Mariana Islands", is_territory=True),
    State("72", "PR", "Puerto Rico", is_territory=True),
    State("78", "VI", "U.S. Virgin Islands", is_territory=True),
)

_ALL = STATES + TERRITORIES
_BY_FIPS = {s.fips: s for s in _ALL}
_BY_USPS = {s.usps: s for s in _ALL}
_BY_NAME = {s.name.casefold(): s for s in _ALL}
_BY_NAME["united states virgin islands"] = _BY_USPS["VI"]


def _in_scope(state: State | None, include_territories: bool) -> State | None:
    if state is None or (state.is_territory and not include_territories):
        return None
    return state


def state_by_fips(fips: str | int | None, *, include_territories: bool = False) -> State | None:
    """State for a FIPS code; accepts "6", "06" or 6 because CSV readers often drop the leading zero."""
    if fips is None:
        return None
    code = str(fips).strip()
    if not code.isdigit() or len(code) > 2:
        return None
    return _in_scope(_BY_FIPS.get(code.zfill(2)), include_territories)


def state_by_usps(usps: str | None, *, include_territories: bool = False) -> State | None:
    """State for a USPS code, case-insensitive ("oh" -> Ohio)."""
    if not usps:
        return None
    return _in_scope(_BY_USPS.get(str(usps).strip().upper()), include_territories)


def state_by_name(name: str | None, *, include_territories: bool = False) -> State | None:
    """State for its name, case- and whitespace-insensitive ("district of columbia" -> DC)."""
    if not name:
        return None
    key = " ".join(str(name).split()).casefold()
    return _in_scope(_BY_NAME.get(key), include_territories)


def states(*, include_territories: bool = False) -> tuple[State, ...]:
    """The states in scope: 50 states + DC, plus the territories when asked for."""
    return _ALL if include_territories else STATES
