"""Realistic synthetic annual reports (free text, 2019 and 2021 templates) with ground truth.

Every report is a pure function of ``(i, seed)``: ``generate_one`` gives its file name and
bytes, ``truth`` the facts it was written from (format, year, issuer, figures, tables).
Reports are numbered from 1; each run of 100 numbers holds a fixed mix (see ``_block``), so
proportions are exact for multiples of 100 and close otherwise.
"""

from __future__ import annotations

import copy
import functools
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opencc
import yaml

VOCAB_FILE = Path(__file__).resolve().parent / "synth_vocab.yml"

BLOCK = 100
"""Reports per block; each block holds the counts below, in a seeded order."""
FORMAT_COUNTS = {"free_text": 70, "template_2019": 15, "template_2021": 15}
HANT_COUNTS = {"free_text": 11, "template_2019": 2, "template_2021": 2}
BIG5_COUNT = 2  # among the Traditional reports
GB18030_COUNT = 5  # among the Simplified reports
BOM_COUNT = 3  # UTF-8 with BOM, any script
CLUTTER_COUNT = 70
MIN_BYTES, MAX_BYTES = 3000, 20000

UNITS = {
    "proactive_items": "条",
    "applications_received": "件",
    "applications_carried_in": "件",
    "applications_answered": "件",
    "applications_granted": "件",
    "applications_partially_granted": "件",
    "applications_refused": "件",
    "applications_carried_out": "件",
    "fees_collected": "元",
    "reconsideration_cases": "件",
    "litigation_cases": "件",
    "complaints": "件",
    "press_conferences": "次",
    "training_sessions": "次",
    "training_participants": "人次",
    "website_visits": "人次",
    "gazette_copies": "份",
}

APPLICANT_COLUMNS = (
    "natural_person",
    "commercial",
    "research",
    "public_interest",
    "legal_services",
    "other_org",
    "total",
)
REVIEW_ROWS = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
REVIEW_COLUMNS = ("upheld", "corrected", "other", "pending", "total")

_CN_DIGITS = "零一二三四五六七八九"
_DATE_DIGITS_A = "○一二三四五六七八九"
_DATE_DIGITS_B = "〇一二三四五六七八九"
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Many sites turn full-width punctuation into ASCII (the seeds show both).
_ASCII_PUNCT = str.maketrans({"，": ",", "：": ":", "（": "(", "）": ")", "；": ";", "？": "?"})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_FIGURE = re.compile(r"\[\[(\w+):([^\]]+)\]\]")
_AUX = re.compile(r"<<(\w+)>>")


# --------------------------------------------------------------------------- public API


def generate(n: int, out_dir: Path, seed: int = 0, same_issuer: int = 0) -> list[Path]:
    """Write reports 1..n into ``out_dir`` as ``synth_<000001>.txt``; return their paths, sorted.
    With ``same_issuer``, reports 1..same_issuer are all published by one issuer (as a national
    corpus has bodies with many reports, and a badly read issuer gathers many more)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(1, n + 1):
        name, data, _ = _build(i, seed, shared_issuer=i <= same_issuer)
        path = out_dir / name
        path.write_bytes(data)
        paths.append(path)
    return sorted(paths)


def generate_years(
    issuers: int, years: tuple[int, ...], out_dir: Path, seed: int = 0
) -> list[Path]:
    """Reports of ``issuers`` bodies, one per body and year: ``synth_b<k>_<year>.txt``. A body
    keeps its name and place over the years; each year's format follows the year (free text to
    2018, then the 2019 and 2021 tables), in Simplified script and UTF-8. ``truth_years`` gives
    what each was generated from."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(1, issuers + 1):
        for year in years:
            name, data, _ = _build(k, seed, (k, year))
            path = out_dir / name
            path.write_bytes(data)
            paths.append(path)
    return sorted(paths)


def truth_years(k: int, year: int, seed: int = 0) -> dict[str, Any]:
    """What report ``synth_b<k>_<year>.txt`` of ``generate_years`` was generated from."""
    return copy.deepcopy(_build(k, seed, (k, year))[2])


def generate_one(i: int, seed: int, shared_issuer: bool = False) -> tuple[str, bytes]:
    """File name and bytes of report ``i`` (numbered from 1) for ``seed`` (of the shared issuer
    when ``generate`` was given ``same_issuer``)."""
    name, data, _ = _build(i, seed, shared_issuer=shared_issuer)
    return name, data


def truth(i: int, seed: int) -> dict[str, Any]:
    """What report ``i`` was generated from (JSON-serialisable; a fresh copy on every call).

    Keys: ``name``, ``format`` (free_text | template_2019 | template_2021), ``variant``,
    ``layout``, ``script`` (hans | hant), ``converter``, ``encoding``, ``size``, ``year``,
    ``published_date`` (ISO, or None when the file does not show it), ``title`` (as written),
    ``title_hans``, ``issuer`` (Simplified), ``issuer_aliases``, ``issuer_type``,
    ``admin_level``, ``region`` (province/prefecture/county/township), ``doc_number``,
    ``has_clutter``, ``clutter`` (fragments a cleaner must remove, as written),
    ``figures`` ({indicator: {value, unit, qualifier, evidence}}; a figure the report does not
    state is absent), ``scoped`` (figures for a sub-scope, not for the whole body) and, for
    template reports, ``tables`` (``proactive``, ``applications`` and ``review_litigation``
    as {row_key: {column_key: value}}).
    """
    return copy.deepcopy(_build(i, seed)[2])


# --------------------------------------------------------------------------- vocabulary


@functools.cache
def _vocab() -> dict[str, Any]:
    return yaml.safe_load(VOCAB_FILE.read_text(encoding="utf-8"))


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def _in_use(entry: dict[str, Any], year: int) -> bool:
    return entry.get("since", 0) <= year <= entry.get("until", 9999)


# --------------------------------------------------------------------------- the mix


@dataclass(frozen=True)
class _Slot:
    fmt: str
    script: str
    encoding: str
    clutter: bool


@functools.lru_cache(maxsize=256)
def _block(seed: int, block: int) -> tuple[_Slot, ...]:
    rng = random.Random(f"synth-block:{seed}:{block}")
    formats = [fmt for fmt, count in FORMAT_COUNTS.items() for _ in range(count)]
    rng.shuffle(formats)
    hant: set[int] = set()
    for fmt, count in HANT_COUNTS.items():
        hant.update(rng.sample([k for k, f in enumerate(formats) if f == fmt], count))
    hant_list = sorted(hant)
    hans_list = [k for k in range(BLOCK) if k not in hant]
    encodings = ["utf-8"] * BLOCK
    for k in rng.sample(hant_list, BIG5_COUNT):
        encodings[k] = "big5"
    for k in rng.sample(hans_list, GB18030_COUNT):
        encodings[k] = "gb18030"
    for k in rng.sample([k for k in range(BLOCK) if encodings[k] == "utf-8"], BOM_COUNT):
        encodings[k] = "utf-8-sig"
    clutter = set(rng.sample(range(BLOCK), CLUTTER_COUNT))
    return tuple(
        _Slot(formats[k], "hant" if k in hant else "hans", encodings[k], k in clutter)
        for k in range(BLOCK)
    )


# --------------------------------------------------------------------------- small helpers


def _weighted(rng: random.Random, options: dict[Any, float]) -> Any:
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


def _loguniform(rng: random.Random, low: float, high: float) -> int:
    return round(math.exp(rng.uniform(math.log(low), math.log(high))))


def _cn_number(n: int) -> str:
    """0–99 in Chinese numerals (十一, 二十五)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, units = divmod(n, 10)
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[units] if units else "")


def _sig(x: int, digits: int, how: str) -> int:
    """Round ``x`` to ``digits`` significant digits (floor, ceil or nearest)."""
    if x <= 0:
        return 0
    q = 10 ** max(math.floor(math.log10(x)) - digits + 1, 0)
    if how == "floor":
        return (x // q) * q
    if how == "ceil":
        return -(-x // q) * q
    return round(x / q) * q


def _split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into len(weights) non-negative parts."""
    counts = [0] * len(weights)
    if total <= 0:
        return counts
    if total > 400:
        # Proportional split plus a random remainder keeps large tables fast.
        shares = [w * rng.uniform(0.6, 1.4) for w in weights]
        scale = total / sum(shares)
        counts = [int(s * scale) for s in shares]
        rest = total - sum(counts)
    else:
        rest = total
    for k in rng.choices(range(len(weights)), weights=weights, k=rest):
        counts[k] += 1
    return counts


def _date_cn(y: int, m: int, d: int, digits: str) -> str:
    year = "".join(digits[int(c)] for c in str(y))
    return f"{year}年{_cn_number(m)}月{_cn_number(d)}日"


