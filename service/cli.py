"""``conflict-extract``: run the service, feed it articles, follow runs, export records.

    conflict-extract serve [all|api|worker]
    conflict-extract ingest seeds/ --wait                 # text files, folders, JSONL, CSV
    conflict-extract runs --status failed                 # list; `runs retry` re-queues them
    conflict-extract export events --format csv --out events.csv --date-from 2018-04-01
    conflict-extract evals ...  /  conflict-extract bench ...   (python -m evals / bench.seeds)

Every command that talks to the service takes ``--base-url`` (``CONFLICT_BASE_URL``) and
``--api-key`` (``CONFLICT_API_KEY``) and goes through ``service.client``. Exit codes: 0 done,
1 something failed (a run, the service), 2 bad usage (a path, an option).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from service.api.article_input import ArticleIn
from service.client import (
    DEFAULT_BASE_URL,
    EXPORTS,
    FINISHED,
    APIError,
    Client,
    ClientError,
    ExportFormat,
    ExportKind,
    TransportError,
)
from service.store.read_models import RunRead

app = typer.Typer(
    name="conflict-extract",
    help="Run the conflict-extract service and talk to it: ingest, runs, exports, evals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
runs_app = typer.Typer(help="Extraction runs: list them (filters), or `retry` failed ones.")
app.add_typer(runs_app, name="runs")

PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


@dataclass
class Context:
    """What the commands share; tests pass one with ``transport`` (an in-process app) as
    ``CliRunner.invoke(app, args, obj=Context(transport=...))``."""

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = None
    transport: httpx.BaseTransport | None = None
    poll_s: float = 1.0
    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))

    def client(self, *, retries: int = 3, timeout: float = 60.0) -> Client:
        return Client(
            self.base_url,
            api_key=self.api_key,
            transport=self.transport,
            retries=retries,
            timeout=timeout,
        )


def _context(ctx: typer.Context) -> Context:
    value = ctx.find_root().obj
    assert isinstance(value, Context)
    return value


@app.callback()
def main(
    ctx: typer.Context,
    base_url: Annotated[
        str, typer.Option(envvar="CONFLICT_BASE_URL", help="The service's URL.")
    ] = DEFAULT_BASE_URL,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="CONFLICT_API_KEY", help="Sent as Authorization: Bearer KEY."),
    ] = None,
) -> None:
    state = ctx.obj if isinstance(ctx.obj, Context) else Context()
    state.base_url, state.api_key = base_url, api_key
    ctx.obj = state


def _fail(state: Context, message: str, code: int = 1) -> typer.Exit:
    state.err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _service_error(state: Context, exc: ClientError) -> typer.Exit:
    if isinstance(exc, TransportError):
        return _fail(state, f"cannot reach the service at {state.base_url}: {exc.__cause__}")
    return _fail(state, str(exc))


# -- serve -------------------------------------------------------------------------------------


class Role(StrEnum):
    all = "all"
    api = "api"
    worker = "worker"


@app.command()
def serve(
    role: Annotated[
        Role, typer.Argument(help="all: API and workers; api: HTTP only; worker: workers only.")
    ] = Role.all,
) -> None:
    """Run the service (python -m service ROLE); settings from CONFLICT_* variables or .env."""
    from service.__main__ import main as service_main

    service_main([role.value])


# -- ingest ------------------------------------------------------------------------------------


@dataclass
class Item:
    """One article to post and where it came from (for messages)."""

    origin: str
    article: ArticleIn


@dataclass
class Outcome:
    origin: str
    article_id: int | None = None
    run: RunRead | None = None
    created: bool = False
    error: str | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "failed"
        if self.run is None:
            return "pending"
        return self.run.status.value if self.run.status in FINISHED else "pending"


def _article(origin: str, row: dict[str, Any]) -> Item:
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise typer.BadParameter(f"{origin}: no text")
    published = row.get("published_date") or row.get("date") or None
    values = {
        "text": text,
        "title": row.get("title") or None,
        "url": row.get("url") or None,
        "source": row.get("source") or None,
        "published_date": published,
    }
    try:
        return Item(origin, ArticleIn.model_validate(values))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise typer.BadParameter(f"{origin}: {problems}") from None


def _read_jsonl(path: Path) -> Iterator[Item]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise typer.BadParameter(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise typer.BadParameter(f"{path}:{number}: not a JSON object")
            yield _article(f"{path}:{number}", row)


def _read_csv(path: Path) -> Iterator[Item]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if "text" not in (reader.fieldnames or []):
            raise typer.BadParameter(f"{path}: no 'text' column (columns: text,title,date,url)")
        for row in reader:
            yield _article(f"{path}:{reader.line_num}", row)


def _read_text(path: Path) -> Item:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise typer.BadParameter(f"{path}: not UTF-8 text") from None
    return _article(str(path), {"text": text})


def read_articles(paths: Sequence[Path]) -> list[Item]:
    """Every article of the paths: .txt files (one article each), folders (their .txt files,
    recursively), .jsonl (an object per line) and .csv (a header row) with text, title,
    date (or published_date), url and source. A path that is none of these is a BadParameter."""
    items: list[Item] = []
    for path in paths:
        if path.is_dir():
            texts = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not texts:
                raise typer.BadParameter(f"{path}: folder has no .txt files")
            items.extend(_read_text(p) for p in texts)
        elif not path.exists():
            raise typer.BadParameter(f"{path}: no such file or folder")
        elif path.suffix.lower() == ".jsonl":
            items.extend(_read_jsonl(path))
        elif path.suffix.lower() == ".csv":
            items.extend(_read_csv(path))
        elif path.suffix.lower() in {".txt", ".text", ""}:
            items.append(_read_text(path))
        else:
            raise typer.BadParameter(f"{path}: not a .txt, .jsonl or .csv file, or a folder")
    if not items:
        raise typer.BadParameter("no articles in the given paths")
    return items


class RateColumn(ProgressColumn):
    """Items per second."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f} {self.unit}/s", style="progress.data")


