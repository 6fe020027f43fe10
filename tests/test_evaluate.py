"""The extraction quality gate: scores on the gold set may only rise."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import paths
from pipeline.evaluate import DEFAULT_GOLD, evaluate, format_table, main

FLOOR = Path(__file__).parent / "gold" / "floor.json"


def test_scores_never_fall_below_the_floor():
    scores = evaluate(DEFAULT_GOLD, paths.SOURCE_DIR).as_dict()
    floor = json.loads(FLOOR.read_text(encoding="utf-8"))
    assert floor, "the floor file is empty"
    for key, pinned in floor.items():
        assert key in scores, f"{key} is no longer measured"
        assert scores[key]["precision"] >= pinned["precision"], key
        assert scores[key]["recall"] >= pinned["recall"], key


def test_core_tier_is_perfect():
    scores = evaluate(DEFAULT_GOLD, paths.SOURCE_DIR).as_dict()
    assert (
        scores["statistics.core"]["recall"] == 1.0 and scores["statistics.core"]["precision"] == 1.0
    )


def test_evaluate_reports_misses_for_a_wrong_gold(tmp_path):
    gold = json.loads(DEFAULT_GOLD.read_text(encoding="utf-8"))
    gold[0]["statistics"][0]["value"] += 1
    gold[0]["must_keep"].append("这句话不在报告里")
    wrong = tmp_path / "gold.json"
    wrong.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    ev = evaluate(wrong, paths.SOURCE_DIR)
    assert ev.scores["statistics.core"].recall < 1.0
    assert any("这句话不在报告里" in m for m in ev.misses)
    assert "statistics.core" in format_table(ev)


def test_evaluate_command_prints_the_table(capsys):
    assert main(str(DEFAULT_GOLD), str(paths.SOURCE_DIR)) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "statistics.hard" in out and "misses (0)" in out
