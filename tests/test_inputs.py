"""Any source a user brings: every encoding, broken and hostile input, duplicates, sidecars."""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.build import read_sidecar, run_stages
from pipeline.report import report_id_for
from tests.conftest import build_into

SEED = paths.SOURCE_DIR / "002_1febd801f82f46fd.txt"
REPORT = "某县2015年政府信息公开工作年度报告\n一、概述\n2015年，全县主动公开政府信息1200条。\n二○一六年三月二十日\n"


def _build(src: Path, tmp: Path, with_site: bool = False):
    return build_into(src, tmp, with_site=with_site)


def _problems(result) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in result.problems:
        out.setdefault(p.source_file, []).append(f"{p.severity}:{p.stage}:{p.message}")
    return out


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(SEED, src / SEED.name)
    return src


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("utf8.txt", REPORT.encode()),
        ("bom.txt", codecs.BOM_UTF8 + REPORT.encode()),
        ("utf16.txt", REPORT.encode("utf-16")),
        ("gbk.txt", REPORT.encode("gbk")),
        ("gb18030.txt", REPORT.encode("gb18030")),
        (
            "big5.txt",
            "某縣2015年政府資訊公開工作年度報告\n一、概述\n2015年，全縣主動公開政府資訊1200條。\n".encode(
                "big5"
            ),
        ),
        ("crlf.txt", REPORT.replace("\n", "\r\n").encode()),
        ("cr.txt", REPORT.replace("\n", "\r").encode()),
        (
            "spaces.txt",
            REPORT.replace("一、", "\u3000\u3000一、").replace("全县", "全\u200b县\u00a0").encode(),
        ),
    ],
)
def test_every_encoding_and_line_end_builds(tmp_path, name, data):
    src = tmp_path / "src"
    src.mkdir()
    (src / name).write_bytes(data)
    result = _build(src, tmp_path)
    assert not [p for p in result.problems if p.severity == "error"]
    (report,) = result.reports
    stats = {s.indicator: s.value for s in report.statistics}
    assert stats["proactive_items"] == 1200
    assert "\r" not in report.cleaned.text and "\u200b" not in report.cleaned.text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"\n \n", "empty"),
        ("report.pdf", b"%PDF-1.7\n%binary", "PDF"),
        ("page.zip", b"PK\x03\x04\x14\x00", "ZIP"),
        ("scan.png", b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        ("noise.txt", bytes(range(256)) * 8, "not text"),
    ],
)
def test_bad_files_are_skipped_with_a_reason_and_the_rest_builds(
    corpus, tmp_path, name, data, reason
):
    (corpus / name).write_bytes(data)
    result = _build(corpus, tmp_path)
    assert [r.archived.source_file for r in result.reports] == [SEED.name]
    (message,) = _problems(result)[name]
    assert message.startswith("error:") and reason.lower() in message.lower()
    report = json.loads((tmp_path / "datasets" / "build_report.json").read_text())
    assert any(p["source_file"] == name for p in report["problems"])
    # Nothing brought is lost: the skipped file's bytes are archived too (empty ones excepted).
    if data.strip():
        archive = (tmp_path / "datasets" / "archive.csv").read_text()
        assert name in archive and "skipped" in archive


def test_too_large_file_is_skipped(corpus, tmp_path, monkeypatch):
    import pipeline.archive
    import pipeline.build

    monkeypatch.setattr(pipeline.build, "MAX_BYTES", 20_000)
    monkeypatch.setattr(pipeline.archive, "MAX_BYTES", 20_000)
    (corpus / "huge.txt").write_bytes(REPORT.encode() * 300)
    result = _build(corpus, tmp_path)
    assert "larger than a report" in _problems(result)["huge.txt"][0]
    assert len(result.reports) == 1


def test_duplicates_are_published_once_with_every_source_listed(corpus, tmp_path):
    shutil.copy(SEED, corpus / "copy-of-seed.txt")
    # Same text, other bytes: GB18030 instead of UTF-8.
    (corpus / "gbk-copy.txt").write_bytes(SEED.read_text(encoding="utf-8").encode("gb18030"))
    result = _build(corpus, tmp_path)
    assert len(result.reports) == 1
    (report,) = result.reports
    assert sorted(report.duplicates) == ["002_1febd801f82f46fd.txt", "gbk-copy.txt"] or sorted(
        [report.archived.source_file, *report.duplicates]
    ) == sorted(["002_1febd801f82f46fd.txt", "copy-of-seed.txt", "gbk-copy.txt"])
    row = (tmp_path / "datasets" / "reports.csv").read_text().splitlines()[1]
    assert "gbk-copy.txt" in row


