"""Figures stage: the statistics a free-text report states, each with the sentence it came from.

A figure is read only where the text is about government-information disclosure. Every clause
(the text between ，；。) gets a *topic* from the words it names (``indicators.yml`` →
``topics``): ``application`` (信息公开申请, 依申请…), ``disclosure`` (政府信息公开…) or
``other`` (行政审批, 热线, 信访, 咨询…); a clause that names none continues the topic of the
clause before it in its sentence. Every paragraph gets a *section kind* from the headings above
it (``section_kinds``: the 依申请 section, the 收费 section…). An indicator states where it may
be read (``context``); a clause of topic ``other`` never gives a disclosure figure.

Negation has a scope: a number right after 未/没有 (未发生一起…) is no count, a verb right after
不/未 (不予受理申请2件, 不同意公开) is not the indicator's verb, and a statement of none about an
outcome (未发生…被行政复议纠错) says nothing about how many cases there were. Statements of
none (未收取费用, 没有收到…申请) give 0; so does a section whose whole body is a bare none
(三、…收费情况 / 无). Silence gives nothing.
"""

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
_HAS_NEGATION = re.compile(r"[未没無无零不]")
_CLAUSE_SPLIT = re.compile(r"[，；;。！？!?]|,(?!\d{3})")
NOT_A_SCOPE = "-"
"""A breakdown by kind or channel (其中机构职能类信息25条): neither the whole body nor a part."""


@dataclass(frozen=True)
class Context:
    """Where a clause stands: the kind of section above it and the topic it is about."""

    section: str
    """A key of ``section_kinds``, or ``none`` when no heading stands above the paragraph, or
    ``other`` when the headings name no kind."""
    topic: str | None
    """``application`` | ``disclosure`` | ``other`` | None (the clause names no topic)."""


@dataclass(frozen=True)
class Rule:
    indicator: str
    unit: str
    units: dict[str, float]
    keep_unit: bool
    sections: tuple[str, ...]
    topics: frozenset[str]
    section_kinds: frozenset[str]
    clause_excludes: re.Pattern[str] | None
    other_topic_allowed: re.Pattern[str] | None
    prefer: re.Pattern[str] | None
    total: re.Pattern[str]
    part_words: re.Pattern[str] | None
    sentence_patterns: tuple[re.Pattern[str], ...]
    trigger: re.Pattern[str]
    patterns: tuple[re.Pattern[str], ...]
    zero: tuple[re.Pattern[str], ...]
    zero_excludes: re.Pattern[str] | None
    same_as: tuple[tuple[str, re.Pattern[str]], ...]
    title_en: str
    title_zh: str

    def allowed(self, ctx: Context, clause: str = "") -> bool:
        if ctx.topic == "other":
            if not (self.other_topic_allowed and self.other_topic_allowed.search(clause)):
                return False
            ctx = Context(ctx.section, None)
        return (
            (ctx.topic is not None and ctx.topic in self.topics)
            or "*" in self.section_kinds
            or ctx.section in self.section_kinds
        )


@dataclass(frozen=True)
class Vocabulary:
    rules: dict[str, Rule]
    topics: tuple[tuple[str, re.Pattern[str]], ...]
    section_kinds: tuple[tuple[str, re.Pattern[str]], ...]
    scope_start: re.Pattern[str]
    subject_end: re.Pattern[str]
    self_subject: re.Pattern[str]
    self_start: re.Pattern[str]
    channel: re.Pattern[str]
    verbs: re.Pattern[str]
    time_words: re.Pattern[str]
    negated_number: re.Pattern[str]
    negated_verb: re.Pattern[str]
    before_one: re.Pattern[str]
    plans_sections: re.Pattern[str]
    cumulative: re.Pattern[str]
    total_words: re.Pattern[str]
    table_text: re.Pattern[str]
    section_none: re.Pattern[str]
    section_zero: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]
    table_headers: tuple[tuple[re.Pattern[str], str], ...]


