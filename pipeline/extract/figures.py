"""Figures stage: the statistics a free-text report states, each with the sentence it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import yaml

from pipeline.extract.numbers import NUMBER_PATTERN, read_number
from pipeline.markdown import heading_level, split_lead
from pipeline.paths import EXTRACT_DIR
from pipeline.records import Statistic
from pipeline.script import to_simplified
from pipeline.text import anchor_id, paragraphs, sentences

_AFTER_UNIT = {"左右": "approximately", "以上": "more_than", "多": "more_than"}
_HAS_NUMBER = re.compile(r"[\d零〇○一二两三四五六七八九十百千万]")
_HAS_NEGATION = re.compile(r"[未没无零不]")
_CLAUSE_SPLIT = re.compile(r"[，；;。！？!?]|,(?!\d{3})")
# A clause that opens with a part of the reporting body (各盟市, 区直部门, 11个县(市)、区).
_SCOPE_START = re.compile(
    r"^(?:其中)?\s*((?:\d+|[一二三四五六七八九十]+)个[^，,；;。]{1,10}(?:县|区|市|旗|盟|部门|单位|乡镇|街道)"
    r"|各(?!地区|部门|单位|级|类)[^，,；;。、]{1,6}(?:县|区|市|旗|盟|乡镇|街道)"
    r"|[市区县旗]直(?:各)?部门|[市区县旗]直各单位|[省市区县]本级)"
)


@dataclass(frozen=True)
class Rule:
    indicator: str
    unit: str
    units: dict[str, float]
    sections: tuple[str, ...]
    clause_requires: re.Pattern[str] | None
    clause_excludes: re.Pattern[str] | None
    sentence_patterns: tuple[re.Pattern[str], ...]
    trigger: re.Pattern[str]
    patterns: tuple[re.Pattern[str], ...]
    zero: tuple[re.Pattern[str], ...]
    same_as: tuple[tuple[str, re.Pattern[str]], ...]
    title_en: str
    title_zh: str


@lru_cache(maxsize=1)
def rules() -> dict[str, Rule]:
    """The indicator vocabulary of ``indicators.yml``, compiled."""
    data = yaml.safe_load((EXTRACT_DIR / "indicators.yml").read_text(encoding="utf-8"))
    gap = data["gap"]
    out: dict[str, Rule] = {}
    for name, spec in data["indicators"].items():
        units = {u: float(f) for u, f in spec["units"].items()}
        unit_alt = (
            "(?P<unit>" + "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True)) + ")"
        )

        def expand(p: str, unit_alt: str = unit_alt) -> re.Pattern[str]:
            return re.compile(
                p.replace("{N}", NUMBER_PATTERN).replace("{U}", unit_alt).replace("{G}", gap)
            )

        requires = spec.get("clause_requires")
        out[name] = Rule(
            indicator=name,
            unit=spec["unit"],
            units=units,
            sections=tuple(spec.get("sections", ())),
            clause_requires=re.compile(requires) if requires else None,
            clause_excludes=re.compile(spec["clause_excludes"])
            if spec.get("clause_excludes")
            else None,
            sentence_patterns=tuple(expand(p) for p in spec.get("sentence_patterns", ())),
            trigger=re.compile(spec["trigger"]),
            patterns=tuple(expand(p) for p in spec.get("patterns", ())),
            zero=tuple(expand(p) for p in spec.get("zero", ())),
            same_as=tuple((k, expand(v)) for k, v in spec.get("same_as", {}).items()),
            title_en=spec["title"][0],
            title_zh=spec["title"][1],
        )
    return out


@dataclass(frozen=True)
class Candidate:
    stat: Statistic
    in_section: bool
    order: int


def _sections(paras: list[str], toc: tuple[str, ...]) -> list[str]:
    """For every paragraph, the headings above it (joined), to match against section words."""
    current: dict[int, str] = {}
    out = []
    for para in paras:
        level = heading_level(para, toc)
        lead = split_lead(para) if level is None else None
        if level is not None or lead is not None:
            lvl = level if level is not None else lead[0]
            current = {k: v for k, v in current.items() if k < lvl}
            current[lvl] = para if level is not None else lead[1]
        out.append(" / ".join(current[k] for k in sorted(current)))
    return out


_BODY_LIKE = re.compile(r"(?:县|区|市|旗|盟|部门|单位|乡镇|街道|局|委|办)$")
NOT_A_SCOPE = "-"


def _scope(clause_before: str, earlier_in_sentence: bool) -> str | None:
    """The part of the body a figure is about; ``NOT_A_SCOPE`` for a breakdown by kind
    (其中机构职能类信息25条), which is neither the whole nor a part of the body."""
    m = _SCOPE_START.match(clause_before)
    if m:
        return m.group(1)
    if earlier_in_sentence:
        subject = re.sub(r"^[(（]?(?:其中|另外|此外)", "", clause_before).strip()
        subject = re.split(r"(?:主动|共|累计|全年|受理|收到|召开|举办|组织|发布|公开)", subject)[0]
        return subject if subject and _BODY_LIKE.search(subject) else NOT_A_SCOPE
    return None


def extract_figures(text: str, toc: tuple[str, ...] = ()) -> tuple[Statistic, ...]:
    """Every figure of the indicator vocabulary stated in a cleaned free-text report.

    One whole-body row per indicator (the one in the section the law assigns it to wins, then
    the first stated), plus one row per named sub-scope. Statements of zero give 0; silence
    gives nothing."""
    paras = paragraphs(text)
    section_of = _sections(paras, toc)
    found: dict[str, list[Candidate]] = {}
    zeros: dict[str, list[Candidate]] = {}
    order = 0
    for p, para in enumerate(paras):
        section = to_simplified(section_of[p])
        para_simple = to_simplified(para)
        section_hits = {
            r.indicator: any(w in section for w in r.sections) for r in rules().values()
        }
        # OpenCC keeps the length of these texts; when it does not, convert sentence by sentence.
        same_len = len(para_simple) == len(para)
        offset = 0
        for s, sentence in enumerate(sentences(para)):
            if same_len:
                simple = para_simple[offset : offset + len(sentence)]
                offset += len(sentence)
            else:
                simple = to_simplified(sentence)
            if not _HAS_NUMBER.search(simple) and not _HAS_NEGATION.search(simple):
                continue
            anchor = anchor_id(p, s)
            clauses = [c for c in _CLAUSE_SPLIT.split(simple) if c.strip()]
            opening = _SCOPE_START.match(clauses[0].strip()) if clauses else None
            sentence_scope = opening.group(1) if opening else None
            for rule in rules().values():
                in_section = section_hits[rule.indicator]
                if not rule.trigger.search(simple):
                    continue
                seen_in_sentence = False
                units = [(c, rule.patterns) for c in clauses] + [(simple, rule.sentence_patterns)]
                for clause, patterns in units:
                    if not patterns or not rule.trigger.search(clause):
                        continue
                    if rule.clause_requires and not rule.clause_requires.search(clause):
                        continue
                    if rule.clause_excludes and rule.clause_excludes.search(clause):
                        continue
                    if patterns is rule.sentence_patterns and seen_in_sentence:
                        continue
                    for pattern in patterns:
                        m = pattern.search(clause)
                        if not m or (number := read_number(m)) is None:
                            continue
                        factor = rule.units.get(m.group("unit"), 1.0)
                        qualifier = number.qualifier
                        # 220条左右, 500人以上: the qualifier may follow the unit.
                        after = clause[m.end("unit") : m.end("unit") + 2]
                        if qualifier == "exact":
                            qualifier = next(
                                (q for w, q in _AFTER_UNIT.items() if after.startswith(w)),
                                qualifier,
                            )
                        scope = (
                            _scope(clause[: m.start()].strip(), seen_in_sentence) or sentence_scope
                        )
                        if scope == NOT_A_SCOPE:
                            break
                        stat = Statistic(
                            indicator=rule.indicator,
                            value=round(number.value * factor, 6),
                            unit=rule.unit,
                            qualifier=qualifier,
                            scope=scope,
                            evidence=sentence,
                            anchor=anchor,
                            section=section_of[p] or None,
                        )
                        order += 1
                        found.setdefault(rule.indicator, []).append(
                            Candidate(stat, in_section, order)
                        )
                        seen_in_sentence = True
                        break
                    for pattern in rule.zero if patterns is rule.patterns else ():
                        if pattern.search(clause) and not seen_in_sentence:
                            order += 1
                            zero = Statistic(
                                rule.indicator,
                                0.0,
                                rule.unit,
                                "exact",
                                None,
                                sentence,
                                anchor,
                                "text",
                                section_of[p] or None,
                            )
                            zeros.setdefault(rule.indicator, []).append(
                                Candidate(zero, in_section, order)
                            )
                            break
            # "All of them were answered": the figure equals another one of the same sentence.
            for rule in rules().values():
                for other, pattern in rule.same_as:
                    base = [
                        c
                        for c in found.get(other, ())
                        if c.stat.anchor == anchor and c.stat.scope is None
                    ]
                    if (
                        base
                        and pattern.search(simple)
                        and not any(c.stat.anchor == anchor for c in found.get(rule.indicator, ()))
                    ):
                        order += 1
                        stat = replace(base[0].stat, indicator=rule.indicator, unit=rule.unit)
                        found.setdefault(rule.indicator, []).append(
                            Candidate(stat, base[0].in_section, order)
                        )
    return _choose(found, zeros)


def _best(cands: list[Candidate]) -> Candidate:
    return min(cands, key=lambda c: (not c.in_section, c.order))


def _choose(
    found: dict[str, list[Candidate]], zeros: dict[str, list[Candidate]]
) -> tuple[Statistic, ...]:
    out: list[Statistic] = []
    for indicator in rules():
        cands = found.get(indicator, [])
        whole = [c for c in cands if c.stat.scope is None]
        if whole:
            out.append(_best(whole).stat)
        elif zeros.get(indicator):
            out.append(_best(zeros[indicator]).stat)
        seen_scopes: set[str] = set()
        for c in sorted(
            (c for c in cands if c.stat.scope), key=lambda c: (not c.in_section, c.order)
        ):
            if c.stat.scope not in seen_scopes:
                seen_scopes.add(c.stat.scope)
                out.append(c.stat)
    return tuple(out)


def indicator_titles() -> dict[str, tuple[str, str, str]]:
    """indicator → (English title, Chinese title, unit), for the data dictionary."""
    return {k: (r.title_en, r.title_zh, r.unit) for k, r in rules().items()}
