"""One line per figure, ``name: value  (floor or baseline: value, ratio: x)``, and bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline_label: str  # "floor" or "baseline"
    baseline: float | None
    goal: str
    met: bool
    ratio: float | None = None
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        value = f"{self.value:.3g}{self.unit}"
        if self.baseline is None:
            tail = f"(goal {self.goal})"
        else:
            ratio = self.ratio if self.ratio is not None else self.value / self.baseline
            tail = f"({self.baseline_label}: {self.baseline:.3g}{self.unit}, ratio: {ratio:.2f})  goal {self.goal}"
        return f"{self.name}: {value}  {tail}  {'met' if self.met else 'MISSED'}"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def write(figures: list[Figure], details: list[str], seconds: float) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# `make bench` results",
        "",
        f"Run {stamp} on {machine()} ({seconds:.0f} s; load average at the end: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}). Every ratio is measured in the same run, "
        "in-process against moto. Written by `python -m bench`; do not edit by hand.",
        "",
        "```",
        *[figure.line() for figure in figures],
        "```",
        "",
        "## Details",
        "",
        "```",
        *details,
        "```",
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}",
          file=sys.stderr)
