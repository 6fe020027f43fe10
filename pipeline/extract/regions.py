"""Place an issuing body in the GB/T 2260 hierarchy (行政区划) and classify it (发布机构类型)."""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import opencc
import yaml

from pipeline.paths import DATA_DIR, EXTRACT_DIR
from pipeline.records import Region

DIVISIONS_CSV = DATA_DIR / "divisions.csv"
VOCAB_YML = EXTRACT_DIR / "issuer_vocab.yml"

LEVELS = ("province", "prefecture", "county")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# How a name was derived from a division: its canonical name, a short name that keeps a type
# ending (鄂温克旗, 延边州), or a bare stem (内蒙古, 安庆, 岳塘).
FULL, SUFFIXED, STEM = 0, 1, 2

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_YEAR = re.compile(r"(?:19|20)\d\d\s*年?度?|[〇○零一二]{1}[〇○零一二三四五六七八九]{3}\s*年度?")
_WEB_ADDRESS = re.compile(r"\s+(?=[A-Za-z0-9])|https?://|www\.", re.IGNORECASE)
_BRACKETED = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
# Separators allowed between a division and the next one inside a chain (湖南省 湘潭市).
_CHAIN_GAP = re.compile(r"[\s\u3000·・—-]{0,2}")


@dataclass(frozen=True)
class Division:
    """One row of ``divisions.csv``: a division under one of its names."""

    code: str
    name: str
    level: str
    parent_code: str | None
    until: int | None
    """Year the name/code was replaced; None while it is in the current list."""
    ancestors: tuple[str, ...] = ()
    """Codes of the province and prefecture above it, nearest first."""

    @property
    def current(self) -> bool:
        return self.until is None

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def lineage(self) -> tuple[str, ...]:
        return (self.code, *self.ancestors)


