"""A Pelican that stays resident: it keeps its generators and context after a full build."""

from __future__ import annotations

import os
from typing import Any

from pelican import Pelican, signals
from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.plugins._utils import get_plugin_name
from pelican.utils import clean_output_dir

COMMENTS_PLUGIN = "cluetrain_comments"


class ResidentPelican(Pelican):
    """``Pelican.run`` (4.12) minus the summary, keeping ``generators`` and ``context`` for incremental updates."""

    def __init__(self, settings: dict[str, Any], extra_context: dict[str, Any]) -> None:
        self.extra_context = extra_context
        self.generators: list[Any] = []
        self.context: dict[str, Any] = {}
        super().__init__(settings)

    def run(self) -> None:
        """Read everything and write everything, as ``pelican`` does."""
        context = self.settings.copy()
        context["generated_content"] = {}
        context["static_links"] = set()
        context["static_content"] = {}
        context["localsiteurl"] = self.settings["SITEURL"]
        context.update(self.extra_context)
        generators = [
            cls(context=context, settings=self.settings, path=self.path, theme=self.theme,
                output_path=self.output_path)
            for cls in self._get_generator_classes()
        ]
        if self.delete_outputdir and os.path.commonpath([os.path.realpath(self.output_path)]) != os.path.commonpath(
            [os.path.realpath(self.output_path), os.path.realpath(self.path)]
        ):
            clean_output_dir(self.output_path, self.output_retention)
        for generator in generators:
            if hasattr(generator, "generate_context"):
                generator.generate_context()
            if hasattr(generator, "check_disabled_readers"):
                generator.check_disabled_readers()
        signals.all_generators_finalized.send(generators)
        for generator in generators:
            if hasattr(generator, "refresh_metadata_intersite_links"):
                generator.refresh_metadata_intersite_links()
        writer = self._get_writer()
        for generator in generators:
            if hasattr(generator, "generate_output"):
                generator.generate_output(writer)
        signals.finalized.send(self)
        self.generators, self.context = generators, context

    def plugin(self, name: str) -> Any:
        """A loaded plugin module by name (the build driver does not import plugins itself)."""
        for plugin in self.plugins:
            if get_plugin_name(plugin) == name:
                return plugin
        raise LookupError(f"plugin {name} is not in PLUGINS")

    @property
    def articles(self) -> ArticlesGenerator:
        return next(g for g in self.generators if isinstance(g, ArticlesGenerator))

    @property
    def pages(self) -> PagesGenerator:
        return next(g for g in self.generators if isinstance(g, PagesGenerator))

    @property
    def feedback(self) -> Any | None:
        """The feedback hub's generator, if that plugin is on."""
        return next((g for g in self.generators if hasattr(g, "page_members")), None)

    def plugin_generators(self) -> list[Any]:
        """Our plugins' generators (feeds, manifest, sitemap, hub, search): they honour an output selection."""
        return [g for g in self.generators
                if hasattr(g, "generate_output") and type(g).__module__.split(".")[0].startswith("cluetrain_")]
