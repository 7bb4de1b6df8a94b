"""Fit the calibration of the model's token probabilities from an eval report.

``python -m evals.calibrate --report evals/reports/<dir>/report.json --set dev --label
extract.v5 [--calibration prompts/calibration.yaml] [--write]``

Per record kind (event, actor, figure), Platt scaling (``service.extraction.confidence.
fit_platt``) is fitted on the (model_probability, right) samples of one set of one service in
the report (right: matched a required gold record; wrong: matched nothing; records matched to
optional gold records and duplicate actor names are no samples). Then, for every set of that
service in the report (the fitted one, and the others held out), it prints the expected
calibration error before (raw model probability) and after calibration and a summary of the
precision/recall curve over the calibrated threshold; writes ``calibration.json`` and
``calibration.html`` (reliability diagrams before/after, threshold curves) beside the report;
suggests a default export threshold: the smallest calibrated threshold whose event precision
on the fitted set is at least the precision at t=0 plus 0.1. ``--write`` stores the fit in the
calibration file for the prompt version and model the service's runs report.

Exit codes: 0 done; 2 an unusable report, set, label or calibration file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml
from pydantic import ValidationError

from evals.charts import pr_svg, reliability_svg
from evals.reliability import Sample, SourceSummary, samples_of, summarise
from evals.report import _CSS
from evals.scorer import KINDS, Kind, RecordOutcome
from service.extraction.confidence import (
    Calibration,
    Platt,
    fit_platt,
    load_calibrations,
    save_calibrations,
)
from service.extraction.confidence import Kind as RecordKind

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CALIBRATION = ROOT / "prompts/calibration.yaml"
# The scorer's kinds (events) and the service's (event).
RECORD_KIND: dict[Kind, RecordKind] = {"events": "event", "actors": "actor", "figures": "figure"}
# A suggested export threshold must raise event precision on the fitted set by this much.
PRECISION_GAIN = 0.1
SUMMARY_THRESHOLDS = (0.0, 0.3, 0.5, 0.7, 0.9)
EXIT_OK, EXIT_INPUT = 0, 2


class InputError(Exception):
    """A report, set, label or calibration file that cannot be used."""


@dataclass(frozen=True)
class SetSamples:
    """One set of the chosen service: its records and recall denominators."""

    name: str
    fitted_on: str  # "<dataset>.v<N>"
    records: list[RecordOutcome]
    required: dict[Kind, int]


@dataclass(frozen=True)
class KindResult:
    samples: int
    before: SourceSummary
    after: SourceSummary

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "ece_before": self.before.ece,
            "ece_after": self.after.ece,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }


@dataclass(frozen=True)
class Suggestion:
    threshold: float | None
    precision_at_0: float | None
    precision: float | None
    recall: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "precision_at_0": self.precision_at_0,
            "precision": self.precision,
            "recall": self.recall,
            "required_gain": PRECISION_GAIN,
        }

    def describe(self, set_name: str) -> str:
        if self.threshold is None:
            if self.precision_at_0 is None:
                return (
                    f"no export threshold suggested: no event has a model probability in {set_name}"
                )
            return (
                f"no export threshold helps: none raises event precision in {set_name} to "
                f"{self.precision_at_0 + PRECISION_GAIN:.3f} (t=0: {self.precision_at_0:.3f}); "
                "keep exporting every event"
            )
        return (
            f"suggested default export threshold: {self.threshold:.2f} (calibrated event "
            f"precision in {set_name} {_num(self.precision)} vs {_num(self.precision_at_0)} at "
            f"t=0, recall {_num(self.recall)})"
        )


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# -- reading the report ----------------------------------------------------------------------


def load_report(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"report {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"report {path}: not a report.json object")
    return data


def service_of(report: Mapping[str, Any], label: str | None) -> tuple[str, dict[str, Any]]:
    """(label, the service's section). A report from before services (sets at the top level)
    is one service, whatever its label."""
    services = report.get("services")
    if not isinstance(services, dict):
        if not isinstance(report.get("sets"), dict):
            raise InputError("the report has neither services nor sets")
        return label or "default", {"sets": report["sets"]}
    if label is None:
        if len(services) != 1:
            raise InputError(f"--label: the report has several services ({', '.join(services)})")
        label = next(iter(services))
    if label not in services:
        raise InputError(f"--label {label}: no such service in the report ({', '.join(services)})")
    section: dict[str, Any] = services[label]
    return label, section


def set_samples(name: str, data: Mapping[str, Any]) -> SetSamples:
    try:
        records = [
            RecordOutcome(
                kind=r["kind"],
                pred_id=r.get("pred_id"),
                outcome=r["outcome"],
                gold_id=r.get("gold_id"),
                confidence=r.get("confidence"),
                model_probability=r.get("model_probability"),
            )
            for article in data["articles"]
            for r in article["score"].get("records", [])
        ]
        totals = data["totals"]
        required: dict[Kind, int] = {k: int(totals[k]["tp"]) + int(totals[k]["fn"]) for k in KINDS}
        dataset = data["dataset"]
        fitted_on = f"{dataset['name']}.v{dataset['version']}"
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"set {name}: not a set of an eval report ({exc!r})") from exc
    return SetSamples(name, fitted_on, records, required)


def _run_value(section: Mapping[str, Any], key: str) -> str | None:
    """The service's prompt_version or model: as the report names it, else the most common
    among its runs."""
    value = section.get(key)
    if isinstance(value, str) and value:
        return value
    counts: Counter[str] = Counter()
    for data in section.get("sets", {}).values():
        for article in data.get("articles", []):
            found = article.get("run", {}).get(key)
            if isinstance(found, str) and found:
                counts[found] += 1
    return counts.most_common(1)[0][0] if counts else None


# -- fitting and evaluating ------------------------------------------------------------------


def fit(samples: SetSamples) -> dict[Kind, Platt | None]:
    """Platt scaling per kind on the set's (model_probability, right) samples; None for a
    kind without samples."""
    fitted: dict[Kind, Platt | None] = {}
    for kind in KINDS:
        found = samples_of(samples.records, kind, "model_probability")
        fitted[kind] = fit_platt([s.p for s in found], [s.right for s in found]) if found else None
    return fitted


def evaluate(samples: SetSamples, fitted: Mapping[Kind, Platt | None]) -> dict[Kind, KindResult]:
    results = {}
    for kind in KINDS:
        raw = samples_of(samples.records, kind, "model_probability")
        platt = fitted[kind]
        calibrated = [Sample(platt.apply(s.p) if platt else s.p, s.right) for s in raw]
        results[kind] = KindResult(
            len(raw),
            summarise(raw, samples.required[kind]),
            summarise(calibrated, samples.required[kind]),
        )
    return results


def suggest(result: KindResult) -> Suggestion:
    curve = result.after.curve
    base = curve[0].precision if curve else None
    if base is None:
        return Suggestion(None, None, None, None)
    for point in curve:
        if point.precision is not None and point.precision >= base + PRECISION_GAIN - 1e-9:
            return Suggestion(point.threshold, base, point.precision, point.recall)
    return Suggestion(None, base, None, None)


# -- output ----------------------------------------------------------------------------------


def _curve_summary(summary: SourceSummary) -> str:
    points = {round(p.threshold, 2): p for p in summary.curve}
    parts = []
    for t in SUMMARY_THRESHOLDS:
        p = points.get(t)
        if p is not None:
            parts.append(f"t={t:.1f} P {_num(p.precision)} R {_num(p.recall)} n={p.kept}")
    return " | ".join(parts)


def render_text(
    label: str,
    fitted_set: str,
    fitted: Mapping[Kind, Platt | None],
    sets: Mapping[str, Mapping[Kind, KindResult]],
    suggestion: Suggestion,
) -> str:
    lines = [f"Platt scaling fitted on {fitted_set} of {label}:"]
    for kind in KINDS:
        platt = fitted[kind]
        where = f"a={platt.a:.4f} b={platt.b:.4f}" if platt else "no samples: not fitted"
        lines.append(f"  {RECORD_KIND[kind]:<7} {where}")
    lines += ["", f"{'set':<12}{'kind':<9}{'samples':>8}{'ECE before':>12}{'ECE after':>11}"]
    for name, results in sets.items():
        role = f"{name} (fit)" if name == fitted_set else name
        for kind in KINDS:
            r = results[kind]
            lines.append(
                f"{role:<12}{kind:<9}{r.samples:>8}{_num(r.before.ece):>12}{_num(r.after.ece):>11}"
            )
    lines += ["", "precision/recall of the records kept at a calibrated threshold t:"]
    for name, results in sets.items():
        for kind in KINDS:
            if results[kind].samples:
                lines.append(f"  {name} {kind}: {_curve_summary(results[kind].after)}")
    lines += ["", suggestion.describe(fitted_set)]
    if suggestion.threshold is not None:
        for name, results in sets.items():
            at = [p for p in results["events"].after.curve if p.threshold == suggestion.threshold]
            if name != fitted_set and at:
                base = results["events"].after.curve[0].precision
                lines.append(
                    f"  at {suggestion.threshold:.2f} in {name}: event precision "
                    f"{_num(at[0].precision)} (t=0: {_num(base)}), recall {_num(at[0].recall)}"
                )
    return "\n".join(lines)


def _e(value: object) -> str:
    return html.escape(str(value))


def render_html(
    label: str,
    report_path: str,
    fitted_set: str,
    fitted: Mapping[Kind, Platt | None],
    sets: Mapping[str, Mapping[Kind, KindResult]],
    suggestion: Suggestion,
) -> str:
    body = [
        f"<h1>Calibration of {_e(label)}: fitted on {_e(fitted_set)}</h1>",
        f'<p class="muted">from {_e(report_path)}. Platt scaling per kind on the model '
        "probability of records judged right (matched a required gold record) or wrong "
        "(matched nothing). Reliability diagrams: bars are the share right per bin, the "
        "dashed diagonal is perfect calibration; ECE is the count-weighted gap. Threshold "
        "curves: precision, recall and F1 of the records at or above t.</p>",
        "<ul>",
        *(
            f"<li>{_e(RECORD_KIND[k])}: "
            + (f"a = {p.a:.4f}, b = {p.b:.4f}" if (p := fitted[k]) else "not fitted (no samples)")
            + "</li>"
            for k in KINDS
        ),
        "</ul>",
        f"<p><b>{_e(suggestion.describe(fitted_set))}</b></p>",
    ]
    for name, results in sets.items():
        role = "fitted on" if name == fitted_set else "held out"
        body.append(f"<h2>{_e(name)} ({role})</h2>")
        rows = "".join(
            f"<tr><td>{_e(k)}</td><td class=n>{r.samples}</td><td class=n>"
            f"{_num(r.before.ece)}</td><td class=n>{_num(r.after.ece)}</td></tr>"
            for k, r in results.items()
        )
        body.append(
            "<table><tr><th>kind</th><th>samples</th><th>ECE before</th><th>ECE after</th>"
            f"</tr>{rows}</table>"
        )
        for kind, r in results.items():
            if not r.samples:
                body.append(
                    f'<p class="muted">{_e(kind)}: no samples with a model probability.</p>'
                )
                continue
            body.append(
                '<div class="charts">'
                + reliability_svg(
                    f"{name} {kind}: reliability",
                    [("before", r.before.reliability), ("after", r.after.reliability)],
                )
                + pr_svg(
                    f"{name} {kind}: threshold",
                    [("raw", r.before.curve), ("calibrated", r.after.curve)],
                )
                + "</div>"
            )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Calibration of {_e(label)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


# -- command line ----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m evals.calibrate",
        description="Fit Platt scaling of the model's token probabilities per record kind on "
        "one set of an eval report; show ECE before/after and precision/recall over the "
        "threshold for every set of that service; write calibration.json and calibration.html "
        "beside the report; with --write store the fit in the calibration file.",
    )
    parser.add_argument("--report", type=Path, required=True, metavar="REPORT_JSON")
    parser.add_argument("--set", required=True, dest="set_name", metavar="SET", help="e.g. dev")
    parser.add_argument(
        "--label",
        default=None,
        metavar="LABEL",
        help="the service in the report (default: its only one)",
    )
    parser.add_argument(
        "--calibration",
        type=Path,
        default=DEFAULT_CALIBRATION,
        metavar="YAML",
        help="the calibration file --write updates (default prompts/calibration.yaml)",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="store the fit for the service's prompt version and model",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="where calibration.json/.html go (default: beside the report)",
    )
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    today: dt.date | None = None,
) -> int:
    args = parse_args(argv)
    out_stream = stdout or sys.stdout
    err_stream = stderr or sys.stderr
    try:
        report = load_report(args.report)
        label, section = service_of(report, args.label)
        raw_sets = section.get("sets")
        if not isinstance(raw_sets, dict) or args.set_name not in raw_sets:
            names = ", ".join(raw_sets) if isinstance(raw_sets, dict) else "none"
            raise InputError(f"--set {args.set_name}: not in the report ({names})")
        # a typing set scores one label per passage: it has no records to sample
        samples = {
            name: set_samples(name, data)
            for name, data in raw_sets.items()
            if not (isinstance(data, dict) and data.get("kind") == "typing")
        }
        if args.set_name not in samples:
            raise InputError(f"--set {args.set_name}: a typing set has no records to fit on")
        fitted_on = samples[args.set_name]
        fitted = fit(fitted_on)
        results = {name: evaluate(s, fitted) for name, s in samples.items()}
        suggestion = suggest(results[args.set_name]["events"])
        calibration = None
        if args.write:
            prompt_version = _run_value(section, "prompt_version")
            model = _run_value(section, "model")
            if not prompt_version or not model:
                raise InputError(
                    f"--write: the report names no prompt version or model for {label}"
                )
            calibration = Calibration(
                prompt_version=prompt_version,
                model=model,
                fitted_on=fitted_on.fitted_on,
                fitted_at=today or dt.date.today(),
                samples={RECORD_KIND[k]: results[args.set_name][k].samples for k in KINDS},
                **{RECORD_KIND[k]: fitted[k] for k in KINDS},
            )
            stored = load_calibrations(args.calibration)
            stored.put(calibration)
            save_calibrations(args.calibration, stored)
    except InputError as exc:
        print(f"error: {exc}", file=err_stream)
        return EXIT_INPUT
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        print(f"error: calibration file {args.calibration}: {exc}", file=err_stream)
        return EXIT_INPUT

    out = args.out or args.report.parent
    out.mkdir(parents=True, exist_ok=True)
    data = {
        "report": str(args.report),
        "label": label,
        "set": args.set_name,
        "fitted_on": fitted_on.fitted_on,
        "prompt_version": _run_value(section, "prompt_version"),
        "model": _run_value(section, "model"),
        "platt": {RECORD_KIND[k]: (p.model_dump() if (p := fitted[k]) else None) for k in KINDS},
        "suggested_threshold": suggestion.to_dict(),
        "sets": {
            name: {
                "role": "fitted" if name == args.set_name else "held out",
                "kinds": {k: r.to_dict() for k, r in kinds.items()},
            }
            for name, kinds in results.items()
        },
        "written": calibration.model_dump(mode="json") if calibration else None,
    }
    (out / "calibration.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    page = render_html(label, str(args.report), args.set_name, fitted, results, suggestion)
    (out / "calibration.html").write_text(page, encoding="utf-8")
    print(render_text(label, args.set_name, fitted, results, suggestion), file=out_stream)
    if calibration:
        print(
            f"\nwrote the calibration of {calibration.prompt_version} on {calibration.model} "
            f"to {args.calibration}",
            file=out_stream,
        )
    print(f"\nreport: {out / 'calibration.html'}", file=out_stream)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