def test_sidecar_overrides_and_is_validated(corpus, tmp_path):
    (corpus / f"{SEED.name}.meta.yml").write_text(
        "url: https://www.example.gov.cn/a.html\nissuer: 湘潭市岳塘区人民政府\nlicense: CC-BY-4.0\n",
        encoding="utf-8",
    )
    shutil.copy(SEED, corpus / "other.txt")
    (corpus / "other.txt").write_text(REPORT, encoding="utf-8")
    (corpus / "other.txt.meta.yml").write_text("url: [unclosed\n", encoding="utf-8")
    result = _build(corpus, tmp_path)
    by_file = {r.archived.source_file: r for r in result.reports}
    assert by_file[SEED.name].metadata.url == "https://www.example.gov.cn/a.html"
    assert by_file[SEED.name].metadata.issuer == "湘潭市岳塘区人民政府"
    assert "other.txt" in by_file  # a broken sidecar never drops its report
    assert any("not valid YAML" in m for m in _problems(result)["other.txt.meta.yml"])


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("- a\n- b\n", "mapping"),
        ("colour: red\n", "unknown sidecar keys"),
        ("url: javascript:alert(1)\n", "http"),
    ],
)
def test_sidecar_validation_messages(tmp_path, text, error):
    p = tmp_path / "x.txt.meta.yml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        read_sidecar(p)


def test_a_failing_stage_is_reported_with_the_file_and_does_not_affect_others(
    corpus, tmp_path, monkeypatch
):
    import pipeline.report

    real = pipeline.report.extract_figures

    def explode(text, toc=(), issuer=None):
        if "炸" in text:
            raise RuntimeError("boom")
        return real(text, toc, issuer)

    monkeypatch.setattr(pipeline.report, "extract_figures", explode)
    (corpus / "bad.txt").write_text(
        REPORT.replace("一、概述", "一、概述\n炸药库信息公开。"), encoding="utf-8"
    )
    result = run_stages(corpus, workers=1, cache_dir=None, progress=lambda m: None)
    assert [r.archived.source_file for r in result.reports] == [SEED.name]
    assert _problems(result)["bad.txt"] == ["error:figures:RuntimeError: boom"]


def test_failed_build_leaves_previous_outputs_untouched(corpus, tmp_path, monkeypatch):
    _build(corpus, tmp_path)
    before = (tmp_path / "datasets" / "reports.csv").read_bytes()
    import pipeline.package

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(pipeline.package.PackageWriter, "close", fail)
    (corpus / "new.txt").write_text(REPORT, encoding="utf-8")
    with pytest.raises(OSError):
        _build(corpus, tmp_path)
    assert (tmp_path / "datasets" / "reports.csv").read_bytes() == before


def test_strict_build_exits_non_zero_on_a_skipped_file(corpus, tmp_path, monkeypatch):
    import invoke

    import pipeline.build
    import tasks

    (corpus / "empty.txt").write_bytes(b"")
    result = _build(corpus, tmp_path)
    monkeypatch.setattr(pipeline.build, "build_all", lambda **kwargs: result)
    tasks.build.body(invoke.Context())  # not strict: a skipped file is reported, not fatal
    with pytest.raises(invoke.Exit) as exc:
        tasks.build.body(invoke.Context(), strict=True)
    assert exc.value.code == 1 and "empty.txt" in str(exc.value.message)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.txt",
        "报告 2019（终稿）.txt",
        "a" * 150 + ".txt",
        "CON.txt",
        "<script>.txt",
        "x y#z?.txt",
    ],
)
def test_report_ids_are_url_safe_and_stay_in_their_folder(name):
    rid = report_id_for(name)
    assert rid and len(rid) <= 80
    assert all(c.isascii() and (c.isalnum() or c in "-_") for c in rid)
    assert ".." not in rid and "/" not in rid


def test_hostile_names_never_escape_their_folders(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in [
        "报告（终稿）.txt",
        "..hidden.txt",
        "a;rm -rf.txt",
        "<img src=x onerror=alert(1)>.txt",
    ]:
        (src / name).write_text(REPORT, encoding="utf-8")
    out = tmp_path / "out"
    result = _build(src, out, with_site=True)
    assert len(result.reports) >= 1
    for p in out.rglob("*"):
        assert out in p.resolve().parents
    html = "".join(p.read_text(encoding="utf-8") for p in (out / "site").rglob("*.html"))
    assert "<img src=x" not in html
