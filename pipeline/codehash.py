"""What each kept output was made by: a hash of the code a part of the build runs.

A cache is only as good as its key. Hashing the whole package into every key is safe, but then
a change to the site's code (a page template, the search page) sends every report through the
per-report stages again: 20 minutes of a national build for outputs that did not change. So each
cache is keyed by the code that makes its outputs:

* the per-report stages (``STAGES``): the modules ``pipeline.report`` and ``pipeline.store``
  import, directly or through others, at any depth, read from their sources (an import inside a
  function counts as well; one under ``if TYPE_CHECKING:``, which never runs, does not);
* the data package's segments (``PACKAGE``) and the report pages (``PAGES``): their own modules'
  imports and the stages' (a segment or a page is made from the stages' reports).

The modules are found by reading the imports in the sources (``ast``), not by importing them:
an ``import pipeline.x`` or ``from pipeline.x import y`` adds ``pipeline.x``, or
``pipeline.x.y`` when that is a module, and then what that imports. A package whose module is
imported (``pipeline.extract`` for ``pipeline.extract.figures``) runs its ``__init__``, whose
source is hashed too; its own imports are followed only when a name is imported from it.

Data files (vocabularies, schema, divisions) count for every part, except the page templates
(``pages/``), which count where a module of ``pipeline.pages`` does, and the MkDocs theme
(``theme/``), where ``pipeline.site.shards`` does (it keys the site's shards by it). ``whole()`` hashes every file, for the
build's no-change check (``build.input_fingerprint``)."""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from pipeline import PIPELINE_VERSION
from pipeline.paths import PACKAGE_DIR

STAGES = ("pipeline.report", "pipeline.store")
PACKAGE = (*STAGES, "pipeline.segments")
PAGES = (*STAGES, "pipeline.pages")

DATA_SUFFIXES = {".yml", ".yaml", ".csv", ".json", ".html", ".js", ".css", ".j2"}
SITE_DATA = {"pages": "pipeline.pages", "theme": "pipeline.site.shards"}
"""Folders of data files that count only where the named module (or a module of the named
package) does: the page templates, and the theme, by which the site's shards are keyed."""


def module_file(name: str, root: Path = PACKAGE_DIR) -> Path | None:
    """The source of module ``name`` (``pipeline.x.y``) under ``root``, or None."""
    p = root.joinpath(*name.split(".")[1:])
    if (p / "__init__.py").is_file():
        return p / "__init__.py"
    if p.with_suffix(".py").is_file():
        return p.with_suffix(".py")
    return None


_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import[ \t]+(?:\([^)]*\)|[^\n]*)|import[ \t]+[^\n]*)", re.M
)
"""A line that may be an import statement (with the lines of its parentheses). Each is parsed
on its own; a line of prose that only looks like one (in a docstring) does not parse."""


_TYPE_CHECKING = re.compile(r"^([ \t]*)if[ \t]+(?:typing\.)?TYPE_CHECKING[ \t]*:[ \t]*$", re.M)
"""The head of a block that only a type checker runs (``if TYPE_CHECKING:``)."""


def _type_checking_blocks(text: str) -> list[tuple[int, int]]:
    """Where the ``if TYPE_CHECKING:`` blocks of ``text`` are (start and end offsets): their
    imports are never run, so the code they name does not make anything."""
    spans = []
    for m in _TYPE_CHECKING.finditer(text):
        indent = len(m.group(1).expandtabs())
        end = m.end() + 1  # past the head's line
        for line in text[end:].splitlines(keepends=True):
            shown = line.expandtabs()
            if shown.strip() and len(shown) - len(shown.lstrip()) <= indent:
                break
            end += len(line)
        spans.append((m.start(), end))
    return spans


def _imports(name: str, root: Path) -> list[str]:
    """The modules of the package that module ``name`` imports (see the module's docstring),
    but those imported only for a type checker (``if TYPE_CHECKING:``). Only the import
    statements are parsed (parsing whole modules took 0.9 s a build)."""
    path = module_file(name, root)
    assert path is not None
    top = root.name
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[str] = []
    text = path.read_text(encoding="utf-8")
    checking = _type_checking_blocks(text)
    for m in _IMPORT.finditer(text):
        if any(start <= m.start() < end for start, end in checking):
            continue
        try:
            statement = ast.parse(m.group().strip()).body[0]
        except SyntaxError:
            continue
        if isinstance(statement, ast.Import):
            found += [a.name for a in statement.names if a.name.split(".")[0] == top]
        elif isinstance(statement, ast.ImportFrom):
            if statement.level:
                base = package.split(".")[: len(package.split(".")) - statement.level + 1]
                source = ".".join([*base, *([statement.module] if statement.module else [])])
            else:
                source = statement.module or ""
            if source.split(".")[0] != top:
                continue
            for a in statement.names:
                sub = f"{source}.{a.name}"
                found.append(sub if module_file(sub, root) is not None else source)
    return found


def modules_of(roots: Sequence[str], root: Path = PACKAGE_DIR) -> tuple[list[str], list[str]]:
    """The modules ``roots`` import at any depth (with the roots), and the packages whose
    ``__init__`` only runs on the way (their imports not followed), both sorted."""
    seen: set[str] = set()
    parents: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if module_file(name, root) is None:
            raise ValueError(f"{name}: no such module under {root}")
        seen.add(name)
        parts = name.split(".")
        parents.update(".".join(parts[:i]) for i in range(1, len(parts)))
        todo += _imports(name, root)
    return sorted(seen), sorted(parents - seen)


def _data_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in DATA_SUFFIXES and "__pycache__" not in p.parts and p.is_file()
    )


def _digest(files: list[Path], root: Path) -> str:
    h = hashlib.sha256(PIPELINE_VERSION.encode())
    for p in files:
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


@cache
def fingerprint(roots: tuple[str, ...], root: Path = PACKAGE_DIR) -> str:
    """The hash of the code ``roots`` run: their modules' sources (``modules_of``), the
    ``__init__`` of the packages on the way, and the data files that count for them."""
    modules, parents = modules_of(roots, root)
    files = {module_file(m, root) for m in (*modules, *parents)}
    for p in _data_files(root):
        folder = p.relative_to(root).parts[0]
        owner = SITE_DATA.get(folder)
        if owner is None or any(m == owner or m.startswith(owner + ".") for m in modules):
            files.add(p)
    return _digest(sorted(f for f in files if f is not None), root)


@cache
def whole(root: Path = PACKAGE_DIR) -> str:
    """The hash of every module and data file of the package."""
    return _digest(sorted([*root.rglob("*.py"), *_data_files(root)]), root)
