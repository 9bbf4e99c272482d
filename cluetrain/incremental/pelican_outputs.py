"""Pelican's own write calls for one article, page or listing, as ArticlesGenerator/PagesGenerator make them.

Each function mirrors one loop body of ``pelican.generators`` (Pelican 4.12) so that a
single output can be rewritten without running the whole generator (whose tag, category
and author loops are quadratic in the number of posts). The oracle tests hold them to
byte-identical output with a full build.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any

from pelican.generators import ArticlesGenerator, PagesGenerator, PelicanTemplateNotFound

from .fanout import Target, TargetKind, direct_template_outputs
from .writer import SelectiveWriter

Write = Callable[..., None]


def _in_order(dates: list[Any], members: list[Any]) -> list[Any]:
    """``[a for a in dates if a in members]`` without the quadratic membership test."""
    wanted = {id(article) for article in members}
    return [article for article in dates if id(article) in wanted]


def _article(gen: ArticlesGenerator, write: Write, article: Any) -> None:
    if any(article is draft for draft in (*gen.drafts, *gen.drafts_translations)):
        write(article.save_as, gen.get_template(article.template), gen.context, article=article,
              category=article.category, override_output=hasattr(article, "override_save_as"), blog=True,
              all_articles=gen.articles, url=article.url)
        return
    write(article.save_as, gen.get_template(article.template), gen.context, article=article,
          category=getattr(article, "category", None), override_output=hasattr(article, "override_save_as"),
          url=article.url, blog=True)


def _direct(gen: ArticlesGenerator, write: Write, template: str) -> None:
    for name, save_as, url in direct_template_outputs(gen.settings):
        if name == template:
            write(save_as, gen.get_template(template), gen.context, articles=gen.articles, dates=gen.dates,
                  blog=True, template_name=template, page_name=os.path.splitext(save_as)[0], url=url)


def _grouped(kind: str, gen: ArticlesGenerator, write: Write, subject: tuple[Any, list[Any]]) -> None:
    group, articles = subject
    write(group.save_as, gen.get_template(kind), gen.context, url=group.url, articles=articles,
          dates=_in_order(gen.dates, articles), template_name=kind, blog=True, page_name=group.page_name,
          all_articles=gen.articles, **{kind: group})


def _period(gen: ArticlesGenerator, write: Write, period: dict[str, Any]) -> None:
    try:
        template = gen.get_template("period_archives")
    except PelicanTemplateNotFound:
        template = gen.get_template("archives")
    context = gen.context.copy()
    context["period"] = period["period"]
    context["period_num"] = period["period_num"]
    write(period["save_as"], template, context, articles=period["articles"], dates=period["dates"],
          template_name="period_archives", blog=True, url=period["url"], all_articles=gen.articles)


def _page(gen: PagesGenerator, writer: SelectiveWriter, page: Any) -> None:
    writer.write_file(page.save_as, gen.get_template(page.template), gen.context, page=page,
                      relative_urls=gen.settings["RELATIVE_URLS"], override_output=hasattr(page, "override_save_as"),
                      url=page.url)


def render_target(target: Target, writer: SelectiveWriter, articles: ArticlesGenerator,
                  pages: PagesGenerator) -> None:
    """Write ``target``'s outputs exactly as the full build's generators would."""
    write = partial(writer.write_file, relative_urls=articles.settings["RELATIVE_URLS"])
    match target.kind:
        case TargetKind.ARTICLE:
            _article(articles, write, target.subject)
        case TargetKind.PAGE:
            _page(pages, writer, target.subject)
        case TargetKind.DIRECT:
            _direct(articles, write, target.subject)
        case TargetKind.TAG | TargetKind.CATEGORY | TargetKind.AUTHOR:
            _grouped(target.kind.value, articles, write, target.subject)
        case TargetKind.PERIOD:
            _period(articles, write, target.subject)
        case TargetKind.FEEDS:
            articles.generate_feeds(writer)  # the writer builds only the selected feeds
        case _:
            raise ValueError(f"not a Pelican target: {target.kind}")