def _progress(console: Console, unit: str = "articles") -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RateColumn(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )


def _post(client: Client, item: Item) -> Outcome:
    outcome = Outcome(item.origin)
    try:
        body = item.article
        accepted = client.post_article(
            body.text,
            title=body.title,
            url=body.url,
            source=body.source,
            published_date=body.published_date,
        )
    except APIError as exc:
        outcome.error = exc.message
        return outcome
    outcome.article_id, outcome.run, outcome.created = (
        accepted.article_id,
        accepted.run,
        accepted.created,
    )
    return outcome


def _follow(
    client: Client,
    outcomes: list[Outcome],
    progress: Progress,
    concurrency: int,
    poll_s: float,
    timeout: float | None,
) -> None:
    """Poll unfinished runs, oldest first, until every one has finished (or ``timeout``).
    Each round stops at the first ``concurrency`` runs still going: the queue is served in
    order, so later runs are not asked about in vain."""
    waiting = [o for o in outcomes if o.status == "pending" and o.run is not None]
    task = progress.add_task("extracted", total=len(waiting))
    deadline = None if timeout is None else time.monotonic() + timeout
    while waiting:
        still: list[Outcome] = []
        for outcome in waiting:
            if len(still) >= concurrency:
                still.append(outcome)
                continue
            assert outcome.run is not None
            outcome.run = client.get_run(outcome.run.id)
            if outcome.status == "pending":
                still.append(outcome)
            else:
                progress.advance(task)
        waiting = still
        if waiting:
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(poll_s)