def _compile(p: str | None) -> re.Pattern[str] | None:
    return re.compile(p) if p else None


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The indicator vocabulary of ``indicators.yml``, compiled."""
    data = yaml.safe_load((EXTRACT_DIR / "indicators.yml").read_text(encoding="utf-8"))
    gap = data["gap"]
    rules: dict[str, Rule] = {}
    for name, spec in data["indicators"].items():
        units = {u: float(f) for u, f in spec["units"].items()}
        unit_alt = (
            "(?P<unit>" + "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True)) + ")"
        )

        def expand(p: str, unit_alt: str = unit_alt) -> re.Pattern[str]:
            return re.compile(
                p.replace("{N}", NUMBER_PATTERN).replace("{U}", unit_alt).replace("{G}", gap)
            )

        context = spec["context"]
        rules[name] = Rule(
            indicator=name,
            unit=spec["unit"],
            units=units,
            keep_unit=bool(spec.get("keep_unit")),
            sections=tuple(spec.get("sections", ())),
            topics=frozenset(context.get("topics", ())),
            section_kinds=frozenset(context.get("sections", ())),
            clause_excludes=_compile(spec.get("clause_excludes")),
            other_topic_allowed=_compile(spec.get("other_topic_allowed")),
            prefer=_compile(spec.get("prefer")),
            # A clause that only sums up what the sentence listed (…快递17件，合计122件).
            total=expand("^\\s*(?:合计|共计|总计|总共|共)\\s*{N}\\s*{U}"),
            part_words=_compile(spec.get("part_words")),
            sentence_patterns=tuple(expand(p) for p in spec.get("sentence_patterns", ())),
            trigger=re.compile(spec["trigger"]),
            patterns=tuple(expand(p) for p in spec.get("patterns", ())),
            zero=tuple(expand(p) for p in spec.get("zero", ())),
            zero_excludes=_compile(spec.get("zero_excludes")),
            same_as=tuple((k, expand(v)) for k, v in spec.get("same_as", {}).items()),
            title_en=spec["title"][0],
            title_zh=spec["title"][1],
        )
    scope = data["scope"]
    return Vocabulary(
        rules=rules,
        topics=tuple((k, re.compile(v)) for k, v in data["topics"].items()),
        section_kinds=tuple((k, re.compile(v)) for k, v in data["section_kinds"].items()),
        scope_start=re.compile(scope["starts"]),
        subject_end=re.compile(scope["body_ends"]),
        self_subject=re.compile(scope["self_subject"]),
        self_start=re.compile(scope["self_start"]),
        channel=re.compile(scope["channels"]),
        verbs=re.compile(scope["verbs"]),
        time_words=re.compile(scope["time_words"]),
        negated_number=re.compile(data["negation"]["before_number"]),
        negated_verb=re.compile(data["negation"]["before_verb"]),
        before_one=re.compile(data["negation"]["before_one"]),
        plans_sections=re.compile(data["plans_sections"]),
        cumulative=re.compile(data["cumulative"]),
        total_words=re.compile(data["total_words"]),
        table_text=re.compile(data["table_text"]),
        section_none=re.compile(data["section_none"]["body"]),
        section_zero=tuple(
            (re.compile(k), tuple(v)) for k, v in data["section_none"]["indicators"].items()
        ),
        table_headers=tuple((re.compile(k), v) for k, v in data["table_headers"].items()),
    )


def rules() -> dict[str, Rule]:
    return vocabulary().rules


# --------------------------------------------------------------------------- structure


def _headings(paras: list[str], toc: tuple[str, ...]) -> list[list[str]]:
    """For every paragraph, the headings above it, outermost first."""
    current: dict[int, str] = {}
    out = []
    for para in paras:
        level = heading_level(para, toc)
        lead = split_lead(para) if level is None else None
        if level is not None or lead is not None:
            lvl = level if level is not None else lead[0]
            current = {k: v for k, v in current.items() if k < lvl}
            current[lvl] = para if level is not None else lead[1]
        out.append([current[k] for k in sorted(current)])
    return out


def _section_kind(headings: list[str], vocab: Vocabulary) -> str:
    """The kind of the innermost heading that has one (三、…/（二）依申请公开情况 → applications);
    ``headings`` in Simplified script."""
    if not headings:
        return "none"
    for heading in reversed(headings):
        for kind, pattern in vocab.section_kinds:
            if pattern.search(heading):
                return kind
    return "other"


_COUNTED = re.compile(r"\d\s*[件条]")
_SEGMENT_END = re.compile(r"[；;。！？!?]")
_CARRIED = frozenset({"application", "disclosure"})


def _clauses(
    sentence: str, vocab: Vocabulary, carried: str | None = None
) -> tuple[list[str], list[str | None]]:
    """The clauses of a sentence and the topic of each: its own, else that of the clause before
    it; a semicolon starts afresh (在服务中心设置触摸屏；全年召开11次新闻发布会). ``carried`` is
    the topic the paragraph's previous sentence ended on, when it was about disclosure (共收到
    申请6件。在已答复的申请中，同意公开4件): it opens the sentence."""
    clauses: list[str] = []
    topics: list[str | None] = []
    for i, segment in enumerate(_SEGMENT_END.split(sentence)):
        topic: str | None = carried if i == 0 else None
        for clause in _CLAUSE_SPLIT.split(segment):
            if not clause.strip():
                continue
            topic = _topic(clause, vocab) or topic
            clauses.append(clause)
            topics.append(topic)
    return clauses, topics


def _topic(clause: str, vocab: Vocabulary) -> str | None:
    for topic, pattern in vocab.topics:
        if pattern.search(clause):
            return topic
    return None


# --------------------------------------------------------------------------- scope


_BREAK = re.compile(r"[\s\d()（）:：、,，.。\]】>》<《]")


def _subject(clause_before: str, vocab: Vocabulary) -> str:
    """The noun phrase right before the clause's verb: 本年度我市 → 我市, (一)基本情况县教育局 →
    县教育局 (after the last break, after any time words)."""
    pre = vocab.verbs.split(clause_before, maxsplit=1)[0]
    pre = _BREAK.split(pre)[-1]
    times = list(vocab.time_words.finditer(pre))
    return pre[times[-1].end() :] if times else pre


def _scope(
    clause_before: str, earlier: bool, issuer: str | None, opens_breakdown: bool = False
) -> str | None:
    """The part of the body a figure is about (各盟市, 县教育局); None for the whole body;
    ``NOT_A_SCOPE`` for a breakdown of a figure already stated (其中机构职能类信息25条).
    ``earlier``: the same indicator was stated before, in this sentence or (when the sentence
    opens with 其中) in this paragraph."""
    vocab = vocabulary()
    m = vocab.scope_start.match(clause_before)
    if m:
        return m.group(1)
    breakdown = opens_breakdown or bool(re.match(r"^[(（]?(?:其中|另外|此外|包括)", clause_before))
    rest = re.sub(r"^[(（]?(?:其中|另外|此外|包括)[:：]?", "", clause_before).strip()
    subject = _subject(rest, vocab)
    whole = vocab.time_words.sub("", rest).lstrip()
    if vocab.self_subject.search(subject) or vocab.self_start.match(whole):
        return None
    if subject and vocab.subject_end.search(subject) and not vocab.channel.search(subject):
        if issuer and (subject in issuer or issuer.endswith(subject)):
            return None
        return subject
    if earlier and breakdown:
        return NOT_A_SCOPE
    if earlier and vocab.total_words.match(rest):
        return None  # the total of the parts listed before it
    if earlier and subject and vocab.channel.search(subject) and not breakdown:
        return None  # a channel beside another channel: kept, to be seen as a part below
    if earlier:
        return NOT_A_SCOPE
    return None


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    stat: Statistic
    in_section: bool
    order: int
    kind: str = "number"
    """``number`` | ``zero`` (a statement of none) | ``section_zero`` (a section saying only 无)."""
    cumulative: bool = False
    channel: bool = False
    total: bool = False
    """Stated as the total of what the sentence lists before it (…，共计公开信息976条)."""
    preferred: bool = False
    """Its clause has the wording the indicator prefers (新收 over 受理)."""
    sentence: str = ""


def _rank(c: Candidate) -> tuple:
    kind_rank = {"number": 0, "zero": 1, "section_zero": 2}[c.kind]
    return (not c.in_section, c.cumulative, kind_rank, not c.preferred, c.order)


def _names_a_part(rule: Rule, span: str) -> bool:
    """Whether a kind of document stands between the verb and the number (主动公开市政府规章13件)
    — unless a list of kinds is summed up after it (公开财政管理、政府采购等信息共计2186条)."""
    if rule.part_words is None:
        return False
    ends = [m.end() for m in rule.part_words.finditer(span)]
    if not ends:
        return False
    if not re.search(r"等|信息", span[ends[-1] :]):
        return True
    # A list summed up (…、…等信息): a part when every kind it lists is a kind of document
    # (规章、规范性文件、人事任免等方面信息68条), the whole when it lists subjects too.
    listed = re.split(r"等", span)[0]
    items = [i for i in re.split(r"[、，,和及与]", listed) if i.strip()]
    return (
        len(items) >= 2
        and all(rule.part_words.search(i) for i in items[1:])
        and bool(rule.part_words.search(items[0][-8:]))
    )


def _number_negated(clause: str, start: int, vocab: Vocabulary) -> bool:
    """未发生一起…, 没有一件…: a number right after a negation is no count."""
    return bool(vocab.negated_number.search(clause[max(0, start - 4) : start]))


def _verb_negated(clause: str, start: int, vocab: Vocabulary) -> bool:
    """不予受理申请2件, 不同意公开2件: the indicator's verb itself is negated."""
    return bool(vocab.negated_verb.search(clause[max(0, start - 2) : start]))


