"""Checks of numeric settings, shared by the settings objects of the sources and the pipeline's resources.

A setting can reach them from anywhere: the command line, a Launchpad run config, a script. ``nan`` compares
false with everything, so a bare ``value < 0`` lets it through, and a per-host delay of ``nan`` then waits for
ever; ``inf`` is no better. Each check refuses them by name, with the setting's own name in the message."""

from __future__ import annotations

import math


def number_in(name: str, value: float, low: float, high: float | None = None, *, above: bool = False,
              below: bool = False) -> float:
    """``value`` when it is a finite number from ``low`` (excluded with ``above``) up to ``high`` (if given;
    excluded with ``below``), else ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    too_low = value <= low if above else value < low
    too_high = high is not None and (value >= high if below else value > high)
    if too_low or too_high:
        lower = f"above {low:g}" if above else f"{low:g} or more"
        upper = "" if high is None else f" and {'below' if below else 'at most'} {high:g}"
        raise ValueError(f"{name} must be {lower}{upper}, not {value:g}")
    return value