def _summary(state: Context, outcomes: list[Outcome], waited: bool) -> Counter[str]:
    counts = Counter(o.status for o in outcomes)
    table = Table(title="ingest summary")
    table.add_column("outcome")
    table.add_column("articles", justify="right")
    for status in ("succeeded", "failed", "pending"):
        table.add_row(status, str(counts[status]))
    table.add_row("already stored", str(sum(o.error is None and not o.created for o in outcomes)))
    table.add_row("total", str(len(outcomes)), style="bold")
    state.out.print(table)
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in failed[:20]:
        reason = outcome.error
        if reason is None and outcome.run is not None:
            reason = f"run {outcome.run.id}: {outcome.run.reason or ''} {outcome.run.error or ''}"
        state.out.print(f"[red]failed[/] {outcome.origin}: {reason}", highlight=False)
    if len(failed) > 20:
        state.out.print(f"... and {len(failed) - 20} more failed")
    if not waited and counts["pending"]:
        state.out.print("runs still pending: follow them with `conflict-extract runs`")
    return counts


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            help=".txt files, folders of .txt, .jsonl or .csv (text,title,date,url,source).",
        ),
    ],
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, max=64, help="Requests in flight.")
    ] = 4,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Follow extraction until every run ends.")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option(min=0, help="Give up following runs after this many s.")
    ] = None,
) -> None:
    """Post articles through the service's API and report what became of them."""
    state = _context(ctx)
    items = read_articles(paths)
    with state.client() as client:
        try:
            client.health()
        except ClientError as exc:
            raise _service_error(state, exc) from None
        outcomes: list[Outcome] = []
        try:
            with _progress(state.err) as progress:
                task = progress.add_task("posted", total=len(items))
                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    futures = [pool.submit(_post, client, item) for item in items]
                    for future in as_completed(futures):
                        outcomes.append(future.result())
                        progress.advance(task)
                outcomes.sort(key=lambda o: o.article_id or 0)
                if wait:
                    _follow(client, outcomes, progress, concurrency, state.poll_s, timeout)
        except ClientError as exc:
            raise _service_error(state, exc) from None
    counts = _summary(state, outcomes, wait)
    if counts["failed"]:
        raise typer.Exit(1)


# -- runs --------------------------------------------------------------------------------------


def _since(value: str | None) -> str | None:
    if value is not None:
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(
                f"{value!r} is not an ISO 8601 time", param_hint="--since"
            ) from None
    return value


