"""The issuers' names for the search page (pipeline/site/issuer_names.py): keys made as the search
page makes a query, files that never split a key, and every issuer of a built site listed."""

from __future__ import annotations

import gzip
import json

from pipeline.crossreport.issuers import Issuer
from pipeline.site import issuer_names
from pipeline.site.extras import t2s_map
from pipeline.site.issuer_names import name_files, name_key
from pipeline.site.search_index import js_order


def _issuer(iid: str, name: str, variants: tuple[str, ...] = (), reports: int = 1) -> Issuer:
    return Issuer(
        issuer_id=iid,
        name=name,
        variants=variants or (name,),
        issuer_type="government",
        admin_level="county",
        province=None,
        prefecture=None,
        county=None,
        division_code=None,
        report_ids=tuple(f"r{iid}_{k}" for k in range(reports)),
        years=tuple(range(2019, 2019 + reports)),
    )


def _rows(files: dict[str, bytes], name: str) -> list[list[str]]:
    text = gzip.decompress(files[name]).decode("utf-8")
    return [line.split("\t") for line in text.splitlines()]


def test_a_name_key_is_the_query_the_search_page_would_make_of_it():
    t2s = t2s_map()
    simplified = name_key("桂林市住房和城乡建设局", t2s)
    assert simplified == "桂林市住房和城乡建设局"
    # Traditional script, spaces, punctuation of either width, full-width letters, upper case.
    assert name_key(" 桂林市住房和城鄉建設局 ", t2s) == simplified
    assert name_key("桂林市（住房和城乡建设局）", t2s) == simplified
    assert name_key("桂林市·住房、和城乡建设局。", t2s) == simplified
    assert name_key("ＡＢＣ区政府", t2s) == name_key("abc 区政府", t2s) == "abc区政府"
    assert name_key("，。", t2s) == ""
    # Symbols are not words of a query either (the search page's word segmenter drops them).
    assert name_key('岳塘区<img src=x onerror="a.b=1">', t2s) == "岳塘区imgsrcxonerrorab1"


def test_a_short_name_is_not_listed():
    listing, files = name_files([_issuer("i1", "正文"), _issuer("i2", "一、概述")], t2s_map())
    assert listing == [] and files == {}


def test_names_files_list_every_name_of_every_issuer_in_order_and_never_split_a_key():
    t2s = t2s_map()
    issuers = [
        _issuer(
            f"i{k:04d}",
            f"第{k:04d}号测试县人民政府",
            (f"第{k:04d}号测试县人民政府", f"測試縣{k:04d}"),
        )
        for k in range(300)
    ]
    # Two bodies of one name (in different places): one key, both issuers, in one file.
    issuers += [_issuer("twin-a", "城关镇人民政府", reports=3), _issuer("twin-b", "城关镇人民政府")]
    listing, files = name_files(issuers, t2s)
    assert len(files) == len(listing) >= 2
    keys: list[str] = []
    for first, last, name in listing:
        rows = _rows(files, name)
        assert rows[0][0] == first and rows[-1][0] == last
        keys += [r[0] for r in rows]
        assert all(len(r) == 6 for r in rows)
    assert keys == sorted(keys, key=js_order)
    assert len(keys) == 300 * 2 + 2
    by_key = {}
    for _, _, name in listing:
        for key, iid, shown, reports, first, last in _rows(files, name):
            by_key.setdefault(key, []).append((iid, shown, int(reports), int(first), int(last)))
    assert by_key["测试县0007"] == [("i0007", "第0007号测试县人民政府", 1, 2019, 2019)]
    assert by_key["城关镇人民政府"] == [
        ("twin-a", "城关镇人民政府", 3, 2019, 2021),
        ("twin-b", "城关镇人民政府", 1, 2019, 2019),
    ]
    # A key's lines are in one file.
    holding = [
        name for _, _, name in listing if any(r[0] == "城关镇人民政府" for r in _rows(files, name))
    ]
    assert len(holding) == 1
    # The same issuers give the same bytes.
    assert name_files(list(reversed(issuers)), t2s) == (listing, files)


def test_a_built_site_lists_each_of_its_issuers_names(seed_build):
    site = seed_build["site"]
    parts = json.loads((site / "pagefind" / "parts.json").read_text(encoding="utf-8"))
    assert parts["names"], "the names' files are listed"
    found = {}
    for first, last, name in parts["names"]:
        body = (site / "pagefind" / "names" / name).read_bytes()
        for key, iid, *_ in _rows({name: body}, name):
            assert js_order(first) <= js_order(key) <= js_order(last)
            found.setdefault(key, set()).add(iid)
    t2s = t2s_map()
    issuers = seed_build["result"].cross.issuers
    assert issuers
    for issuer in issuers:
        assert (site / "issuers" / issuer.issuer_id / "index.html").is_file()
        for variant in issuer.variants:
            assert issuer.issuer_id in found[name_key(variant, t2s)], variant


def test_a_site_without_its_search_listing_is_left_alone(tmp_path):
    issuer_names.publish(tmp_path, [_issuer("i1", "某县人民政府")])
    assert not (tmp_path / "pagefind").exists()
