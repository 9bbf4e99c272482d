"""The ``cluetrain`` command line: build the site, run the demo, run the service."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cluetrain.build import BuildError, BuildStats, build_site, load_settings

console = Console(stderr=True, soft_wrap=True)


def _build_with_progress(settings: dict) -> BuildStats:
    """A full build with a live line: files read, pages written, time elapsed."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Building")

        def show(stats: BuildStats) -> None:
            progress.update(task, description=f"Building: read {stats.files_read} files, wrote {stats.pages_written}")

        return build_site(settings, show)


def run_build(project_root: Path, overrides: dict | None = None, *, quiet: bool = False) -> BuildStats:
    """Build the site with a live progress line; BuildError becomes a clean CLI error."""
    try:
        settings = load_settings(project_root, overrides)
        if quiet or not console.is_terminal:
            stats = build_site(settings)
        else:
            stats = _build_with_progress(settings)
    except BuildError as exc:
        for problem in exc.problems:
            console.print(f"[red]error:[/red] {problem}", highlight=False, markup=True)
        raise click.ClickException(f"build failed with {len(exc.problems)} problem(s)") from exc
    if not quiet:
        console.print(stats.summary(), highlight=False)
    return stats


@click.group()
@click.option(
    "--project",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (holds pelicanconf.py and content/).",
)
@click.pass_context
def main(ctx: click.Context, project: Path) -> None:
    """Cluetrain: a static blog and feedback hub with moderated comments."""
    ctx.obj = project.resolve()


