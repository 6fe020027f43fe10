"""Metadata stage: title, issuer, year, dates, 文号, document type, format, script and region."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from pipeline.extract.regions import body_from_title, describe_issuer, locate, only_places
from pipeline.extract.template import detect_format
from pipeline.records import Cleaned, Metadata
from pipeline.script import detect_script, to_simplified
from pipeline.text import CN_DIGITS

_ISO = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?!\d)")
_CN_YMD = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_NUMERAL_DATE = re.compile(
    r"([〇○零ＯO一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月"
    r"\s*([一二三四五六七八九十]{1,3})\s*日"
)
_COMPACT = re.compile(r"^((?:19|20)\d{2})(\d{1,2})(\d{1,2})$")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})\s*年")
_DOC_NUMBER = re.compile(
    r"^[\u4e00-\u9fff]{1,12}[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]\s*第?\d{1,4}\s*号$"
)
_REGION_SUFFIX = re.compile(
    r"(省|自治区|特别行政区|市|地区|自治州|州|盟|县|自治县|区|旗|自治旗|镇|乡|苏木|街道)$"
)

ANNUAL_WORDS = ("年度报告", "年报", "工作报告", "年度工作报告", "情况报告")
NOTICE_WORDS = ("通报", "通知", "公告", "通告")


def _cn_number(s: str) -> int | None:
    """二十 → 20, 三十一 → 31, 十二 → 12, 五 → 5."""
    if not s or any(ch not in CN_DIGITS and ch != "十" for ch in s):
        return None
    if "十" in s:
        tens, _, units = s.partition("十")
        return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[units] if units else 0)
    return CN_DIGITS[s] if len(s) == 1 else None


def _valid(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def parse_date(text: str | None) -> str | None:
    """An ISO date from 2013-03-20, 2009-2-20, 2010年3月19日, 二○一○年三月三十日 or 2009219."""
    if not text:
        return None
    text = text.strip()
    for pattern in (_ISO, _CN_YMD):
        if m := pattern.search(text):
            return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _CN_NUMERAL_DATE.search(text):
        year = "".join(str(CN_DIGITS.get(ch, 0)) for ch in m.group(1).replace("Ｏ", "〇"))
        month, day = _cn_number(m.group(2)), _cn_number(m.group(3))
        if month and day:
            return _valid(int(year), month, day)
    if m := _COMPACT.match(text):
        # 2009219: the year is four digits; read the rest as month and day, preferring a
        # two-digit day (2-19 over 21-9, which is no date anyway).
        y, rest = int(text[:4]), text[4:]
        candidates = [(rest[:1], rest[1:]), (rest[:2], rest[2:])]
        for mm, dd in candidates:
            if mm and dd and len(dd) <= 2 and (iso := _valid(y, int(mm), int(dd))):
                return iso
    return None


def year_from(title: str) -> int | None:
    for m in _TITLE_YEAR.finditer(title):
        raw = m.group(1)
        if raw.isdigit():
            return int(raw)
        return int("".join(str(CN_DIGITS[ch]) for ch in raw))
    return None


def document_type(title: str) -> str:
    t = to_simplified(title)
    if any(w in t for w in NOTICE_WORDS):
        return "notice"
    if any(w in t for w in ANNUAL_WORDS) or ("年度" in t and "报告" in t):
        return "annual_report"
    if _TITLE_YEAR.search(t) and "公开" in t and t.endswith("报告"):
        return "annual_report"
    return "other"


def as_body(name: str) -> str:
    """A division's name read as its government (岳塘区 → 岳塘区人民政府, 新华街道 → 新华街道办事处,
    某县政府 → 某县人民政府); a body's name stays itself."""
    name = name.removesuffix("机关")  # 某县人民政府机关: the government and its office
    if name.endswith(("人民政府", "政府办公室", "政府办公厅", "办公室", "办公厅", "办事处")):
        return name
    if name.endswith("政府"):
        return name[:-2] + "人民政府"
    if name.endswith("街道"):
        return name + "办事处"
    if name.endswith(_ZONES) and not only_places(name):
        return name  # a zone (蒲纺工业园区) is run by a committee, not a people's government
    if _REGION_SUFFIX.search(name):
        return name + "人民政府"
    return name


