"""A Pelican Writer that renders only selected outputs and replaces files atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pelican.paginator import Paginator
from pelican.plugins import signals
from pelican.utils import get_relative_path, path_to_url, sanitised_join
from pelican.writers import Writer

from cluetrain.output_files import OutputSelection, replace_file


class SelectiveWriter(Writer):
    """Writes a file only when its path (relative to OUTPUT_PATH) is in ``selection``.

    Mirrors :meth:`pelican.writers.Writer.write_file` (Pelican 4.12), including pagination,
    but renders only the selected pages of a paginated listing. The oracle tests compare
    its output with a full build byte for byte, so any drift from Pelican shows there.
    """

    def __init__(self, output_path: str, settings: dict[str, Any], selection: OutputSelection) -> None:
        super().__init__(output_path, settings=settings)
        self.selection = selection
        self.written: list[str] = []

    def _emit(self, relative: str, text: str, context: dict[str, Any]) -> None:
        path = sanitised_join(self.output_path, relative)
        replace_file(Path(path), text.encode("utf-8"))
        self.written.append(relative)
        signals.content_written.send(path, context=context)

    def write_feed(self, elements: Any, context: dict[str, Any], path: str | None = None, url: str | None = None,
                   feed_type: str = "atom", override_output: bool = False, feed_title: str | None = None) -> Any:
        """Build and write the feed at ``path`` only if selected."""
        if not path or not self.selection.wants(path):
            return None
        self.site_url = context.get("SITEURL", path_to_url(get_relative_path(path)))
        self.feed_domain = context.get("FEED_DOMAIN")
        self.feed_url = self.urljoiner(self.feed_domain, url or path)
        feed = self._create_new_feed(feed_type, feed_title, context)
        for element in elements[: self.settings["FEED_MAX_ITEMS"]]:
            self._add_item_to_the_feed(feed, element)
        signals.feed_generated.send(context, feed=feed)
        self._emit(path, feed.writeString("utf-8"), context)
        return feed

    def write_file(self, name: Any, template: Any, context: dict[str, Any], relative_urls: bool = False,
                   paginated: dict[str, Any] | None = None, template_name: str | None = None,
                   override_output: bool = False, url: str | None = None, **kwargs: Any) -> None:
        """Render ``template`` for each selected output of ``name`` (each selected page when paginated)."""
        if not name:
            return
        if paginated is None:
            paginated = {key: val for key, val in kwargs.items() if key in {"articles", "dates"}}
        if not (paginated and template_name in self.settings["PAGINATED_TEMPLATES"]):
            if self.selection.wants(name):
                self._render(template, context, name, kwargs, relative_urls)
            return
        per_page = self.settings["PAGINATED_TEMPLATES"][template_name] or self.settings["DEFAULT_PAGINATION"]
        paginators = {key: Paginator(name, url, val, self.settings, per_page) for key, val in paginated.items()}
        first = next(iter(paginators.values()))
        for page_num in range(first.num_pages):
            if not self.selection.wants(first.page(page_num + 1).save_as):
                continue
            page_kwargs = kwargs.copy()
            for key, paginator in paginators.items():
                page = paginator.page(page_num + 1)
                page_kwargs.update({
                    f"{key}_paginator": paginator,
                    f"{key}_page": page,
                    f"{key}_previous_page": paginator.page(page_num) if page_num > 0 else None,
                    f"{key}_next_page": paginator.page(page_num + 2) if page_num + 1 < paginator.num_pages else None,
                })
            self._render(template, context, page.save_as, page_kwargs, relative_urls)

    def _render(self, template: Any, context: dict[str, Any], name: str, kwargs: dict[str, Any],
                relative_urls: bool) -> None:
        local = context.copy()
        local["localsiteurl"] = local.get("localsiteurl", None)
        if relative_urls:
            relative_url = path_to_url(get_relative_path(name))
            local["SITEURL"] = relative_url
            local["localsiteurl"] = relative_url
        local["output_file"] = name
        local.update(kwargs)
        if local["localsiteurl"]:
            context["localsiteurl"] = local["localsiteurl"]
        self._emit(name, template.render(local), local)


def remove_outputs(output_path: str | Path, relatives: set[str]) -> list[str]:
    """Delete outputs whose content is gone (and folders left empty): a fresh full build would not have them."""
    root = Path(output_path).resolve()
    removed = []
    for relative in sorted(relatives):
        path = Path(sanitised_join(str(root), relative))
        if not path.is_file():
            continue
        path.unlink()
        removed.append(relative)
        folder = path.parent
        while folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return removed
