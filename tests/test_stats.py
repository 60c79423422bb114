"""keras_tl.measure.stats: intervals, paired comparisons, runs over seeds, seeds needed, stacked models."""

import math

import keras
import numpy as np
import pytest

import keras_tl
from keras_tl.measure.stats import compare, interval, over_seeds, seeds_needed, stack_models, accuracy_per_model


def test_interval_matches_the_t_formula():
    values = [0.70, 0.74, 0.72, 0.76, 0.71]
    iv = interval(values)
    sd = np.std(values, ddof=1)
    # t(0.975, 4) = 2.7764
    assert iv.mean == pytest.approx(np.mean(values))
    assert iv.half_width == pytest.approx(2.7764 * sd / math.sqrt(5), rel=1e-4)
    assert iv.low < iv.mean < iv.high and iv.n == 5


def test_interval_narrows_with_more_seeds_and_is_infinite_for_one():
    rng = np.random.default_rng(0)
    draws = rng.normal(0.8, 0.03, size=64)
    assert interval(draws[:4]).half_width > interval(draws[:16]).half_width > interval(draws).half_width
    one = interval([0.8])
    assert one.n == 1 and math.isinf(one.half_width)


def test_interval_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    covered = 0
    for _ in range(2000):
        iv = interval(rng.normal(0.5, 0.1, size=5))
        covered += iv.low <= 0.5 <= iv.high
    assert 0.93 <= covered / 2000 <= 0.97


def test_paired_comparison_is_narrower_than_unpaired_when_seeds_share_noise():
    rng = np.random.default_rng(2)
    shared = rng.normal(0, 0.05, size=8)          # the split's difficulty, shared by both methods
    a = 0.80 + shared + rng.normal(0, 0.005, size=8)
    b = 0.77 + shared + rng.normal(0, 0.005, size=8)
    paired = compare(a, b, names=("A", "B"))
    assert paired.low > 0, paired.verdict()
    # the two separate intervals overlap: comparing means alone would see no difference
    assert interval(a).low < interval(b).high
    assert "A beats B by +0.0" in str(paired) and "over 8 seeds" in str(paired)


def test_verdict_names_the_winner_or_says_no_clear_difference():
    assert str(compare([0.7, 0.72, 0.71], [0.8, 0.83, 0.81], names=("x", "y"))).startswith("y beats x")
    assert str(compare([0.7, 0.8, 0.75], [0.72, 0.77, 0.75])).startswith("no clear difference")


def test_check_raises_with_the_verdict_and_returns_self_when_supported():
    good = compare([0.9, 0.85, 0.88, 0.86], [0.8, 0.76, 0.8, 0.77])
    assert good.check(margin=0.05) is good
    with pytest.raises(AssertionError, match="margin"):
        good.check(margin=0.2)
    weak = compare([0.9, 0.8, 0.85], [0.7, 0.75, 0.7])
    with pytest.raises(AssertionError, match="interval reaches"):
        weak.check(margin=0.05)
    assert weak.check(margin=0.05, interval=False) is weak
    with pytest.raises(AssertionError, match="ahead on 3 seeds < 4"):
        weak.check(interval=False, min_wins=4)


@pytest.mark.parametrize("a, b, match", [
    ([0.8, 0.9], [0.7], "a has 2 scores and b has 1"),
    ([], [], "a is empty"),
    ([0.8, float("nan")], [0.7, 0.7], "NaN"),
])
def test_compare_rejects_unpaired_or_bad_scores(a, b, match):
    with pytest.raises(ValueError, match=match):
        compare(a, b)


def test_over_seeds_sets_the_seed_and_collects_every_score(capsys):
    def recipe(seed):
        return {"draw": float(np.random.rand()), "seed": seed}

    runs = over_seeds(recipe, seeds=[3, 5])
    again = over_seeds(recipe, seeds=[3, 5], verbose=False)
    assert runs["seed"].tolist() == [3, 5]
    assert runs["draw"].tolist() == again["draw"].tolist()       # same seed, same draw
    assert runs["draw"][0] != runs["draw"][1]
    assert "seed 3: draw" in capsys.readouterr().out
    assert "draw" in runs.table() and len(runs.seconds) == 2


@pytest.mark.parametrize("seeds, match", [(0, "positive count"), ([], "empty"), ([1, 1], "repeats a seed")])
def test_over_seeds_rejects_bad_seeds(seeds, match):
    with pytest.raises(ValueError, match=match):
        over_seeds(lambda s: 0.5, seeds=seeds)


def test_over_seeds_rejects_changing_score_names():
    with pytest.raises(ValueError, match="same names"):
        over_seeds(lambda s: {"a": 1.0} if s == 0 else {"b": 1.0}, seeds=2, verbose=False)