# --------------------------------------------------------------------------- figures


@dataclass
class _Fig:
    value: int | float
    qualifier: str
    text: str
    post: str = ""


def _render(rng: random.Random, m: int, styles: dict[str, float]) -> _Fig:
    """How a report states the count ``m``: the stated value, its qualifier and surface."""
    style = _weighted(rng, styles)
    if style == "cn" and m <= 99:
        return _Fig(m, "exact", "两" if m == 2 and rng.random() < 0.3 else _cn_number(m))
    if style == "fullwidth":
        return _Fig(m, "exact", str(m).translate(_FULLWIDTH))
    if style == "comma" and m >= 1000:
        return _Fig(m, "exact", f"{m:,}")
    if style == "wan" and m >= 10000:
        v = round(m / 1000) * 1000
        return _Fig(v, "exact", f"{v / 10000:g}万")
    if style in ("duo", "yu") and m >= 20:
        if m >= 20000 and rng.random() < 0.6:
            v = m // 10000 * 10000
            w = v // 10000
            text = rng.choice([f"{w}万多", f"{w}万余", f"{w}余万", f"{w}多万"])
            return _Fig(v, "more_than", text)
        v = _sig(m, rng.choice((1, 2)), "floor")
        return _Fig(v, "more_than", f"{v}{'多' if style == 'duo' else '余'}")
    if style == "jin" and m >= 20:
        v = _sig(m, rng.choice((1, 2)), "ceil")
        num = f"{v // 10000}万" if v >= 10000 and v % 10000 == 0 else str(v)
        return _Fig(v, "nearly", rng.choice(("近", "近", "将近")) + num)
    if style in ("yue", "zuoyou") and m >= 20:
        v = _sig(m, 2, "round")
        if style == "yue":
            return _Fig(v, "approximately", f"约{v}")
        return _Fig(v, "approximately", str(v), "左右")
    if style in ("chaoguo", "yishang") and m >= 20:
        v = _sig(m, 1, "floor")
        if style == "chaoguo":
            return _Fig(v, "more_than", f"超过{v}")
        return _Fig(v, "more_than", str(v), "以上")
    return _Fig(m, "exact", str(m))


_STYLES: dict[str, dict[str, float]] = {
    "proactive_items": {
        "exact": 50,
        "comma": 3,
        "wan": 8,
        "duo": 12,
        "yu": 10,
        "jin": 7,
        "yue": 4,
        "zuoyou": 2,
        "chaoguo": 2,
        "yishang": 2,
    },
    "applications_received": {"exact": 88, "cn": 9, "fullwidth": 3},
    "exact": {"exact": 95, "cn": 5},
    "small": {"exact": 60, "cn": 40},
    "press_conferences": {"exact": 70, "cn": 20, "yu": 10},
    "training_sessions": {"exact": 60, "cn": 30, "yu": 10},
    "training_participants": {"exact": 50, "duo": 20, "yu": 15, "jin": 5, "yue": 5, "zuoyou": 5},
    "website_visits": {"exact": 40, "wan": 20, "duo": 15, "yu": 10, "chaoguo": 10, "yue": 5},
    "gazette_copies": {"exact": 40, "wan": 35, "yu": 15, "duo": 10},
    "plain": {"exact": 1},
}


# --------------------------------------------------------------------------- issuers


@dataclass
class _Issuer:
    name: str
    aliases: list[str]
    issuer_type: str
    admin_level: str
    region: dict[str, str | None]
    label: str
    """Place name (governments) or body name (departments) used in titles."""
    ctx: dict[str, str] = field(default_factory=dict)
    """Values for the {placeholders} of the vocabulary."""
    abbr: str = ""
    gazette: bool = False


_LEVELS = {"central": 4, "province": 16, "prefecture": 30, "county": 36, "township": 14}
_SELF = {
    "自治区": "区",
    "省": "省",
    "市": "市",
    "县": "县",
    "区": "区",
    "旗": "旗",
    "镇": "镇",
    "乡": "乡",
}


def _place_suffix(name: str) -> str:
    for suffix in ("自治区", "省", "市", "县", "区", "旗", "镇", "乡"):
        if name.endswith(suffix):
            return _SELF[suffix]
    return "市"


def _body_self(name: str) -> str:
    for suffix, word in (
        ("厅", "我厅"),
        ("委员会", "我委"),
        ("局", "我局"),
        ("部", "我部"),
        ("署", "我署"),
    ):
        if name.endswith(suffix):
            return word
    return "本机关"


def _pick_issuer(rng: random.Random, year: int) -> _Issuer:
    v = _vocab()
    level = _weighted(rng, _LEVELS)
    if level == "central":
        ministry = rng.choice([m for m in v["ministries"] if _in_use(m, year)])
        name = ministry["name"]
        we = _body_self(name)
        return _finish_issuer(
            rng,
            name=name,
            aliases=[],
            issuer_type="department",
            level=level,
            region={"province": None, "prefecture": None, "county": None, "township": None},
            label=name,
            we=we,
            all_=rng.choice((we, "本部门")),
            office=f"{name}办公厅",
            upper="国务院办公厅",
            slug=ministry["slug"],
            dslug="",
            abbr="京",
            town="北京市",
            short=name,
            gazette=False,
        )
    regions = v["regions"]
    if level == "prefecture":
        regions = [r for r in regions if not r.get("municipality")]
    prov = rng.choice(regions)
    muni = bool(prov.get("municipality"))
    pref = None if muni or level == "province" else rng.choice(prov["prefectures"])
    county = None
    if level in ("county", "township"):
        county = rng.choice(prov["counties"] if muni else pref["counties"])
    town = None
    if level == "township":
        stem = rng.choice(v["township_stems"])
        suffix = _weighted(rng, {s["name"]: s["weight"] for s in v["township_suffixes"]})
        town = stem + suffix
    region = {
        "province": prov["name"],
        "prefecture": pref["name"] if pref else None,
        "county": county["name"] if county else None,
        "township": town,
    }
    prov_suffix = "区" if prov["name"].endswith("自治区") else _place_suffix(prov["name"])
    prov_party = (
        "自治区党委、政府" if prov_suffix == "区" else f"{prov_suffix}委、{prov_suffix}政府"
    )
    deepest = county or pref or prov
    slug = deepest["slug"]
    abbr = (pref or prov).get("abbr", prov["abbr"])
    parent = (pref or prov)["name"]
    town_name = county["name"] if county else (pref or prov)["name"]
    departments = [d for d in v["departments"] if _in_use(d, year)]
    is_department = level != "township" and rng.random() < {
        "province": 0.55,
        "prefecture": 0.55,
    }.get(level, 0.45)
    if is_department:
        dept = rng.choice(departments)
        if level == "province":
            name = prov["name"] + (
                dept.get("municipal", dept["local"]) if muni else dept["province"]
            )
            upper = prov_party
            aliases: list[str] = []
        elif level == "prefecture":
            name = pref["name"] + dept["local"]
            upper = "市委、市政府"
            aliases = [prov["name"] + name]
        else:
            name = county["name"] + dept["local"]
            suffix = _place_suffix(county["name"])
            upper = f"{suffix}委、{suffix}政府"
            aliases = [parent + name]
        we = _body_self(name)
        return _finish_issuer(
            rng,
            name=name,
            aliases=aliases,
            issuer_type="department",
            level=level,
            region=region,
            label=name,
            we=we,
            all_=rng.choice((we, "本部门", f"全{we[-1]}")),
            office=f"{name}办公室",
            upper=upper,
            slug=slug,
            dslug=dept["slug"],
            abbr=abbr,
            town=town_name,
            short=(pref or prov)["short"],
            gazette=False,
        )
    if level == "province":
        place = prov["name"]
        aliases = [f"{place}人民政府办公厅"]
        office = rng.choice((f"{place}人民政府办公厅", f"{place}政务公开办公室"))
        upper, short = "国务院办公厅", prov["short"]
    elif level == "prefecture":
        place = pref["name"]
        aliases = [
            prov["name"] + place + "人民政府",
            f"{place}人民政府办公室",
            f"{place}政府办公室",
        ]
        office = rng.choice((f"{place}人民政府办公室", f"{place}政务公开办公室"))
        upper, short = prov_party, pref["short"]
    elif level == "county":
        place = county["name"]
        aliases = [parent + place + "人民政府", f"{place}人民政府办公室"]
        office = f"{place}人民政府办公室"
        upper = "市委、市政府"
        short = place[:-1] if len(place) > 2 else place
    else:
        place = county["name"] + town
        aliases = [f"{town}人民政府"]
        office = f"{town}党政办公室"
        suffix = _place_suffix(county["name"])
        upper = f"{suffix}委、{suffix}政府"
        short = town[:-1] if not town.endswith("街道") else town[:-2]
    if town and town.endswith("街道"):
        name = f"{place}办事处"
        aliases = [f"{town}办事处"]
        we, all_ = "本街道", "全街道"
    else:
        name = f"{place}人民政府"
        sfx = _place_suffix(place)
        we, all_ = f"我{sfx}", f"全{sfx}"
    return _finish_issuer(
        rng,
        name=name,
        aliases=aliases,
        issuer_type="government",
        level=level,
        region=region,
        label=place,
        we=we,
        all_=all_,
        office=office,
        upper=upper,
        slug=slug,
        dslug="",
        abbr=abbr,
        town=town_name,
        short=short,
        gazette=level in ("province", "prefecture"),
    )


