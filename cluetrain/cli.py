"""The ``cluetrain`` command line: build the site, run the demo, run the service."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

import click
from rich.console import Console
from rich.live import Live
from rich.text import Text

from cluetrain.build import BuildError, BuildStats, build_site, load_settings

console = Console(stderr=True, soft_wrap=True)


def _progress_line(stats: BuildStats, started: str) -> Text:
    return Text(f"{started}  read {stats.files_read} files, wrote {stats.pages_written}", style="cyan")


def run_build(project_root: Path, overrides: dict | None = None, *, quiet: bool = False) -> BuildStats:
    """Build the site with a live progress line; BuildError becomes a clean CLI error."""
    try:
        settings = load_settings(project_root, overrides)
        if quiet or not console.is_terminal:
            stats = build_site(settings)
        else:
            with Live(_progress_line(BuildStats(), "Building…"), console=console, transient=True) as live:
                stats = build_site(settings, lambda s: live.update(_progress_line(s, "Building…")))
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
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), help="Write the site here instead of output/.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.pass_obj
def build(project: Path, output: Path | None, quiet: bool) -> None:
    """Build content/ into output/ (a complete static site)."""
    overrides = {"OUTPUT_PATH": str(output.resolve())} if output else None
    run_build(project, overrides, quiet=quiet)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.pass_obj
def demo(project: Path, host: str, port: int) -> None:
    """Build the bundled sample site and serve it on http://HOST:PORT/."""
    siteurl = f"http://{host}:{port}"
    stats = run_build(project, {"SITEURL": siteurl, "FEED_DOMAIN": siteurl})
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(stats.output_path))
    with http.server.ThreadingHTTPServer((host, port), handler) as server:
        console.print(f"Serving the sample site on [bold]{siteurl}/[/bold] (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            console.print("Stopped.")