def test_seeds_needed_grows_with_noise_and_shrinks_with_margin():
    assert seeds_needed(0.01, margin=0.05) < seeds_needed(0.05, margin=0.05) < seeds_needed(0.1, margin=0.05)
    assert seeds_needed(0.05, margin=0.10) < seeds_needed(0.05, margin=0.05)
    # from pilot differences instead of a standard deviation
    assert seeds_needed([0.02, 0.08, 0.05, 0.01], margin=0.04) == seeds_needed(
        float(np.std([0.02, 0.08, 0.05, 0.01], ddof=1)), margin=0.04)
    with pytest.raises(ValueError, match="margin"):
        seeds_needed(0.05, margin=0)


def test_seeds_needed_gives_the_promised_power_in_simulation():
    rng = np.random.default_rng(3)
    n = seeds_needed(0.05, margin=0.04)
    found = sum(interval(rng.normal(0.04, 0.05, size=n)).low > 0 for _ in range(1000))
    assert found / 1000 >= 0.75       # asked for power 0.8


def test_stack_models_trains_each_copy_as_if_alone():
    x = np.random.default_rng(0).random((64, 4)).astype("float32")
    y = (x[:, 0] > 0.5).astype("int32")

    def build(seed):
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])

    many = stack_models(build, seeds=[0, 1])
    assert isinstance(many, keras.Model) and [o.name for o in many.outputs] != []
    first = [layer.get_weights() for layer in many.layers[1:3]]
    assert not np.allclose(first[0][0], first[1][0])             # different seeds, different starts
    alone = build(1)
    alone.set_weights(many.layers[2].get_weights())
    many.compile(keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    alone.compile(keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    many.fit(x, [y, y], epochs=2, batch_size=16, shuffle=False, verbose=0)
    alone.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(many.layers[2].get_weights()[0], alone.get_weights()[0], atol=1e-5)
    acc = accuracy_per_model(many, x, y)
    assert acc.shape == (2,) and np.all((0 <= acc) & (acc <= 1))


def test_stack_models_rejects_a_build_that_returns_no_model():
    with pytest.raises(ValueError, match="not a keras.Model"):
        stack_models(lambda seed: "dense", seeds=2)


def test_stats_is_public():
    for name in ["over_seeds", "interval", "compare", "seeds_needed", "stack_models"]:
        assert hasattr(keras_tl, name) and name in keras_tl.__all__


@pytest.mark.backend_free  # numpy and a file: no backend code
def test_check_and_claim_record_each_asserted_claim_with_the_offset(tmp_path, monkeypatch):
    record = tmp_path / "claims.jsonl"
    monkeypatch.setenv("KERAS_TL_VERDICTS", str(record))
    monkeypatch.setenv("KERAS_TL_SEED_OFFSET", "2")
    compare([0.9, 0.8, 0.85], [0.7, 0.6, 0.7], names=("fe", "scratch")).check(margin=0.1)
    with pytest.raises(AssertionError, match="claim not supported"):
        compare([0.9, 0.8, 0.85], [0.7, 0.6, 0.7]).check(margin=0.5)
    keras_tl.claim("probe beats chance", True, "0.83 vs 0.20")
    with pytest.raises(AssertionError, match=r"claim not supported: x \(0.1\)"):
        keras_tl.claim("x", False, "0.1")
    import json

    rows = [json.loads(line) for line in record.read_text().splitlines()]
    assert [r["passed"] for r in rows] == [True, False, True, False]
    assert {r["offset"] for r in rows} == {2}
    assert rows[0]["claim"] == "fe beats scratch (mean ≥ +0.100, CI above 0)"
    assert rows[0]["margin"] == 0.1 and rows[0]["n"] == 3 and rows[0]["low"] > 0
    assert rows[2] == {"offset": 2, "claim": "probe beats chance", "figure": "0.83 vs 0.20", "passed": True}


@pytest.mark.backend_free
def test_nothing_is_recorded_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_TL_VERDICTS", raising=False)
    monkeypatch.chdir(tmp_path)
    keras_tl.claim("y", True)
    compare([0.9, 0.8], [0.1, 0.2]).check(interval=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.backend_free
@pytest.mark.parametrize("raw, expected", [(None, 0), ("", 0), ("0", 0), ("2", 2), (" 7 ", 7)])
def test_seed_offset_reads_the_environment(raw, expected, monkeypatch):
    if raw is None:
        monkeypatch.delenv("KERAS_TL_SEED_OFFSET", raising=False)
    else:
        monkeypatch.setenv("KERAS_TL_SEED_OFFSET", raw)
    assert keras_tl.seed_offset() == expected
