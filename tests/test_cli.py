"""The conflict-extract command line against the app in-process (fake LLM)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from typer.testing import CliRunner, Result

from service.cli import Context, app
from tests.conftest import ARTICLE
from tests.inprocess import running_app, transport_of

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Any]]:
    """One app for the module (starting one is slow): tests add articles, never assume none."""
    with running_app(tmp_path_factory.mktemp("cli"), workers=2) as test_client:
        yield test_client


def invoke(service: TestClient[Any], *args: str) -> Result:
    context = Context(transport=transport_of(service), poll_s=0.05)
    return CliRunner(env=WIDE).invoke(app, list(args), obj=context)


def plain(text: str) -> str:
    """Text without Rich's box borders and line wrapping."""
    return " ".join(text.replace("│", " ").split())


def summary(result: Result) -> dict[str, int]:
    """The counts of the summary table, by outcome."""
    counts = {}
    for line in result.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) == 2 and cells[1].isdigit():
            counts[cells[0]] = int(cells[1])
    return counts


def test_ingest_a_folder_and_wait(service: TestClient[Any]) -> None:
    result = invoke(service, "ingest", str(SEEDS), "--wait", "--concurrency", "3")
    assert result.exit_code == 0, result.output
    assert "ingest summary" in result.stdout
    counts = summary(result)
    assert counts["succeeded"] == 5 and counts["failed"] == 0 and counts["pending"] == 0
    articles = service.get("/articles?limit=500").json()["items"]
    assert len({a["content_hash"] for a in articles}) >= 5


def test_ingest_jsonl_and_csv(service: TestClient[Any], tmp_path: Path) -> None:
    jsonl = tmp_path / "articles.jsonl"
    rows = [
        {"text": ARTICLE.replace("Douma", "Harasta"), "title": "Harasta", "date": "2018-04-08"},
        {"text": ARTICLE.replace("Douma", "Arbin"), "url": "https://x.test/arbin"},
    ]
    jsonl.write_text("\n".join(json.dumps(row) for row in rows) + "\n\n", encoding="utf-8")
    table = tmp_path / "articles.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["title", "text", "date", "url", "source"])
        writer.writeheader()
        writer.writerow(
            {
                "title": "Douma, from a table",
                "text": ARTICLE + "\nA line more, with a comma.",
                "date": "2018-04-09",
                "url": "https://x.test/douma",
                "source": "Wire",
            }
        )
    result = invoke(service, "ingest", str(jsonl), str(table), "--wait")
    assert result.exit_code == 0, result.output
    assert summary(result)["succeeded"] == 3

    stored = {a["title"]: a for a in service.get("/articles?limit=500").json()["items"]}
    assert stored["Harasta"]["published_date"] == "2018-04-08"
    assert stored["Douma, from a table"]["source"] == "Wire"
    assert stored["Douma, from a table"]["published_date"] == "2018-04-09"
    assert any(a["url"] == "https://x.test/arbin" for a in stored.values())

    again = invoke(service, "ingest", str(jsonl))  # stored before: reported, still exit 0
    assert again.exit_code == 0, again.output
    assert summary(again)["already stored"] == 2