_ZONES = (
    "开发区",
    "园区",
    "新区",
    "实验区",
    "试验区",
    "示范区",
    "高新区",
    "保税区",
    "合作区",
    "度假区",
    "风景区",
    "管理区",
    "工业区",
    "产业园",
    "港区",
)


def issuer_from_title(title_hans: str) -> str | None:
    """岳塘区 in 2012年岳塘区政府信息公开工作年度报告 → 岳塘区人民政府; 某某厅 stays itself."""
    body = body_from_title(title_hans)
    if not body or len(body) > 30 or not _is_body(body):
        return None
    return as_body(body)


# A name that can be an issuing body: Han characters (brackets allowed) ending like a body or
# a division, never a phrase of the text (根据…, 我局, 本站原创) or a heading.
_BODY_END = re.compile(
    r"(?:人民政府|政府|办公室|办公厅|办事处|委员会|管委会|局|委|办|厅|署|院|中心|所|站|队|部|处|机关|"
    r"省|自治区|市|地区|自治州|州|盟|县|自治县|区|旗|镇|乡|苏木|街道)$"
)
_BODY_CHARS = re.compile(r"^[\u3400-\u9fff（）()]{2,40}$")
_NOT_BODY_START = re.compile(
    r"^(?:根据|根據|依据|按照|我|该|該|其|有关|有關|相关|相關|上级|上級|在|于|從|从|经|經|通过|通過|对|對"
    # 本局, 全县 and 各乡镇 speak of a body without naming it; 本溪县 and 全椒县 are names.
    r"|[本全各](?=[局委办站院所单机部门级镇乡县区市省州旗盟系行]))"
)
_NOT_BODY = frozenset({"本站原创", "本站", "原创", "网站", "管理员", "信息公开", "政府信息公开"})


def _is_body(name: str | None) -> bool:
    if not name:
        return False
    name = to_simplified(name.strip())
    if not (_BODY_CHARS.match(name) and _BODY_END.search(name)):
        return False
    # What stands before the body's ending must name something: not 人民政府 alone, nor 区人民政府.
    stem = re.sub(r"(?:人民政府|政府)?(?:办公室|办公厅|办事处)?$", "", name)
    stem = re.sub(r"(?:人民|省|自治区|市|自治州|州|地区|盟|县|自治县|区|旗|镇|乡|街道)$", "", stem)
    return not _NOT_BODY_START.match(name) and name not in _NOT_BODY and len(stem) >= 2


_DATE_ONLY = re.compile(
    r"^(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|[〇○零Ｏ一二三四五六七八九]{4}年.{1,3}月.{1,3}日"
    r"|(?:19|20)\d{5,6}|[〇○零Ｏ0一二三四五六七八九]{4}年)$"
)


def signature(text: str) -> str | None:
    """The body that signs the report: a line of its own at the end, above or beside the
    closing date (桦甸市人民政府新华街道办事处 / 2013年3月7日), or the last word of the last line."""
    paras = [p.strip() for p in text.split("\n") if p.strip()]
    for para in reversed(paras[-4:]):
        if _DATE_ONLY.match(para):
            continue
        tokens = para.split()
        for candidate in (para, tokens[-1] if tokens else ""):
            candidate = to_simplified(candidate.strip())
            if len(candidate) <= 30 and _is_body(candidate):
                return candidate
        if len(para) > 30:
            break
    return None


_NAMED_REPORT = re.compile(
    r"([\u4e00-\u9fff]{2,30})\s*(?:(?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})\s*年度?"
    r"(?:政府)?(?:信息公开|政务公开)(?:工作)?(?:年度)?(?:报告|年报|情况)"
)
_VERB_BEFORE = re.compile(r"^.*?(?:依据|根据|按照|编制了|编制|现将|公布|公开|汇总|关于|对)")
_TOWNSHIP_SUBJECT = re.compile(
    r"(?:^|[，,。；;\s])([\u4e00-\u9fff]{2,3}(?:乡|镇|街道))(?=未|没有|共|全年|主动|在|按照|认真|积极)"
)
_FUNCTION_CHARS = set("了将把对向由的据照制布开我本全该在与和及")


