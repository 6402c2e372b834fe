"""The one results table: a row per figure, mailsink beside the baseline, ratio and target.

A figure measured several times (`--reps`) is shown as median [min–max]; ratios and targets use
the medians.
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

    def describe(self) -> str:
        return f"{self.op} {number(self.value)}{'×' if self.of_ratio else ' ' + self.unit}"

    def met(self, value: float) -> bool:
        return COMPARISONS[self.op](value, self.value)


@dataclass
class Row:
    measure: str
    mailsink: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    target: Target | None = None
    error: str = ""  # why there is no figure

    def ratio(self) -> float | None:
        if not self.mailsink or not self.baseline or statistics.median(self.baseline) == 0:
            return None
        return statistics.median(self.mailsink) / statistics.median(self.baseline)

    def cells(self) -> list[str]:
        ratio = self.ratio()
        verdict = ""
        if self.target is not None:
            checked = ratio if self.target.of_ratio else median_or_none(self.mailsink)
            verdict = "" if checked is None else ("yes" if self.target.met(checked) else "**no**")
        return [
            self.measure,
            one_line(self.error) or spread(self.mailsink),
            spread(self.baseline),
            "" if ratio is None else f"{ratio:.2f}",
            self.target.describe() if self.target else "",
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
    header = ["measure", "mailsink", "baseline", "mailsink ÷ baseline", "target", "met"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)