def extract_figures(
    text: str, toc: tuple[str, ...] = (), issuer: str | None = None
) -> tuple[Statistic, ...]:
    """Every figure of the indicator vocabulary stated in a cleaned free-text report.

    One whole-body row per indicator (the one in the section the law assigns it to wins, then a
    number over a statement of none, then the first stated), plus one row per named sub-scope.
    ``issuer`` (the reporting body) tells its own name from another body's (县教育局…)."""
    vocab = vocabulary()
    paras = paragraphs(text)
    heading_paths = _headings(paras, toc)
    # One OpenCC call for the whole text; headings, which repeat down the page, once each.
    simple_paras = paragraphs(to_simplified(text))
    if len(simple_paras) != len(paras):
        simple_paras = [to_simplified(para) for para in paras]
    simplified: dict[str, str] = {}
    hits_by_section: dict[tuple[str, bool], dict[str, bool]] = {}

    def simple_heading(h: str) -> str:
        if h not in simplified:
            simplified[h] = to_simplified(h)
        return simplified[h]

    found: dict[str, list[Candidate]] = {}
    order = 0
    issuer_s = to_simplified(issuer) if issuer else None

    def add(c: Candidate) -> None:
        found.setdefault(c.stat.indicator, []).append(c)

    def same_as(p: int, anchor: str, simple: str) -> None:
        """ "All of them were answered" (均已按时答复, 已依法答复完毕): the figure equals one
        stated before it in the same paragraph, which is its evidence."""
        nonlocal order
        in_paragraph = f"p{p + 1}-"
        for rule in vocab.rules.values():
            for other, pattern in rule.same_as:
                base = [
                    c
                    for c in found.get(other, ())
                    if c.stat.anchor.startswith(in_paragraph)
                    and c.stat.scope is None
                    and c.kind == "number"
                ]
                stated = any(
                    c.stat.anchor.startswith(in_paragraph) for c in found.get(rule.indicator, ())
                )
                if base and not stated and pattern.search(simple):
                    order += 1
                    stat = replace(base[-1].stat, indicator=rule.indicator, unit=rule.unit)
                    add(replace(base[-1], stat=stat, order=order))

    for p, para in enumerate(paras):
        if para.lstrip().startswith("|"):
            continue  # a table row: local tables are read below, mandated ones by the decoder
        path = heading_paths[p]
        simple_path = [simple_heading(h) for h in path]
        section_text = " / ".join(simple_path)
        section_label = " / ".join(path) or None
        kind = _section_kind(simple_path, vocab)
        para_simple = simple_paras[p]
        in_plans = any(vocab.plans_sections.search(h) for h in simple_path)
        key = (section_text, in_plans)
        if key not in hits_by_section:
            hits_by_section[key] = {
                r.indicator: not in_plans and any(w in section_text for w in r.sections)
                for r in vocab.rules.values()
            }
        section_hits = hits_by_section[key]
        same_len = len(para_simple) == len(para)
        offset = 0
        carried: str | None = None
        stated_in_paragraph: set[str] = set()
        for s, sentence in enumerate(sentences(para)):
            if same_len:
                simple = para_simple[offset : offset + len(sentence)]
                offset += len(sentence)
            else:
                simple = to_simplified(sentence)
            clauses, topics = _clauses(simple, vocab, carried)
            carried = topics[-1] if topics and topics[-1] in _CARRIED else None
            anchor = anchor_id(p, s)
            if not _HAS_NUMBER.search(simple) and not _HAS_NEGATION.search(simple):
                same_as(p, anchor, simple)
                continue
            if vocab.table_text.search(simple) and not _COUNTED.search(simple):
                continue  # a table's labels run into the text; prose says 件 after its numbers
            # 其中，网上公开信息20条: a sentence that opens with 其中 breaks a figure down.
            breakdown = bool(re.match(r"^[(（]?(?:其中|包括)", simple.strip()))
            opening = vocab.scope_start.match(clauses[0].strip()) if clauses else None
            sentence_scope = opening.group(1) if opening else None
            for rule in vocab.rules.values():
                if not rule.trigger.search(simple):
                    continue
                in_section = section_hits[rule.indicator]
                seen_in_sentence = False
                units = [(c, rule.patterns, t) for c, t in zip(clauses, topics, strict=True)]
                # A sentence pattern speaks for the whole sentence: its topic is the first one named.
                first_topic = next((t for t in topics if t), None)
                units.append((simple, rule.sentence_patterns, first_topic))
                for clause, patterns, clause_topic in units:
                    if seen_in_sentence and patterns is rule.patterns:
                        tm = rule.total.match(clause)
                        if tm and (number := read_number(tm)) is not None:
                            # 网上申请105件，快递17件，合计122件: the sum of the parts listed.
                            order += 1
                            add(
                                Candidate(
                                    Statistic(
                                        rule.indicator,
                                        round(
                                            number.value * rule.units.get(tm.group("unit"), 1.0), 6
                                        ),
                                        rule.unit,
                                        number.qualifier,
                                        None,
                                        sentence,
                                        anchor,
                                        "text",
                                        section_label,
                                    ),
                                    in_section,
                                    order,
                                    total=True,
                                    sentence=anchor,
                                )
                            )
                            continue
                    if not patterns or not rule.trigger.search(clause):
                        continue
                    if not rule.allowed(Context(kind, clause_topic), clause):
                        continue
                    if rule.clause_excludes and rule.clause_excludes.search(clause):
                        continue
                    if patterns is rule.sentence_patterns and seen_in_sentence:
                        continue
                    for pattern in patterns:
                        m = pattern.search(clause)
                        if not m or (number := read_number(m)) is None:
                            continue
                        if _number_negated(clause, m.start("num"), vocab) or _verb_negated(
                            clause, m.start(), vocab
                        ):
                            continue
                        if m.group("num") == "一" and vocab.before_one.search(
                            clause[max(0, m.start("num") - 3) : m.start("num")]
                        ):
                            continue
                        part = patterns is rule.patterns and _names_a_part(
                            rule, clause[m.start() : m.start("num")]
                        )
                        unit_text = m.group("unit")
                        factor = rule.units.get(unit_text, 1.0)
                        qualifier = number.qualifier
                        # 220条左右, 500人以上: the qualifier may follow the unit.
                        after = clause[m.end("unit") : m.end("unit") + 2]
                        if qualifier == "exact":
                            qualifier = next(
                                (q for w, q in _AFTER_UNIT.items() if after.startswith(w)),
                                qualifier,
                            )
                        before = clause[: m.start()].strip()
                        earlier = seen_in_sentence or (
                            breakdown and rule.indicator in stated_in_paragraph
                        )
                        scope = _scope(before, earlier, issuer_s, breakdown) or sentence_scope
                        if scope == NOT_A_SCOPE and rule.prefer and rule.prefer.search(clause):
                            scope = None  # …共受理59件，新收到47件: the new ones, not a part
                        if scope == NOT_A_SCOPE or (part and scope is None):
                            break
                        order += 1
                        add(
                            Candidate(
                                Statistic(
                                    indicator=rule.indicator,
                                    value=round(number.value * factor, 6),
                                    unit=to_simplified(unit_text) if rule.keep_unit else rule.unit,
                                    qualifier=qualifier,
                                    scope=scope,
                                    evidence=sentence,
                                    anchor=anchor,
                                    section=section_label,
                                ),
                                in_section,
                                order,
                                "number",
                                cumulative=bool(vocab.cumulative.search(clause)),
                                channel=bool(vocab.channel.search(before)),
                                total=bool(vocab.total_words.match(before)),
                                preferred=bool(rule.prefer and rule.prefer.search(clause)),
                                sentence=anchor,
                            )
                        )
                        seen_in_sentence = True
                        stated_in_paragraph.add(rule.indicator)
                        break
                    if patterns is rule.patterns and not seen_in_sentence:
                        for pattern in rule.zero:
                            zm = pattern.search(clause)
                            if not zm:
                                continue
                            if rule.zero_excludes and rule.zero_excludes.search(
                                clause[zm.start() :]
                            ):
                                continue
                            order += 1
                            add(
                                Candidate(
                                    Statistic(
                                        rule.indicator,
                                        0.0,
                                        rule.unit,
                                        "exact",
                                        None,
                                        sentence,
                                        anchor,
                                        "text",
                                        section_label,
                                    ),
                                    in_section,
                                    order,
                                    "zero",
                                )
                            )
                            break
            same_as(p, anchor, simple)
    zeros = _section_zeros(paras, simple_paras, heading_paths, vocab)
    for c in [*zeros, *_local_tables(paras, simple_paras, vocab)]:
        order += 1
        add(replace(c, order=order))
    return _choose(_drop_channel_parts(found))