@main.command()
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Write the site here instead of output/.")
@click.option("--site-url", help="The public origin to build for (SITEURL), e.g. https://blog.example.com.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.pass_obj
def build(project: Path, output: Path | None, site_url: str | None, quiet: bool) -> None:
    """Build content/ into output/ (a complete static site)."""
    overrides = _site_overrides(site_url.rstrip("/") if site_url else None)
    if output:
        overrides["OUTPUT_PATH"] = str(output.resolve())
    run_build(project, overrides, quiet=quiet)


@main.command()
@click.pass_obj
def reindex(project: Path) -> None:
    """Build the site and index every document again, in one commit (searches keep working meanwhile)."""
    import blinker
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from cluetrain.search import INDEX_PROGRESS_SIGNAL, INDEX_REPORT_SIGNAL

    reports = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("Reading the site…", total=None)

        def advance(_sender: object, done: int, total: int) -> None:
            progress.update(task, description="Indexing", completed=done, total=total)

        def reported(_sender: object, report: object) -> None:
            reports.append(report)

        progress_signal, report_signal = blinker.signal(INDEX_PROGRESS_SIGNAL), blinker.signal(INDEX_REPORT_SIGNAL)
        progress_signal.connect(advance, weak=False)
        report_signal.connect(reported, weak=False)
        try:
            stats = run_build(project, {"SEARCH_REINDEX": True}, quiet=True)
        finally:
            progress_signal.disconnect(advance)
            report_signal.disconnect(reported)
    console.print(stats.summary(), highlight=False)
    if not reports:
        raise click.ClickException("nothing was indexed: SEARCH_INDEX_PATH is None "
                                   "or cluetrain_search is not in PLUGINS")
    console.print(reports[-1].summary(), highlight=False)


def _resident_builder(project: Path, overrides: dict, fence):
    """The incremental builder for ``project``, after its first (full) build; BuildError becomes a CLI error."""
    from cluetrain.incremental import IncrementalBuilder

    builder = IncrementalBuilder(project, overrides, fence=fence)
    try:
        with console.status("Building…", spinner="dots"):
            report = builder.site.full_build("start")
    except BuildError as exc:
        for problem in exc.problems:
            console.print(f"[red]error:[/red] {problem}", highlight=False, markup=True)
        raise click.ClickException(f"build failed with {len(exc.problems)} problem(s)") from exc
    console.print(f"Built {len(report.written)} files in {report.seconds:.2f} s; the builder stays resident "
                  "and rewrites only what each approval changes.", highlight=False)
    return builder


def _create_service(project: Path, overrides: dict, service_config: dict | None = None):
    """The service app for ``project`` with a resident incremental builder; config errors become CLI errors."""
    import os

    from comments_service import ConfigError
    from comments_service.config import load_settings

    config = {"PROJECT_ROOT": str(project), **(service_config or {})}
    try:
        embedded = load_settings(project / "instance", os.environ, config)["EMBEDDED_BUILDER"]
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc
    if not embedded:  # a separate `cluetrain builder` builds the site (see README "Production")
        return _service_app(config, None)
    from cluetrain.builder_process import BuilderActive, claim_for_embedded, release_embedded

    # The embedded builder is the one active builder too: a `cluetrain builder` beside it would
    # make two writers of output/.
    try:
        lease = claim_for_embedded(project, config)
    except BuilderActive as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        app = _service_app(config, _resident_builder(project, overrides, lease.lease.holds))
    except BaseException:
        release_embedded(lease)
        raise
    app.extensions["cluetrain_builder_lease"] = lease
    return app


def _service_app(config: dict, builder):
    from comments_service import ConfigError, create_app

    try:
        return create_app(config, builder=builder)
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc


def wsgi_app():
    """The service for gunicorn; each worker stands by to build unless ``EMBEDDED_BUILDER`` is off."""
    import os

    from comments_service import create_app
    from comments_service.config import load_settings

    project = Path.cwd()
    settings = load_settings(project / "instance", os.environ, {"PROJECT_ROOT": str(project)})
    app = create_app({"PROJECT_ROOT": str(project)}, builder=None)  # workers hand builds over through the database
    if settings["EMBEDDED_BUILDER"]:
        # Each worker stands ready to build; the one holding the builder lease builds (so `-w N` is safe, and a
        # `cluetrain builder` beside them is one more standby). Off: only `cluetrain builder` processes build.
        from cluetrain.builder_process import start_in_worker
        from cluetrain.incremental import IncrementalBuilder

        start_in_worker(project, lambda fence: IncrementalBuilder(project, {}, fence=fence))
    return app


def _serve(app, host: str, port: int, banner: str) -> None:
    from werkzeug.serving import make_server

    server = make_server(host, port, app, threaded=True)
    console.print(banner, highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        server.server_close()
        app.extensions["cluetrain"].stop()
        if (lease := app.extensions.get("cluetrain_builder_lease")) is not None:
            from cluetrain.builder_process import release_embedded

            release_embedded(lease)


def _site_overrides(site_url: str | None) -> dict:
    return {"SITEURL": site_url, "FEED_DOMAIN": site_url} if site_url else {}


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--site-url", help="Build with this SITEURL instead of pelicanconf.py's (e.g. http://HOST:PORT).")
@click.pass_obj
def serve(project: Path, host: str, port: int, site_url: str | None) -> None:
    """Build the site, then run the comments service (and serve output/) on HOST:PORT."""
    overrides = _site_overrides(site_url)
    app = _create_service(project, overrides)
    _serve(app, host, port, f"Comments service on [bold]http://{host}:{port}/[/bold] (Ctrl-C to stop)")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.pass_obj
def demo(project: Path, host: str, port: int) -> None:
    """Build the bundled sample site and run it with the comments service on http://HOST:PORT/."""
    import secrets

    from comments_service.auth import set_password

    siteurl = f"http://{host}:{port}"
    overrides = _site_overrides(siteurl)
    app = _create_service(project, overrides, {"SESSION_COOKIE_SECURE": False, "SITE_URL": siteurl})
    password = secrets.token_urlsafe(12)
    with app.extensions["cluetrain"].database.write() as session:
        set_password(session, "demo", password)
    _serve(app, host, port, f"Serving the sample site on [bold]{siteurl}/[/bold] (Ctrl-C to stop)\n"
                            f"Moderate at {siteurl}/moderate/ as [bold]demo[/bold] / [bold]{password}[/bold]")


@main.command("builder")
@click.option("--site-url", help="Build with this SITEURL instead of pelicanconf.py's (e.g. https://blog.example.com).")
@click.pass_obj
def builder_command(project: Path, site_url: str | None) -> None:
    """Build the site for service workers that run without one (only one builder is active at a time)."""
    import logging

    from cluetrain.builder_process import run_builder
    from cluetrain.incremental import IncrementalBuilder
    from comments_service import ConfigError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides = _site_overrides(site_url.rstrip("/") if site_url else None)
    try:
        run_builder(project, lambda fence: IncrementalBuilder(project, overrides, fence=fence))
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc


def _database(project: Path):
    from comments_service import ConfigError, open_database

    try:
        return open_database(project)
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc


@main.group()
def token() -> None:
    """Manage tokens for the moderation JSON API."""


@token.command("create")
@click.option("--name", default="api", show_default=True, help="A label, recorded in the audit log as token:NAME.")
@click.pass_obj
def token_create(project: Path, name: str) -> None:
    """Create an API token and print it (last line); only its hash is stored."""
    from comments_service.auth import create_token

    with _database(project).write() as session:
        value = create_token(session, name)
    console.print(f"Created API token {name!r}. Send it as 'Authorization: Bearer TOKEN'. It is shown only once:")
    click.echo(value)


@main.group()
def moderator() -> None:
    """Manage moderator accounts."""


@moderator.command("add")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
@click.pass_obj
def moderator_add(project: Path, username: str, password_stdin: bool) -> None:
    """Create a moderator account (the password is stored as an Argon2id hash)."""
    from comments_service.auth import ModeratorExists, add_moderator

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _database(project).write() as session:
            add_moderator(session, username, password)
    except (ModeratorExists, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"Moderator {username!r} added.")