def _finish_issuer(
    rng: random.Random,
    *,
    name: str,
    aliases: list[str],
    issuer_type: str,
    level: str,
    region: dict[str, str | None],
    label: str,
    we: str,
    all_: str,
    office: str,
    upper: str,
    slug: str,
    dslug: str,
    abbr: str,
    town: str,
    short: str,
    gazette: bool,
) -> _Issuer:
    v = _vocab()["clutter"]
    if dslug:
        domain = rng.choice((f"{dslug}.{slug}.gov.cn", f"www.{slug}{dslug}.gov.cn"))
        site = rng.choice((f"{name}门户网站", f"{name}网站", f"{name}政府信息公开网"))
    else:
        domain = f"www.{slug}.gov.cn"
        site = rng.choice((f"{label}人民政府门户网站", f"{label}政府网站", f"{label}人民政府网"))
        if issuer_type == "department":
            site = f"{name}门户网站"
    road = rng.choice(v["roads"])
    address = (
        f"{town}{road}"
        if road.endswith(("大楼", "大院"))
        else (f"{town}{road}{rng.randint(1, 399)}号")
    )
    big_city = ("010", "020", "021", "022", "023", "024", "025", "027", "028", "029")
    area = rng.choice(big_city) if rng.random() < 0.2 else f"0{rng.randint(310, 999)}"
    # Three-digit area codes go with eight-digit numbers, four-digit ones with seven.
    number = rng.randint(2000000, 8999999) if len(area) == 4 else rng.randint(20000000, 89999999)
    phone = f"{area}-{number}"
    email = rng.choice(
        (f"{slug}xxgk@163.com", f"xxgk@{domain.removeprefix('www.')}", f"{slug}gkb@126.com")
    )
    ctx = {
        "body": name,
        "we": we,
        "all": all_,
        "office": office,
        "site": site,
        "domain": domain,
        "upper": upper,
        "address": address,
        "zip": f"{rng.randint(10, 85)}{rng.randint(0, 9999):04d}",
        "phone": phone,
        "email": email,
        "short": short,
        "gazette": f"《{short}政报》",
        "vendor": rng.choice(v["vendors"]).replace("{short}", short),
    }
    return _Issuer(name, aliases, issuer_type, level, region, label, ctx, abbr, gazette)


# --------------------------------------------------------------------------- text pieces


class _Writer:
    """Fills vocabulary templates and records the figures they state."""

    def __init__(self, rng: random.Random, ctx: dict[str, str], has_subordinates: bool):
        self.rng = rng
        self.ctx = ctx
        self.has_subordinates = has_subordinates
        self.figs: dict[str, _Fig] = {}
        self.figures: dict[str, dict[str, Any]] = {}
        self.scoped: list[dict[str, Any]] = []

    def fill(self, template: str, aux: dict[str, Any] | None = None) -> str:
        text = _PLACEHOLDER.sub(lambda m: self.ctx[m.group(1)], template)
        if aux:
            text = _AUX.sub(lambda m: str(aux[m.group(1)]), text)
        used: list[str] = []

        def figure(m: re.Match[str]) -> str:
            fig = self.figs[m.group(1)]
            used.append(m.group(1))
            return fig.text + m.group(2) + fig.post

        text = _FIGURE.sub(figure, text)
        for indicator in used:
            fig = self.figs[indicator]
            self.figures[indicator] = {
                "value": fig.value,
                "unit": UNITS[indicator],
                "qualifier": fig.qualifier,
                "evidence": text,
            }
        return text

    def say(self, indicator: str, m: int, styles: str | None = None) -> None:
        """Decide how ``indicator`` (true count ``m``) will be stated."""
        self.figs[indicator] = _render(self.rng, m, _STYLES[styles or indicator])

    def choice(self, key_path: str) -> str:
        node: Any = _vocab()
        for key in key_path.split("."):
            node = node[key]
        return self.rng.choice(node)

    def filler(self, recent: bool, sentences: tuple[int, int] = (2, 5)) -> str:
        f, rng = _vocab()["filler"], self.rng
        predicates = f["predicates"] + (f["predicates_recent"] if recent else [])
        subjects = f["subjects"] + (f["subjects_government"] if self.has_subordinates else [])
        count = rng.randint(*sentences)
        if count >= 3 and rng.random() < 0.25:
            listed = "；".join(
                f"{'一二三四五'[k]}是{p}" for k, p in enumerate(rng.sample(predicates, count))
            )
            text = (
                rng.choice(subjects)
                + rng.choice(f["list_leads"])
                + listed
                + "，"
                + rng.choice(f["purposes"])
                + "。"
            )
            return self.fill(text)
        out = []
        for predicate in rng.sample(predicates, count):
            out.append(
                rng.choice(f["openers"])
                + rng.choice(subjects)
                + predicate
                + "，"
                + rng.choice(f["purposes"])
                + "。"
            )
        return self.fill("".join(out))


# Blocks of a body: ("heading" | "para", text), ("slot", [filler paragraphs]) or
# ("table", [rows]) where each row is already rendered as text.
Block = tuple[str, Any]


def _numbered(style: str, k: int) -> str:
    """Item number k (from 1) in a report's chosen style."""
    if style == "paren_cn":
        return f"（{_cn_number(k)}）"
    if style == "paren_num":
        return f"（{k}）"
    if style == "bare":
        return str(k)
    return f"{k}{style}"


def _magnitude(rng: random.Random, iss: _Issuer, ranges: dict[str, tuple[float, float]]) -> int:
    key = iss.admin_level if iss.issuer_type == "government" else f"dept_{iss.admin_level}"
    low, high = ranges.get(key, ranges.get(iss.admin_level, (1, 10)))
    return _loguniform(rng, low, high)


_PROACTIVE_RANGES = {
    "province": (20000, 800000),
    "prefecture": (3000, 150000),
    "county": (300, 20000),
    "township": (20, 1500),
    "dept_central": (500, 50000),
    "dept_province": (200, 20000),
    "dept_prefecture": (100, 5000),
    "dept_county": (30, 2000),
}
_REQUEST_RANGES = {
    "province": (50, 3000),
    "prefecture": (5, 800),
    "county": (1, 60),
    "township": (1, 5),
    "dept_central": (100, 4000),
    "dept_province": (5, 1500),
    "dept_prefecture": (1, 300),
    "dept_county": (1, 40),
}
_SCOPES = {
    "province": (("各盟市", "各市"), ("区直部门", "省直部门")),
    "prefecture": (("各县（市、区）",), ("市直部门", "市直各单位")),
    "county": (("各乡镇（街道）",), ("县直部门", "区直各部门")),
}


