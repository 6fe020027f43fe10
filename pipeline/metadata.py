"""Metadata stage: title, issuer, year, dates, 文号, document type, format, script and region."""

from __future__ import annotations

import re
from datetime import date

from pipeline.extract.regions import body_from_title, describe_issuer
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
    return "other"


def issuer_from_title(title_hans: str) -> str | None:
    """岳塘区 in 2012年岳塘区政府信息公开工作年度报告 → 岳塘区人民政府; 某某厅 stays itself."""
    body = body_from_title(title_hans)
    if not body or len(body) > 30:
        return None
    if body.endswith(("人民政府", "政府办公室", "政府办公厅", "办公室", "办公厅")):
        return body
    if body.endswith("政府"):
        return body[:-2] + "人民政府"
    if body.endswith("街道"):
        return body + "办事处"
    if _REGION_SUFFIX.search(body):
        return body + "人民政府"
    return body


def doc_number(cleaned: Cleaned) -> str | None:
    if value := cleaned.header.get("doc_number"):
        return to_simplified(value.strip()) or None
    for line in cleaned.text.split("\n")[:4]:
        if _DOC_NUMBER.match(to_simplified(line.strip())):
            return to_simplified(line.strip())
    return None


def extract_metadata(cleaned: Cleaned, sidecar: dict[str, str] | None = None) -> Metadata:
    """Describe one report from its cleaned text, page header and optional sidecar."""
    sidecar = sidecar or {}
    header = cleaned.header
    first_line = next((p for p in cleaned.text.split("\n") if p.strip()), "")
    title = sidecar.get("title") or header.get("title") or first_line[:120]
    title_hans = to_simplified(title)
    issuer = (
        sidecar.get("issuer")
        or header.get("issuer")
        or issuer_from_title(title_hans)
        or header.get("source")
    )
    issuer = to_simplified(issuer).strip() if issuer else None
    # The opening lines and the signature are where a body names its place (北京市朝阳区人民政府).
    head_text = to_simplified(cleaned.text[:300] + "\n" + cleaned.text[-200:])
    issuer_type, admin_level, region = describe_issuer(issuer, title_hans, head_text)
    published = (
        parse_date(header.get("published"))
        or parse_date(header.get("written"))
        or parse_date(header.get("closing_date"))
    )
    year = year_from(title_hans)
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
        document_type=document_type(title),
        report_format=detect_format(cleaned.text),
        script=detect_script(cleaned.text),
        url=sidecar.get("url") or header.get("url"),
        license=sidecar.get("license"),
    )