def _section_zeros(
    paras: list[str], simple_paras: list[str], heading_paths: list[list[str]], vocab: Vocabulary
) -> list[Candidate]:
    """A section whose whole body is a bare none (三、…收费和减免情况 / 无; 五、…行政复议… /
    我镇2016年度无申请): 0 for each indicator its heading names."""
    out: list[Candidate] = []
    p = 0
    while p < len(paras):
        path = heading_paths[p]
        if not path or paras[p] != path[-1]:
            p += 1
            continue
        body = []
        q = p + 1
        while q < len(paras) and heading_paths[q] == path:
            body.append(q)
            q += 1
        if len(body) == 1:
            text = simple_paras[body[0]].strip()
            heading = simple_paras[p]
            if len(text) <= 40 and vocab.section_none.search(text):
                for pattern, indicators in vocab.section_zero:
                    if not pattern.search(heading):
                        continue
                    for indicator in indicators:
                        rule = vocab.rules[indicator]
                        out.append(
                            Candidate(
                                Statistic(
                                    indicator,
                                    0.0,
                                    rule.unit,
                                    "exact",
                                    None,
                                    paras[body[0]],
                                    anchor_id(body[0], 0),
                                    "text",
                                    " / ".join(path),
                                ),
                                True,
                                0,
                                "section_zero",
                            )
                        )
                    break
        p = q
    return out


