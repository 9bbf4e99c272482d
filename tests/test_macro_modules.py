"""Macro templates imported with context are shared between pages only when what they read is the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import DictLoader, Environment, pass_context

from plugins.cluetrain_comments.macro_modules import (
    MODULES_ATTRIBUTE,
    NameRecordingCodeGenerator,
    SharedModuleTemplate,
    free_names,
)
from tests.conftest import Site

TEMPLATES = {
    "_m.html": '{% import "_inner.html" as inner with context %}'
               '{% macro link(x) %}<a href="{{ SITEURL }}/{{ x }}">{{ inner.who() }}</a>{% endmacro %}',
    "_inner.html": "{% macro who() %}{{ author or 'nobody' }}{% endmacro %}",
    "page.html": '{% import "_m.html" as m with context %}{{ m.link(slug) }}',
}


def _environment() -> Environment:
    environment = Environment(loader=DictLoader(TEMPLATES), autoescape=True)
    environment.template_class = SharedModuleTemplate
    environment.code_generator_class = NameRecordingCodeGenerator
    return environment


def test_free_names_include_imported_templates() -> None:
    environment = _environment()
    assert free_names(environment.get_template("_m.html")) == {"SITEURL", "author"}
    assert free_names(environment.get_template("page.html")) == {"SITEURL", "author", "slug"}


def test_a_template_importing_a_computed_name_is_never_shared() -> None:
    environment = _environment()
    environment.loader.mapping["_dyn.html"] = (  # type: ignore[union-attr]
        "{% import which as m with context %}{% macro go() %}{{ m.link('x') }}{% endmacro %}")
    page = environment.from_string('{% import "_dyn.html" as d with context %}{{ d.go() }}')
    assert free_names(environment.get_template("_dyn.html")) is None
    for siteurl in ("a", "a", "b"):
        assert page.render(which="_m.html", SITEURL=siteurl) == f'<a href="{siteurl}/x">nobody</a>'
    assert not [key for key in getattr(environment, MODULES_ATTRIBUTE).modules if key[0] == "_dyn.html"]


def _context_filter_environment(declared: tuple[str, ...] | None) -> Environment:
    @pass_context
    def greet(context: Any, name: str) -> str:
        return f"{context.get('GREETING', 'Hi')} {name}"

    if declared is not None:
        greet.context_reads = declared  # type: ignore[attr-defined]
    environment = _environment()
    environment.filters["greet"] = greet
    environment.loader.mapping["_g.html"] = "{% macro hello(x) %}{{ x|greet }}{% endmacro %}"  # type: ignore[union-attr]
    environment.loader.mapping["greeting.html"] = (  # type: ignore[union-attr]
        '{% import "_g.html" as g with context %}{{ g.hello(slug) }}')
    return environment


def test_a_filter_taking_the_context_counts_what_it_declares_it_reads() -> None:
    environment = _context_filter_environment(("GREETING",))
    assert free_names(environment.get_template("_g.html")) == {"GREETING"}
    page = environment.get_template("greeting.html")
    assert page.render(GREETING="Hello", slug="Ann") == "Hello Ann"
    assert page.render(GREETING="Bye", slug="Ann") == "Bye Ann"  # another value, another module


def test_a_template_using_a_context_filter_that_declares_nothing_is_never_shared() -> None:
    environment = _context_filter_environment(None)
    assert free_names(environment.get_template("_g.html")) is None
    page = environment.get_template("greeting.html")
    assert page.render(GREETING="Hello", slug="Ann") == "Hello Ann"
    assert page.render(GREETING="Bye", slug="Ann") == "Bye Ann"  # the filter's read is not known: built anew
    assert not [key for key in getattr(environment, MODULES_ATTRIBUTE).modules if key[0] == "_g.html"]


def test_the_site_s_context_filters_declare_what_they_read() -> None:
    from plugins.cluetrain_feedback.cards import feedback_card
    from plugins.cluetrain_feedback.structured_data import feedback_jsonld
    from plugins.cluetrain_seo.structured_data import jsonld

    for function in (feedback_card, feedback_jsonld, jsonld):
        assert isinstance(function.context_reads, tuple) and function.context_reads


def test_modules_follow_the_values_they_read() -> None:
    environment = _environment()
    page = environment.get_template("page.html")
    assert page.render(SITEURL="https://a", slug="one") == '<a href="https://a/one">nobody</a>'
    assert page.render(SITEURL="https://a", slug="two", other=object()) == '<a href="https://a/two">nobody</a>'
    assert page.render(SITEURL="..", slug="two") == '<a href="../two">nobody</a>'
    assert page.render(SITEURL="..", slug="two", author="<Ann>") == '<a href="../two">&lt;Ann&gt;</a>'
    kept = getattr(environment, MODULES_ATTRIBUTE)
    # Per template: SITEURL "https://a", then "..", then ".." with an author (the slug is not read by _m.html).
    assert len([key for key in kept.modules if key[0] == "_m.html"]) == 3


def test_objects_compare_by_identity() -> None:
    class Author:
        def __init__(self, name: str) -> None:
            self.name = name

        def __str__(self) -> str:
            return self.name

    environment = _environment()
    page = environment.get_template("page.html")
    first, second = Author("Ann"), Author("Bo")
    assert page.render(SITEURL="", slug="x", author=first) == '<a href="/x">Ann</a>'
    first.name = "Ann B."  # changed in place: the kept module reads it at call time
    assert page.render(SITEURL="", slug="x", author=first) == '<a href="/x">Ann B.</a>'
    assert page.render(SITEURL="", slug="x", author=second) == '<a href="/x">Bo</a>'


def test_rendered_once_follows_arguments_and_state() -> None:
    from plugins.cluetrain_comments.macro_modules import rendered_once

    environment = Environment(loader=DictLoader({
        "_card.html": "{% macro card(x) %}{{ x }}:{{ count() }}{% endmacro %}",
        "page.html": '{% import "_card.html" as c with context %}{{ c.card|rendered_once(name, thread=thread) }}',
    }), autoescape=True)
    environment.template_class = SharedModuleTemplate
    environment.code_generator_class = NameRecordingCodeGenerator
    environment.filters["rendered_once"] = rendered_once
    calls: list[int] = []
    environment.globals["count"] = lambda: calls.append(1) or len(calls)
    page = environment.get_template("page.html")
    first, second = object(), object()
    assert page.render(name="a", thread=first) == "a:1"
    assert page.render(name="a", thread=first) == "a:1"  # same argument, same state: kept
    assert page.render(name="b", thread=first) == "b:2"
    assert page.render(name="a", thread=second) == "a:3"  # the state was replaced: drawn again
    assert page.render(name="<a>", thread=second) == "&lt;a&gt;:4"


def test_compiled_templates_are_kept_per_environment_options(tmp_path: Path) -> None:
    from plugins.cluetrain_comments.macro_modules import bytecode_cache

    settings = {"CACHE_PATH": str(tmp_path), "CACHE_CONTENT": True, "LOAD_CONTENT_CACHE": True,
                "JINJA_ENVIRONMENT": {"trim_blocks": True}}
    first = bytecode_cache(settings)
    assert first is not None
    other = bytecode_cache({**settings, "JINJA_ENVIRONMENT": {"trim_blocks": False}})
    assert other is not None and other.directory != first.directory
    assert bytecode_cache({**settings, "LOAD_CONTENT_CACHE": False}) is None
    assert bytecode_cache({**settings, "JINJA_ENVIRONMENT": {"finalize": lambda value: value}}) is None
    for _build in range(2):  # compiled, then loaded from the cache: the names read come along
        environment = _environment()
        environment.bytecode_cache = bytecode_cache(settings)
        assert free_names(environment.get_template("page.html")) == {"SITEURL", "author", "slug"}
        assert environment.get_template("page.html").render(SITEURL="s", slug="x") == '<a href="s/x">nobody</a>'
    assert len(list(Path(first.directory).iterdir())) == 3


def test_the_importers_locals_count() -> None:
    environment = _environment()
    page = environment.from_string(
        '{% for author in people %}{% import "_inner.html" as i with context %}{{ i.who() }};{% endfor %}'
        '{% import "_inner.html" as i with context %}{{ i.who() }}')
    assert page.render(people=["Ann", "Bo", "Ann"], author="top") == "Ann;Bo;Ann;top"


def test_content_url_reads_each_url_once() -> None:
    from plugins.cluetrain_comments.macro_modules import content_url

    class Post:
        reads = 0

        @property
        def url(self) -> str:
            Post.reads += 1
            return "posts/a/"

    environment = _environment()
    environment.filters["content_url"] = content_url
    page = environment.from_string("{{ post|content_url }}")
    post = Post()
    assert [page.render(post=post) for _ in range(3)] == ["posts/a/"] * 3
    assert Post.reads == 1


def test_a_build_reads_each_post_url_once_for_all_its_generators(site: Site) -> None:
    from cluetrain.output_files import CONTENT_URLS_CONTEXT_KEY
    from plugins.cluetrain_comments.macro_modules import URLS_ATTRIBUTE
    from tests.incremental_helpers import populate, resident

    populate(site, posts=5, items=2)
    pelican = resident(site).pelican
    shared = pelican.context[CONTENT_URLS_CONTEXT_KEY]
    environments = [generator.env for generator in pelican.generators if hasattr(generator, "env")]
    assert len(environments) > 1
    assert all(getattr(environment, URLS_ATTRIBUTE) is shared for environment in environments)
    post = pelican.context["articles"][0]
    assert shared(post) == post.url