@runs_app.callback(invoke_without_command=True)
def runs(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="pending, running, succeeded or failed.")
    ] = None,
    article_id: Annotated[int | None, typer.Option(min=1)] = None,
    since: Annotated[str | None, typer.Option(help="Created at or after (ISO time).")] = None,
    reason: Annotated[str | None, typer.Option(help="Failure reason, e.g. poisoned.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List extraction runs, oldest first."""
    if ctx.invoked_subcommand is not None:
        return
    state = _context(ctx)
    table = Table("run", "article", "status", "reason", "attempts", "created", "error")
    shown = 0
    with state.client() as client:
        try:
            found = client.list_runs(
                page_size=min(limit, 500),
                status=status,
                article_id=article_id,
                since=_since(since),
                reason=reason,
            )
            for run in found:
                if shown == limit:
                    break
                shown += 1
                if as_json:
                    state.out.print_json(run.model_dump_json(), indent=None)
                    continue
                table.add_row(
                    str(run.id),
                    str(run.article_id),
                    run.status.value,
                    run.reason.value if run.reason else "",
                    str(run.attempts),
                    run.created_at.isoformat(timespec="seconds"),
                    (run.error or "")[:80],
                )
        except ClientError as exc:
            raise _service_error(state, exc) from None
    if not as_json:
        state.out.print(table)
        state.out.print(f"{shown} run(s)" + (" (--limit reached)" if shown == limit else ""))


@runs_app.command("retry")
def runs_retry(
    ctx: typer.Context,
    article_id: Annotated[int | None, typer.Option(min=1)] = None,
    since: Annotated[str | None, typer.Option(help="Created at or after (ISO time).")] = None,
    reason: Annotated[str | None, typer.Option(help="Only runs failed for this reason.")] = None,
) -> None:
    """Put failed runs (poisoned ones included) back in the queue."""
    state = _context(ctx)
    with state.client() as client:
        try:
            retried = client.retry_runs(article_id=article_id, since=_since(since), reason=reason)
        except ClientError as exc:
            raise _service_error(state, exc) from None
    ids = ", ".join(map(str, retried.run_ids[:50])) + (" ..." if retried.retried > 50 else "")
    state.out.print(f"retried {retried.retried} run(s)" + (f": {ids}" if ids else ""))


# -- export ------------------------------------------------------------------------------------


class Kind(StrEnum):
    events = "events"
    actors = "actors"
    actor_mentions = "actor-mentions"
    figures = "figures"


class Format(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


# Which filter options each kind's list endpoint takes.
FILTERS: dict[Kind, set[str]] = {
    Kind.events: {
        "article_id",
        "run_id",
        "event_type",
        "sub_event_type",
        "actor",
        "actor_id",
        "location",
        "reported_by",
        "date_from",
        "date_to",
        "min_confidence",
        "country",
        "iso",
        "admin1",
        "bbox",
        "fatalities_min",
        "inter",
    },
    Kind.actors: {"name", "actor_type", "article_id", "generic"},
    Kind.actor_mentions: {"article_id", "run_id", "name", "actor_type", "min_confidence"},
    Kind.figures: {
        "article_id",
        "run_id",
        "event_id",
        "category",
        "qualifier",
        "reported_by",
        "min_confidence",
    },
}


@app.command()
def export(
    ctx: typer.Context,
    kind: Annotated[Kind, typer.Argument(help="What to export.")],
    format: Annotated[
        Format, typer.Option("--format", "-f", help="csv (events only) or jsonl.")
    ] = Format.jsonl,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write; '-' for stdout.")
    ] = None,
    article_id: Annotated[int | None, typer.Option(min=1)] = None,
    run_id: Annotated[int | None, typer.Option(min=1)] = None,
    event_id: Annotated[int | None, typer.Option(min=1, help="figures")] = None,
    event_type: Annotated[str | None, typer.Option(help="events")] = None,
    sub_event_type: Annotated[str | None, typer.Option(help="events")] = None,
    actor: Annotated[str | None, typer.Option(help="events: actor name contains")] = None,
    actor_id: Annotated[int | None, typer.Option(min=1, help="events: canonical actor")] = None,
    location: Annotated[str | None, typer.Option(help="events: location contains")] = None,
    reported_by: Annotated[str | None, typer.Option(help="events, figures")] = None,
    date_from: Annotated[str | None, typer.Option(help="events: ISO date")] = None,
    date_to: Annotated[str | None, typer.Option(help="events: ISO date")] = None,
    country: Annotated[str | None, typer.Option(help="events: country of the place")] = None,
    iso: Annotated[str | None, typer.Option(help="events: ISO country code (SY, SYR, 760)")] = None,
    admin1: Annotated[str | None, typer.Option(help="events: admin1 region of the place")] = None,
    bbox: Annotated[
        str | None, typer.Option(help="events: min_lon,min_lat,max_lon,max_lat")
    ] = None,
    fatalities_min: Annotated[
        int | None, typer.Option(min=0, help="events: ACLED fatalities at least")
    ] = None,
    inter: Annotated[
        int | None, typer.Option(min=1, max=8, help="events: an actor of this ACLED inter code")
    ] = None,
    name: Annotated[str | None, typer.Option(help="actors, actor-mentions")] = None,
    actor_type: Annotated[str | None, typer.Option(help="actors, actor-mentions")] = None,
    generic: Annotated[bool | None, typer.Option("--generic/--named", help="actors")] = None,
    category: Annotated[str | None, typer.Option(help="figures, e.g. killed")] = None,
    qualifier: Annotated[str | None, typer.Option(help="figures")] = None,
    min_confidence: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
) -> None:
    """Stream every matching record (all pages) to a file, with the list endpoint's filters.

    Events as CSV (ACLED-like) or JSON Lines; actors, actor-mentions and figures as JSON Lines.
    """
    state = _context(ctx)
    if format.value not in EXPORTS[kind.value]:
        raise typer.BadParameter(f"{kind.value} export only as jsonl", param_hint="--format")
    given = {
        key: value
        for key, value in {
            "article_id": article_id,
            "run_id": run_id,
            "event_id": event_id,
            "event_type": event_type,
            "sub_event_type": sub_event_type,
            "actor": actor,
            "actor_id": actor_id,
            "location": location,
            "reported_by": reported_by,
            "date_from": date_from,
            "date_to": date_to,
            "country": country,
            "iso": iso,
            "admin1": admin1,
            "bbox": bbox,
            "fatalities_min": fatalities_min,
            "inter": inter,
            "name": name,
            "actor_type": actor_type,
            "generic": generic,
            "category": category,
            "qualifier": qualifier,
            "min_confidence": min_confidence,
        }.items()
        if value is not None
    }
    if unknown := sorted(set(given) - FILTERS[kind]):
        options = ", ".join("--" + key.replace("_", "-") for key in unknown)
        raise typer.BadParameter(f"{options} is not a filter of {kind.value}")
    target = out if out is not None else Path(f"{kind.value}.{format.value}")
    to_stdout = str(target) == "-"
    export_kind: ExportKind = kind.value
    export_format: ExportFormat = format.value
    # Written next to the target and renamed when whole: a failed export leaves no cut file.
    partial = target.with_name(f".{target.name}.part")
    try:
        handle = sys.stdout if to_stdout else partial.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise typer.BadParameter(f"{target}: {exc.strerror}", param_hint="--out") from None
    rows, whole = 0, False
    try:
        with state.client(timeout=300.0) as client, _progress(state.err, "rows") as progress:
            task = progress.add_task(f"{kind.value}.{format.value}", total=None)
            lines = client.export_lines(export_kind, export_format, **given)
            for number, line in enumerate(lines):
                handle.write(line)
                if number or format is Format.jsonl:  # the CSV header is not a row
                    rows += 1
                    progress.advance(task)
        whole = True
    except ClientError as exc:
        raise _service_error(state, exc) from None
    finally:
        if not to_stdout:
            handle.close()
            if not whole:
                partial.unlink(missing_ok=True)
    if not to_stdout:
        partial.replace(target)
    where = "stdout" if to_stdout else str(target)
    state.err.print(f"wrote {rows} {kind.value} row(s) to {where}", highlight=False)


# -- pass-through ------------------------------------------------------------------------------


def _pass_through(state: Context, module: str, args: list[str]) -> None:
    """``python -m module args``, with --base-url added when the arguments have none."""
    if "--base-url" not in args and not any(a.startswith("--base-url=") for a in args):
        args = ["--base-url", state.base_url, *args]
    if "--help" in args or "-h" in args:
        args = [a for a in args if not a.startswith("--base-url")]
    code = subprocess.call([sys.executable, "-m", module, *args])
    raise typer.Exit(code)


@app.command(context_settings=PASS_THROUGH, add_help_option=False)
def evals(ctx: typer.Context) -> None:
    """Run the eval sets through the service: python -m evals ARGS (see --help there)."""
    _pass_through(_context(ctx), "evals", list(ctx.args))


@app.command(context_settings=PASS_THROUGH, add_help_option=False)
def bench(ctx: typer.Context) -> None:
    """Benchmark the seed articles through the service: bench/seeds.py ARGS."""
    _pass_through(_context(ctx), "bench.seeds", list(ctx.args))


def run() -> None:
    """The console script."""
    app(obj=Context())


if __name__ == "__main__":
    run()