_HEADER_LABEL = re.compile(
    r"([\u4e00-\u9fff]{2,12}?)(?:数|数量|总数)\s*[（(]?\s*(条|件|次|人次|元)\s*[）)]?"
)
_FLAT_TABLE = re.compile(
    r"((?:[\u4e00-\u9fff]{2,12}?(?:数|数量|总数)\s*[（(]?\s*(?:条|件|次|人次|元)\s*[）)]?\s*){2,})"
    r"([\d\s]+)$"
)
_CELL_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def _header_indicator(label: str, vocab: Vocabulary) -> str | None:
    simple = to_simplified(label)
    return next((ind for pattern, ind in vocab.table_headers if pattern.search(simple)), None)


def _table_candidate(
    indicator: str, value: float, evidence: str, anchor: str, vocab: Vocabulary
) -> Candidate:
    rule = vocab.rules[indicator]
    return Candidate(
        Statistic(indicator, value, rule.unit, "exact", None, evidence, anchor, "table"),
        True,
        0,
    )


def _local_tables(paras: list[str], simple_paras: list[str], vocab: Vocabulary) -> list[Candidate]:
    """Figures of the local tables 2008–2018 reports print (主动公开信息数（条） | 依申请公开数（件）
    over a row of numbers), as pipe rows or flattened onto one line (行政复议数条行政诉讼数条00,
    read only when its digits split one way: as many as there are headers)."""
    out: list[Candidate] = []
    for p, para in enumerate(paras):
        simple = simple_paras[p].strip()
        if not (simple.startswith("|") or "数" in simple):
            continue
        m = _FLAT_TABLE.search(simple)
        if m and not simple.startswith("|"):
            labels = [lm.group(1) for lm in _HEADER_LABEL.finditer(m.group(1))]
            raw = m.group(2).strip()
            tokens = raw.split()
            if len(tokens) != len(labels):
                tokens = list(raw) if len(raw) == len(labels) and " " not in raw else []
            for label, token in zip(labels, tokens, strict=False):
                indicator = _header_indicator(label, vocab)
                if indicator:
                    out.append(
                        _table_candidate(indicator, float(token), para, anchor_id(p, 0), vocab)
                    )
            continue
        if not simple.startswith("|") or p + 1 >= len(paras):
            continue
        head = [c.strip() for c in simple.strip("|").split("|")]
        # The value row, past a |---| rule.
        q = p + 1
        if re.fullmatch(r"[|\s:\-]+", paras[q]) and q + 1 < len(paras):
            q += 1
        values = [c.strip() for c in paras[q].strip().strip("|").split("|")]
        if len(values) != len(head) or (p > 0 and paras[p - 1].lstrip().startswith("|")):
            continue
        for label, cell in zip(head, values, strict=True):
            indicator = (
                _header_indicator(label, vocab)
                if _HEADER_LABEL.search(to_simplified(label))
                else None
            )
            if indicator and _CELL_NUMBER.match(cell.replace(",", "")):
                evidence = f"{label}：{cell}"
                out.append(
                    _table_candidate(indicator, float(cell.replace(",", "")), evidence, "", vocab)
                )
    return out


