"""Word sources: a report as .docx gives what its text gives; styles become heading levels,
merged cells become grids; .doc through a converter; .wps, OFD and broken files refused."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from pipeline import paths, readers
from pipeline.archive import SourceError
from pipeline.readers import word
from pipeline.records import Report, Source
from pipeline.report import process
from tests import docmaker


@pytest.fixture(scope="module")
def spec2021() -> docmaker.Spec:
    return docmaker.fixture("report_2021.yml")


@pytest.fixture(scope="module")
def docx2021(spec2021: docmaker.Spec) -> bytes:
    return docmaker.to_docx(spec2021)


@pytest.fixture(scope="module")
def text2021(spec2021: docmaker.Spec) -> Report:
    return process(Source("report.txt", docmaker.to_text(spec2021).encode("utf-8")), "report")


def _same(report: Report, text: Report) -> None:
    assert report.metadata == text.metadata
    assert report.cells == text.cells
    assert docmaker.figures(report) == docmaker.figures(text)
    assert docmaker.sentences(report) == docmaker.sentences(text)


def test_docx_gives_what_the_text_version_gives(docx2021: bytes, text2021: Report) -> None:
    report = process(Source("report.docx", docx2021), "report")
    _same(report, text2021)
    assert len([c for c in report.cells if c.value is not None]) == 200
    assert all(s.page is None for s in report.statistics)


def test_docx_of_a_seed_gives_what_its_text_gives() -> None:
    seed = sorted(paths.SOURCE_DIR.glob("*.txt"))[0]
    raw = seed.read_bytes()
    docx = docmaker.to_docx(docmaker.from_text(raw.decode("utf-8")))
    _same(process(Source(seed.stem + ".docx", docx), "r"), process(Source(seed.name, raw), "r"))


def test_merged_cells_become_the_grid_a_web_page_gives(
    spec2021: docmaker.Spec, docx2021: bytes
) -> None:
    result = readers.read(Source("report.docx", docx2021))
    assert result is not None
    grids = [[list(row) for row in grid] for grid in result[1].grids]
    assert grids == [
        docmaker.expand(spec2021.tables[name]) for name in ("proactive", "applications", "review")
    ]


def test_heading_styles_give_heading_levels() -> None:
    spec = docmaker.Spec(
        [
            ("title", "某某县2021年政府信息公开工作年度报告"),
            ("h", "总体情况", 1),
            ("p", "本年度共收到政府信息公开申请12件。"),
            ("h", "主动公开方面", 2),
            ("p", "全年主动公开政府信息356条。"),
        ]
    )
    report = process(Source("styled.docx", docmaker.to_docx(spec)), "styled")
    lines = report.markdown.split("\n")
    assert lines[0] == "# 某某县2021年政府信息公开工作年度报告"
    assert "## 总体情况" in lines  # Heading 1, unnumbered: only its style says it is one
    assert "### 主动公开方面" in lines
    assert {s.indicator: s.value for s in report.statistics} == {
        "applications_received": 12,
        "proactive_items": 356,
    }


def test_docx_properties_are_only_hints() -> None:
    untitled = docmaker.Spec([("p", "本年度共收到政府信息公开申请12件。")])
    docx = docmaker.to_docx(untitled, title="某某县2021年政府信息公开工作年度报告", author="张三")
    report = process(Source("untitled.docx", docx), "untitled")
    assert report.metadata.title == "某某县2021年政府信息公开工作年度报告"
    assert report.metadata.year == 2021
    assert report.metadata.issuer != "张三"  # a person, not the issuing body


# --------------------------------------------------------------------------- .doc

DOCBOOK = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE book PUBLIC "-//OASIS//DTD DocBook XML V4.1.2//EN"
\t"http://www.oasis-open.org/docbook/xml/4.1.2/docbookx.dtd">
<book lang='en_US'>
 <bookinfo><author><surname>某某县人民政府办公室</surname></author></bookinfo>
 <chapter><title/>
  <para>
某某县2021年政府信息公开工作年度报告
  </para>
 </chapter>
 <chapter>
<title>一、总体情况</title>
  <para>
本年度共收到政府信息公开申请12件。
  </para>
  <para>
   <informaltable frame='none'>
    <tgroup cols='2'>
     <colspec colwidth='100.00pt'/><colspec colwidth='200.00pt'/>
     <tbody><row><entry>申请人情况</entry><entry>法人或其他组织</entry></row></tbody>
    </tgroup>
    <tgroup cols='3'>
     <colspec colwidth='100.00pt'/><colspec colwidth='100.00pt'/><colspec colwidth='100.00pt'/>
     <tbody><row><entry>本年新收</entry><entry>10</entry><entry>2</entry></row></tbody>
    </tgroup>
   </informaltable>
  </para>
 </chapter>
</book>
"""