# Where a report names the body that wrote it, besides its title and signature: the contact
# line (如对本报告有疑问，请与某县财政局联系), the compiler (某县财政局编制了本报告; 由某街道编制的),
# a report named with its year before the body (现将2021年某县财政局政府信息公开工作年度报告予以公布),
# or the body opening the first paragraph (2022年，某区房屋征收办公室认真贯彻…).
_CONTACT = re.compile(r"请与([\u4e00-\u9fff]{2,40}?)(?:联系|联络|咨询)")
_COMPILED_BY = re.compile(
    r"(?:由|本报告由)?([\u4e00-\u9fff（）()]{2,30}?)(?:负责)?编制(?:了|的|完成)?[^。；，,]{0,20}?报告"
    r"|由([\u4e00-\u9fff（）()]{2,30}?)(?:根据|依据|按照|负责|汇总|综合)"
)
_YEAR_THEN_BODY = re.compile(
    r"(?:(?:19|20)\d{2})\s*年度?([\u4e00-\u9fff]{2,30}?)(?:政府)?(?:信息公开|政务公开)(?:工作)?(?:年度)?(?:报告|年报)"
)
_OPENING_SUBJECT = re.compile(
    r"^(?:(?:19|20)\d{2}\s*年度?|今年|本年度|全年)\s*[，,]?\s*([\u4e00-\u9fff（）()]{4,30}?)"
    r"(?=认真|坚持|按照|进一步|深入|全面|积极|严格|紧紧|紧密|始终|切实|不断|以)"
)
# Offices a body names for contact or compiling, stripped to reach the body itself.
_OFFICE_TAIL = re.compile(
    r"(?:政府信息公开(?:工作)?领导小组办公室|信息公开(?:工作)?领导小组办公室|政务公开(?:工作)?领导小组"
    r"办公室|政府信息公开办公室|政务公开办公室|信息公开办公室|领导小组办公室|党政办公室|党政办|办公室)$"
)


def _body_named(run: str, office: bool = False) -> str | None:
    """The body a run of text ends with; None when the run is no body's name. ``office``: the
    run names an office of the body (a contact point), stripped to reach the body (某县财政局
    办公室 → 某县财政局, 某市人民政府信息公开工作领导小组办公室 → 某市人民政府)."""
    run = _VERB_BEFORE.sub("", run)
    for name in (_OFFICE_TAIL.sub("", run), run) if office else (run,):
        if name and _is_body(name):
            return as_body(name)
    return None


def issuer_from_text(text_hans: str) -> str | None:
    """A body the opening of a report names as its author: 依据锡山区司法局2010年政府信息公开工作
    情况编制, 编制了若笠乡2008年政府信息公开工作年度报告, its compiler or contact office, the body
    opening the first paragraph, or a township that is the subject of a sentence (2014年，南薰乡未
    收取…) in a report that calls itself 我乡."""
    head = text_hans[:800]
    for m in _NAMED_REPORT.finditer(head):
        run = _VERB_BEFORE.sub("", m.group(1))
        if _is_body(run):
            return as_body(run)
        township = re.search(r"([\u4e00-\u9fff]{2,3})(乡|镇|街道)$", run)
        if township:
            stem = township.group(1)
            if len(stem) == 3 and stem[0] in _FUNCTION_CHARS:
                stem = stem[1:]
            if len(stem) >= 2 and not set(stem) & _FUNCTION_CHARS:
                return as_body(stem + township.group(2))
    for pattern in (_YEAR_THEN_BODY, _COMPILED_BY, _CONTACT):
        for m in pattern.finditer(head):
            named = next(g for g in m.groups() if g)
            if body := _body_named(named, office=pattern is not _YEAR_THEN_BODY):
                return body
    for para in text_hans.split("\n")[:6]:
        if (m := _OPENING_SUBJECT.match(para.strip())) and (body := _body_named(m.group(1))):
            return body
    own = re.search(r"[我本](乡|镇|街道)", text_hans)
    if own:
        for m in _TOWNSHIP_SUBJECT.finditer(text_hans):
            name = m.group(1)
            if name.endswith(own.group(1)) and not set(name[:-1]) & _FUNCTION_CHARS:
                return as_body(name)
    return None