_CHANNEL_PART = re.compile(
    r"(?:通过|在)[^，,；;。]{0,20}?(?:发布|公开|公布)[^，,；;。\d]{0,12}?\d+\s*[条件项]"
)


def _drop_channel_parts(found: dict[str, list[Candidate]]) -> dict[str, list[Candidate]]:
    """Figures of one indicator for channels in one sentence (在市政府门户网站主动公开信息60条，在
    镇门户网站主动公开信息5条) are parts: the sentence's stated total (…，共计公开信息976条) is
    the body's figure, and with no total, none is."""
    out: dict[str, list[Candidate]] = {}
    for indicator, cands in found.items():
        by_sentence: dict[str, list[Candidate]] = {}
        for c in cands:
            if c.kind == "number" and c.stat.scope is None:
                by_sentence.setdefault(c.sentence, []).append(c)
        drop: set[int] = set()
        for group in by_sentence.values():
            if len(group) >= 2 and any(c.total for c in group):
                drop |= {id(c) for c in group if not c.total}
                continue
            if len(group) == 1 and group[0].channel and not group[0].total:
                # A channel the patterns did not read stands beside it (通过公示栏等形式发布信息
                # 108条，通过网站公开信息33条): this one is a part too.
                if len(_CHANNEL_PART.findall(to_simplified(group[0].stat.evidence))) >= 2:
                    drop.add(id(group[0]))
                continue
            if len(group) < 2 or not any(c.channel for c in group):
                continue
            if any(c.total for c in group):
                # 网上申请105件，快递17件，合计122件: the sum stands for the parts before it.
                drop |= {id(c) for c in group if not c.total}
            elif all(c.channel for c in group):
                drop |= {id(c) for c in group}
        out[indicator] = [c for c in cands if id(c) not in drop]
    return out


def _choose(found: dict[str, list[Candidate]]) -> tuple[Statistic, ...]:
    out: list[Statistic] = []
    for indicator in rules():
        cands = found.get(indicator, [])
        whole = [c for c in cands if c.stat.scope is None]
        if whole:
            out.append(min(whole, key=_rank).stat)
        seen_scopes: set[str] = set()
        for c in sorted((c for c in cands if c.stat.scope), key=_rank):
            if c.stat.scope not in seen_scopes:
                seen_scopes.add(c.stat.scope)
                out.append(c.stat)
    return tuple(out)


def indicator_titles() -> dict[str, tuple[str, str, str]]:
    """indicator → (English title, Chinese title, unit), for the data dictionary."""
    return {k: (r.title_en, r.title_zh, r.unit) for k, r in rules().items()}
