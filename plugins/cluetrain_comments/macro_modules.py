"""Macro templates imported ``with context`` built once per distinct context instead of once per page.

Jinja runs a template imported with context again on every import: every page of ours imports
``_shell.html`` (base.html) and feedback pages import two or three more, ~30 µs each. A module
behaves only according to the values of the names its templates read from the context, so a
module is reused while those values are the same objects (or equal strings). On top of that, the
``rendered_once`` filter keeps a macro's output per arguments (the site's header and footer).
Both are kept on the Jinja environment, which each generator of each build makes anew: never
shared by two sites, and gone before a page, post or setting can change (they need a full build).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    Template,
    Undefined,
    meta,
    nodes,
    pass_context,
    pass_environment,
)
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateModule
from jinja2.runtime import Macro
from jinja2.utils import missing
from markupsafe import Markup

from cluetrain.output_files import ContentUrls, content_urls

MODULES_ATTRIBUTE = "cluetrain_macro_modules"
NAMES_VARIABLE = "cluetrain_names_read"
BYTECODE_VERSION = 2  # of NameRecordingCodeGenerator's output: a new one must not load code kept by an old one
RENDERED_ATTRIBUTE = "cluetrain_rendered_once"
URLS_ATTRIBUTE = "cluetrain_content_urls"
# A filter or test that takes the context declares the names it reads as this attribute (a tuple); a template
# using one that declares nothing is never shared, since what it reads cannot be known.
CONTEXT_READS_ATTRIBUTE = "context_reads"
_TAKES_CONTEXT = pass_context(lambda context: context).jinja_pass_arg  # how Jinja marks such a function
# Many distinct contexts (RELATIVE_URLS, a resident builder's updates) start the collection afresh.
MAX_MODULES = 64
_MISSING = object()


class NameRecordingCodeGenerator(CodeGenerator):
    """Jinja's code generator, also writing into each template the context names it reads and what it imports."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_names: set[str] = set()
        self.filters_used: set[str] = set()
        self.tests_used: set[str] = set()

    def enter_frame(self, frame: Frame) -> None:
        """As ``jinja2.meta.find_undeclared_variables`` does, during the one compilation there is anyway."""
        super().enter_frame(frame)
        self.read_names.update(param for action, param in frame.symbols.loads.values() if action == "resolve")

    def visit_Filter(self, node: nodes.Filter, frame: Frame) -> None:
        """Jinja's, noting the filter's name (a filter taking the context reads names the text does not show)."""
        self.filters_used.add(node.name)
        super().visit_Filter(node, frame)

    def visit_Test(self, node: nodes.Test, frame: Frame) -> None:
        """Jinja's, noting the test's name (as for filters)."""
        self.tests_used.add(node.name)
        super().visit_Test(node, frame)

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        """The template's code, then ``(names read, templates imported, filters, tests)``.

        A computed template name is recorded as None among the templates imported.
        """
        super().visit_Template(node, frame)
        others = tuple(meta.find_referenced_templates(node))
        recorded = (tuple(sorted(self.read_names)), others, tuple(sorted(self.filters_used)),
                    tuple(sorted(self.tests_used)))
        self.writeline(f"{NAMES_VARIABLE} = {recorded!r}")


def free_names(template: Template, seen: set[str] | None = None) -> frozenset[str] | None:
    """The context names ``template`` and every template it imports or includes read; None if unknown."""
    recorded = template.root_render_func.__globals__.get(NAMES_VARIABLE)
    if recorded is None or None in recorded[1]:
        return None
    known_filters, known_tests = template.environment.filters, template.environment.tests
    names = set(recorded[0])
    for used, known in ((recorded[2], known_filters), (recorded[3], known_tests)):
        for name in used:
            function = known.get(name)
            if getattr(function, "jinja_pass_arg", None) is _TAKES_CONTEXT:
                reads = getattr(function, CONTEXT_READS_ATTRIBUTE, None)
                if reads is None:
                    return None
                names.update(reads)
    seen = set() if seen is None else seen
    seen.add(template.name or "")
    for other in recorded[1]:
        if other not in seen:
            found = free_names(template.environment.get_template(other, template.name), seen)
            if found is None:
                return None
            names |= found
    return frozenset(names)


def _key_part(value: Any) -> Any:
    if type(value) is str:
        return value
    return ("undefined",) if isinstance(value, Undefined) else (id(value),)


