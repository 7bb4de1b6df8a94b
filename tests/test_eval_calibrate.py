"""python -m evals.calibrate on hand-built eval reports."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from evals.calibrate import main
from service.extraction.confidence import Calibration, Platt, load_calibrations, save_calibrations

TODAY = dt.date(2026, 12, 1)


def set_section(name: str, groups: list[tuple[float | None, int, int]], required: int) -> Any:
    """Events in groups of (model probability, right, wrong); plus an optional match and an
    actor without a probability (neither is an event sample)."""
    records: list[dict[str, Any]] = []
    for p, right, wrong in groups:
        for outcome, n in (("tp", right), ("fp", wrong)):
            records += [
                {"kind": "events", "pred_id": len(records), "outcome": outcome,
                 "confidence": p, "model_probability": p}
                for _ in range(n)
            ]  # fmt: skip
    records.append({"kind": "events", "outcome": "optional", "model_probability": 0.01})
    records.append({"kind": "actors", "outcome": "tp", "model_probability": None})
    tp = sum(right for _, right, _ in groups)
    return {
        "set": name,
        "dataset": {"name": name, "version": 1, "path": f"evals/datasets/{name}.v1.yaml"},
        "totals": {
            "events": {"tp": tp, "fn": required - tp},
            "actors": {"tp": 1, "fn": 0},
            "figures": {"tp": 0, "fn": 0},
        },
        "articles": [
            {
                "run": {"prompt_version": "extract.v5", "model": "qwen-1.5b"},
                "score": {"records": records},
            }
        ],
    }


# Overconfident: 0.9 is right 6 times in 10, 0.3 once in 10.
OVERCONFIDENT = [(0.9, 6, 4), (0.3, 1, 9)]


def write_report(tmp_path: Path, *, services: int = 1, groups: Any = OVERCONFIDENT) -> Path:
    sets = {
        "dev": set_section("dev", groups, required=10),
        "test": set_section("test", [(0.9, 3, 2), (0.3, 1, 4)], required=5),
    }
    labels = ["extract.v5", "extract.v4"][:services]
    report = {
        "gate": labels[0],
        "services": {
            label: {"label": label, "prompt_version": label, "model": "qwen-1.5b", "sets": sets}
            for label in labels
        },
    }
    path = tmp_path / "reports/run/report.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(report))
    return path


def calibrate(*argv: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=stdout, stderr=stderr, today=TODAY)
    return code, stdout.getvalue(), stderr.getvalue()


def test_fit_on_dev_and_check_on_test(tmp_path: Path) -> None:
    report = write_report(tmp_path)
    calibration = tmp_path / "calibration.yaml"
    code, stdout, stderr = calibrate(
        "--report", str(report), "--set", "dev", "--label", "extract.v5",
        "--calibration", str(calibration),
    )  # fmt: skip
    assert code == 0, stderr
    assert not calibration.exists()  # only --write stores the fit

    data = json.loads((report.parent / "calibration.json").read_text())
    assert (data["label"], data["set"], data["fitted_on"]) == ("extract.v5", "dev", "dev.v1")
    assert data["platt"]["event"] is not None
    assert data["platt"]["actor"] is None and data["platt"]["figure"] is None
    dev, test = data["sets"]["dev"], data["sets"]["test"]
    assert (dev["role"], test["role"]) == ("fitted", "held out")
    events = dev["kinds"]["events"]
    assert events["samples"] == 20  # the optional match is no sample
    # Raw: |0.6 - 0.9| and |0.1 - 0.3| over ten samples each.
    assert events["ece_before"] == pytest.approx(0.25)
    assert events["ece_after"] < 0.01
    assert test["kinds"]["events"]["ece_after"] < test["kinds"]["events"]["ece_before"]
    assert dev["kinds"]["actors"]["samples"] == 0
    assert dev["kinds"]["actors"]["ece_before"] is None

    # Precision at t=0 is 7/20; keeping the 0.9 group (calibrated ~0.6) gives 0.6 >= 0.45.
    suggested = data["suggested_threshold"]
    assert suggested["precision_at_0"] == pytest.approx(0.35)
    assert suggested["precision"] == pytest.approx(0.6) and suggested["recall"] == 0.6
    assert 0.1 < suggested["threshold"] <= 0.6

    lines = stdout.splitlines()
    assert lines[0] == "Platt scaling fitted on dev of extract.v5:"
    assert any(line.split()[:3] == ["dev", "(fit)", "events"] for line in lines)
    assert any(line.split()[:2] == ["test", "events"] for line in lines)
    assert "  dev events: t=0.0 P 0.350 R 0.700 n=20" in stdout
    assert f"suggested default export threshold: {suggested['threshold']:.2f}" in stdout
    assert (
        f"  at {suggested['threshold']:.2f} in test: event precision 0.600 (t=0: 0.400)" in stdout
    )

    page = (report.parent / "calibration.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "<h2>dev (fitted on)</h2>" in page and "<h2>test (held out)</h2>" in page
    assert page.count("<svg") == 4  # events of dev and test: reliability + threshold curves
    assert "perfect calibration" in page and ">calibrated precision</text>" in page


def test_write_stores_the_fit_for_the_prompt_and_model(tmp_path: Path) -> None:
    calibration = tmp_path / "calibration.yaml"
    other = Calibration(prompt_version="extract.v4", model="qwen-1.5b", fitted_on="dev.v1",
                        fitted_at=TODAY, event=Platt(a=1.0, b=0.0))  # fmt: skip
    stored = load_calibrations(calibration)
    stored.put(other)
    save_calibrations(calibration, stored)

    report = write_report(tmp_path, services=2)
    out = tmp_path / "elsewhere"
    code, stdout, stderr = calibrate(
        "--report", str(report), "--set", "dev", "--label", "extract.v5",
        "--calibration", str(calibration), "--write", "--out", str(out),
    )  # fmt: skip
    assert code == 0, stderr
    assert "wrote the calibration of extract.v5 on qwen-1.5b" in stdout
    assert (out / "calibration.json").exists() and (out / "calibration.html").exists()
    found = load_calibrations(calibration)
    assert found.find("extract.v4", "qwen-1.5b") == other
    entry = found.find("extract.v5", "qwen-1.5b")
    assert entry is not None
    assert (entry.fitted_on, entry.fitted_at) == ("dev.v1", TODAY)
    assert entry.samples == {"event": 20, "actor": 0, "figure": 0}
    assert entry.event is not None and entry.actor is None and entry.figure is None
    written = json.loads((out / "calibration.json").read_text())["written"]
    assert written["prompt_version"] == "extract.v5"
    # The stored scaling maps the overconfident 0.9 to about 0.6.
    assert entry.apply("event", 0.9) == pytest.approx(0.6, abs=0.02)


def test_no_threshold_helps_when_every_probability_is_alike(tmp_path: Path) -> None:
    report = write_report(tmp_path, groups=[(0.8, 5, 5)])
    code, stdout, stderr = calibrate("--report", str(report), "--set", "dev")
    assert code == 0, stderr
    assert "no export threshold helps: none raises event precision in dev to 0.600" in stdout
    data = json.loads((report.parent / "calibration.json").read_text())
    assert data["suggested_threshold"]["threshold"] is None


def test_no_model_probabilities(tmp_path: Path) -> None:
    report = write_report(tmp_path, groups=[(None, 5, 5)])
    code, stdout, stderr = calibrate("--report", str(report), "--set", "dev")
    assert code == 0, stderr
    assert "no event has a model probability in dev" in stdout
    assert "event   no samples: not fitted" in stdout


@pytest.mark.parametrize(
    ("services", "extra", "message"),
    [
        pytest.param(1, ("--set", "train"), "--set train: not in the report (dev, test)", id="set"),
        pytest.param(1, ("--set", "dev", "--label", "v9"), "--label v9: no such", id="label"),
        pytest.param(2, ("--set", "dev"), "several services", id="which-service"),
    ],
)
def test_bad_arguments_exit_2(
    tmp_path: Path, services: int, extra: tuple[str, ...], message: str
) -> None:
    report = write_report(tmp_path, services=services)
    code, _, stderr = calibrate("--report", str(report), *extra)
    assert code == 2 and message in stderr
    assert not (report.parent / "calibration.json").exists()


def test_an_unreadable_report_exits_2(tmp_path: Path) -> None:
    code, _, stderr = calibrate("--report", str(tmp_path / "nope.json"), "--set", "dev")
    assert code == 2 and "report" in stderr


def test_a_typing_set_in_the_report_is_no_sample(tmp_path: Path) -> None:
    report = write_report(tmp_path)
    data = json.loads(report.read_text())
    typing = {"set": "typing-dev", "kind": "typing", "passages": [{"id": "t-dev-001"}]}
    data["services"]["extract.v5"]["sets"]["typing-dev"] = typing
    report.write_text(json.dumps(data))
    code, _, stderr = calibrate("--report", str(report), "--set", "dev", "--label", "extract.v5")
    assert code == 0, stderr
    fitted = json.loads((report.parent / "calibration.json").read_text())
    assert set(fitted["sets"]) == {"dev", "test"}
    code, _, stderr = calibrate(
        "--report", str(report), "--set", "typing-dev", "--label", "extract.v5"
    )
    assert code == 2 and "typing set" in stderr