def _free_figures(w: _Writer, iss: _Issuer, year: int) -> dict[str, list[str]]:
    """Sentences stating figures, grouped by the section they belong to."""
    rng, fv = w.rng, _vocab()["figures"]
    out: dict[str, list[str]] = {
        k: []
        for k in (
            "overview",
            "proactive",
            "press",
            "gazette",
            "website",
            "requests",
            "fees",
            "review",
            "distractors",
        )
    }
    if rng.random() < 0.8:
        m = _magnitude(rng, iss, _PROACTIVE_RANGES)
        w.say("proactive_items", m)
        sentence = w.fill(rng.choice(fv["proactive_items"]))
        fig = w.figs["proactive_items"]
        scopes = _SCOPES.get(iss.admin_level)
        if (
            iss.issuer_type == "government"
            and scopes
            and fig.qualifier == "exact"
            and isinstance(fig.value, int)
            and fig.value >= 50
            and rng.random() < 0.3
        ):
            a = rng.randint(fig.value // 4, fig.value * 9 // 10)
            scope_a, scope_b = rng.choice(scopes[0]), rng.choice(scopes[1])
            aux = {"a": a, "b": fig.value - a, "scope_a": scope_a, "scope_b": scope_b}
            sentence += w.fill(rng.choice(fv["proactive_scoped"]), aux)
            w.scoped += [
                {"indicator": "proactive_items", "scope": scope_a, "value": a},
                {"indicator": "proactive_items", "scope": scope_b, "value": fig.value - a},
            ]
        out["proactive"].append(sentence)
    if rng.random() < 0.75:
        _free_requests(w, iss, out)
    if rng.random() < 0.6:
        if rng.random() < 0.85:
            w.figures["fees_collected"] = {"value": 0, "unit": "元", "qualifier": "exact"}
            sentence = w.fill(rng.choice(fv["fees_zero"]))
            w.figures["fees_collected"]["evidence"] = sentence
        else:
            w.say("fees_collected", rng.randint(10, 2000), "plain")
            sentence = w.fill(rng.choice(fv["fees_nonzero"]))
        out["fees"].append(sentence)
    if rng.random() < 0.7:
        if rng.random() < 0.8:
            with_complaints = rng.random() < 0.25
            pool = fv["review_zero_complaints" if with_complaints else "review_zero"]
            sentence = w.fill(rng.choice(pool))
            zero = ["reconsideration_cases", "litigation_cases"]
            zero += ["complaints"] if with_complaints else []
            for indicator in zero:
                w.figures[indicator] = {
                    "value": 0,
                    "unit": "件",
                    "qualifier": "exact",
                    "evidence": sentence,
                }
        else:
            w.say("reconsideration_cases", rng.randint(1, 6), "small")
            litigation = rng.choice((0, 0, 1, 2, 3))
            if litigation:
                w.say("litigation_cases", litigation, "small")
                sentence = w.fill(rng.choice(fv["review_nonzero"]))
            else:
                sentence = w.fill(rng.choice(fv["review_reconsideration_only"]))
                w.figures["litigation_cases"] = {
                    "value": 0,
                    "unit": "件",
                    "qualifier": "exact",
                    "evidence": sentence,
                }
        out["review"].append(sentence)
    if "complaints" not in w.figures and rng.random() < 0.15:
        if rng.random() < 0.7:
            sentence = w.fill(rng.choice(fv["complaints_zero"]))
            w.figures["complaints"] = {
                "value": 0,
                "unit": "件",
                "qualifier": "exact",
                "evidence": sentence,
            }
        else:
            w.say("complaints", rng.randint(1, 8), "small")
            sentence = w.fill(rng.choice(fv["complaints_nonzero"]))
        out["review"].append(sentence)
    if rng.random() < 0.4:
        high = {"township": 4, "county": 30}.get(iss.admin_level, 150)
        w.say("press_conferences", _loguniform(rng, 1, high))
        pool = fv["press_conferences"] + (
            fv["press_conferences_government"] if w.has_subordinates else []
        )
        out["press"].append(w.fill(rng.choice(pool)))
    if rng.random() < 0.5:
        sessions = _loguniform(rng, 1, 40)
        w.say("training_sessions", sessions)
        if rng.random() < 0.7:
            w.say("training_participants", sessions * rng.randint(15, 120))
            sentence = rng.choice(fv["training_both"])
        else:
            sentence = rng.choice(fv["training_sessions"])
        out["overview"].append(w.fill(sentence, {"units": rng.randint(10, 150)}))
    if rng.random() < 0.25:
        w.say("website_visits", _loguniform(rng, 5000, 5_000_000))
        out["website"].append(w.fill(rng.choice(fv["website_visits"])))
    if iss.gazette and rng.random() < 0.3:
        w.say("gazette_copies", _loguniform(rng, 1000, 100000))
        out["gazette"].append(
            w.fill(rng.choice(fv["gazette_copies"]), {"issues": rng.randint(4, 24)})
        )
    for template in rng.sample(fv["distractors"], rng.randint(1, 4)):
        k = _loguniform(rng, 3, 3000)
        out["distractors"].append(w.fill(template, {"k": k, "k2": max(1, k // rng.randint(2, 9))}))
    return out


def _free_requests(w: _Writer, iss: _Issuer, out: dict[str, list[str]]) -> None:
    rng, fv = w.rng, _vocab()["figures"]
    zero_p = {"township": 0.5, "county": 0.2}.get(iss.admin_level, 0.08)
    if rng.random() < zero_p:
        sentence = w.fill(rng.choice(fv["requests_zero"]))
        w.figures["applications_received"] = {
            "value": 0,
            "unit": "件",
            "qualifier": "exact",
            "evidence": sentence,
        }
        out["requests"].append(sentence)
        return
    received = _magnitude(rng, iss, _REQUEST_RANGES)
    w.say("applications_received", received)
    if received >= 3 and rng.random() < 0.25:
        carried = rng.randint(1, max(1, received // 10))
        answered = received - carried
        w.say("applications_answered", answered, "plain")
        w.say("applications_carried_out", carried, "plain")
        out["requests"].append(w.fill(rng.choice(fv["requests_pending"])))
    else:
        answered = received
        out["requests"].append(w.fill(rng.choice(fv["requests_all_answered"])))
        fig = w.figures["applications_received"]
        w.figures["applications_answered"] = dict(fig)
    if received >= 3 and rng.random() < 0.35:
        face, web, mail = _split(rng, received, [3, 5, 2])
        out["requests"].append(
            w.fill(rng.choice(fv["requests_channels"]), {"face": face, "web": web, "mail": mail})
        )
    if answered >= 3 and rng.random() < 0.35:
        granted, partial, refused, other = _split(rng, answered, [6, 1.5, 1, 1.5])
        w.say("applications_granted", granted, "plain")
        w.say("applications_partially_granted", partial, "plain")
        w.say("applications_refused", refused, "plain")
        out["requests"].append(w.fill(rng.choice(fv["requests_outcomes"]), {"other": other}))


def _paragraph(w: _Writer, recent: bool, extra: list[str], lead: str = "") -> str:
    """A paragraph of work description with figure sentences woven in."""
    rng = w.rng
    parts = [w.filler(recent, (1, 3))] if rng.random() < 0.8 or not extra else []
    for sentence in extra:
        parts.insert(rng.randint(0, len(parts)), sentence)
    return lead + "".join(parts)


def _problems(w: _Writer, numbered: str) -> list[Block]:
    rng, pv = w.rng, _vocab()["problems"]
    items = rng.sample(pv["items"], rng.randint(2, 4))
    ordinals = "一二三四五"
    listed = "；".join(f"{ordinals[k]}是{item}" for k, item in enumerate(items)) + "。"
    blocks: list[Block] = [("para", w.fill(rng.choice(pv["intro"])) + listed)]
    measures = rng.sample(pv["measures"], rng.randint(2, 4))
    intro = w.fill(rng.choice(pv["measures_intro"]))
    if rng.random() < 0.5:
        blocks.append(("para", intro))
        for k, measure in enumerate(measures, 1):
            blocks.append(
                ("para", _numbered(numbered, k) + measure + "，" + rng.choice(pv["measure_tails"]))
            )
    else:
        body = "".join(f"{ordinals[k]}是{m}。" for k, m in enumerate(measures))
        blocks.append(("para", intro + body))
    return blocks


def _free_body(
    w: _Writer, iss: _Issuer, year: int, variant: str, facts: dict[str, list[str]]
) -> list[Block]:
    rng, v = w.rng, _vocab()
    recent = year >= 2013
    paren = rng.choice(("paren_cn", "paren_cn", "paren_cn_half"))
    item_style = rng.choice((".", "、", ".", "bare", "paren_num"))

    def sub(k: int) -> str:
        return f"({_cn_number(k)})" if paren == "paren_cn_half" else _numbered("paren_cn", k)

    intro = w.fill(rng.choice(v["intros"]))
    if year == 2008 and rng.random() < 0.6:
        intro = v["intro_2008"] + intro
    heads = v["section_headings"]
    subheads = v["subheadings"] + (v["subheadings_recent"] if recent else [])
    blocks: list[Block] = []
    publicity = facts["proactive"] + facts["gazette"] + facts["website"]
    if variant == "standard":
        blocks.append(("para", intro))
        sections: list[tuple[str, list[Block]]] = []
        overview: list[Block] = []
        extra = facts["overview"] + facts["press"][: rng.randint(0, 1)]
        if rng.random() < 0.6:
            chosen = rng.sample(subheads, rng.randint(2, 4))
            carriers = rng.sample(range(len(chosen)), len(chosen))
            for k, title in enumerate(chosen, 1):
                overview.append(("heading", sub(k) + title))
                mine = extra if carriers[0] == k - 1 else []
                overview.append(("para", _paragraph(w, recent, mine)))
                overview.append(("slot", []))
        else:
            overview += [("para", _paragraph(w, recent, extra)), ("slot", [])]
        sections.append((w.fill(rng.choice(heads["overview"])), overview))
        proactive: list[Block] = []
        press_left = [s for s in facts["press"] if s not in extra]
        lead = publicity[:1] + facts["distractors"][:1]
        proactive.append(("para", _paragraph(w, recent, lead)))
        rest = publicity[1:] + press_left + facts["distractors"][1:]
        if rng.random() < 0.5:
            titles = rng.sample(v["proactive_subheadings"], 2)
            proactive.append(("heading", sub(1) + titles[0]))
            proactive.append(("slot", []))
            proactive.append(("heading", sub(2) + titles[1]))
            channels = rng.sample(v["proactive_channels"], rng.randint(3, 5))
            for k, channel in enumerate(channels, 1):
                text = w.fill(channel["text"])
                for sentence in list(rest):
                    if channel.get("key") and _about(sentence, channel["key"]):
                        text += sentence
                        rest.remove(sentence)
                proactive.append(("para", _numbered(item_style, k) + channel["name"] + "。" + text))
        if rest:
            proactive.append(("para", _paragraph(w, recent, rest)))
        proactive.append(("slot", []))
        sections.append((rng.choice(heads["proactive"]), proactive))
        for key in ("requests", "fees", "review"):
            if facts[key]:
                sections.append((rng.choice(heads[key]), [("para", "".join(facts[key]))]))
        sections.append((rng.choice(heads["problems"]), _problems(w, item_style)))
        if rng.random() < 0.35:
            sections.append(
                (rng.choice(heads["other"]), [("para", w.fill(rng.choice(v["other_matters"])))])
            )
        for k, (title, content) in enumerate(sections, 1):
            blocks.append(("heading", f"{_cn_number(k)}、{title}"))
            blocks += content
    elif variant == "thematic":
        blocks.append(("para", intro))
        themes = sorted(rng.sample(range(len(heads["thematic"])), rng.randint(4, 6)))
        carriers = {
            "overview": next((t for t in themes if "培训" in heads["thematic"][t]), themes[0]),
            "publicity": next((t for t in themes if "渠道" in heads["thematic"][t]), themes[-1]),
        }
        for k, t in enumerate(themes, 1):
            blocks.append(("heading", f"{_cn_number(k)}、{heads['thematic'][t]}"))
            extra = []
            if t == carriers["overview"]:
                extra += facts["overview"]
            if t == carriers["publicity"]:
                extra += publicity + facts["press"] + facts["distractors"]
            items = rng.sample(subheads, rng.randint(1, 3))
            for j, title in enumerate(items, 1):
                mine = extra if j == len(items) else []
                blocks.append(
                    ("para", _paragraph(w, recent, mine, _numbered(item_style, j) + title + "。"))
                )
            blocks.append(("slot", []))
        for key in ("requests", "fees", "review"):
            if facts[key]:
                blocks.append(("para", "".join(facts[key])))
        blocks += _problems(w, item_style)
    else:  # compact
        blocks.append(("heading", rng.choice(heads["compact_intro"])))
        blocks.append(("para", intro))
        blocks.append(("heading", w.fill(rng.choice(heads["compact_work"]))))
        blocks.append(("heading", sub(1) + "概述"))
        items = rng.sample(subheads, rng.randint(2, 4))
        for j, title in enumerate(items, 1):
            mine = facts["overview"] if j == len(items) else []
            blocks.append(
                ("para", _paragraph(w, recent, mine, _numbered(item_style, j) + title + "。"))
            )
        blocks.append(("slot", []))
        blocks.append(("heading", sub(2) + "主动公开情况"))
        lead = _numbered(item_style, 1) + rng.choice(("扩大主动公开范围。", "主动公开内容。"))
        blocks.append(("para", _paragraph(w, recent, facts["proactive"], lead)))
        lead = _numbered(item_style, 2) + rng.choice(("加强载体建设。", "拓宽公开渠道。"))
        blocks.append(
            (
                "para",
                _paragraph(
                    w,
                    recent,
                    facts["gazette"] + facts["website"] + facts["press"] + facts["distractors"],
                    lead,
                ),
            )
        )
        blocks.append(("slot", []))
        k = 3
        for key, title in (
            ("requests", "依申请公开情况"),
            ("fees", "收费情况"),
            ("review", "行政复议、诉讼情况"),
        ):
            if facts[key]:
                blocks.append(("para", sub(k) + title + "。" + "".join(facts[key])))
                k += 1
        blocks.append(
            (
                "para",
                w.fill(rng.choice(v["problems"]["intro"]))
                + "；".join(rng.sample(v["problems"]["items"], 3))
                + "等，需要在今后工作中进一步完善。",
            )
        )
        blocks.append(("heading", w.fill(rng.choice(heads["compact_next"]))))
        blocks.append(("para", w.fill(rng.choice(v["problems"]["measures_intro"]))))
        for j, measure in enumerate(rng.sample(v["problems"]["measures"], rng.randint(3, 5)), 1):
            blocks.append(("para", sub(j) + measure + "。" + w.filler(recent, (1, 2))))
    return blocks


def _about(sentence: str, key: str) -> bool:
    words = {"website": ("访问", "点击"), "gazette": ("政报", "公报"), "press": ("发布会",)}
    return any(word in sentence for word in words[key])


# --------------------------------------------------------------------------- template reports


def _applications(rng: random.Random, iss: _Issuer, fmt: str) -> dict[str, dict[str, int]]:
    """Table 三 with identities I1–I3 holding by construction."""
    t3 = _vocab()["template"]["table3"]
    year_tag = "2019" if fmt == "template_2019" else "2021"
    keys = [r[0] for r in t3["rows"] if len(r) < 4 or r[3] == year_tag]
    outcomes = [k for k in keys if k.startswith("3.") and k != "3.7"]
    zero_p = {"township": 0.6, "county": 0.3}.get(iss.admin_level, 0.1)
    new = 0 if rng.random() < zero_p else _magnitude(rng, iss, _REQUEST_RANGES)
    new = min(new, 3000)
    carried_in = 0 if rng.random() < 0.6 else rng.randint(0, max(1, new // 10))
    column_weights = [
        rng.uniform(70, 95),
        rng.uniform(2, 20),
        rng.uniform(0, 2),
        rng.uniform(0, 2),
        rng.uniform(0, 4),
        rng.uniform(0, 5),
    ]
    rows: dict[str, list[int]] = {k: [0] * 6 for k in keys}
    rows["1"] = _split(rng, new, column_weights)
    rows["2"] = _split(rng, carried_in, column_weights)
    weights = [t3["outcome_weights"][k] * rng.uniform(0.3, 1.7) for k in outcomes]
    pending = rng.choice((0, 0, 0.5, 1, 3, 6))
    for c in range(6):
        parts = _split(rng, rows["1"][c] + rows["2"][c], [*weights, pending])
        for k, count in zip([*outcomes, "4"], parts, strict=True):
            rows[k][c] = count
        rows["3.7"][c] = sum(rows[k][c] for k in outcomes)
    return {
        k: dict(zip(APPLICANT_COLUMNS, [*values, sum(values)], strict=True))
        for k, values in rows.items()
    }


def _review(rng: random.Random) -> dict[str, dict[str, int]]:
    out = {}
    for row in REVIEW_ROWS:
        cases = 0 if rng.random() < 0.7 else rng.randint(1, 8)
        parts = _split(rng, cases, [60, 10, 15, 15])
        out[row] = dict(zip(REVIEW_COLUMNS, [*parts, sum(parts)], strict=True))
    return out


def _proactive(rng: random.Random, iss: _Issuer, fmt: str) -> dict[str, dict[str, Any]]:
    makes_rules = iss.issuer_type == "government" and iss.admin_level in ("province", "prefecture")
    big = {"central": 3, "province": 3, "prefecture": 2}.get(iss.admin_level, 1)

    def decisions(high: int) -> int:
        return 0 if rng.random() < 0.15 else _loguniform(rng, 1, high * big)

    def items() -> tuple[int, int]:
        previous = rng.randint(0, 80 * big)
        return previous, rng.randint(-min(previous, 10), 15) if previous else rng.randint(0, 5)

    if fmt == "template_2019":
        rules_new = rng.randint(0, 8) if makes_rules else 0
        docs_new = rng.randint(0, 90)
        table: dict[str, dict[str, Any]] = {
            "regulations": {
                "new_made": rules_new,
                "new_published": rules_new,
                "total_published": rules_new
                + (rng.randint(5, 200) if rules_new or makes_rules else 0),
            },
            "normative_documents": {
                "new_made": docs_new,
                "new_published": docs_new - rng.choice((0, 0, 0, 1)) * min(docs_new, 1),
                "total_published": docs_new + rng.randint(0, 400),
            },
        }
        for key, high in (
            ("licensing", 20000),
            ("other_services", 3000),
            ("penalty", 5000),
            ("enforcement", 500),
        ):
            previous, change = items()
            table[key] = {
                "previous_items": previous,
                "change": change,
                "decisions": decisions(high),
            }
        previous, change = items()
        table["fees"] = {"previous_items": previous, "change": change}
        count = rng.randint(0, 2000)
        amount = round(rng.uniform(1000, 5e7), 2) if count else 0
        table["procurement"] = {"items": count, "amount_yuan": amount}
        return table
    rules_issued = rng.randint(0, 6) if makes_rules else 0
    docs_issued = rng.randint(0, 90)
    table = {
        "regulations": {
            "issued": rules_issued,
            "repealed": rng.randint(0, 3) if makes_rules else 0,
            "in_force": rules_issued + (rng.randint(5, 200) if makes_rules else 0),
        },
        "normative_documents": {
            "issued": docs_issued,
            "repealed": rng.randint(0, 20),
            "in_force": docs_issued + rng.randint(0, 400),
        },
        "licensing": {"decisions": decisions(20000)},
        "penalty": {"decisions": decisions(5000)},
        "enforcement": {"decisions": decisions(500)},
        "fees": {
            "amount_10k_yuan": round(rng.uniform(0, 30000), rng.choice((2, 2, 4, 6)))
            if rng.random() < 0.7
            else 0
        },
    }
    return table


@dataclass
class _TableStyle:
    cells: str  # run | space | tab
    label_sep: str
    stray: float
    group_inline: bool


def _cell(value: Any, yuan: bool = False) -> str:
    if isinstance(value, float):
        text = f"{value:.2f}" if yuan else (f"{value:g}" if value == int(value) else repr(value))
        return text + ("元" if yuan else "")
    return str(value)


def _join(rng: random.Random, cells: list[str], style: _TableStyle) -> str:
    if style.cells == "space":
        return " ".join(cells)
    if style.cells == "tab":
        return "\t".join(cells)
    out = cells[0]
    for cell in cells[1:]:
        out += (" " if rng.random() < style.stray else "") + cell
    return out


def _row(rng: random.Random, label: str, cells: list[str], style: _TableStyle) -> str:
    return label + style.label_sep + _join(rng, cells, style)


def _header(rng: random.Random, cells: list[str], style: _TableStyle) -> str:
    sep = {"space": " ", "tab": "\t"}.get(style.cells, rng.choice(("", "", " ")))
    return sep.join(cells)


def _table_blocks(
    rng: random.Random, fmt: str, tables: dict[str, Any], style: _TableStyle
) -> list[list[str]]:
    """The three tables as lists of text rows, the way a flattened web table reads."""
    tv = _vocab()["template"]
    spec = tv["table2_2019" if fmt == "template_2019" else "table2_2021"]
    p = tables["proactive"]
    t2: list[str] = []
    groups = [
        ("1", ["regulations", "normative_documents"]),
        ("5", ["licensing", "other_services"]),
        ("6", ["penalty", "enforcement"]),
        ("8", ["fees"]),
        ("9", ["procurement"]),
    ]
    for number, keys in groups:
        if f"title_{number}" not in spec:
            continue
        cols = spec.get(f"cols_{number}", spec["cols_5"])
        t2.append(spec[f"title_{number}"])
        t2.append(_header(rng, cols, style))
        for label, key in zip(spec[f"rows_{number}"], [k for k in keys if k in p], strict=False):
            values = list(p[key].values())
            cells = [_cell(x, yuan=key == "procurement" and isinstance(x, float)) for x in values]
            t2.append(_row(rng, label, cells, style))
    t3v = tv["table3"]
    a = tables["applications"]
    t3 = [t3v["note"], _header(rng, t3v["header"], style), _header(rng, t3v["subheader"], style)]
    for spec_row in t3v["rows"]:
        key, label, group = spec_row[0], spec_row[1], spec_row[2]
        if key not in a:
            continue
        cells = [str(a[key][c]) for c in APPLICANT_COLUMNS]
        if group and style.group_inline:
            label = group + label
        elif group:
            t3.append(group)
        t3.append(_row(rng, label, cells, style))
    t4v = tv["table4"]
    r = tables["review_litigation"]
    t4 = [
        _header(rng, t4v["header"], style),
        _header(rng, t4v["cells"] + t4v["subheader"], style),
        _header(rng, t4v["cells"] * 2, style),
        _join(rng, [str(r[row][c]) for row in REVIEW_ROWS for c in REVIEW_COLUMNS], style),
    ]
    return [t2, t3, t4]


def _template_figures(w: _Writer, tables: dict[str, Any]) -> None:
    a, r = tables["applications"], tables["review_litigation"]
    exact = {
        "applications_received": a["1"]["total"],
        "applications_carried_in": a["2"]["total"],
        "applications_answered": a["3.7"]["total"],
        "applications_granted": a["3.1"]["total"],
        "applications_partially_granted": a["3.2"]["total"],
        "applications_refused": sum(a[f"3.3.{k}"]["total"] for k in range(1, 9)),
        "applications_carried_out": a["4"]["total"],
        "reconsideration_cases": r["reconsideration"]["total"],
        "litigation_cases": r["litigation_direct"]["total"]
        + r["litigation_after_reconsideration"]["total"],
    }
    labels = {row[0]: row[1] for row in _vocab()["template"]["table3"]["rows"]}
    rows = {
        "applications_received": labels["1"],
        "applications_carried_in": labels["2"],
        "applications_answered": labels["3.7"],
        "applications_granted": labels["3.1"],
        "applications_partially_granted": labels["3.2"],
        "applications_refused": "（三）不予公开",
        "applications_carried_out": labels["4"],
        "reconsideration_cases": "行政复议",
        "litigation_cases": "行政诉讼",
    }
    for indicator, value in exact.items():
        w.figs[indicator] = _Fig(value, "exact", str(value))
        # The evidence of a table figure is the label of the row (or column) it sits in.
        w.figures[indicator] = {
            "value": value,
            "unit": UNITS[indicator],
            "qualifier": "exact",
            "evidence": rows[indicator],
            "source": "table",
        }


def _template_body(
    w: _Writer, iss: _Issuer, year: int, fmt: str, tables: dict[str, Any], style: _TableStyle
) -> list[Block]:
    rng, tv = w.rng, _vocab()["template"]
    fv = _vocab()["figures"]
    _template_figures(w, tables)
    table_sources = {k: dict(w.figures[k]) for k in w.figures}
    blocks: list[Block] = [("para", w.fill(rng.choice(tv["intros"])))]
    headings = list(tv["headings_2019"])
    for k, options in tv["heading_variants"].items():
        headings[int(k) - 1] = rng.choice(options)
    blocks.append(("heading", f"一、{headings[0]}"))
    proactive_sentence = ""
    if rng.random() < 0.85:
        m = _magnitude(rng, iss, _PROACTIVE_RANGES)
        w.figs["proactive_items"] = _Fig(m, "exact", str(m))
        proactive_sentence = w.fill(rng.choice(tv["proactive_sentences"]))
    a = tables["applications"]
    if a["1"]["total"] == 0 and a["2"]["total"] == 0:
        request_sentence = w.fill(rng.choice(tv["request_zero"]))
    elif a["4"]["total"] == 0 and a["2"]["total"] == 0 and rng.random() < 0.4:
        request_sentence = w.fill(rng.choice(tv["request_all_answered"]))
    else:
        request_sentence = w.fill(rng.choice(tv["request_sentences"]))
    extras = []
    if rng.random() < 0.3:
        w.say("press_conferences", _loguniform(rng, 1, 40), "plain")
        extras.append(w.fill(rng.choice(fv["press_conferences"])))
    if rng.random() < 0.3:
        sessions = _loguniform(rng, 1, 20)
        w.say("training_sessions", sessions, "plain")
        w.say("training_participants", sessions * rng.randint(15, 80), "plain")
        extras.append(w.fill(rng.choice(fv["training_both"]), {"units": rng.randint(10, 80)}))
    inline = rng.random() < 0.5
    if fmt == "template_2021":
        contents = {
            0: [w.fill(rng.choice(tv["overview_sentences"])), proactive_sentence, *extras[:1]],
            1: [request_sentence],
            2: [w.fill(s) for s in rng.sample(tv["overview_sentences"], 2)],
            3: [w.fill(rng.choice(tv["overview_sentences"]))],
            4: [w.fill(rng.choice(tv["overview_sentences"])), *extras[1:]],
        }
        for k, name in enumerate(tv["overview_2021"]):
            head = f"（{_cn_number(k + 1)}）{name}"
            text = "".join(s for s in contents[k] if s)
            if inline:
                blocks.append(("para", head + rng.choice(("方面。", "。", "")) + text))
            else:
                blocks += [("heading", head), ("para", text)]
            if k in (0, 2, 3):
                blocks.append(("slot", []))
    else:
        basic, practice = tv["overview_2019"]
        blocks += [
            ("heading", f"（一）{basic}"),
            ("para", proactive_sentence + w.fill(rng.choice(tv["overview_sentences"]))),
        ]
        blocks.append(("heading", f"（二）{practice}"))
        subheads = rng.sample(_vocab()["subheadings"], 3)
        for j, title in enumerate(subheads, 1):
            mine = [request_sentence] if j == 1 else (extras if j == 2 else [])
            blocks.append(("para", _paragraph(w, True, mine, f"{j}.{title}")))
            blocks.append(("slot", []))
    for k, table in enumerate(_table_blocks(rng, fmt, tables, style)):
        blocks.append(("heading", f"{'二三四'[k]}、{headings[k + 1]}"))
        blocks.append(("table", table))
    blocks.append(("heading", f"五、{headings[4]}"))
    blocks.append(("para", w.fill(rng.choice(tv["problem_sentences"]))))
    blocks.append(("heading", f"六、{headings[5]}"))
    if fmt == "template_2021":
        if rng.random() < 0.85:
            sentence = w.fill(rng.choice(tv["other_2021_zero"]))
            w.figures["fees_collected"] = {
                "value": 0,
                "unit": "元",
                "qualifier": "exact",
                "evidence": sentence,
            }
        else:
            w.say("fees_collected", rng.randint(10, 3000), "plain")
            sentence = w.fill(rng.choice(tv["other_2021_fee"]))
    else:
        sentence = w.fill(rng.choice(tv["other_2019"]))
    blocks.append(("para", sentence))
    # Prose sentences restate table figures; the table stays the evidence of record.
    for indicator, record in table_sources.items():
        prose = w.figures[indicator]
        if prose is not record and prose.get("source") != "table":
            record["prose_evidence"] = prose["evidence"]
        w.figures[indicator] = record
    return blocks


# --------------------------------------------------------------------------- clutter


def _breadcrumb(rng: random.Random, ctx: dict[str, str]) -> str:
    cv = _vocab()["clutter"]
    path = [p.replace("{office}", ctx["office"]) for p in rng.choice(cv["breadcrumb_paths"])]
    return rng.choice(cv["breadcrumb_prefix"]) + rng.choice(cv["breadcrumb_separators"]).join(path)


def _clutter(
    rng: random.Random,
    iss: _Issuer,
    title: str,
    dates: dict[str, str],
    doc_number: str | None,
    year: int,
) -> tuple[list[str], list[str], list[str]]:
    """(lines before the title, lines between title and body, lines after the body)."""
    cv = _vocab()["clutter"]
    ctx = dict(iss.ctx, **dates)
    views = str(rng.randint(30, 9000))

    def fill(line: str) -> str:
        return _PLACEHOLDER.sub(lambda m: ctx[m.group(1)], line).replace("<<views>>", views)

    before: list[str] = []
    if rng.random() < 0.1:
        before += [
            f"标题: {title}",
            f"发布时间: {dates['pubdate_time']}",
            f"文号: {doc_number or ''}",
            "发布机构: ",
            "栏目: 政府信息公开年报",
            f"原文链接: https://{iss.ctx['domain']}/zwgk/xxgknb/{dates['pubdate_compact'][:6]}"
            f"/t{dates['pubdate_compact']}_{rng.randint(10000, 999999)}.htm",
            "=" * 20 + " 正文 " + "=" * 20,
        ]
    elif rng.random() < 0.15:
        before += [
            f"索引号: | {rng.randint(10**9, 10**10 - 1)}/{year + 1}-{rng.randint(1, 999):05d} | "
            "组配分类: | 政府信息公开年报 | |",
            f"发布机构: | {iss.name} | 主题分类: | |",
            f"名称: | {title} | 文号: | {doc_number or ''} |",
            f"成文日期: | {dates['pubdate']} | 发布日期: | {dates['pubdate']} |",
        ]
    if rng.random() < 0.75:
        before.append(_breadcrumb(rng, iss.ctx))
    if rng.random() < 0.35:
        for menu in rng.sample(cv["menus"], rng.randint(1, 3)):
            before += [fill(item) for item in menu]
    between: list[str] = []
    if rng.random() < 0.65:
        between.append(fill(rng.choice(cv["meta_lines"])))
    if rng.random() < 0.3:
        between += rng.sample(cv["share_lines"], rng.randint(1, 2))
    after = [fill(line) for line in rng.sample(cv["tail_lines"], rng.randint(1, 3))]
    footer = [fill(line) for line in rng.sample(cv["footer_lines"], rng.randint(1, 4))]
    sitecode = str(rng.randint(10**9, 10**10 - 1))
    footer = [line.replace("<<sitecode>>", sitecode) for line in footer]
    if rng.random() < 0.7:
        footer.insert(
            rng.randint(0, len(footer)),
            f"{iss.abbr}ICP备{rng.randint(5000000, 20999999):08d}号" + rng.choice(("", "", "-1")),
        )
    if rng.random() < 0.4:
        footer.append(f"{iss.abbr}公网安备 {rng.randint(10**13, 10**14 - 1)}号")
    return before, between, after + footer


# --------------------------------------------------------------------------- assembly


@dataclass
class _Layout:
    mode: str  # lines | giant | tables_giant
    sep: str
    """Between lines: a newline, a blank line, or a line holding only a (no-break) space."""
    indent: str
    crlf: bool
    ascii_punct: bool


def _render_body(blocks: list[Block], layout: _Layout) -> list[str]:
    lines: list[str] = []
    giant = layout.mode == "giant"
    for kind, value in blocks:
        if kind == "slot":
            lines += [layout.indent + p for p in value]
        elif kind == "table":
            if giant or layout.mode == "tables_giant":
                lines.append("".join(value))
            else:
                lines += value
        elif kind == "para":
            lines.append(layout.indent + value)
        else:
            lines.append(value)
    if giant:
        return ["".join(line.strip() for line in lines)]
    return lines


def _published(rng: random.Random, year: int, fmt: str, issuer_type: str) -> tuple[int, int, int]:
    months = {1: 35, 2: 25, 3: 35, 4: 3, 5: 2}
    if fmt != "free_text" and issuer_type == "department":
        months = {1: 75, 2: 10, 3: 15}
    month = _weighted(rng, months)
    last = 28 if month == 2 else 30 if month == 4 else 31
    return year + 1, month, rng.randint(1, last)


def _date_text(rng: random.Random, y: int, m: int, d: int, big5: bool) -> str:
    styles = {
        "iso": 25,
        "iso_short": 5,
        "cn": 35,
        "cn_a": 10 if not big5 else 18,
        "cn_b": 10 if not big5 else 0,
        "dots": 5,
        "slash": 4,
        "run": 2,
    }
    style = _weighted(rng, styles)
    if style == "iso":
        return f"{y}-{m:02d}-{d:02d}"
    if style == "iso_short":
        return f"{y}-{m}-{d}"
    if style == "cn":
        return f"{y}年{m}月{d}日"
    if style == "cn_a":
        return _date_cn(y, m, d, _DATE_DIGITS_A)
    if style == "cn_b":
        return _date_cn(y, m, d, _DATE_DIGITS_B)
    if style == "dots":
        return f"{y}.{m}.{d}"
    if style == "slash":
        return f"{y}/{m:02d}/{d:02d}"
    return f"{y}{m}{d}"  # separators lost on the way, as in one of the seeds


def _encode(text: str, encoding: str) -> tuple[bytes, str]:
    if encoding == "big5":
        try:
            return text.encode("big5"), "big5"
        except UnicodeEncodeError:
            return text.encode("utf-8"), "utf-8"
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"
    return text.encode(encoding), encoding


def _year_format(year: int) -> str:
    return "free_text" if year <= 2018 else "template_2019" if year <= 2020 else "template_2021"


@functools.lru_cache(maxsize=64)
def _build(
    i: int, seed: int, body_year: tuple[int, int] | None = None, shared_issuer: bool = False
) -> tuple[str, bytes, dict[str, Any]]:
    """Report ``i``; with ``body_year`` (k, year), body k's report of that year instead; with
    ``shared_issuer``, of the one issuer ``generate(same_issuer=…)`` shares."""
    if i < 1:
        raise ValueError(f"reports are numbered from 1, got {i}")
    slot = _block(seed, (i - 1) // BLOCK)[(i - 1) % BLOCK]
    rng = random.Random(f"synth:{seed}:{i}")
    if body_year is not None:
        k, year = body_year
        fmt = _year_format(year)
        slot = _Slot(fmt, "hans", "utf-8", slot.clutter)
        rng = random.Random(f"synth-years:{seed}:{k}:{year}")
    v = _vocab()
    fmt = slot.fmt
    if body_year is None:
        year = {
            "free_text": lambda: rng.randint(2008, 2018),
            "template_2019": lambda: rng.choice((2019, 2020)),
            "template_2021": lambda: rng.randint(2021, 2023),
        }[fmt]()
        iss = _pick_issuer(rng, year)
        if shared_issuer:
            iss = _pick_issuer(random.Random(f"synth:{seed}:shared-issuer"), 2019)
    else:
        # The same body every year: picked with a generator of its own, as of a year in which
        # every department of the vocabulary exists.
        iss = _pick_issuer(random.Random(f"synth-body:{seed}:{body_year[0]}"), 2019)
    ctx = dict(iss.ctx, Y=str(year), Y1=str(year + 1))
    w = _Writer(rng, ctx, iss.issuer_type == "government" and iss.admin_level != "township")
    big5 = slot.encoding == "big5"
    converter = None
    if slot.script == "hant":
        # Taiwan-standard characters are the ones Big5 can hold.
        converter = "s2tw" if big5 or rng.random() < 0.3 else "s2t"

    title_pool = v["titles"][iss.issuer_type]
    title = _PLACEHOLDER.sub(
        lambda m: {"region": iss.label, "issuer": iss.name}.get(
            m.group(1), ctx.get(m.group(1), "")
        ),
        rng.choice(title_pool),
    )
    py, pm, pd = _published(rng, year, fmt, iss.issuer_type)
    hour, minute = rng.randint(8, 18), rng.randint(0, 59)
    dates = {
        "pubdate": f"{py}-{pm:02d}-{pd:02d}",
        "pubdate_short": f"{py}-{pm}-{pd}",
        "pubdate_time": f"{py}-{pm:02d}-{pd:02d} {hour:02d}:{minute:02d}",
        "pubdate_compact": f"{py}{pm:02d}{pd:02d}",
    }
    doc_number = None
    if rng.random() < 0.4:
        doc_number = (
            f"{iss.abbr}政办{rng.choice(('发', '秘', '函'))}〔{py}〕{rng.randint(1, 120)}号"
        )

    tables: dict[str, Any] | None = None
    if fmt == "free_text":
        weights = {"standard": 60, "thematic": 40 if year <= 2010 else 10, "compact": 20}
        variant = _weighted(rng, weights)
        facts = _free_figures(w, iss, year)
        blocks = _free_body(w, iss, year, variant, facts)
        layout = _Layout(
            "lines",
            _weighted(rng, {"\n": 40, "\n\n": 45, "\n \n": 7, "\n\xa0\n": 8}),
            _weighted(rng, {"": 50, "\u3000\u3000": 25, "  ": 10, "\xa0\xa0": 10}),
            rng.random() < 0.08,
            rng.random() < 0.35,
        )
    else:
        variant = "template"
        tables = {
            "proactive": _proactive(rng, iss, fmt),
            "applications": _applications(rng, iss, fmt),
            "review_litigation": _review(rng),
        }
        mode = _weighted(rng, {"giant": 45, "lines": 35, "tables_giant": 20})
        cells = _weighted(rng, {"run": 75, "space": 15, "tab": 10 if mode == "lines" else 0})
        style = _TableStyle(
            cells,
            " "
            if cells == "space"
            else "\t"
            if cells == "tab"
            else (" " if rng.random() < 0.15 else ""),
            rng.choice((0.0, 0.02, 0.05)),
            rng.random() < 0.6,
        )
        blocks = _template_body(w, iss, year, fmt, tables, style)
        layout = _Layout(
            mode,
            "\n\n" if rng.random() < 0.3 else "\n",
            _weighted(rng, {"": 70, "\u3000\u3000": 30}),
            rng.random() < 0.05,
            rng.random() < 0.15,
        )
    if big5:
        # Big5 has no no-break space.
        layout.indent = layout.indent.replace("\xa0", "\u3000")
        layout.sep = layout.sep.replace("\xa0", " ")

    signature: list[str] = []
    published: str | None = None
    if rng.random() < (0.75 if fmt == "free_text" else 0.35):
        pad = _weighted(
            rng, {"": 50, " " * rng.randint(20, 50): 30, "\u3000" * rng.randint(8, 20): 20}
        )
        signer = rng.choice([iss.name, iss.name, iss.ctx["office"], *iss.aliases[:1]])
        signature = [pad + signer, pad + _date_text(rng, py, pm, pd, big5)]
        published = dates["pubdate"]

    before: list[str] = []
    between: list[str] = []
    after: list[str] = []
    if slot.clutter:
        before, between, after = _clutter(rng, iss, title, dates, doc_number, year)
        if variant == "compact" and rng.random() < 0.5:
            heads = [b[1] for b in blocks if b[0] == "heading"]
            between.append(",".join(heads[:1] + heads[1:2] + heads[-1:]) + ",")
        if any(
            d in line
            for line in before + between
            for d in (dates["pubdate"], dates["pubdate_short"])
        ):
            published = published or dates["pubdate"]
        if not any(doc_number and doc_number in line for line in before):
            doc_number = None
    else:
        doc_number = None
    clutter_lines = [line for line in before + between + after if line.strip()]

    codec = "gb18030" if slot.encoding in ("gb18030", "big5") else "utf-8"
    target = min(max(rng.lognormvariate(math.log(8500), 0.45), 4000), 19000)

    def assemble() -> str:
        body = _render_body(blocks, layout)
        if layout.mode == "giant" and before and rng_layout.random() < 0.5:
            # As in one of the samples: breadcrumb, title and meta run into the body line.
            head = [*before[:-1], " ".join([before[-1], title, *between, *body])]
            lines = head
        else:
            lines = [*before, title, *between, *body]
        lines += signature + after
        return layout.sep.join(lines)

    slots = [value for kind, value in blocks if kind == "slot"]
    layout_key = f"synth-layout:{seed}:{i}" + (f":{body_year[1]}" if body_year else "")
    rng_layout = random.Random(layout_key)
    state = rng_layout.getstate()
    text = assemble()
    size = len(text.encode(codec))
    recent = year >= 2013
    while size < target and slots:
        paragraph = w.filler(recent)
        rng.choice(slots).append(paragraph)
        size += len(paragraph.encode(codec)) + len(layout.indent.encode(codec)) + 2
    for _ in range(50):
        rng_layout.setstate(state)
        text = assemble()
        size = len(text.encode(codec))
        if size > MAX_BYTES - 600 and any(slots):
            next(s for s in reversed(slots) if s).pop()
        elif size < MIN_BYTES + 300 and slots:
            rng.choice(slots).append(w.filler(recent))
        else:
            break

    def finish(fragment: str) -> str:
        if layout.ascii_punct:
            fragment = fragment.translate(_ASCII_PUNCT)
        if converter:
            fragment = _converter(converter).convert(fragment)
        return fragment

    text = finish(text)
    if layout.crlf:
        text = text.replace("\n", "\r\n")
    if rng.random() < 0.5:
        text += "\r\n" if layout.crlf else "\n"
    data, encoding = _encode(text, slot.encoding)
    name = f"synth_{i:06d}.txt" if body_year is None else f"synth_b{i:04d}_{year}.txt"
    figures = {}
    for indicator in sorted(w.figures):
        record = dict(w.figures[indicator])
        for key in ("evidence", "prose_evidence"):
            if key in record:
                record[key] = finish(record[key])
        figures[indicator] = record
    record: dict[str, Any] = {
        "name": name,
        "index": i,
        "seed": seed,
        "format": fmt,
        "variant": variant,
        "layout": layout.mode,
        "script": slot.script,
        "converter": converter,
        "encoding": encoding,
        "size": len(data),
        "year": year,
        "published_date": published,
        "title": finish(title),
        "title_hans": title,
        "issuer": iss.name,
        "issuer_aliases": list(iss.aliases),
        "issuer_type": iss.issuer_type,
        "admin_level": iss.admin_level,
        "region": dict(iss.region),
        "doc_number": doc_number,
        "has_clutter": slot.clutter,
        "clutter": [finish(line) for line in clutter_lines],
        "figures": figures,
        "scoped": w.scoped,
    }
    if tables is not None:
        record["tables"] = tables
    return name, data, record
