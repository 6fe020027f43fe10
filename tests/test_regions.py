"""Division codes (GB/T 2260) of issuing bodies, and their type and administrative level."""

from __future__ import annotations

import csv

import pytest

from pipeline.data import make_divisions
from pipeline.extract import regions
from pipeline.extract.regions import describe_issuer, locate
from pipeline.records import Region

YUETANG = Region("湖南省", "湘潭市", "岳塘区", "430304", "county")
EWENKI = Region("内蒙古自治区", "呼伦贝尔市", "鄂温克族自治旗", "150724", "county")
ANQING = Region("安徽省", "安庆市", None, "340800", "prefecture")
INNER_MONGOLIA = Region("内蒙古自治区", None, None, "150000", "province")


# --- the division list -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def division_rows() -> list[dict[str, str]]:
    with regions.DIVISIONS_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_division_list_shape(division_rows):
    assert list(division_rows[0]) == ["code", "name", "level", "parent_code", "until"]
    assert regions.DIVISIONS_CSV.stat().st_size < 1_000_000
    keys = [(r["code"], r["name"]) for r in division_rows]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    levels = {"province": 0, "prefecture": 0, "county": 0}
    for row in division_rows:
        levels[row["level"]] += 1
    # 34 province-level divisions, about 333 prefecture- and 2,800 county-level ones.
    assert levels["province"] == 34
    assert 320 <= levels["prefecture"] <= 350
    assert 2800 <= levels["county"] <= 3300


def test_division_list_hierarchy(division_rows):
    codes = {r["code"]: r for r in division_rows}
    for row in division_rows:
        code = row["code"]
        assert len(code) == 6 and code.isdigit()
        if row["level"] == "province":
            assert code.endswith("0000") and row["parent_code"] == ""
        else:
            parent = codes[row["parent_code"]]
            assert code[:2] == row["parent_code"][:2]
            expected = {"prefecture": {"province"}, "county": {"province", "prefecture"}}
            assert parent["level"] in expected[row["level"]]


def test_division_list_has_gold_and_former_divisions(division_rows):
    current = {(r["code"], r["name"]) for r in division_rows if not r["until"]}
    assert {
        ("430304", "岳塘区"),
        ("150724", "鄂温克族自治旗"),
        ("340800", "安庆市"),
        ("150000", "内蒙古自治区"),
        ("110105", "朝阳区"),
        ("220104", "朝阳区"),
    } <= current
    former = {(r["code"], r["name"]): r["until"] for r in division_rows if r["until"]}
    assert former[("420600", "襄樊市")] == "2010"
    assert former[("341400", "巢湖市")] == "2011"
    assert former[("110103", "崇文区")] == "2010"


def test_former_rows_take_parent_from_code():
    current = make_divisions.current_rows(
        {
            "provinces": {
                "安徽省": {
                    "code": "340000000000",
                    "cities": {
                        "合肥市": {"code": "340100000000", "counties": {"巢湖市": "340181000000"}}
                    },
                }
            }
        }
    )
    history = {
        "events": [
            {"year": 2011, "old": {"code": "341400000000", "name": "巢湖市"}},
            {"year": 2011, "old": {"code": "341402000000", "name": "居巢区", "parent_code": None}},
            {"year": 1999, "old": {"code": "342100000000", "name": "阜阳地区"}},
            {"year": 2011, "old": {"code": None, "name": "某地"}},
        ]
    }
    former = make_divisions.former_rows(history, current)
    assert former == {
        ("341400", "巢湖市"): {
            "code": "341400",
            "name": "巢湖市",
            "level": "prefecture",
            "parent_code": "340000",
            "until": "2011",
        },
        ("341402", "居巢区"): {
            "code": "341402",
            "name": "居巢区",
            "level": "county",
            "parent_code": "341400",
            "until": "2011",
        },
    }
    assert current[("340181", "巢湖市")]["parent_code"] == "340100"


# --- short names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("鄂温克族自治旗", {"鄂温克旗", "鄂温克自治旗", "鄂温克"}),
        ("内蒙古自治区", {"内蒙古"}),
        ("广西壮族自治区", {"广西"}),
        ("积石山保安族东乡族撒拉族自治县", {"积石山县", "积石山自治县", "积石山"}),
        ("延边朝鲜族自治州", {"延边州", "延边自治州", "延边"}),
        ("岳塘区", {"岳塘"}),
        ("安庆市", {"安庆"}),
        ("和县", set()),
    ],
)
def test_short_names(name, short):
    assert {alias for alias, _ in regions.short_names(name)} == short