def test_antiword_docbook_is_read_with_headings_and_aligned_tables() -> None:
    doc = word.parse_docbook(DOCBOOK.encode("utf-8"))
    assert doc.text.split("\n")[:3] == [
        "某某县2021年政府信息公开工作年度报告",
        "一、总体情况",
        "本年度共收到政府信息公开申请12件。",
    ]
    assert doc.headings == {"一、总体情况": 2}
    # The merged cell of the first row is repeated over the two columns it covers.
    assert doc.grids == (
        (("申请人情况", "法人或其他组织", "法人或其他组织"), ("本年新收", "10", "2")),
    )
    assert doc.hints == {"source": "某某县人民政府办公室"}


DOC2021 = docmaker.FIXTURES / "report_2021.doc"
"""report_2021.yml saved as .doc by LibreOffice (the only writer of .doc at hand): committed,
so that reading .doc is tested where LibreOffice is not installed."""


def test_doc_through_antiword_gives_the_text_and_the_prose_figures(
    text2021: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = shutil.which
    # Without LibreOffice, antiword reads the text (tables with cells merged down a column are
    # beyond it).
    monkeypatch.setattr(
        word.shutil, "which", lambda name: None if name == word.SOFFICE else real(name)
    )
    assert real(word.ANTIWORD), "antiword is missing: run `invoke setup`"
    report = process(Source("report.doc", DOC2021.read_bytes()), "report")
    assert report.metadata == text2021.metadata
    # Figures the table would have given come from the prose instead.
    assert set(docmaker.sentences(text2021)) <= set(docmaker.sentences(report))


def test_doc_through_libreoffice_reads_the_docx_it_writes(
    docx2021: bytes, text2021: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LibreOffice's command line as read_doc uses it, played by a stand-in that writes the
    .docx LibreOffice would (the real one is large and optional)."""
    made = tmp_path / "made.docx"
    made.write_bytes(docx2021)
    stub = tmp_path / "soffice"
    stub.write_text(
        "#!/usr/bin/env python3\n"
        "import shutil, sys\n"
        "args = sys.argv[1:]\n"
        "assert '--headless' in args and args[args.index('--convert-to') + 1] == 'docx'\n"
        "assert args[0].startswith('-env:UserInstallation=file://')\n"
        "out, src = args[args.index('--outdir') + 1], args[-1]\n"
        "assert src.endswith('.doc')\n"
        f"shutil.copyfile({str(made)!r}, out + '/' + src.rsplit('/', 1)[-1][:-4] + '.docx')\n",
        encoding="utf-8",
    )
    stub.chmod(0o755)
    real = shutil.which
    monkeypatch.setattr(
        word.shutil, "which", lambda name: str(stub) if name == word.SOFFICE else real(name)
    )
    _same(process(Source("report.doc", DOC2021.read_bytes()), "report"), text2021)


def test_doc_without_a_converter_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(word.shutil, "which", lambda name: None)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + b"\0" * 512
    with pytest.raises(SourceError, match=r"needs antiword.*invoke setup"):
        process(Source("old.doc", ole), "old")


# --------------------------------------------------------------------------- refused formats


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("report.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "WPS Office document"),
        ("report.rtf", b"{\\rtf1\\ansi report}", "RTF document"),
    ],
)
def test_formats_not_read_are_named(name: str, data: bytes, says: str) -> None:
    with pytest.raises(SourceError, match=says):
        process(Source(name, data), "x")


def test_ofd_is_named() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", "<ofd:OFD/>")
    with pytest.raises(SourceError, match="OFD document"):
        process(Source("report.ofd", buf.getvalue()), "x")


def test_broken_docx_is_named() -> None:
    whole = docmaker.to_docx(docmaker.SMALL)
    with pytest.raises(SourceError, match="Word file is damaged"):
        process(Source("cut.docx", whole[: len(whole) // 2]), "x")


def test_report_pasted_into_a_layout_table_is_read_as_text() -> None:
    import docx

    document = docx.Document()
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    cell.text = "某某县2021年政府信息公开工作年度报告"
    cell.add_paragraph("一、总体情况")
    cell.add_paragraph("本年度共收到政府信息公开申请12件，全部按时答复。" * 12)
    inner = cell.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "项目", (0, 1): "数量", (1, 0): "申请", (1, 1): "12"}.items():
        inner.cell(r, c).text = text
    buf = io.BytesIO()
    document.save(buf)
    result = readers.read(Source("pasted.docx", buf.getvalue()))
    assert result is not None
    lines = result[1].text.split("\n")
    assert lines[:2] == ["某某县2021年政府信息公开工作年度报告", "一、总体情况"]
    assert result[1].grids == ((("项目", "数量"), ("申请", "12")),)
