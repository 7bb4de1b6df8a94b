"""The annotated article page: nesting, escaping, one mark per record, and the endpoint."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from html.parser import HTMLParser
from typing import Any

from litestar.testing import AsyncTestClient

from service.store.read_models import ArticleRead
from service.store.tables import RunStatus
from service.view.annotate import Span, annotate, render_article
from tests.conftest import ARTICLE, DEFAULT_PROMPT

VOID = {"meta", "br", "hr", "img", "input", "link"}


class Page(HTMLParser):
    """Checks that every end tag closes the innermost open element, and records, for the
    marks in #article-text, which characters of the text each record's fragments cover."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.in_text = False
        self.text_depth = 0
        self.text = ""
        self.marks: list[tuple[str, dict[str, str]]] = []
        self.open_marks: list[tuple[str, int]] = []
        self.covered: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.first: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        self.stack.append(tag)
        values = {k: v or "" for k, v in attrs}
        if values.get("id") == "article-text":
            self.in_text, self.text_depth = True, len(self.stack)
        if tag == "mark" and self.in_text:
            ref = values["data-ref"]
            self.open_marks.append((ref, len(self.text)))
            if "data-kind" in values:
                assert ref not in self.first, f"{ref} has two first fragments"
                self.first[ref] = values

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag == "mark" and self.in_text:
            ref, start = self.open_marks.pop()
            self.covered[ref].append((start, len(self.text)))
        if len(self.stack) < self.text_depth:
            self.in_text = False

    def handle_data(self, data: str) -> None:
        if self.in_text:
            self.text += data


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    return parser


def assert_marks_match(parser: Page, text: str, spans: dict[str, tuple[int, int]]) -> None:
    """Each record: one first fragment with data-kind/data-id, fragments covering exactly
    [start, end) of the text."""
    assert parser.text == text
    assert set(parser.first) == set(spans)
    for ref, (start, end) in spans.items():
        attrs = parser.first[ref]
        assert f"{attrs['data-kind']}-{attrs['data-id']}" == ref
        assert (int(attrs["data-start"]), int(attrs["data-end"])) == (start, end)
        pieces = sorted(parser.covered[ref])
        assert pieces[0][0] == start and pieces[-1][1] == end, (ref, pieces)
        for (_, left_end), (right_start, _) in itertools.pairwise(pieces):
            assert left_end == right_start, (ref, pieces)


def SYNCED(i: int) -> dict[str, Any]:
    return {"stable_id": i + 1, "updated_at": "2024-01-01T00:00:00Z"}


def article(text: str, **records: list[tuple[int, int]]) -> ArticleRead:
    """An ArticleRead with one successful run and records at the given offsets."""
    provenance = {"run_id": 1, "model": "m", "prompt_version": "p", "schema_version": "1"}
    run = {
        "id": 1,
        "article_id": 1,
        "status": "succeeded",
        "model": "m",
        "prompt_version": "p",
        "schema_version": "1",
        "status_url": "/runs/1",
    }

    def grounded(i: int, start: int, end: int) -> dict[str, Any]:
        return {
            "id": i + 1,
            "article_id": 1,
            "start": start,
            "end": end,
            "evidence": text[start:end],
            "provenance": provenance,
        }

    return ArticleRead.model_validate(
        {
            "id": 1,
            "title": "T",
            "content_hash": "0" * 64,
            "received_at": "2024-01-01T00:00:00Z",
            "chars": len(text),
            "latest_run": run,
            "text": text,
            "runs": [run],
            "events": [
                {
                    **grounded(i, s, e),
                    "event_type": "Battles",
                    "sub_event_type": "Armed clash",
                    "summary": "s",
                    "date_precision": "unknown",
                    "sentence": 0,
                    "actors": [],
                    **SYNCED(i),
                    "event_id_cnty": f"XXX{i + 1}",
                    "review": "unreviewed",
                }
                for i, (s, e) in enumerate(records.get("events", []))
            ],
            "actors": [
                {**grounded(i, s, e), "name": text[s:e], "actor_type": "other"}
                for i, (s, e) in enumerate(records.get("actors", []))
            ],
            "figures": [
                {
                    **grounded(i, s, e),
                    **SYNCED(i),
                    "category": "killed",
                    "qualifier": "exact",
                    "event_id": None,
                }
                for i, (s, e) in enumerate(records.get("figures", []))
            ],
        }
    )


