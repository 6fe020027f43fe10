"""A constructed corpus for the cross-report tests: bodies reporting over several years with
known copied shares, name variants (office, Traditional script, a renamed county, a division
chain), names that must stay alone, and figures with known year-to-year changes."""

from __future__ import annotations

import itertools
from pathlib import Path

import opencc

YEARS = (2018, 2019, 2020, 2021)
"""Years of the synthetic bodies (tests/tools/synth.py ``generate_years``) added to the corpus."""
BODIES = 5
SYNTH_SEED = 5

_A = ("加强", "推进", "完善", "落实", "规范", "深化", "健全", "优化")
_B = (
    "政务公开",
    "信息发布",
    "政策解读",
    "平台建设",
    "回应关切",
    "公开目录",
    "基层公开",
    "数据开放",
)
_C = (
    "制度建设",
    "队伍培训",
    "考核评估",
    "监督保障",
    "工作机制",
    "流程管理",
    "标准规范",
    "宣传引导",
)
_D = ("取得明显成效", "群众满意度提高", "各项任务按期完成", "工作水平稳步提升")


def pool() -> list[str]:
    """Distinct sentences (none alike once normalised), each long enough to count."""
    return [
        f"我们着力{a}{b}的{c}，{d}。"
        for (a, b, c), d in zip(itertools.product(_A, _B, _C), itertools.cycle(_D), strict=False)
    ]


S = pool()


def _report(
    place: str, year: int, sentences: list[str], signer: str = "", figures: str = ""
) -> str:
    lines = [f"{place}{year}年政府信息公开工作年度报告", "一、总体情况"]
    lines += ["".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
    if figures:
        lines += ["二、依申请公开情况", figures]
    if signer:
        lines += [signer, f"{year + 1}年3月1日"]
    return "\n".join(lines) + "\n"


def _applications(received: int, doubt: bool = False) -> str:
    """Figures in sentences too short to count for copied text, so that the shares of the
    constructed cases are exact."""
    if doubt:
        # Outcomes that add up to more than the requests answered: a failed check (待核).
        return f"收到申请{received}件。办结100件。予以公开90件。部分公开20件。不予公开10件。"
    return f"收到申请{received}件。"


# file name → (text, sidecar or None)
def corpus() -> dict[str, tuple[str, str | None]]:
    files: dict[str, tuple[str, str | None]] = {}
    # Body A: 岳塘区人民政府, copying 100 %, 50 %, 0 % of its previous report.
    files["a_2019.txt"] = (_report("岳塘区", 2019, S[0:20], figures=_applications(150)), None)
    # Its title names no body (政府信息公开工作年度报告 alone): the signing office is its issuer.
    files["a_2020.txt"] = (
        _report("", 2020, S[0:20], "湘潭市岳塘区人民政府办公室", _applications(160, True)),
        None,
    )
    files["a_2021.txt"] = (
        _report("岳塘区", 2021, S[0:10] + S[20:30], figures=_applications(1700)),
        None,
    )
    files["a_2022.txt"] = (_report("湖南省湘潭市岳塘区", 2022, S[30:50]), None)
    # Body A in Traditional script, a year earlier.
    t2 = opencc.OpenCC("s2t")
    files["a_2018_hant.txt"] = (
        t2.convert(_report("岳塘区", 2018, S[60:80], figures=_applications(140))),
        None,
    )
    # Body B: 雨湖区人民政府, sharing half of A's 2021 sentences.
    files["b_2021.txt"] = (_report("雨湖区", 2021, S[20:30] + S[120:130]), None)
    # Body C: 密云县 became 密云区 in 2015; applications drop to 0 after years of hundreds.
    files["c_2013.txt"] = (_report("密云县", 2013, S[200:220], figures=_applications(300)), None)
    files["c_2014.txt"] = (_report("密云县", 2014, S[220:240], figures=_applications(320)), None)
    files["c_2016.txt"] = (_report("密云区", 2016, S[240:260], figures=_applications(0)), None)
    # Names that must stay alone: a misread issuer, and a district name shared by two cities.
    files["x_2019.txt"] = (_report("某地", 2019, S[300:320]), "issuer: 正文\n")
    files["y_2019.txt"] = (_report("某地", 2020, S[320:340]), "issuer: 正文\n")
    files["z_2019.txt"] = (_report("朝阳区", 2019, S[340:360]), None)
    return files


def write_corpus(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (text, sidecar) in corpus().items():
        (folder / name).write_text(text, encoding="utf-8")
        if sidecar:
            (folder / f"{name}.meta.yml").write_text(sidecar, encoding="utf-8")