@dataclass(frozen=True)
class _Vocab:
    raw: dict

    def __getattr__(self, name: str):
        try:
            return self.raw[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@dataclass
class _Match:
    start: int
    end: int
    candidates: list[Division]
    follows: bool = False
    """True when it continues the division right before it (湘潭市 → 岳塘区)."""


@dataclass(frozen=True)
class _Located:
    region: Region
    level_hint: str | None = None
    """Level of the body's division even when the division itself stays unresolved."""
    found: bool = False


@dataclass
class _Index:
    vocab: _Vocab
    by_code: dict[str, list[Division]] = field(default_factory=dict)
    aliases: dict[str, list[tuple[Division, int]]] = field(default_factory=dict)
    prefix_lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """The text in Simplified script (Traditional characters converted with OpenCC t2s)."""
    return _converter().convert(text) if text else ""


@functools.cache
def vocab() -> _Vocab:
    with VOCAB_YML.open(encoding="utf-8") as handle:
        return _Vocab(yaml.safe_load(handle))


def _read_divisions() -> list[Division]:
    with DIVISIONS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    parents = {row["code"]: row["parent_code"] or None for row in rows}
    divisions = []
    for row in rows:
        ancestors, parent = [], row["parent_code"] or None
        while parent:
            ancestors.append(parent)
            parent = parents.get(parent)
        divisions.append(
            Division(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                parent_code=row["parent_code"] or None,
                until=int(row["until"]) if row["until"] else None,
                ancestors=tuple(ancestors),
            )
        )
    return divisions


def _strip_ethnic(stem: str, groups: Sequence[str]) -> str:
    """Drop the ethnic groups that end ``stem`` (巍山彝族回族 → 巍山; 鄂温克族 → 鄂温克)."""
    forms = sorted(
        [g + "族" for g in groups] + [g for g in groups if len(g) > 1], key=len, reverse=True
    )
    stripped = True
    while stripped:
        stripped = False
        for form in forms:
            if stem.endswith(form) and len(stem) - len(form) >= 2:
                stem, stripped = stem[: -len(form)], True
                break
    # What is left may itself be an ethnic name (鄂温克族 of 鄂温克族自治旗).
    return stem[:-1] if stem.endswith("族") and stem[:-1] in groups else stem


def short_names(name: str, words: _Vocab | None = None) -> list[tuple[str, int]]:
    """Short forms of a division name with their kind (SUFFIXED or STEM)."""
    words = words or vocab()
    groups = words.ethnic_groups
    out: list[tuple[str, int]] = []
    for suffix in words.autonomous_suffixes:
        if name.endswith(suffix):
            stem = _strip_ethnic(name[: -len(suffix)], groups)
            if suffix != "自治区" and len(stem) + 1 >= 2:
                out.append((stem + suffix[-1], SUFFIXED))
                out.append((stem + suffix, SUFFIXED))
            if len(stem) >= 2:
                out.append((stem, STEM))
            return [item for item in out if item[0] != name]
    for suffix in sorted(words.stem_suffixes, key=len, reverse=True):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return [(name[: -len(suffix)], STEM)]
    return []


@functools.cache
def _index() -> _Index:
    words = vocab()
    index = _Index(vocab=words)
    seen: set[tuple[str, str, str]] = set()
    for division in _read_divisions():
        index.by_code.setdefault(division.code, []).append(division)
        names = [(division.name, FULL), *short_names(division.name, words)]
        for alias, kind in names:
            for form in {alias, to_simplified(alias)}:
                key = (form, division.code, division.name)
                if key in seen:
                    continue
                seen.add(key)
                index.aliases.setdefault(form, []).append((division, kind))
    for entries in index.by_code.values():
        entries.sort(key=lambda d: (d.until is not None, -(d.until or 0)))
    lengths: dict[str, set[int]] = {}
    for alias in index.aliases:
        lengths.setdefault(alias[:2], set()).add(len(alias))
    index.prefix_lengths = {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()}
    return index


def divisions() -> list[Division]:
    """Every division of ``divisions.csv`` (current and former names)."""
    return [d for entries in _index().by_code.values() for d in entries]


# --- scanning ------------------------------------------------------------------------------


def _descends(division: Division, parents: Iterable[Division]) -> bool:
    return any(parent.code in division.ancestors for parent in parents)


def _accept(
    index: _Index,
    text: str,
    start: int,
    end: int,
    prev: _Match | None,
    year: int | None,
) -> _Match | None:
    """The match of ``text[start:end]`` as a division name, or None if it is not one here."""
    words = index.vocab
    alias = text[start:end]
    after = text[end : end + 8]
    if after[:1] and after[:1] in words.right_reject.get(alias[-1], ()):
        return None
    adjacent = prev is not None and _CHAIN_GAP.fullmatch(text[prev.end : start]) is not None
    before = text[start - 1] if start else ""
    left_ok = (
        not before or not _HAN.match(before) or before in words.left_boundary_chars or adjacent
    )
    if len(alias) == 2 and not left_ok:
        return None
    # 《条例》和县委、县政府: after a closing mark, 和/与/及 joins two phrases; the county would be
    # named by its government (和县人民政府), not its party committee.
    if (
        len(alias) == 2
        and alias[0] in words.conjunctions
        and before in words.closing_marks
        and not after.startswith(tuple(words.county_stem_followers))
    ):
        return None
    generic = alias in words.generic_names
    accepted: list[tuple[Division, int]] = []
    for division, kind in index.aliases[alias]:
        if year is not None and division.until is not None and division.until < year:
            continue
        chained = adjacent and _descends(division, prev.candidates)
        if generic and not chained:
            continue
        if kind == STEM:
            if after.startswith(tuple(words.stem_blocked_followers)):
                continue
            if alias in words.stem_stopwords and not chained:
                continue
            if (
                division.level == "county"
                and not chained
                and not after.startswith(tuple(words.county_stem_followers))
            ):
                continue
        accepted.append((division, kind))
    if not accepted:
        return None
    if any(kind != STEM for _, kind in accepted):
        accepted = [(d, k) for d, k in accepted if k != STEM]
    candidates = list(dict.fromkeys(d for d, _ in accepted))
    match = _Match(start, end, candidates)
    if adjacent:
        below = [c for c in candidates if _descends(c, prev.candidates)]
        if below:
            match.candidates, match.follows = below, True
            prev.candidates = [
                p for p in prev.candidates if any(p.code in c.ancestors for c in below)
            ]
            return match
    if all(kind == STEM for _, kind in accepted):
        top = min(_RANK[c.level] for c in candidates)
        match.candidates = [c for c in candidates if _RANK[c.level] == top]
    return match


def _scan(index: _Index, text: str, year: int | None) -> list[_Match]:
    """Division names in ``text``, leftmost-longest, each with its possible divisions."""
    matches: list[_Match] = []
    prev: _Match | None = None
    i, n = 0, len(text)
    while i < n - 1:
        lengths = index.prefix_lengths.get(text[i : i + 2])
        found = None
        if lengths:
            for length in lengths:
                if i + length <= n and text[i : i + length] in index.aliases:
                    found = _accept(index, text, i, i + length, prev, year)
                    if found:
                        break
        if found:
            matches.append(found)
            prev = found
            i = found.end
        else:
            i += 1
    return matches


# --- resolving -----------------------------------------------------------------------------


def _certain(match: _Match) -> set[str]:
    """Codes every candidate of the match shares (itself when there is one candidate)."""
    common = set(match.candidates[0].lineage)
    for candidate in match.candidates[1:]:
        common &= set(candidate.lineage)
    return common


def _support(division: Division, context: set[str]) -> int:
    if division.code in context:
        return 3
    if (
        division.level == "county"
        and division.parent_code != division.province_code
        and division.parent_code in context
    ):
        return 2
    if division.province_code in context and division.level != "province":
        return 1
    return 0


def _resolve(candidates: list[Division], context: set[str]) -> tuple[Division | None, set[str]]:
    """The one division meant, or None with the codes all remaining candidates share."""
    if len(candidates) == 1:
        return candidates[0], set()
    scores = {c: _support(c, context) for c in candidates}
    best = max(scores.values())
    top = [c for c in candidates if scores[c] == best]
    if len(top) == 1:
        return top[0], set()
    current = [c for c in top if c.current]
    if len(current) == 1:
        return current[0], set()
    common = set(top[0].lineage)
    for candidate in top[1:]:
        common &= set(candidate.lineage)
    return None, common


def _name_at(index: _Index, code: str, until: int | None) -> Division:
    """The division with ``code`` under the name it had when a child ended in ``until``."""
    entries = index.by_code[code]
    if until is not None:
        older = [d for d in entries if d.until is not None and d.until >= until]
        if older:
            return min(older, key=lambda d: d.until or 0)
    return entries[0]


def region_of(division: Division) -> Region:
    """The Region record of a division, with the names its parents had at the time."""
    index = _index()
    names: dict[str, str | None] = {level: None for level in LEVELS}
    names[division.level] = division.name
    for code in division.ancestors:
        parent = _name_at(index, code, division.until)
        names[parent.level] = parent.name
    return Region(
        province=names["province"],
        prefecture=names["prefecture"],
        county=names["county"],
        division_code=division.code,
        level=division.level,
    )


def _locate(texts: Iterable[str | None], year: int | None = None) -> _Located:
    index = _index()
    scanned = [_scan(index, to_simplified(text), year) for text in texts if text]
    context: set[str] = set()
    for matches in scanned:
        for match in matches:
            context |= _certain(match)
    for matches in scanned:
        if not matches:
            continue
        deepest = matches[0]
        for match in matches[1:]:
            if not match.follows:
                break
            deepest = match
        levels = {c.level for c in deepest.candidates}
        hint = levels.pop() if len(levels) == 1 else None
        division, common = _resolve(deepest.candidates, context)
        if division is None and common:
            code = max(common, key=lambda c: _RANK[index.by_code[c][0].level])
            division = index.by_code[code][0]
        if division is None:
            return _Located(Region(), hint, found=True)
        return _Located(region_of(division), hint or division.level, found=True)
    return _Located(Region())


def locate(*texts: str | None, year: int | None = None) -> Region:
    """Where the body named in ``texts`` sits: the first division chain of the first text that
    names one (湖南省湘潭市岳塘区), disambiguated by the divisions named in all the texts.

    ``texts`` go in priority order (issuer, title, first lines). A name shared by several
    divisions (朝阳区, 鼓楼区) that the other names do not settle is left unresolved: only what
    its candidates share (a province, or nothing) is returned. ``year`` (the year reported on)
    drops names that had already been replaced by then.
    """
    return _locate(texts, year).region


# --- issuers -------------------------------------------------------------------------------


def _clean_issuer(issuer: str) -> str:
    """The body's name alone: no bracketed notes, web address or 门户网站 after it."""
    issuer = _WEB_ADDRESS.split(issuer, maxsplit=1)[0]
    issuer = _BRACKETED.sub("", issuer)
    issuer = re.sub(r"\s+", "", issuer).strip("：:，,。;；、·")
    words = vocab()
    for suffix in words.website_suffixes:
        rest = issuer.removesuffix(suffix)
        if rest != issuer and (len(suffix) > 1 or rest.endswith(tuple(words.government_bodies))):
            return rest
    return issuer


def body_from_title(title: str) -> str:
    """The issuing body a title names before its year or subject (岳塘区, 国家统计局)."""
    words = vocab()
    title = re.sub(r"\s+", "", title)
    title = re.sub(r"^(?:" + _YEAR.pattern + r")", "", title)
    cuts = [m.start() for m in _YEAR.finditer(title)]
    cuts += [title.find(cut) for cut in words.title_cuts if cut in title]
    end = min(cuts, default=len(title))
    return _clean_issuer(title[:end])


def _body_from_text(text: str) -> str:
    """The first body named in a text: a division name and the Han run up to a body ending."""
    index = _index()
    words = index.vocab
    endings = sorted(
        [*words.government_bodies, *words.zone_committees, *words.department_suffixes],
        key=len,
        reverse=True,
    )
    for match in _scan(index, text, None)[:3]:
        run = re.match(r"[\u3400-\u9fff]{1,30}", text[match.start :])
        if not run:
            continue
        head = run.group(0)
        best = None
        for ending in endings:
            at = head.find(ending, match.end - match.start)
            if at >= 0 and (best is None or at + len(ending) < best):
                best = at + len(ending)
        return head[:best] if best else head[: match.end - match.start]
    return ""


def _strip_suffix(name: str, suffixes: Iterable[str]) -> tuple[str, str] | None:
    for suffix in sorted(suffixes, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return None


def _is_township(unit: str) -> bool:
    """Whether ``unit`` (a body's name without its government ending) is a 乡/镇/苏木/街道."""
    return any(unit.endswith(t) and len(unit) > len(t) for t in vocab().township_units)


def _township_in(body: str) -> bool:
    """Whether a department name belongs to a township (XX镇财政所, XX街道社区服务中心)."""
    words = vocab()
    for token in sorted(words.township_units, key=len, reverse=True):
        for found in re.finditer(re.escape(token), body):
            start, end = found.span()
            if start == 0 or body[start - 1] in words.township_not_after:
                continue
            if body[end : end + 1] in words.township_not_before:
                continue
            rest = body[end:]
            for suffix in words.township_suffixes:
                rest = rest.removeprefix(suffix)
            if rest and _strip_suffix(rest, words.department_suffixes):
                return True
    return False


def only_places(name: str) -> bool:
    """Whether ``name`` is nothing but division names (内蒙古自治区, 湘潭市岳塘区)."""
    matches = _scan(_index(), name, None)
    covered = sum(m.end - m.start for m in matches)
    return bool(matches) and covered == len(name)


def _government_unit(unit: str) -> bool:
    """Whether a committee (管委会) manages a zone or a division, i.e. is a government."""
    words = vocab()
    return not unit or only_places(unit) or unit.endswith(tuple(words.zones))


def classify(body: str) -> tuple[str, bool]:
    """(issuer_type, is_township) of an issuing body's name, in Simplified script."""
    words = vocab()
    if not body:
        return "other", False
    office = _strip_suffix(body, words.general_offices)
    head = office[0] if office else body
    if head in words.central_governments:
        return "government", False
    if body not in words.department_names and any(m in body for m in words.other_markers):
        return "other", False
    government = _strip_suffix(head, words.government_bodies)
    if government:
        return "government", _is_township(government[0])
    committee = _strip_suffix(head, words.zone_committees)
    if committee and _government_unit(committee[0]):
        return "government", _is_township(committee[0])
    if body.endswith("街道办事处") or _is_township(body):
        return "government", True
    if _strip_suffix(body, words.department_suffixes) or body in words.department_names:
        return "department", _township_in(body)
    if only_places(body) or body.endswith(tuple(words.zones)):
        return "government", False
    return "other", False


def _is_central(body: str, issuer_type: str) -> bool:
    """Whether a body with no division in its name is a central one (国务院, 国家统计局, 教育部)."""
    words = vocab()
    if not body:
        return False
    office = _strip_suffix(body, words.general_offices)
    if body in words.central_governments or (office and office[0] in words.central_governments):
        return True
    if body.startswith(tuple(words.central_prefixes)):
        return True
    return issuer_type == "department" and body.endswith(tuple(words.central_suffixes))


def describe_issuer(
    issuer: str | None,
    title: str = "",
    text: str = "",
    *,
    year: int | None = None,
) -> tuple[str, str | None, Region]:
    """(issuer_type, admin_level, region) of the body that issued a report.

    ``issuer`` is the body's name when known (else it is read from the title, then from the
    text); ``text`` should be the first lines only. issuer_type is ``government`` for a people's
    government, its general office, a 行政公署 or a zone's 管委会; ``department`` for its
    departments and other state bodies (厅, 局, 委员会, 署, 中心...); ``other`` otherwise.
    admin_level is ``central`` for State Council bodies with no division in their name,
    ``township`` for 乡/镇/苏木/街道 bodies, else the level of the body's division.
    """
    issuer_s = _clean_issuer(to_simplified(issuer or ""))
    title_s = to_simplified(title or "")
    text_s = to_simplified(text or "")
    body = issuer_s or body_from_title(title_s) or _body_from_text(text_s)
    issuer_type, township = classify(body)
    own = _locate([body], year) if body else _Located(Region())
    if own.found:
        located = _locate([body, title_s, text_s], year)
    elif _is_central(body, issuer_type):
        return issuer_type, "central", Region()
    else:
        located = _locate([title_s, text_s], year)
    if township:
        level: str | None = "township"
    else:
        level = located.level_hint or located.region.level
    return issuer_type, level, located.region


def leading_divisions(name: str) -> tuple[int, tuple[str, ...]]:
    """Where the chain of division names a body's name opens with ends (湖南省湘潭市|岳塘区 →
    9 in 湖南省湘潭市岳塘区人民政府) and the codes the last of them may be; (0, ()) when the
    name does not open with a division."""
    matches = _scan(_index(), to_simplified(name), None)
    end, codes = 0, ()
    for match in matches:
        if match.start != end or (end and not match.follows):
            break
        end, codes = match.end, tuple(c.code for c in match.candidates)
    return end, codes


@functools.cache
def successors() -> dict[str, str]:
    """Former division codes mapped to the code of the division that carries the same body on
    (renamed, a county made a district…), followed to the latest (division_successors.csv)."""
    with (DATA_DIR / "division_successors.csv").open(encoding="utf-8", newline="") as handle:
        step = {row["code"]: row["successor_code"] for row in csv.DictReader(handle)}
    out: dict[str, str] = {}
    for code in step:
        seen, cur = {code}, step[code]
        while cur in step and step[cur] not in seen:
            seen.add(cur)
            cur = step[cur]
        out[code] = cur
    return out
