"""Several services in one eval run, side by side; the gate; model work per 100 words."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from evals.runner import ConfigError, ServiceSpec, main, parse_service, parse_services
from tests.test_eval_runner import ManyArticles, two_sets, write

# The tiny article (tests.test_eval_scorer.SMALL) has 16 words.
WORDS = 16


class Service(ManyArticles):
    """The fake service with a prompt version, cached prompt tokens and confidences."""

    def __init__(self, prompt_version: str, *, events: bool = True, cached: int = 40):
        super().__init__(events=events)
        self.prompt_version = prompt_version
        self.cached = cached

    def run(self, run_id: int, status: str) -> dict[str, Any]:
        return super().run(run_id, status) | {
            "prompt_version": self.prompt_version,
            "prompt_tokens_cached": self.cached,
        }

    def article(self) -> dict[str, Any]:
        body = super().article()
        for event in body["events"]:
            event |= {"confidence": 0.9, "model_probability": 0.7}
        for actor in body["actors"]:
            actor |= {"confidence": None, "model_probability": None}
        return body


class Hosts:
    """One transport for several fake services, told apart by host; calls in order."""

    def __init__(self, **services: Service) -> None:
        self.services = services
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.url.host} {request.method} {request.url.path}")
        return self.services[request.url.host](request)


def run(
    tmp_path: Path, hosts: Hosts, thresholds: object, *extra: str
) -> tuple[int, str, str, Path]:
    sets = two_sets(tmp_path)
    limits = write(tmp_path, thresholds)
    out = tmp_path / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["--sets-dir", str(sets), "--root", str(tmp_path), "--out", str(out),
         "--thresholds", str(limits), "--poll", "0", "--sets", "alpha,beta", *extra],
        transport=httpx.MockTransport(hosts),
        stdout=stdout,
        stderr=stderr,
        sleep=lambda _: None,
    )  # fmt: skip
    return code, stdout.getvalue(), stderr.getvalue(), out


def rows(stdout: str, header_lines: int) -> dict[str, list[str]]:
    lines = stdout.split("\n\nreport:")[0].splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(" ")) + header_lines
    found = {}
    for line in lines[start:]:
        if not line.strip():
            break
        found[line.split()[0]] = line.split()[1:]
    return found


# -- --base-url LABEL=URL --------------------------------------------------------------------


def test_base_url_labels() -> None:
    assert parse_service("http://127.0.0.1:8000") == ServiceSpec(None, "http://127.0.0.1:8000")
    assert parse_service("extract.v5=http://127.0.0.1:8002") == ServiceSpec(
        "extract.v5", "http://127.0.0.1:8002"
    )
    # An "=" inside a URL's query is no label.
    assert parse_service("http://h/?a=b") == ServiceSpec(None, "http://h/?a=b")
    with pytest.raises(ConfigError, match="a label is"):
        parse_service("bad label=http://x")
    with pytest.raises(ConfigError, match="no URL"):
        parse_service("v5=")
    with pytest.raises(ConfigError, match="twice"):
        parse_services(["a=http://x", "a=http://y"])
    with pytest.raises(ConfigError, match="--gate c: no --base-url"):
        parse_services(["a=http://x", "b=http://y"], gate="c")
    # With a bare URL the label is known only after its runs: checked then.
    assert len(parse_services(["a=http://x", "http://y"], gate="extract.v9")) == 2


def test_two_services_side_by_side_gated_on_the_last(tmp_path: Path) -> None:
    hosts = Hosts(v4=Service("extract.v4", events=False), v5=Service("extract.v5"))
    limits = {"alpha": {"events.f1": 0.5}}
    code, stdout, stderr, out = run(
        tmp_path, hosts, limits,
        "--base-url", "extract.v4=http://v4", "--base-url", "extract.v5=http://v5",
    )  # fmt: skip
    # extract.v4 misses the event (events.f1 0 < 0.5) but extract.v5 gates: exit 0.
    assert code == 0, stdout + stderr
    assert "FAILED" not in stdout

    # Service by service: every call to v4 before the first to v5.
    hosts_in_order = [c.split()[0] for c in hosts.calls]
    assert hosts_in_order == sorted(hosts_in_order) and set(hosts_in_order) == {"v4", "v5"}
    assert "[extract.v4 alpha 1/1] seeds/a.txt" in stderr
    assert "[extract.v5 beta 1/1] seeds/a.txt" in stderr

    lines = stdout.splitlines()
    assert lines[1] == "services: extract.v4 (http://v4), extract.v5 (http://v5)"
    assert lines[3].split() == ["alpha", "alpha", "beta", "beta"]
    assert lines[4].split() == ["extract.v4", "extract.v5", "*", "extract.v4", "extract.v5", "*"]
    table = rows(stdout, 2)
    assert table["events.f1"] == ["0.000", "!", "1.000", "0.000", "1.000"]
    assert table["thresholds"] == ["(1", "of", "1", "failed)", "1", "met", "none", "none"]
    assert "* thresholds are checked against extract.v5 (--gate)" in stdout

    report = json.loads((out / "report.json").read_text())
    assert report["gate"] == "extract.v5"
    assert report["service_labels"] == ["extract.v4", "extract.v5"]
    assert report["set_names"] == ["alpha", "beta"]
    assert report["failures"] == []
    assert report["side_by_side"]["events.f1"] == {
        "extract.v4": {"alpha": 0.0, "beta": 0.0},
        "extract.v5": {"alpha": 1.0, "beta": 1.0},
    }
    v4, v5 = report["services"]["extract.v4"], report["services"]["extract.v5"]
    assert (v4["base_url"], v4["prompt_version"], v4["gate"]) == ("http://v4", "extract.v4", False)
    assert (v5["base_url"], v5["prompt_version"], v5["gate"]) == ("http://v5", "extract.v5", True)
    assert v4["sets"]["alpha"]["thresholds"]["failed"][0]["key"] == "events.f1"
    assert v5["sets"]["beta"]["service"] == "extract.v5"
    assert v5["sets"]["alpha"]["confidence"]["events"]["confidence"]["ece"] == pytest.approx(0.1)

    page = (out / "report.html").read_text()
    for anchor in ("extract.v4-alpha", "extract.v4-beta", "extract.v5-alpha", "extract.v5-beta"):
        assert f'<section id="set-{anchor}">' in page
        assert f'href="#set-{anchor}"' in page
    assert '<th colspan="2">alpha</th><th colspan="2">beta</th>' in page
    assert "Set alpha on extract.v5 (gate)" in page
    assert "checked against <b>extract.v5</b>" in page
    assert "for information: this service does not gate" in page


def test_the_gate_decides_the_exit_code(tmp_path: Path) -> None:
    hosts = Hosts(v4=Service("extract.v4", events=False), v5=Service("extract.v5"))
    code, stdout, _, out = run(
        tmp_path, hosts, {"alpha": {"events.f1": 0.5}},
        "--base-url", "extract.v4=http://v4", "--base-url", "extract.v5=http://v5",
        "--gate", "extract.v4",
    )  # fmt: skip
    assert code == 1
    assert "FAILED threshold alpha: events.f1: 0 < min 0.5" in stdout
    assert "checked against extract.v4" in stdout
    assert json.loads((out / "report.json").read_text())["gate"] == "extract.v4"


def test_bare_urls_are_labelled_by_their_prompt_version(tmp_path: Path) -> None:
    hosts = Hosts(a=Service("extract.v5"), b=Service("extract.v5"), c=Service(""))
    code, stdout, stderr, out = run(
        tmp_path, hosts, {},
        "--base-url", "http://a", "--base-url", "http://b", "--base-url", "http://c",
    )  # fmt: skip
    assert code == 0, stdout + stderr
    report = json.loads((out / "report.json").read_text())
    assert report["service_labels"] == ["extract.v5", "extract.v5-2", "default"]
    assert report["gate"] == "default"


def test_an_unknown_gate_exits_2_before_any_call(tmp_path: Path) -> None:
    hosts = Hosts(v4=Service("extract.v4"))
    code, _, stderr, out = run(
        tmp_path, hosts, {}, "--base-url", "extract.v4=http://v4", "--gate", "extract.v5"
    )
    assert code == 2 and "--gate extract.v5: no --base-url" in stderr
    assert hosts.calls == [] and not out.exists()
    # Known only after the runs (a bare URL): exit 2 then, with no report.
    (tmp_path / "x").mkdir()
    code, _, stderr, out = run(tmp_path / "x", hosts, {}, "--base-url", "http://v4", "--gate", "v9")
    assert code == 2 and "--gate v9: no service has that label (extract.v4)" in stderr
    assert not out.exists()


# -- model work per 100 words ----------------------------------------------------------------


def test_model_work_per_100_words(tmp_path: Path) -> None:
    hosts = Hosts(v5=Service("extract.v5", cached=40))
    code, stdout, stderr, out = run(tmp_path, hosts, {}, "--base-url", "http://v5")
    assert code == 0, stdout + stderr
    data = json.loads((out / "report.json").read_text())
    alpha = data["services"]["extract.v5"]["sets"]["alpha"]
    assert alpha["articles"][0]["run"]["words"] == WORDS
    assert alpha["run_totals"]["prompt_tokens_cached"] == 40
    # Per run: 100 prompt tokens (40 cached), 20 completion tokens, 2 LLM calls, 2.0 s wall.
    assert alpha["work"] == {
        "articles": 1.0,
        "words": float(WORDS),
        "prompt_tokens": 100.0,
        "prompt_tokens_cached": 40.0,
        "uncached_prompt_tokens_per_100_words": 60 * 100 / WORDS,
        "completion_tokens_per_100_words": 20 * 100 / WORDS,
        "llm_calls_per_100_words": 2 * 100 / WORDS,
        "run_wall_seconds_per_article": 2.0,
    }
    # One service: one header line, as before.
    table = rows(stdout, 1)
    assert stdout.splitlines()[2].split() == ["alpha", "beta"]
    assert table["uncached_prompt_tokens_per_100_words"] == ["375.0", "375.0"]
    assert table["completion_tokens_per_100_words"] == ["125.0", "125.0"]
    assert table["llm_calls_per_100_words"] == ["12.50", "12.50"]
    assert table["run_wall_seconds_per_article"] == ["2.0", "2.0"]
    assert table["events.ece"] == ["0.100", "0.100"]
    assert table["actors.without_confidence"] == ["1/1", "1/1"]
    assert "services:" not in stdout and "--gate" not in stdout
    page = (out / "report.html").read_text()
    assert "375.0 uncached prompt tokens" in page and "(40 cached)" in page
    assert '<section id="set-alpha">' in page