def cover_body(text: str) -> str | None:
    """A body named alone on one of the first lines, as on a report's cover (广州市人民政府 /
    2013年3月)."""
    for para in [p.strip() for p in text.split("\n") if p.strip()][:3]:
        name = to_simplified(para)
        if len(name) <= 30 and _is_body(name) and not _YEAR_ANYWHERE.search(name):
            return as_body(name)
    return None


_YEAR_ANYWHERE = re.compile(r"(?:19|20)\d{2}|年")
_CITED = re.compile(r"《[^《》]{0,80}》")


def _office_of(signed: str, body: str) -> bool:
    """Whether a signature is an office of the body the title names (城关镇党政办公室 of 醴陵市
    城关镇人民政府): it ends like an office and holds the body's own name."""
    if not re.search(r"(?:办公室|党政办|办公厅)$", signed) or signed == body:
        return False
    stem = re.sub(r"(?:人民政府|政府|办事处)$", "", body)
    # Its last unit: 信丰县古城镇 → 古城镇, 韶山市农业局 → 农业局.
    units = re.findall(r".+?(?:省|自治区|市|自治州|州|盟|地区|县|区|旗|镇|乡|街道|$)", stem)
    last = units[-1] if units and len(units[-1]) >= 2 else stem
    return len(last) >= 2 and last in signed


def _header_body(header: dict[str, str], key: str) -> str | None:
    value = header.get(key)
    if value:
        value = to_simplified(value.strip())
        if _is_body(value) and not _placeless(value):
            return as_body(value)
    return None


def _placeless(name: str) -> bool:
    """A body named by its kind alone (市政府办, 区卫计局): a page's own shorthand, which names no
    place; the title or the text say which body it is."""
    return name[0] in "省市县区州旗" and locate(name).division_code is None


def doc_number(cleaned: Cleaned) -> str | None:
    if value := cleaned.header.get("doc_number"):
        value = to_simplified(value.strip())
        # A label the page left empty is followed by the next label, never a number.
        if value and not value.endswith((":", "：")):
            return value
        return None
    for line in cleaned.text.split("\n")[:4]:
        if _DOC_NUMBER.match(to_simplified(line.strip())):
            return to_simplified(line.strip())
    return None


_PERIOD_YEAR = re.compile(
    r"(?:(?:19|20)\d{2}|[〇○零一二三四五六七八九]{4})(?=\s*年\s*度?\s*(?:[\u4e00-\u9fff]{0,12}?)"
    r"(?:政府)?(?:信息公开|政务公开)(?:工作)?(?:年度)?(?:报告|年报))"
    r"|(?<=自)(?:19|20)\d{2}(?=\s*年\s*1\s*月\s*1\s*日)"
    r"|(?:19|20)\d{2}(?=\s*年\s*1\s*月\s*1\s*日\s*(?:起)?\s*[至到—\-－]+)"
    r"|(?<=截止|截至)(?:19|20)\d{2}(?=\s*年\s*12\s*月\s*31\s*日)"
)


_ANY_YEAR = re.compile(r"(?<![\d〔\[［(（])((?:19|20)\d{2})\s*年(?!\s*\d{1,2}\s*月)")


