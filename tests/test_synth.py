"""The synthetic corpus: deterministic, mixed as promised, internally consistent, decodable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pipeline.paths import ROOT
from tests.tools import synth

N = 200
SEED = 3


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, dict]]:
    out = tmp_path_factory.mktemp("synth")
    paths = synth.generate(N, out, seed=SEED)
    return [(path, synth.truth(i, SEED)) for i, path in enumerate(paths, 1)]


def _text(path: Path, record: dict) -> str:
    return path.read_bytes().decode(record["encoding"]).replace("\r\n", "\n")


def _digest(n: int, seed: int, hash_seed: str) -> str:
    code = (
        "import hashlib, sys\n"
        "from tests.tools import synth\n"
        "h = hashlib.sha256()\n"
        f"for i in range(1, {n + 1}):\n"
        f"    name, data = synth.generate_one(i, {seed})\n"
        "    h.update(name.encode() + data)\n"
        "print(h.hexdigest())\n"
    )
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_two_runs_write_the_same_bytes(tmp_path: Path) -> None:
    first = synth.generate(120, tmp_path / "a", seed=11)
    synth._build.cache_clear()
    synth._block.cache_clear()
    second = synth.generate(120, tmp_path / "b", seed=11)
    assert [p.name for p in first] == [p.name for p in second]
    assert [p.name for p in first] == [f"synth_{i:06d}.txt" for i in range(1, 121)]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert synth.generate_one(57, 11) == (first[56].name, first[56].read_bytes())
    assert synth.generate_one(57, 12)[1] != first[56].read_bytes()


def test_output_does_not_depend_on_the_interpreter_hash_seed() -> None:
    assert _digest(40, 5, "1") == _digest(40, 5, "2")


def test_reports_are_numbered_from_one() -> None:
    with pytest.raises(ValueError):
        synth.generate_one(0, 0)


def test_mix_proportions(corpus: list[tuple[Path, dict]]) -> None:
    records = [record for _, record in corpus]
    formats = Counter(r["format"] for r in records)
    assert abs(formats["free_text"] / N - 0.70) <= 0.05
    assert abs(formats["template_2019"] / N - 0.15) <= 0.03
    assert abs(formats["template_2021"] / N - 0.15) <= 0.03
    scripts = Counter(r["script"] for r in records)
    assert abs(scripts["hant"] / N - 0.15) <= 0.03
    encodings = Counter(r["encoding"] for r in records)
    assert abs(encodings["gb18030"] / N - 0.05) <= 0.02
    assert abs(encodings["utf-8-sig"] / N - 0.03) <= 0.02
    assert 1 <= encodings["big5"] <= 0.02 * N
    assert encodings["utf-8"] / N >= 0.8
    clutter = sum(r["has_clutter"] for r in records)
    assert abs(clutter / N - 0.70) <= 0.05
    # Proportions hold for a count that is not a multiple of the block size too.
    formats_250 = Counter(synth.truth(i, SEED)["format"] for i in range(1, 251))
    assert abs(formats_250["free_text"] / 250 - 0.70) <= 0.05


def test_years_match_formats(corpus: list[tuple[Path, dict]]) -> None:
    years: dict[str, set[int]] = {}
    for _, r in corpus:
        years.setdefault(r["format"], set()).add(r["year"])
    assert min(years["free_text"]) >= 2008 and max(years["free_text"]) <= 2018
    assert len(years["free_text"]) >= 8
    assert years["template_2019"] <= {2019, 2020}
    assert min(years["template_2021"]) >= 2021


def test_issuers_cover_all_levels(corpus: list[tuple[Path, dict]]) -> None:
    records = [r for _, r in corpus]
    assert {r["admin_level"] for r in records} == {
        "central",
        "province",
        "prefecture",
        "county",
        "township",
    }
    assert {r["issuer_type"] for r in records} == {"government", "department"}
    assert len({r["issuer"] for r in records}) >= 60
    for r in records:
        region = r["region"]
        if r["admin_level"] == "township":
            assert region["county"] and region["township"]
            assert region["township"] in r["issuer"]
        if r["admin_level"] == "county":
            assert region["county"] in r["issuer"]
        if r["admin_level"] == "central":
            assert region["province"] is None


def _check_identities(tables: dict) -> None:
    a = tables["applications"]
    outcome_rows = [k for k in a if k.startswith("3.") and k != "3.7"]
    for column in synth.APPLICANT_COLUMNS:
        # I1: 一 + 二 = 三（七）总计 + 四
        assert a["1"][column] + a["2"][column] == a["3.7"][column] + a["4"][column]
        # I2: （七）总计 is the sum of the outcome rows
        assert a["3.7"][column] == sum(a[k][column] for k in outcome_rows)
    for row in a.values():
        # I3: 总计 is the sum of the six applicant columns
        assert row["total"] == sum(row[c] for c in synth.APPLICANT_COLUMNS[:-1])
        assert all(v >= 0 for v in row.values())
    for row in tables["review_litigation"].values():
        # I4
        assert row["total"] == row["upheld"] + row["corrected"] + row["other"] + row["pending"]


def test_template_tables_satisfy_the_identities(corpus: list[tuple[Path, dict]]) -> None:
    templates = [(p, r) for p, r in corpus if r["format"] != "free_text"]
    assert len(templates) >= 50
    nonzero = 0
    for path, r in templates:
        tables = r["tables"]
        _check_identities(tables)
        a = tables["applications"]
        nonzero += a["1"]["total"] > 0
        other_rows = {"3.6"} if r["format"] == "template_2019" else {"3.6.1", "3.6.2", "3.6.3"}
        assert other_rows <= set(a)
        assert r["figures"]["applications_received"]["value"] == a["1"]["total"]
        assert r["figures"]["applications_answered"]["value"] == a["3.7"]["total"]
        assert r["figures"]["applications_carried_out"]["value"] == a["4"]["total"]
        if r["script"] != "hans":
            continue
        # The rows read as their label followed by the seven cells run together.
        flat = re.sub(r"\s+", "", _text(path, r))
        for key, label in (
            ("1", "一、本年新收政府信息公开申请数量"),
            ("4", "四、结转下年度继续办理"),
        ):
            digits = "".join(str(a[key][c]) for c in synth.APPLICANT_COLUMNS)
            assert label + digits in flat, (path.name, key)
        review = tables["review_litigation"]
        digits = "".join(
            str(review[row][c]) for row in synth.REVIEW_ROWS for c in synth.REVIEW_COLUMNS
        )
        assert "总计" + digits in flat
    assert nonzero >= 20


def test_template_layouts_include_giant_lines_and_stray_spaces(
    corpus: list[tuple[Path, dict]],
) -> None:
    layouts = Counter(r["layout"] for _, r in corpus if r["format"] != "free_text")
    assert layouts["giant"] >= 5 and layouts["lines"] >= 5
    stray = 0
    for path, r in corpus:
        if r["format"] == "free_text" or r["script"] != "hans":
            continue
        text = _text(path, r)
        if r["layout"] == "giant":
            # The whole body sits on one line, as in the samples.
            assert max(len(line) for line in text.split("\n")) > 0.6 * len(text)
        stray += bool(re.search(r"申请数量\d+ \d", text))
    assert stray >= 1


def test_traditional_reports_have_no_simplified_title(corpus: list[tuple[Path, dict]]) -> None:
    hant = [(p, r) for p, r in corpus if r["script"] == "hant"]
    assert len(hant) >= 20
    assert {r["format"] for _, r in hant} == {"free_text", "template_2019", "template_2021"}
    for path, r in hant:
        text = _text(path, r)
        assert r["title"] != r["title_hans"]
        assert r["title"] in text
        assert r["title_hans"] not in text
        assert not set("报开务门发区") & set(text), path.name
    for path, r in corpus:
        if r["script"] == "hans":
            assert r["title"] == r["title_hans"]
            assert r["title"] in _text(path, r)


def test_encodings_are_decodable_and_as_declared(corpus: list[tuple[Path, dict]]) -> None:
    for path, r in corpus:
        data = path.read_bytes()
        assert len(data) == r["size"]
        text = data.decode(r["encoding"])
        assert r["title"] in text
        if r["encoding"] == "utf-8-sig":
            assert data.startswith(b"\xef\xbb\xbf")
        else:
            assert not data.startswith(b"\xef\xbb\xbf")
        if r["encoding"] in ("gb18030", "big5"):
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
        if r["encoding"] == "big5":
            assert r["script"] == "hant"
        if r["encoding"] == "gb18030":
            assert r["script"] == "hans"


def test_sizes_are_like_real_reports(corpus: list[tuple[Path, dict]]) -> None:
    sizes = sorted(r["size"] for _, r in corpus)
    assert sizes[0] >= synth.MIN_BYTES
    assert sizes[-1] <= synth.MAX_BYTES
    assert 5000 <= sizes[len(sizes) // 2] <= 14000


def test_clutter_is_where_the_truth_says(corpus: list[tuple[Path, dict]]) -> None:
    for path, r in corpus:
        text = _text(path, r).lstrip("\ufeff")
        if r["has_clutter"]:
            assert r["clutter"]
            for fragment in r["clutter"]:
                assert fragment in text, (path.name, fragment)
        else:
            assert r["clutter"] == []
            assert text.startswith(r["title"])
            assert "ICP备" not in text and "ICP備" not in text


def test_figures_are_stated_in_the_text(corpus: list[tuple[Path, dict]]) -> None:
    qualifiers: Counter[str] = Counter()
    for path, r in corpus:
        text = _text(path, r)
        for indicator, figure in r["figures"].items():
            assert figure["unit"] == synth.UNITS[indicator]
            assert figure["evidence"] in text, (path.name, indicator)
            if "prose_evidence" in figure:
                assert figure["prose_evidence"] in text
            qualifiers[figure["qualifier"]] += 1
            if figure["qualifier"] != "exact":
                assert figure["value"] > 0
        for scoped in r["scoped"]:
            assert scoped["value"] < r["figures"][scoped["indicator"]]["value"]
    assert set(qualifiers) == {"exact", "more_than", "nearly", "approximately"}


def test_free_text_reports_read_like_the_seeds(corpus: list[tuple[Path, dict]]) -> None:
    free = [(p, r, _text(p, r)) for p, r in corpus if r["format"] == "free_text"]
    everything = "\n".join(text for _, _, text in free)
    # Number forms: 万, 余/多, 近, Chinese numerals, and zero statements.
    assert re.search(r"\d(\.\d)?[万萬](人次|份|條|条)", everything)
    assert re.search(r"\d+[余餘多](条|條|人次|件|期|次|人)", everything)
    assert re.search(r"近\d+", everything)
    assert re.search(r"[一二三四五六七八九十两兩]+(期|次|场|場|件)", everything)
    zero = [r for _, r, _ in free if r["figures"].get("fees_collected", {}).get("value") == 0]
    assert zero
    # Section numbering and the three closing-date forms.
    assert re.search(r"^[一二三四五六]、", everything, re.M)
    assert re.search(r"^[（(][一二三四][)）]", everything, re.M)
    assert re.search(r"^\s*\d{4}-\d{2}-\d{2}$", everything, re.M)
    assert re.search(r"^\s*\d{4}年\d{1,2}月\d{1,2}日$", everything, re.M)
    assert re.search(
        r"^\s*[二][○〇][一二][○〇一二三四五六七八九]年[一二三四五]月", everything, re.M
    )
    variants = Counter(r["variant"] for _, r, _ in free)
    assert set(variants) == {"standard", "thematic", "compact"}


def test_published_date_is_shown_when_known(corpus: list[tuple[Path, dict]]) -> None:
    known = 0
    for _, r in corpus:
        if r["published_date"] is None:
            continue
        known += 1
        year, month, _ = (int(x) for x in r["published_date"].split("-"))
        assert year == r["year"] + 1 and 1 <= month <= 5
    assert known >= N // 2