# --- locate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("岳塘区",), YUETANG),
        (("2012年岳塘区政府信息公开工作年度报告",), YUETANG),
        (("湘潭市岳塘区人民政府",), YUETANG),
        (("湖南省 湘潭市岳塘区",), YUETANG),
        (("鄂温克旗",), EWENKI),
        (
            (
                "鄂温克族自治旗人民政府办公室",
                "鄂温克旗人民政府办公室关于2017年全旗政务公开工作情况的通报",
            ),
            EWENKI,
        ),
        (("安庆市政府办公室",), ANQING),
        (("安庆市",), ANQING),
        (("内蒙古自治区公安厅",), INNER_MONGOLIA),
        (("内蒙古",), INNER_MONGOLIA),
    ],
)
def test_locate_gold(texts, expected):
    assert locate(*texts) == expected


def test_locate_traditional_script():
    assert locate("內蒙古自治區2009年政府信息公開工作年度報告") == INNER_MONGOLIA
    assert locate("內蒙古自治區公安廳") == INNER_MONGOLIA
    assert locate("湘潭市嶽塘區人民政府") == YUETANG


def test_locate_name_changed_by_conversion():
    # OpenCC turns 乾 into 干; the name is still found.
    assert locate("乾安县人民政府").division_code == "220723"
    assert locate("乾安縣人民政府").county == "乾安县"


def test_locate_prefers_highest_priority_text():
    assert locate("安庆市政府办公室", "岳塘区", "内蒙古自治区") == ANQING
    assert locate(None, "", "岳塘区人民政府门户网站") == YUETANG


def test_locate_first_chain_not_later_names():
    # The body is the 安庆市 government; the county named later is what it writes about.
    assert locate("安庆市人民政府关于表彰桐城市的通报") == ANQING


def test_ambiguous_county_left_unresolved():
    assert locate("朝阳区人民政府") == Region()
    assert locate("鼓楼区人民政府办公室") == Region()


def test_ambiguous_county_resolved_by_chain():
    assert locate("北京市朝阳区").division_code == "110105"
    changchun = locate("长春市朝阳区人民政府")
    assert changchun == Region("吉林省", "长春市", "朝阳区", "220104", "county")


def test_ambiguous_county_resolved_by_other_texts():
    assert (
        locate("朝阳区人民政府", "北京市朝阳区2019年政府信息公开工作年度报告").division_code
        == "110105"
    )
    fuzhou = locate("鼓楼区人民政府", "", "根据《福建省政府信息公开办法》")
    assert fuzhou == Region("福建省", "福州市", "鼓楼区", "350102", "county")


def test_ambiguous_county_within_one_province_keeps_only_the_province():
    # 鼓楼区 exists in both 南京市 and 徐州市: only the province is certain.
    found = locate("鼓楼区人民政府", "江苏省")
    assert found == Region("江苏省", None, None, "320000", "province")


def test_generic_names_need_their_prefecture():
    assert locate("城区人民政府") == Region()
    assert locate("阳泉市城区人民政府") == Region("山西省", "阳泉市", "城区", "140302", "county")


@pytest.mark.parametrize(
    "text",
    [
        "没有地名的一段文字",
        "振兴县域经济",  # not 兴县
        "全市和县区两级",  # not 和县
        "全区政府信息公开工作",
        "我区认真贯彻落实",
        "市直各单位",
        "自然资源局",  # not 资源县
        "确保定期公开",  # not 保定
        "平安顺利",  # not 安顺
        "城区道路",
        "区域协调发展",
        "",
    ],
)
def test_no_false_matches(text):
    assert locate(text) == Region()


def test_department_words_are_not_counties():
    # 公安 is also 公安县 (荆州市): a department of the region must not become that county.
    assert locate("内蒙古自治区公安厅") == INNER_MONGOLIA
    assert locate("湘潭市自然资源和规划局").division_code == "430300"


def test_two_character_names_with_clear_boundary():
    assert locate("2019年和县政府信息公开工作年度报告").division_code == "340523"
    assert locate("马鞍山市和县人民政府").division_code == "340523"


def test_former_names():
    assert locate("襄樊市人民政府") == Region("湖北省", "襄樊市", None, "420600", "prefecture")
    assert locate("北京市崇文区").division_code == "110103"
    # A name already replaced in the year reported on is not read.
    assert locate("崇文区人民政府", year=2015) == Region()
    assert locate("襄阳市", year=2015) == Region("湖北省", "襄阳市", None, "420600", "prefecture")


def test_market_is_not_a_city():
    assert locate("北京市场监督管理局").division_code == "110000"


# --- describe_issuer -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "title", "expected"),
    [
        (
            "岳塘区人民政府",
            "2012年岳塘区政府信息公开工作年度报告",
            ("government", "county", YUETANG),
        ),
        (None, "2012年岳塘区政府信息公开工作年度报告", ("government", "county", YUETANG)),
        ("鄂温克族自治旗人民政府办公室", "", ("government", "county", EWENKI)),
        ("鄂温克旗人民政府办公室", "", ("government", "county", EWENKI)),
        (
            "安庆市政府办公室",
            "安庆市2008年政府信息公开工作年度报告",
            ("government", "prefecture", ANQING),
        ),
        ("内蒙古自治区人民政府办公厅", "", ("government", "province", INNER_MONGOLIA)),
        ("内蒙古自治区公安厅", "", ("department", "province", INNER_MONGOLIA)),
        (
            None,
            "内蒙古自治区公安厅2009年度政府信息公开工作年度报告",
            ("department", "province", INNER_MONGOLIA),
        ),
        (
            None,
            "內蒙古自治區2009年政府信息公開工作年度報告",
            ("government", "province", INNER_MONGOLIA),
        ),
    ],
)
def test_describe_issuer_gold(issuer, title, expected):
    assert describe_issuer(issuer, title) == expected