class _Kept:
    """The modules of one environment, and the names each template reads."""

    def __init__(self) -> None:
        self.names: dict[str, tuple[str, ...]] = {}
        self.modules: dict[tuple[Any, ...], tuple[TemplateModule, tuple[Any, ...]]] = {}

    def names_of(self, template: Template) -> tuple[str, ...]:
        found = self.names.get(template.name or "")
        if found is None:
            names = free_names(template)
            found = self.names[template.name or ""] = () if names is None else tuple(sorted(names))
        return found


class SharedModuleTemplate(Template):
    """A template whose ``with context`` modules are reused for contexts giving its free names the same values."""

    def make_module(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> TemplateModule:
        """The module for this context: a kept one when the names it reads have the same values."""
        kept: _Kept | None = getattr(self.environment, MODULES_ATTRIBUTE, None)
        if kept is None:
            kept = _Kept()
            setattr(self.environment, MODULES_ATTRIBUTE, kept)
        names = kept.names_of(self) if vars is not None and self.name else ()
        if not names:
            return super().make_module(vars, shared, locals)
        # As Template.new_context: the importer's locals (those already set) over its context.
        own = {name: value for name, value in locals.items() if value is not missing} if locals else {}
        values = [own[name] if name in own else vars.get(name, _MISSING) for name in names]
        # Strings by value, anything else by identity (an id is an int: it never equals a string).
        key = (self.name, shared, *[value if type(value) is str else id(value) for value in values])
        found = kept.modules.get(key)
        if found is None:
            if len(kept.modules) >= MAX_MODULES:
                kept.modules.clear()
            # The values stay referenced with the module, so no other object can take one of their ids.
            found = kept.modules[key] = (super().make_module(vars, shared, locals), values)
        return found[0]


@pass_environment
def rendered_once(environment: Environment, macro: Macro, *args: Any, **state: Any) -> Markup:
    """Jinja filter: ``macro(*args)``, rendered again only for other arguments or another ``state``.

    Arguments and state compare as the same objects (or equal strings): for macros drawn from objects
    that are replaced, never changed, during a build (state names the parts replaced separately, such
    as a post's thread and summary); what the macro reads from the context is part of its module's identity.
    """
    rendered: dict[tuple[Any, ...], tuple[tuple[Any, ...], Markup]] | None = getattr(
        environment, RENDERED_ATTRIBUTE, None)
    if rendered is None:
        rendered = {}
        setattr(environment, RENDERED_ATTRIBUTE, rendered)
    key = (macro.name, *map(_key_part, args))
    # The macro (so its module), arguments and state stay referenced, so none of their ids can be reused.
    now = (macro, *args, *state, *state.values())
    found = rendered.get(key)
    if found is None or not _same(found[0], now):
        found = rendered[key] = (now, Markup(macro(*args)))
    return found[1]


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(x is y or (type(x) is str and x == y) for x, y in zip(a, b, strict=True))


@pass_environment
def content_url(environment: Environment, content: Any) -> str:
    """Jinja filter: ``content.url``, read once per content object (Pelican formats it anew on every read)."""
    urls: ContentUrls | None = getattr(environment, URLS_ATTRIBUTE, None)
    if urls is None:
        urls = ContentUrls()
        setattr(environment, URLS_ATTRIBUTE, urls)
    return urls(content)


def bytecode_cache(settings: Mapping[str, Any]) -> FileSystemBytecodeCache | None:
    """Compiled templates kept in CACHE_PATH (each generator compiles its templates again, every build)."""
    options = repr(sorted(settings.get("JINJA_ENVIRONMENT", {}).items()))
    if not (settings.get("CACHE_CONTENT") and settings.get("LOAD_CONTENT_CACHE")) or " at 0x" in options:
        return None  # caches off, or an option without a stable text (a function): nothing to name the folder by
    # The code depends on the environment's options and this generator besides the source (Jinja's own key).
    digest = hashlib.sha256(f"{BYTECODE_VERSION}|{jinja2.__version__}|{options}".encode()).hexdigest()[:16]
    folder = Path(settings["CACHE_PATH"]) / f"jinja-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    return FileSystemBytecodeCache(str(folder))


def share_modules(generator: Any) -> None:
    """At ``generator_init``: share ``with context`` modules of this generator's templates; offer rendered_once."""
    environment = getattr(generator, "env", None)
    if isinstance(environment, Environment) and environment.template_class is Template:
        environment.code_generator_class = NameRecordingCodeGenerator
        environment.template_class = SharedModuleTemplate
        environment.bytecode_cache = bytecode_cache(generator.settings)
        environment.filters["rendered_once"] = rendered_once
        environment.filters["content_url"] = content_url
        # One URL cache for the build: several generators' templates list the same posts.
        setattr(environment, URLS_ATTRIBUTE, content_urls(generator.context))
