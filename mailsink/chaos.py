"""Chaos mode (Mailpit's): SMTP errors on MAIL, RCPT or AUTH, each with a chosen probability.

`ChaosTriggers` is the runtime state, set from `--chaos-triggers` at start and by
`PUT /api/v1/chaos` later. Its JSON shape is Mailpit's:
`{"Sender": {"ErrorCode": 451, "Probability": 0}, "Recipient": …, "Authentication": …}`.
Invalid input raises `ChaosError` with a message fit for the HTTP answer.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from typing import Any

STAGES = ("Sender", "Recipient", "Authentication")
DEFAULT_CODES = {"Sender": 451, "Recipient": 451, "Authentication": 535}
# Mailpit accepts these spellings (case-insensitive) in --chaos-triggers.
_STAGE_ALIASES = {
    "sender": "Sender",
    "recipient": "Recipient",
    "recipients": "Recipient",
    "auth": "Authentication",
    "authentication": "Authentication",
}
_TRIGGER_SPEC = re.compile(r"([a-zA-Z]+):(\d{3}):(\d+)")


class ChaosError(ValueError):
    """A trigger specification or API body that cannot be used, with the reason."""


@dataclass(frozen=True, slots=True)
class Trigger:
    error_code: int
    probability: int  # percent, 0-100

    def __post_init__(self) -> None:
        if not 400 <= self.error_code <= 599:
            raise ChaosError("error code must be between 400 and 599")
        if not 0 <= self.probability <= 100:
            raise ChaosError("probability must be between 0 and 100")

    def as_json(self) -> dict[str, int]:
        return {"ErrorCode": self.error_code, "Probability": self.probability}


def _defaults() -> dict[str, Trigger]:
    return {stage: Trigger(DEFAULT_CODES[stage], 0) for stage in STAGES}


class ChaosTriggers:
    """The three triggers; safe to read from the event loop while the HTTP layer updates them."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._lock = threading.Lock()
        self._triggers = _defaults()
        self._rng = rng or random.SystemRandom()

    @classmethod
    def from_spec(cls, spec: str | None) -> ChaosTriggers:
        """Parse `--chaos-triggers`, e.g. `Sender:451:10,Recipient:550:5,Authentication:535:100`."""
        triggers = cls()
        if not spec:
            return triggers
        updated = _defaults()
        for item in spec.split(","):
            item = item.strip()
            match = _TRIGGER_SPEC.fullmatch(item)
            stage = _STAGE_ALIASES.get(match.group(1).lower()) if match else None
            if match is None:
                raise ChaosError(f"invalid chaos trigger {item!r}: expected STAGE:CODE:PERCENT")
            if stage is None:
                raise ChaosError(
                    f"unknown chaos trigger {match.group(1)!r}: "
                    "expected Sender, Recipient or Authentication"
                )
            updated[stage] = Trigger(int(match.group(2)), int(match.group(3)))
        triggers._triggers = updated
        return triggers

    def as_json(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {stage: self._triggers[stage].as_json() for stage in STAGES}

    def update_from_json(self, body: Any) -> dict[str, dict[str, int]]:
        """Replace all triggers from a `PUT /api/v1/chaos` body (keys case-insensitive); a
        trigger left out is reset to its default with probability 0, as in Mailpit."""
        if not isinstance(body, dict):
            raise ChaosError("expected a JSON object with Sender, Recipient and Authentication")
        by_stage = {str(k).lower(): v for k, v in body.items()}
        unknown = sorted(set(by_stage) - {s.lower() for s in STAGES})
        if unknown:
            raise ChaosError(f"unknown chaos trigger {unknown[0]!r}")
        updated = {
            stage: _trigger_from_json(stage, by_stage.get(stage.lower())) for stage in STAGES
        }
        with self._lock:
            self._triggers = updated
        return self.as_json()

    def fire(self, stage: str) -> int | None:
        """The error code to answer with at `stage` this time, or None to carry on."""
        with self._lock:
            trigger = self._triggers[stage]
        if trigger.probability and self._rng.randrange(100) < trigger.probability:
            return trigger.error_code
        return None


def _trigger_from_json(stage: str, value: Any) -> Trigger:
    if value is None:
        return Trigger(DEFAULT_CODES[stage], 0)
    if not isinstance(value, dict):
        raise ChaosError(f"{stage}: expected an object with ErrorCode and Probability")
    fields = {str(k).lower(): v for k, v in value.items()}
    code = fields.get("errorcode") or DEFAULT_CODES[stage]
    probability = fields.get("probability", 0)
    for name, number in (("ErrorCode", code), ("Probability", probability)):
        if isinstance(number, bool) or not isinstance(number, int):
            raise ChaosError(f"{stage}.{name}: expected an integer, got {number!r}")
    return Trigger(code, probability)