@pytest.mark.parametrize(
    ("issuer", "kind"),
    [
        ("湘潭市人民政府", "government"),
        ("湘潭市政府办公室", "government"),
        ("湘潭市人民政府办公室", "government"),
        ("湘潭经济技术开发区管委会", "government"),
        ("湘潭市公安局", "department"),
        ("湘潭市公安局办公室", "department"),
        ("湘潭市发展和改革委员会", "department"),
        ("湘潭市卫健委", "department"),
        ("湘潭市人民政府国有资产监督管理委员会", "department"),
        ("湘潭市住房公积金管理中心", "department"),
        ("湘潭市信访局", "department"),
        ("湘潭市档案馆", "department"),
        ("中共湘潭市委办公室", "other"),
        ("湘潭市人大常委会", "other"),
        ("湘潭市中级人民法院", "other"),
        ("湘潭市第一人民医院", "other"),
    ],
)
def test_governments_departments_and_others(issuer, kind):
    issuer_type, level, region = describe_issuer(issuer)
    assert issuer_type == kind
    assert level == "prefecture"
    assert region.division_code == "430300"


def test_prefecture_administration_and_zone_committee():
    found = describe_issuer("大兴安岭地区行政公署")
    assert found == (
        "government",
        "prefecture",
        Region("黑龙江省", "大兴安岭地区", None, "232700", "prefecture"),
    )
    found = describe_issuer("平潭综合实验区管理委员会")
    assert found == (
        "government",
        "county",
        Region("福建省", "福州市", "平潭县", "350128", "county"),
    )


def test_named_after_a_place_is_not_the_place():
    assert describe_issuer("湘潭大学") == ("other", None, Region())


@pytest.mark.parametrize(
    "issuer",
    ["岳塘区霞城街道办事处", "湘潭市岳塘区霞城乡人民政府", "岳塘区荷塘乡政府", "岳塘区东坪街道"],
)
def test_township_governments(issuer):
    assert describe_issuer(issuer) == ("government", "township", YUETANG)


def test_township_from_other_texts_and_departments():
    found = describe_issuer("巴彦托海镇人民政府", "", "鄂温克族自治旗人民政府")
    assert found == ("government", "township", EWENKI)
    assert describe_issuer("鄂温克旗巴彦嵯岗苏木")[:2] == ("government", "township")
    assert describe_issuer("岳塘区荷塘乡财政所") == ("department", "township", YUETANG)
    # 城乡 and 乡村 are not townships.
    assert describe_issuer("湘潭市住房和城乡建设局")[:2] == ("department", "prefecture")
    assert describe_issuer("岳塘区乡村振兴局")[:2] == ("department", "county")


@pytest.mark.parametrize(
    ("issuer", "kind"),
    [
        ("国务院", "government"),
        ("国务院办公厅", "government"),
        ("国家统计局", "department"),
        ("教育部", "department"),
        ("海关总署", "department"),
        ("中国人民银行", "department"),
        ("國家統計局", "department"),
    ],
)
def test_central_bodies(issuer, kind):
    # An address in the text does not make a central body local.
    found = describe_issuer(
        issuer, f"{issuer}2019年政府信息公开工作年度报告", "北京市西城区月坛南街"
    )
    assert found == (kind, "central", Region())


def test_central_department_with_a_region_is_local():
    found = describe_issuer("国家税务总局湖南省税务局")
    assert found == ("department", "province", Region("湖南省", None, None, "430000", "province"))


def test_unresolved_county_keeps_its_level():
    issuer_type, level, region = describe_issuer("鼓楼区人民政府")
    assert (issuer_type, level, region) == ("government", "county", Region())


def test_issuer_from_website_name_and_text():
    assert describe_issuer("岳塘区人民政府门户网站 www.hnxtyt.gov.cn") == (
        "government",
        "county",
        YUETANG,
    )
    found = describe_issuer(None, "2019年政府信息公开工作年度报告", "湘潭市教育局现公布本年度报告")
    assert found[:2] == ("department", "prefecture")


def test_no_issuer_and_no_region():
    assert describe_issuer(None, "政府信息公开工作年度报告", "本机关依法公开。") == (
        "other",
        None,
        Region(),
    )
    assert describe_issuer("某某有限公司") == ("other", None, Region())
