"""How every benchmark prints: section headings and one final table of results.

Each line of the table is a measure of jupyter-dl beside its baseline measured in
the same run, their ratio, the goal and whether it was met.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Result:
    """One line of the final table."""

    measure: str
    ours: str
    baseline: str = "-"
    ratio: str = "-"
    goal: str = "-"
    met: bool | None = None


def heading(text: str) -> None:
    print(f"\n== {text} ==", flush=True)


def print_table(results: list[Result]) -> None:
    heading("results")
    head = ("measure", "jupyter-dl", "baseline", "ratio", "goal", "met")
    rows = [
        (
            r.measure,
            r.ours,
            r.baseline,
            r.ratio,
            r.goal,
            "-" if r.met is None else ("yes" if r.met else "NO"),
        )
        for r in results
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