def year_from_text(text_hans: str) -> int | None:
    """The year a report covers when its title does not say: the year of the report it names
    itself (现将我乡2014年政府信息公开工作报告公开如下) or of its statistics period (自2014年1月1日起);
    failing both, a year the opening names far more often than any other (2010年，我局…)."""
    m = _PERIOD_YEAR.search(text_hans[:1500])
    if m:
        return year_from(m.group(0) + "年")
    counts = Counter(int(y) for y in _ANY_YEAR.findall(text_hans[:1500]))
    ranked = counts.most_common(2)
    if ranked and (len(ranked) == 1 or ranked[0][1] >= 2 * ranked[1][1]):
        return ranked[0][0]
    return None


# Words of the sections every annual report has: a text with most of them is one, title or not.
_OUTLINE = ("主动公开", "依申请", "收费", "复议", "诉讼", "存在的", "改进")
_OUTLINE_2019 = (
    "总体情况",
    "收到和处理政府信息公开申请",
    "政府信息管理",
    "平台建设",
    "监督保障",
    "行政复议",
    "其他需要报告的事项",
)


def document_type_from_text(text_hans: str) -> str:
    head = text_hans[:800]
    names_itself = any(w in head for w in (*ANNUAL_WORDS, "本报告", "编制本报告"))
    if names_itself and ("信息公开" in head or "政务公开" in head):
        return "annual_report"
    if (
        sum(w in text_hans for w in _OUTLINE) >= 5
        or sum(w in text_hans for w in _OUTLINE_2019) >= 4
    ):
        return "annual_report"
    if detect_format(text_hans) != "free_text":
        return "annual_report"  # the mandated tables are printed in annual reports only
    return "other"


def publication_date(header: dict[str, str], year: int | None) -> str | None:
    """The page's publication date, else the date under the signature. A date before the end of
    the covered year, or years after it (a re-post of an old report), is not its publication."""
    for value in (header.get("published"), header.get("written"), header.get("closing_date")):
        iso = parse_date(value)
        if iso and (
            year is None or date(year, 12, 31) < date.fromisoformat(iso) < date(year + 2, 7, 1)
        ):
            return iso
    return None


def extract_metadata(cleaned: Cleaned, sidecar: dict[str, str] | None = None) -> Metadata:
    """Describe one report from its cleaned text, page header and optional sidecar."""
    sidecar = sidecar or {}
    header = cleaned.header
    title = sidecar.get("title") or header.get("title") or None
    title_hans = to_simplified(title) if title else None
    text_hans = to_simplified(cleaned.text)
    titled = issuer_from_title(title_hans) if title_hans else None
    signed = signature(cleaned.text)
    if signed and titled and _office_of(signed, titled):
        signed = titled  # 韶山市农业局办公室 signs for 韶山市农业局, which the title names
    issuer = (
        sidecar.get("issuer")
        or _header_body(header, "issuer")
        or signed
        or titled
        or cover_body(cleaned.text)
        or _header_body(header, "source")
        or issuer_from_text(text_hans)
    )
    issuer = to_simplified(issuer).strip() if issuer else None
    # The opening lines and the signature are where a body names its place (北京市朝阳区人民政府);
    # the titles of documents it cites (《重庆市人民政府办公厅关于…的通知》) name other bodies.
    tail = [line for line in text_hans.rstrip().split("\n")[-3:] if len(line) <= 40]
    head_text = _CITED.sub("》", text_hans[:300] + "\n" + "\n".join(tail))
    issuer_type, admin_level, region = describe_issuer(issuer, title_hans or "", head_text)
    year = (year_from(title_hans) if title_hans else None) or year_from_text(text_hans)
    published = publication_date(header, year)
    if year is None and published:
        year = int(published[:4]) - 1
    return Metadata(
        title=title,
        title_hans=title_hans,
        issuer=issuer,
        issuer_type=issuer_type,
        admin_level=admin_level,
        region=region,
        year=year,
        published_date=published,
        doc_number=doc_number(cleaned),
        document_type=document_type(title) if title else document_type_from_text(text_hans),
        report_format=detect_format(cleaned.text, year),
        script=detect_script(cleaned.text),
        url=sidecar.get("url") or header.get("url"),
        license=sidecar.get("license"),
    )