def test_a_rejected_article_fails_the_ingest(service: TestClient[Any], tmp_path: Path) -> None:
    jsonl = tmp_path / "long.jsonl"
    jsonl.write_text(json.dumps({"text": "x " * 3_000}) + "\n", encoding="utf-8")
    result = invoke(service, "ingest", str(jsonl), "--wait")
    assert result.exit_code == 1
    assert summary(result)["failed"] == 1
    assert "long.jsonl:1" in result.stdout and "the limit is 5000" in result.stdout


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.txt", None, "no such file or folder"),
        ("notes.pdf", "%PDF", "not a .txt, .jsonl or .csv file"),
        ("bad.jsonl", '{"text": "a"}\n{oops\n', "bad.jsonl:2: not JSON"),
        ("empty.jsonl", '{"title": "no text"}\n', "empty.jsonl:1: no text"),
        ("dates.csv", "text,date\nsome text,08/04/2018\n", "dates.csv:2: published_date"),
        ("columns.csv", "body,title\nx,y\n", "no 'text' column"),
    ],
)
def test_bad_paths_exit_2(
    service: TestClient[Any], tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = invoke(service, "ingest", str(path))
    assert result.exit_code == 2
    assert message in plain(result.stderr)
    assert "ingest summary" not in result.stdout


def test_export_csv_equals_the_endpoint(service: TestClient[Any], tmp_path: Path) -> None:
    posted = service.post("/articles?wait=120", json={"text": ARTICLE})
    assert posted.status_code in (200, 202), posted.text
    out = tmp_path / "events.csv"
    result = invoke(service, "export", "events", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    expected = service.get("/events.csv").text
    assert out.read_bytes().decode() == expected  # \r\n line ends kept
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == list(csv.DictReader(expected.splitlines()))
    assert len(rows) >= 2
    assert f"wrote {len(rows)} events row(s)" in result.stderr

    jsonl = tmp_path / "killed.jsonl"
    result = invoke(
        service, "export", "figures", "-f", "jsonl", "-o", str(jsonl), "--category", "killed"
    )
    assert result.exit_code == 0, result.output
    assert jsonl.read_bytes().decode() == service.get("/figures.jsonl?category=killed").text

    placed = tmp_path / "placed.jsonl"
    options = ["--country", "syria", "--iso", "SYR", "--admin1", "dimashq", "--inter", "2"]
    options += ["--bbox", "35,32,38,35", "--fatalities-min", "1"]
    result = invoke(service, "export", "events", "-o", str(placed), *options)
    assert result.exit_code == 0, result.output
    query = "country=syria&iso=SYR&admin1=dimashq&inter=2&bbox=35,32,38,35&fatalities_min=1"
    expected = service.get(f"/events.jsonl?{query}").text
    assert placed.read_bytes().decode() == expected
    assert expected and all("Jaysh al-Islam" in line for line in expected.splitlines())

    wrong = invoke(service, "export", "actors", "--format", "csv", "--out", str(tmp_path / "a"))
    assert wrong.exit_code == 2 and "only as jsonl" in wrong.stderr
    wrong = invoke(service, "export", "actors", "--location", "douma")
    assert wrong.exit_code == 2 and "--location is not a filter of actors" in wrong.stderr
    bad = invoke(service, "export", "events", "--event-type", "Nonsense", "-o", str(tmp_path / "x"))
    assert bad.exit_code == 1 and "event_type" in bad.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "events.csv",
        "killed.jsonl",
        "placed.jsonl",
    ]
    nowhere = invoke(service, "export", "events", "-o", str(tmp_path / "no" / "such.jsonl"))
    assert nowhere.exit_code == 2 and "No such file or directory" in plain(nowhere.stderr)


def test_runs_list_and_retry(service: TestClient[Any]) -> None:
    for town in ("Douma", "Arbin"):  # the fake LLM knows these towns
        service.post("/articles?wait=120", json={"text": ARTICLE.replace("Douma", town)})
    result = invoke(service, "runs", "--status", "succeeded", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.stdout and "2 run(s) (--limit reached)" in result.stdout
    as_json = invoke(service, "runs", "--json", "--article-id", "1")
    assert as_json.exit_code == 0, as_json.output
    assert all(json.loads(line)["article_id"] == 1 for line in as_json.stdout.splitlines())
    retried = invoke(service, "runs", "retry", "--reason", "poisoned")
    assert retried.exit_code == 0, retried.output
    assert "retried 0 run(s)" in retried.stdout
    bad = invoke(service, "runs", "--status", "sleeping")
    assert bad.exit_code == 1 and "status" in bad.stderr


def test_unreachable_service(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    runner = CliRunner(env=WIDE)
    result = runner.invoke(
        app, ["--base-url", "http://127.0.0.1:9", "ingest", str(tmp_path)], obj=Context()
    )
    assert result.exit_code == 1
    assert "cannot reach the service at http://127.0.0.1:9" in result.stderr
