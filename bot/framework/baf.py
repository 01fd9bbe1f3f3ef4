"""The Board Assurance Framework's scoring: the 5×5 grid, bands, appetite, direction.

A risk's score is likelihood × consequence, each 1–5, so only the 14 distinct products of the
grid exist (``POSSIBLE_SCORES``). A framework's ``baf:`` section may set its own bands and the
highest score each risk appetite tolerates::

    baf:
      bands:                  # every possible score in exactly one band, lowest band first
        low: 1-3
        moderate: 4-6
        high: 8-12
        extreme: 15-25
      appetite:               # the highest score within each appetite
        averse: 3
        minimal: 6
        cautious: 12
        open: 16

Those are the defaults (the NPSA model matrix). ``BafScale`` is the one place that says which
band a score falls in and whether it is outside a risk's appetite.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.words import APPETITE_WORDS, CONSEQUENCES, LIKELIHOODS  # noqa: F401 (re-exported)

POSSIBLE_SCORES = tuple(sorted({lik * con for lik in range(1, 6) for con in range(1, 6)}))
APPETITES = ("averse", "minimal", "cautious", "open")

DEFAULT_BANDS: tuple[tuple[str, int, int], ...] = (
    ("low", 1, 3), ("moderate", 4, 6), ("high", 8, 12), ("extreme", 15, 25))
DEFAULT_APPETITE: dict[str, int] = {"averse": 3, "minimal": 6, "cautious": 12, "open": 16}
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-|–|to)\s*(\d+)\s*$")


class BafError(ValueError):
    """A ``baf:`` setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class Band:
    name: str
    low: int
    high: int

    @property
    def label(self) -> str:
        return f"{self.name.capitalize()} ({self.low}–{self.high})"


@dataclass(frozen=True)
class BafScale:
    bands: tuple[Band, ...] = tuple(Band(*band) for band in DEFAULT_BANDS)
    appetite: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_APPETITE))

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> BafScale:
        """The scale from a file's ``baf:`` mapping (or the stored settings); missing parts keep
        the defaults. Raises ``BafError`` naming what is wrong."""
        config = dict(config or {})
        unknown = sorted(set(config) - {"bands", "appetite"})
        if unknown:
            raise BafError(f"unknown key(s) {', '.join(unknown)} (expected bands, appetite)")
        bands = (_bands(config["bands"]) if config.get("bands")
                 else tuple(Band(*band) for band in DEFAULT_BANDS))
        appetite = dict(DEFAULT_APPETITE)
        appetite.update(_appetite(config.get("appetite") or {}))
        return cls(bands=bands, appetite=appetite)

    def config(self) -> dict[str, Any]:
        """JSON-ready, for ``BafSettings``."""
        return {"bands": [{"name": b.name, "low": b.low, "high": b.high} for b in self.bands],
                "appetite": dict(self.appetite)}

    @classmethod
    def from_stored(cls, bands: list[dict[str, Any]] | None,
                    appetite: Mapping[str, int] | None) -> BafScale:
        if not bands:
            return cls.from_config({"appetite": dict(appetite or {})})
        return cls(bands=tuple(Band(str(b["name"]), int(b["low"]), int(b["high"]))
                               for b in bands),
                   appetite={**DEFAULT_APPETITE, **dict(appetite or {})})

    def band(self, score: int | None) -> Band | None:
        if score is None:
            return None
        for band in self.bands:
            if band.low <= score <= band.high:
                return band
        return None

    def band_name(self, score: int | None) -> str | None:
        found = self.band(score)
        return found.name if found else None

    def outside_appetite(self, score: int | None, appetite: str | None) -> bool:
        """True when ``score`` is above the highest score ``appetite`` tolerates."""
        if score is None or not appetite or appetite not in self.appetite:
            return False
        return score > self.appetite[appetite]


def _bands(value: Any) -> tuple[Band, ...]:
    if not isinstance(value, Mapping):
        raise BafError("bands must map each band's name to its scores, such as 'low: 1-3'")
    bands = []
    for name, scores in value.items():
        match = _RANGE.match(str(scores))
        if not match:
            raise BafError(f"band '{name}': '{scores}' is not a range of scores such as 1-3")
        low, high = int(match[1]), int(match[2])
        if not 1 <= low <= high <= 25:
            raise BafError(f"band '{name}': {low}-{high} must lie within 1-25, low to high")
        bands.append(Band(str(name).strip().lower(), low, high))
    bands.sort(key=lambda band: band.low)
    for before, after in itertools.pairwise(bands):
        if after.low <= before.high:
            raise BafError(f"bands '{before.name}' and '{after.name}' overlap")
    for score in POSSIBLE_SCORES:
        if not any(band.low <= score <= band.high for band in bands):
            raise BafError(f"no band holds the score {score} (every score of the 5×5 grid "
                           f"needs one: {', '.join(map(str, POSSIBLE_SCORES))})")
    return tuple(bands)


def _appetite(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise BafError("appetite must map averse, minimal, cautious and open to a score")
    found: dict[str, int] = {}
    for name, score in value.items():
        key = str(name).strip().lower()
        if key not in APPETITES:
            raise BafError(f"unknown appetite '{name}' (use {', '.join(APPETITES)})")
        if isinstance(score, bool) or not str(score).strip().isdigit() or not (
                1 <= int(str(score).strip()) <= 25):
            raise BafError(f"appetite '{name}': {score!r} must be a score from 1 to 25")
        found[key] = int(str(score).strip())
    return found


def check_appetite(value: str) -> tuple[str | None, str | None]:
    appetite = value.strip().lower()
    if appetite in APPETITES:
        return appetite, None
    return None, f"unknown appetite '{value}' (use {', '.join(APPETITES)})"


def score_of(likelihood: int, consequence: int) -> int:
    """The score: likelihood × consequence, each 1–5."""
    if likelihood not in LIKELIHOODS or consequence not in CONSEQUENCES:
        raise ValueError(f"likelihood and consequence must be 1–5, not {likelihood}, "
                         f"{consequence}")
    return likelihood * consequence


def direction(score: int | None, previous: int | None) -> str | None:
    """``up`` / ``down`` / ``static`` against the score before; None when either is unknown
    (the words a framework file uses; ``ragtime risks --json`` says ``same`` for static)."""
    if score is None or previous is None:
        return None
    return "up" if score > previous else "down" if score < previous else "static"