def spans_of(read: ArticleRead) -> dict[str, tuple[int, int]]:
    return {
        f"{kind}-{r.id}": (r.start, r.end)
        for kind, items in (
            ("event", read.events),
            ("actor", read.actors),
            ("figure", read.figures),
        )
        for r in items
    }


def test_overlapping_spans_nest_properly() -> None:
    text = "Rebels shelled the town. Two soldiers of the army died there."
    read = article(
        text,
        events=[(0, 24), (25, 61), (25, 61)],
        # "Two soldiers" crosses "soldiers of the army" (listed twice), which contains "army"
        figures=[(25, 37)],
        actors=[(0, 6), (29, 49), (45, 49), (29, 49)],
    )
    parser = parse(render_article(read))
    assert_marks_match(parser, text, spans_of(read))
    assert len(parser.covered["actor-2"]) == 2  # cut by the crossing figure, continued after


def test_random_overlaps_stay_well_formed() -> None:
    rng = random.Random(7)
    text = "abcdefghij" * 6
    for _ in range(200):
        spans = []
        for i in range(rng.randint(1, 8)):
            start = rng.randrange(len(text))
            end = rng.randint(start + 1, len(text))
            spans.append(Span(rng.choice(["event", "actor", "figure"]), i, start, end, ()))
        parser = parse(f'<div id="article-text">{annotate(text, spans)}</div>')
        assert_marks_match(parser, text, {s.ref: (s.start, s.end) for s in spans})


def test_text_and_fields_are_escaped() -> None:
    text = '<script>alert("x")</script> & more'
    read = article(text, actors=[(0, 8)])
    read.title = "<b>title</b>"
    page = render_article(read)
    assert "<script>alert" not in page
    assert "&lt;script&gt;</mark>alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in page
    assert "<b>title</b>" not in page and "&lt;b&gt;title&lt;/b&gt;" in page
    assert "<dt>name</dt><dd>&lt;script&gt;</dd>" in page
    parser = parse(page)
    assert parser.text == text
    assert parser.first["actor-1"]["title"].startswith("Actor 1\nname: <script>\n")


def test_without_a_successful_run_the_text_is_shown_with_a_notice() -> None:
    read = article("Nothing extracted yet.", actors=[(0, 7)])
    assert read.latest_run is not None
    for run in (read.runs[0], read.latest_run):
        run.status, run.error = RunStatus.FAILED, "model unavailable"
    page = render_article(read)
    assert "No successful extraction yet: run 1 is failed (model unavailable)." in page
    assert parse(page).first == {}
    assert "Nothing extracted yet." in page


def test_page_is_self_contained() -> None:
    page = render_article(article("A text.", events=[(0, 7)]))
    assert "<script src" not in page and "<link" not in page and "http" not in page


async def test_endpoint_serves_the_annotated_page(client: AsyncTestClient[Any]) -> None:
    posted = (await client.post("/articles?wait=10", json={"text": ARTICLE})).json()
    stored = posted["article"]
    answer = await client.get(f"/articles/{posted['article_id']}/view")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    parser = parse(answer.text)
    spans = {
        f"{kind[:-1]}-{r['id']}": (r["start"], r["end"])
        for kind in ("events", "actors", "figures")
        for r in stored[kind]
    }
    # civilians are counted by the figures, no actor (extract.v16)
    assert [len(stored[k]) for k in ("events", "actors", "figures")] == [2, 2, 2]
    assert_marks_match(parser, ARTICLE, spans)
    for field in ("fake-model", DEFAULT_PROMPT, f"<dd>{posted['run']['id']}</dd>", "succeeded"):
        assert field in answer.text
    assert (
        'id="rec-figure-1"' in answer.text and "<dt>qualifier</dt><dd>at_least</dd>" in answer.text
    )


async def test_unknown_article_is_a_json_404(client: AsyncTestClient[Any]) -> None:
    answer = await client.get("/articles/999/view")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"] == "article 999 does not exist"
