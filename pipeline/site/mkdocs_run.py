"""One MkDocs build of a few pages: the pages of one shard (or the hub pages) linked into a
small docs folder of their own, with every page or file they link to elsewhere in the site
known to MkDocs as an excluded stub, so links are still resolved to addresses and checked
(a link to a page that exists nowhere fails the strict build) without reading the rest."""

from __future__ import annotations

import logging
import posixpath
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline import paths

_MD_LINK = re.compile(r"\]\(([^)\s#]+)")
_HREF = re.compile(r'href="([^"#]+)')


def page_html(rel: str) -> str:
    """The built page of the Markdown page ``rel`` with directory URLs (``reports/x.md`` →
    ``reports/x/index.html``, ``browse/index.md`` → ``browse/index.html``)."""
    stem = rel[: -len(".md")]
    return f"{stem}.html" if stem == "index" or stem.endswith("/index") else f"{stem}/index.html"


def link_targets(rel: str, text: str) -> set[str]:
    """Paths (relative to the docs folder) that the page ``rel`` links to."""
    base = posixpath.dirname(rel)
    out = set()
    for m in (*_MD_LINK.finditer(text), *_HREF.finditer(text)):
        target = m.group(1)
        if ":" in target or target.startswith("/"):
            continue
        out.add(posixpath.normpath(posixpath.join(base, target)))
    return out


class _Bytecode:
    """Compiled theme templates kept for the life of this process: a process that builds many
    shards compiles Material's templates once, not once per build."""

    cache: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.cache is None:
            import jinja2

            class Memory(jinja2.BytecodeCache):
                def __init__(self) -> None:
                    self.store: dict[str, bytes] = {}

                def load_bytecode(self, bucket: Any) -> None:
                    if bucket.key in self.store:
                        bucket.bytecode_from_string(self.store[bucket.key])

                def dump_bytecode(self, bucket: Any) -> None:
                    self.store[bucket.key] = bucket.bytecode_to_string()

            cls.cache = Memory()
        return cls.cache


def _stub_plugin(stubs: Iterable[str], pages_only: bool) -> Any:
    from mkdocs.plugins import BasePlugin
    from mkdocs.structure.files import File, Files, InclusionLevel

    class Stubs(BasePlugin):
        def on_env(self, env: Any, config: Any, files: Any) -> Any:
            env.bytecode_cache = _Bytecode.get()
            return env

        def on_files(self, files: Files, config: Any) -> Files:
            # A shard makes only its pages: the theme's files come from the hub build.
            kept = [f for f in files if f.is_documentation_page()] if pages_only else list(files)
            have = {f.src_uri for f in kept}
            for src in sorted(set(stubs) - have):
                kept.append(
                    File.generated(config, src, content=b"", inclusion=InclusionLevel.EXCLUDED)
                )
            return Files(kept)

    return Stubs()


_THREAD = threading.local()


def _skip_theme_files_in_shards() -> None:
    """A shard makes only its pages (the theme's files come from the hub build), but MkDocs
    lists every file of the theme for each build before any plugin can drop them: 0.4 s of a
    shard's 2-4 s. Listing is skipped while this thread builds a shard (a Dask worker may run
    builds in threads, so the flag is per thread)."""
    from mkdocs.structure.files import Files

    listing = Files.add_files_from_theme
    if getattr(listing, "shard_aware", False):
        return

    def add_files_from_theme(self: Files, env: Any, config: Any) -> None:
        if not getattr(_THREAD, "pages_only", False):
            listing(self, env, config)

    add_files_from_theme.shard_aware = True  # type: ignore[attr-defined]
    Files.add_files_from_theme = add_files_from_theme  # type: ignore[method-assign]


