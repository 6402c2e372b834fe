"""The one results table: a row per figure, mailsink beside the baseline (stock aiosmtpd) and,
for the ingest loads, beside Postfix's C `smtp-sink`; the ratios and the targets.

A figure measured several times (`--reps`) is shown as median [min–max]; ratios and targets use
the medians. A row meets its target when it meets every target it has.
"""

from __future__ import annotations

import operator
import statistics
from dataclasses import dataclass, field

COMPARISONS = {"≥": operator.ge, "<": operator.lt}


@dataclass(frozen=True)
class Target:
    """`mailsink` (or `mailsink ÷ baseline` when `of_ratio`) must be `op` `value`."""

    op: str
    value: float
    of_ratio: bool = False
    unit: str = ""
    of: str = ""  # what the ratio is of, when not the baseline

    def describe(self) -> str:
        if self.of_ratio:
            return f"{self.op} {number(self.value)}×{' ' + self.of if self.of else ''}"
        return f"{self.op} {number(self.value)} {self.unit}"

    def met(self, value: float) -> bool:
        return COMPARISONS[self.op](value, self.value)


@dataclass
class Row:
    measure: str
    mailsink: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    target: Target | None = None
    error: str = ""  # why there is no figure
    reference: list[float] = field(default_factory=list)  # smtp-sink's figures
    reference_target: Target | None = None  # of `mailsink ÷ smtp-sink`

    def ratio(self, of: list[float] | None = None) -> float | None:
        """mailsink ÷ the baseline (or ÷ `of`), medians."""
        other = self.baseline if of is None else of
        if not self.mailsink or not other or statistics.median(other) == 0:
            return None
        return statistics.median(self.mailsink) / statistics.median(other)

    def cells(self) -> list[str]:
        ratio, reference_ratio = self.ratio(), self.ratio(self.reference)
        checks = []
        if self.target is not None:
            checks.append(
                (self.target, ratio if self.target.of_ratio else median_or_none(self.mailsink))
            )
        if self.reference_target is not None and self.reference:
            checks.append((self.reference_target, reference_ratio))
        verdict = ""
        if checks and all(value is not None for _, value in checks):
            met = all(target.met(value) for target, value in checks if value is not None)
            verdict = "yes" if met else "**no**"
        return [
            self.measure,
            one_line(self.error) or spread(self.mailsink),
            spread(self.baseline),
            "" if ratio is None else f"{ratio:.2f}",
            spread(self.reference),
            "" if reference_ratio is None else f"{reference_ratio:.2f}",
            ", ".join(target.describe() for target, _ in checks),
            verdict,
        ]


def one_line(text: str, limit: int = 300) -> str:
    """`text` fit for a table cell: one line, no column separators."""
    return " ".join(text.split())[:limit].replace("|", "\\|")


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def spread(values: list[float]) -> str:
    if not values:
        return ""
    middle = number(statistics.median(values))
    low, high = number(min(values)), number(max(values))
    return middle if low == high else f"{middle} [{low}–{high}]"


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1]


def table(rows: list[Row]) -> str:
    header = ["measure", "mailsink", "baseline", "mailsink ÷ baseline"]
    header += ["smtp-sink", "mailsink ÷ smtp-sink", "target", "met"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)
