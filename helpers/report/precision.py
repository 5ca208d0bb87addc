"""The precision appendix (issue 26): each published row measured with every fit in float32 (the
build's default, ``Config.dtype``) beside the same runs with every fit in float64 (`make precision`,
into build/float64/), and each row's verdict under both.

Interface:
    records64, missing = load_float64(scale, records)   # {run: record} of the float64 build, or None and why
    rows64 = reproduction.compare_all(records64, entries, n_test)      # judged as the main table is
    compared = compare(rows32, rows64)      # per row: both measurements, their difference, the row's band, both verdicts
    precision_table(compared) -> Piece;  precision_text(compared) -> markdown (the rule and what it decided)

The float64 build reruns notebooks/runs only: the grids of notebooks/runs-grid (one seed per point, used
to choose each question's hypothesis) stay float32 in both judgements, so a verdict can change only
through the rows' own runs and the confirmation runs they hold. The rule (the issue's): float32 stays the
default when no verdict changes and every difference lies inside the row's noise band (the band its
verdict uses); otherwise the rows say why not.
"""
from __future__ import annotations

from ..pipeline import results
from ..pipeline.settings import NOTEBOOKS, pipeline_root
from .pieces import Piece, tabular
from .reproduction_view import VERDICT_WORDS, VERDICT_KEYS
from .tables import METRICS, decimals

COMMAND = {"full": "make precision", "smoke": "make precision SCALE=smoke"}


def float64_root(scale: str):
    """Where `make precision` writes the float64 build of ``scale`` (the Makefile's PRECISION_OUT)."""
    return pipeline_root(scale) / "build" / "float64"


def load_float64(scale: str, records: dict) -> tuple[dict | None, str | None]:
    """The float64 build's records of the rows' runs, with the other records (the grids, the data
    facts) as they are; or None and a sentence saying what is missing and the command that makes it."""
    try:
        ours = results.load_all(NOTEBOOKS / "runs", scale, float64_root(scale))
    except results.StaleResultsError as error:
        why = ("has not been run" if "no results" in str(error) else
               "is out of date: its results were made from other inputs than the current files")
        return None, f"{why} (`{COMMAND[scale]}` runs it: every run of notebooks/runs again in float64, about twice their fit time)"
    return {**records, **ours}, None


def compare(rows32: list, rows64: list) -> list[dict]:
    """Per published row (in order): its measurements in float32 and float64, their difference, the
    float32 row's noise band, both verdicts."""
    out = []
    for a, b in zip(rows32, rows64, strict=True):
        if a.entry is not b.entry and a.entry != b.entry:
            raise ValueError("compare: the two judgements are not of the same rows in the same order")
        out.append({"entry": a.entry, "f32": tuple(a.ours), "f64": tuple(b.ours), "diff": b.ours[0] - a.ours[0],
                    "noise": a.noise, "inside": abs(b.ours[0] - a.ours[0]) <= a.noise,
                    "verdict32": a.verdict, "verdict64": b.verdict})
    return out


def _words(verdict: str) -> str:
    return VERDICT_WORDS[VERDICT_KEYS[verdict]]


def precision_table(compared: list[dict]) -> Piece:
    rows = []
    for i, c in enumerate(compared, 1):
        e, digits = c["entry"], decimals(c["entry"]["metric"])
        show = lambda m: f"{m[0]:.{digits}f}" + (f" ± {m[1]:.{digits}f}" if m[1] else "")  # noqa: E731
        rows.append([str(i), e["label"], METRICS[e["metric"]], show(c["f32"]), show(c["f64"]),
                     f"{c['diff']:+.{digits}f}", f"{c['noise']:.{digits}f}", _words(c["verdict32"]),
                     _words(c["verdict64"]) + ("" if c["verdict64"] == c["verdict32"] else " (changed)")])
    return tabular(["#", "setting", "metric", "float32", "float64", "diff", "noise", "verdict, float32", "float64"], rows,
                   "Each published row measured with every fit in float32 (the build's default) and in float64 "
                   "(make precision): mean ± std over seeds; diff: float64 − float32; noise: the row's band, as in the "
                   "main table; the verdicts as the main table judges them (the grids stay float32 in both)",
                   "precision", align="rp{9cm}lrrrrll", size="\\footnotesize", tabcolsep="3pt", landscape=True)


def precision_text(compared: list[dict]) -> str:
    changed = [i for i, c in enumerate(compared, 1) if c["verdict32"] != c["verdict64"]]
    outside = [i for i, c in enumerate(compared, 1) if not c["inside"]]
    largest = max(compared, key=lambda c: abs(c["diff"]) / c["noise"] if c["noise"] else 0.0)
    keep = not changed and not outside
    listed = lambda rows: ", ".join(map(str, rows)) or "none"  # noqa: E731
    return (f"Of {len(compared)} published rows, {len(changed)} change verdict in float64 (rows: {listed(changed)}) and "
            f"{len(outside)} move by more than their noise band (rows: {listed(outside)}); the largest move relative to "
            f"its band is {largest['entry']['label']} ({METRICS[largest['entry']['metric']]}), "
            f"{largest['diff']:+.{decimals(largest['entry']['metric'])}f} against a band of "
            f"{largest['noise']:.{decimals(largest['entry']['metric'])}f}. "
            + ("The rule for float32 as the fits' default holds: no verdict depends on the precision."
               if keep else "The rule for float32 as the fits' default does not hold for the rows listed: their "
               "verdicts are to be read in both columns."))
