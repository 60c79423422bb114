"""scripts/verdicts.py (``make verdicts``): the slack of a checked claim and the page it writes."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_free  # file formats and arithmetic: no backend code

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))
spec = importlib.util.spec_from_file_location("verdicts", SCRIPTS / "verdicts.py")
verdicts = importlib.util.module_from_spec(spec)
spec.loader.exec_module(verdicts)


def check_record(mean, low, high, margin, interval=True):
    return {"claim": "A beats B (mean ≥ +0.100" + (", CI above 0)" if interval else ")"), "figure": "...",
            "passed": True, "mean": mean, "low": low, "high": high, "n": 5, "wins": 5, "margin": margin}


def test_slack_is_the_smaller_room_in_half_widths():
    assert verdicts.slack(check_record(0.30, 0.10, 0.50, 0.15)) == pytest.approx(0.5)    # CI low 0.10 / 0.20
    assert verdicts.slack(check_record(0.20, 0.10, 0.30, 0.15)) == pytest.approx(0.5)    # mean - margin 0.05 / 0.10
    assert verdicts.slack(check_record(0.20, -0.1, 0.50, 0.15, interval=False)) == pytest.approx(0.05 / 0.3)
    assert verdicts.slack({"claim": "x", "figure": "1", "passed": True}) is None


def test_render_lists_every_offset_and_claim_and_marks_failures():
    run = {"passed": True, "error": "", "printed": ["gain +0.2"], "seconds": 40.0, "cpu_seconds": 44.0,
           "date": "2026-12-06", "machine": "cpu", "claims": [check_record(0.3, 0.1, 0.5, 0.15)]}
    failed = dict(run, passed=False, error="AssertionError: no", claims=[])
    page = verdicts.render({"quick": {"16_x.ipynb": {"0": run, "1": failed}}})
    assert "| 16_x.ipynb | passed (40 s / 44 s CPU) | **FAILED** (40 s / 44 s CPU) |" in page
    assert "(slack +0.50 half-widths)" in page
    assert "error: `AssertionError: no`" in page and "printed: gain +0.2" in page
    assert "Full mode" not in page


def test_merge_keeps_the_runs_of_other_notebooks(tmp_path):
    first = {"quick": {"a.ipynb": {"0": {"passed": True}}}}
    other = {"quick": {"b.ipynb": {"1": {"passed": False}}}, "full": {"a.ipynb": {"0": {"passed": True}}}}
    (tmp_path / "main.json").write_text(json.dumps(first))
    (tmp_path / "other.json").write_text(json.dumps(other))
    render = verdicts.render
    verdicts.render = lambda results: "page\n"   # the page itself is tested above
    try:
        assert verdicts.main(["--merge", str(tmp_path / "other.json"), "--json", str(tmp_path / "main.json"),
                              "--out", str(tmp_path / "page.md")]) == 0
    finally:
        verdicts.render = render
    merged = json.loads((tmp_path / "main.json").read_text())
    assert set(merged["quick"]) == {"a.ipynb", "b.ipynb"} and "full" in merged