def _reuse_markdown_per_build() -> None:
    """MkDocs makes a new Markdown converter for every page, with its extensions set up again:
    a quarter of a report page's conversion now that most of the page is finished HTML. Here
    a thread keeps one converter for the build it runs (its config object), reset before each
    page (``Markdown.reset``, which the extensions with state implement), and gives it each
    page's own processors as MkDocs does (registered under the same names, replacing the last
    page's). The same HTML, checked in the tests; MkDocs 1.6 is the last 1.x (pinned)."""
    import markdown
    from mkdocs.structure import pages
    from mkdocs.structure.toc import get_toc

    render = pages.Page.render
    if getattr(render, "reuses_markdown", False):
        return

    def render_page(self: Any, config: Any, files: Any) -> None:
        if self.markdown is None:
            raise RuntimeError("`markdown` field hasn't been set (via `read_source`)")
        held = getattr(_THREAD, "markdown", None)
        if held is None or held[0] is not config:
            md = markdown.Markdown(
                extensions=config["markdown_extensions"],
                extension_configs=config["mdx_configs"] or {},
            )
            _THREAD.markdown = held = (config, md)
        md = held[1]
        md.reset()
        raw_html_ext = pages._RawHTMLPreprocessor()
        raw_html_ext._register(md)
        extract_anchors_ext = pages._ExtractAnchorsTreeprocessor(self.file, files, config)
        extract_anchors_ext._register(md)
        relative_path_ext = pages._RelativePathTreeprocessor(self.file, files, config)
        relative_path_ext._register(md)
        extract_title_ext = pages._ExtractTitleTreeprocessor()
        extract_title_ext._register(md)
        self.content = md.convert(self.markdown)
        self.toc = get_toc(getattr(md, "toc_tokens", []))
        self._title_from_render = extract_title_ext.title
        self.present_anchor_ids = (
            extract_anchors_ext.present_anchor_ids | raw_html_ext.present_anchor_ids
        )
        if pages.log.getEffectiveLevel() > logging.DEBUG:
            self.links_to_anchors = relative_path_ext.links_to_anchors

    render_page.reuses_markdown = True  # type: ignore[attr-defined]
    render_page.mkdocs_render = render  # type: ignore[attr-defined]
    pages.Page.render = render_page  # type: ignore[method-assign]


_RAW_HTML = re.compile(r"<!--raw-html:(.*?)-->", re.S)
_PAGE_HREF = re.compile(r'href="([^":#/][^":#]*\.md)(#[^"]*)?"')


def put_back_raw_html(html: str, resolve: Callable[[str], str] | None = None) -> str:
    """The page's HTML with each block carried past Markdown as a comment put back; with
    ``resolve``, its links to the site's Markdown files (``href="../reports/x.md"``) turned
    into addresses as Markdown's own links are."""

    def block(m: re.Match[str]) -> str:
        body = m.group(1)
        if resolve is None:
            return body
        return _PAGE_HREF.sub(lambda h: f'href="{resolve(h.group(1))}{h.group(2) or ""}"', body)

    return _RAW_HTML.sub(block, html) if "<!--raw-html:" in html else html


def _raw_html_plugin() -> Any:
    """Put back the blocks of finished HTML the page templates carried past Markdown as comments
    (``pipeline.pages.render.raw_html``), their links to pages made addresses relative to the
    page, as MkDocs does for Markdown links (a link to a page that is not in the build fails
    it, as a strict build does). A link that climbs above the docs folder is one written from
    the page's address already (a report's Markdown download), and is left as it is."""
    from mkdocs.exceptions import PluginError
    from mkdocs.plugins import BasePlugin

    class RawHtml(BasePlugin):
        def on_page_content(self, html: str, page: Any, config: Any, files: Any) -> str:
            here = posixpath.dirname(page.file.src_uri)

            def resolve(href: str) -> str:
                path = posixpath.normpath(posixpath.join(here, href))
                if path.startswith("../"):
                    return href  # above the docs folder: written from the page's address
                target = files.get_file_from_path(path)
                if target is None:
                    raise PluginError(f"{page.file.src_uri}: a link to {href} goes nowhere")
                return target.url_relative_to(page.file)

            return put_back_raw_html(html, resolve)

    return RawHtml()


def mkdocs_build(
    docs_dir: Path,
    site_dir: Path,
    strict: bool = True,
    stubs: Iterable[str] = (),
    pages_only: bool = False,
) -> Any:
    """``mkdocs build`` of ``docs_dir`` into ``site_dir`` with the project's mkdocs.yml."""
    from mkdocs.commands.build import build as mkdocs_build_
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    cfg = load_config(
        str(paths.MKDOCS_YML), docs_dir=str(docs_dir), site_dir=str(site_dir), strict=strict
    )
    stubs = list(stubs)
    cfg.plugins["raw-html"] = _raw_html_plugin()
    if stubs or pages_only:
        cfg.plugins["shard-stubs"] = _stub_plugin(stubs, pages_only)
    if pages_only:
        # 404.html and sitemap.xml come from the hub build.
        cfg.theme.static_templates.clear()
    _skip_theme_files_in_shards()
    _reuse_markdown_per_build()
    cfg.plugins.on_startup(command="build", dirty=False)
    _THREAD.pages_only = pages_only
    try:
        mkdocs_build_(cfg)
    finally:
        _THREAD.pages_only = False
        _THREAD.markdown = None  # not held past the build
        cfg.plugins.on_shutdown()
    return cfg


def nav_pages() -> list[str]:
    """The pages named in mkdocs.yml's ``nav`` (every page's navigation links to them)."""
    text = paths.MKDOCS_YML.read_text(encoding="utf-8")
    nav = text.split("\nnav:\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r":\s*(\S+\.md)\s*$", nav, re.M)
