"""The scenario advisor: every scenario, thresholds, warnings, measured similarity, the recipes, the sweep, the CLI."""

import numpy as np
import pytest

import keras
from keras_tl.advisor.recipes import EARLY_LAYERS, MIN_PATIENCE_STEPS, STRATEGIES, default_patience, train_strategy
from keras_tl.advisor.scenarios import HIGH_SIMILARITY, NEGATIVE_TRANSFER_SIMILARITY, POLICIES, SCENARIOS, SMALL_PER_CLASS, advise
from keras_tl.advisor.sweep import sweep
from keras_tl.models.registry import available
from keras_tl.cli import main
from keras_tl.models.source_model import build_source_cnn
from keras_tl.transfer.heads import feature_extractor


@pytest.fixture()
def base():
    keras.utils.set_random_seed(0)   # the measured scores below depend on the (random) weights
    return feature_extractor(build_source_cnn(), "flatten")


# --------------------------------------------------------------------------- #
# The four scenarios
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "n, level, scenario, strategy, freeze",
    [
        (10, "high", 1, "feature_extraction", 1.0),
        (10, "low", 2, "freeze_first_k", "block3_pool"),
        (1000, "low", 3, "scratch", 0),
        (1000, "high", 4, "fine_tune_all", 0),
    ],
)
def test_each_scenario(n, level, scenario, strategy, freeze):
    rec = advise(n, level, n_classes=5, backbone="VGG16")
    assert (rec.scenario, rec.strategy, rec.freeze_to) == (scenario, strategy, freeze)
    assert SCENARIOS[scenario][2] == strategy
    assert f"{n} labelled examples per class over 5 classes" in rec.rationale
    assert rec.warnings == []
    assert rec.learning_rate == (1e-3 if strategy in ("feature_extraction", "scratch") else 1e-4)


@pytest.mark.backend_free  # counts parameters
def test_fine_tuning_a_large_backbone_on_few_labels_names_lora():
    keras.utils.set_random_seed(0)
    big = build_source_cnn()  # about 430k parameters: over 100 per example of 5 x 100 labels
    rec = advise(100, "high", n_classes=5, backbone=big)
    assert rec.strategy == "fine_tune_all"
    assert any("keras_tl.lora" in w and "17_lora" in w for w in rec.warnings)
    small = build_source_cnn(filters=(4, 8), units=8)  # a few thousand parameters: no note
    assert not any("lora" in w for w in advise(100, "high", n_classes=5, backbone=small).warnings)


def test_thresholds_decide_size_and_level_and_can_be_overridden():
    t = HIGH_SIMILARITY
    assert advise(SMALL_PER_CLASS - 1, t).scenario == 1
    assert advise(SMALL_PER_CLASS, t).scenario == 4
    assert advise(SMALL_PER_CLASS, t - 0.01).scenario == 3
    assert advise(50, 0.9, small_threshold=20, similarity_threshold=0.95).scenario == 3
    rec = advise(50, 0.9)
    assert f"a similarity score of 0.900 is high (>= {HIGH_SIMILARITY:g})" in rec.rationale


def test_low_similarity_warns_about_negative_transfer():
    rec = advise(10, NEGATIVE_TRANSFER_SIMILARITY - 0.05)
    assert rec.scenario == 2 and len(rec.warnings) == 1 and "negative transfer" in rec.warnings[0]
    above = advise(10, NEGATIVE_TRANSFER_SIMILARITY + 0.01)
    assert above.warnings == [] and above.strategy == "freeze_first_k" and above.alternative is None


def test_cs231n_policy_advises_a_linear_classifier_on_early_layers_for_small_different_data():
    cs = advise(10, "low", backbone="VGG16", policy="cs231n")
    assert (cs.scenario, cs.strategy, cs.alternative) == (2, "linear_early", "freeze_first_k")
    assert cs.freeze_to == "block3_pool" and cs.learning_rate == 1e-3
    assert "CS231n" in cs.rationale and "alternative:   freeze_first_k" in str(cs)
    course = advise(10, "low", backbone="VGG16")
    assert (course.strategy, course.freeze_to, course.alternative) == ("freeze_first_k", "block3_pool", None)
    # The policies differ in scenario 2 only.
    for n, level in ((10, "high"), (1000, "low"), (1000, "high")):
        assert advise(n, level, policy="cs231n").strategy == advise(n, level).strategy


def test_recommendation_prints_for_people_and_notebooks():
    rec = advise(10, "low", n_classes=3, backbone="ResNet50")
    text = str(rec)
    assert text.startswith("Scenario 2 (small target data, low similarity): freeze_first_k")
    assert "conv3_block4_out" in text and "why:" in text
    assert "**Scenario 2**" in rec._repr_markdown_()


def test_early_layers_cover_every_registered_backbone():
    # That each early layer exists in its backbone is checked where every backbone is built:
    # tests/test_backbones.py::test_every_backbone_builds_at_its_minimum_size.
    assert set(available()) <= set(EARLY_LAYERS)


def test_an_unknown_model_freezes_a_third_of_its_layers():
    inputs = keras.Input((6,))
    x = inputs
    for i in range(6):
        x = keras.layers.Dense(4, name=f"d{i}")(x)
    rec = advise(5, "low", backbone=keras.Model(inputs, x))
    assert rec.freeze_to == pytest.approx(1 / 3) and rec.frozen_layers == 2


# --------------------------------------------------------------------------- #
# Measured similarity
# --------------------------------------------------------------------------- #
def test_advise_measures_similarity_from_data(base, fashion, digits_data):
    (x, y), _ = fashion
    (xd, yd), _ = digits_data
    rec = advise(10, None, backbone=base, source=x[:200], target=xd[:200], target_labels=yd[:200])
    assert rec.report is not None and rec.similarity_score == pytest.approx(rec.report.score)
    assert rec.report.logme_random is not None
    assert f"{rec.similarity_score:.3f}" in rec.rationale
    # Whatever scenario the measured score falls in, the layer count matches the advised freeze point.
    names = [layer.name for layer in base.layers if not isinstance(layer, keras.layers.InputLayer)]
    expected = len(names) if rec.freeze_to == 1.0 else names.index(rec.freeze_to) + 1
    assert rec.frozen_layers == expected
    assert rec.scenario in (1, 2) and rec.strategy == POLICIES["course"][rec.scenario]


def test_a_report_with_negative_logme_gain_warns():
    from keras_tl.measure.similarity import SimilarityReport

    report = SimilarityReport(js=0.1, mmd=0.0, coral=0.0, logme=0.1, logme_random=0.2, n_source=50, n_target=50, dim=4)
    rec = advise(10, report)
    assert rec.scenario == 1 and any("LogME gain -0.100" in w for w in rec.warnings)


# --------------------------------------------------------------------------- #
# Bad input
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_samples=0, similarity="high"), "n_samples=0 is not allowed"),
        (dict(n_samples=-5, similarity="high"), "n_samples=-5 is not allowed"),
        (dict(n_samples="ten", similarity="high"), "n_samples='ten' is not allowed"),
        (dict(n_samples=10, similarity=1.5), r"similarity=1.5 is not allowed: .* in \[0, 1\]"),
        (dict(n_samples=10, similarity=-0.1), "similarity=-0.1 is not allowed"),
        (dict(n_samples=10, similarity="medium"), "similarity='medium' is not allowed: give 'high', 'low'"),
        (dict(n_samples=10, similarity=None), "pass source= and target="),
        (dict(n_samples=10, similarity="high", n_classes=1), "n_classes=1 is not allowed"),
        (dict(n_samples=10, similarity="high", backbone="AlexNet"), "Unknown backbone 'AlexNet'"),
        (dict(n_samples=10, similarity="high", similarity_threshold=2.0), "similarity_threshold=2.0"),
        (dict(n_samples=10, similarity="high", policy="fastai"), r"policy='fastai' is not allowed; allowed: \['course', 'cs231n'\]"),
    ],
)
def test_bad_input_names_the_value_and_what_is_allowed(kwargs, match):
    with pytest.raises(ValueError, match=match):
        advise(**kwargs)


def test_measuring_needs_a_model():
    with pytest.raises(ValueError, match="backbone must be a keras.Model"):
        advise(10, None, backbone="VGG16", source=np.zeros((30, 4)), target=np.zeros((30, 4)))


# --------------------------------------------------------------------------- #
# The recipes and the sweep
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def tiny(fashion):
    from keras_tl.data.splits import sample_per_class, select_classes

    (x, y), (xt, yt) = fashion
    pool = select_classes(x[:3000], y[:3000], [5, 6, 7])
    evalset = select_classes(xt[:1000], yt[:1000], [5, 6, 7])
    train = sample_per_class(*pool, n=6, seed=0)
    return pool, train, evalset


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_train_strategy_never_changes_the_base(strategy, base, tiny):
    _, train, val = tiny
    before = [w.copy() for w in base.get_weights()]
    model, log = train_strategy(strategy, base, train, val, epochs=2, head_epochs=1, seed=0, min_head_steps=0)
    assert model.output_shape == (None, 3)
    assert 1 <= len(log["val_accuracy"]) <= 3 and log["seconds"] > 0
    # the same History-like log for every strategy, also the linear ones
    assert isinstance(log, keras.callbacks.History) and log.strategy == strategy
    assert set(log.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == len(log.epoch) == sum(n for _, n in log.phases) for v in log.history.values())
    for a, b in zip(before, base.get_weights()):
        np.testing.assert_array_equal(a, b)
    if strategy in ("feature_extraction", "linear_early"):
        assert all("head" in w.path for w in model.trainable_weights)
    elif strategy == "freeze_first_k":
        assert not model.layers[1].get_layer("block1_conv").trainable
        assert model.layers[1].get_layer("block2_conv").trainable
    else:  # fine_tune_all and scratch train the whole network
        assert model.layers[1].get_layer("block1_conv").trainable


def test_train_strategy_rejects_unknown_names(base, tiny):
    _, train, val = tiny
    with pytest.raises(ValueError, match="Unknown strategy 'distill'; allowed:"):
        train_strategy("distill", base, train, val)


def test_default_patience_covers_a_minimum_number_of_steps():
    assert default_patience(30, 157) == 10          # large set: a third of the phase
    assert default_patience(6, 157) == 5            # at least 5 epochs
    assert default_patience(40, 2) == 50            # 2 steps per epoch: 100 steps
    assert default_patience(40, 3) == 34            # ceil(100 / 3)
    with pytest.raises(ValueError, match="steps_per_epoch=0 are not allowed"):
        default_patience(10, 0)


@pytest.mark.backend_free  # the patience passed to EarlyStopping; the training runs in test_train_strategy_never_changes_the_base
@pytest.mark.parametrize("strategy", ["scratch", "fine_tune_all"])
def test_train_strategy_patience_counts_steps(strategy, base, tiny, monkeypatch):
    # 18 images, batch 32: one step per epoch, so the default patience is MIN_PATIENCE_STEPS epochs,
    # more than the phase: no run of a small set is stopped before its BatchNorm statistics settle.
    seen = []
    real = keras.callbacks.EarlyStopping

    def spy(*args, **kwargs):
        seen.append(kwargs["patience"])
        return real(*args, **kwargs)

    monkeypatch.setattr(keras.callbacks, "EarlyStopping", spy)
    _, train, val = tiny
    train_strategy(strategy, base, train, val, epochs=1, head_epochs=1, seed=0, min_head_steps=0)
    assert seen and all(p == MIN_PATIENCE_STEPS for p in seen)
    seen.clear()
    train_strategy(strategy, base, train, val, epochs=1, head_epochs=1, patience=2, seed=0, min_head_steps=0)
    assert seen and all(p == 2 for p in seen)


@pytest.mark.backend_free  # Recommendation.train calls train_strategy('freeze_first_k'), run above
def test_recommendation_trains_its_strategy(base, tiny):
    _, train, val = tiny
    model, log = advise(6, "low", backbone=base).train(base, train, val, epochs=1, head_epochs=1, min_head_steps=0)
    nested = model.layers[1]
    assert not nested.get_layer("block1_conv").trainable and nested.get_layer("block2_conv").trainable
    assert len(log["val_accuracy"]) == 2


@pytest.mark.backend_free  # tabulation; its training is train_strategy's, run above
def test_sweep_tabulates_and_compares_with_the_advice(base, tiny, fashion):
    pool, _, evalset = tiny
    (x, _), _ = fashion
    targets = {"three classes": (pool, evalset, evalset)}
    result = sweep(
        base, x[:100], targets, sizes=(4, 100_000), strategies=("feature_extraction", "scratch"),
        epochs=1, head_epochs=1, verbose=False,
    )
    assert len(result.rows) == 1  # the impossible size was skipped
    row = result.rows[0]
    assert set(row["accuracy"]) == {"feature_extraction", "scratch"}
    assert row["winner"] == max(row["accuracy"], key=row["accuracy"].get)
    assert row["advised"] == "feature_extraction" and row["regret"] >= 0
    assert 0.0 <= result.agreement <= result.agreement_within_margin <= 1.0
    assert "| three classes |" in result.table() and "cells" in result.summary()
    with pytest.raises(ValueError, match="Unknown strategies"):
        sweep(base, x[:100], targets, strategies=("magic",))


# --------------------------------------------------------------------------- #
# Command line
# --------------------------------------------------------------------------- #
def test_cli_with_a_given_level(capsys):
    assert main(["advise", "--samples", "500", "--similarity", "low"]) == 0
    assert capsys.readouterr().out.startswith("Scenario 3 (large target data, low similarity): scratch")
    assert main(["advise", "--samples", "5", "--similarity", "0.95", "--classes", "2", "--backbone", "VGG16"]) == 0
    out = capsys.readouterr().out
    assert "Scenario 1" in out and "over 2 classes" in out
    assert main(["advise", "--samples", "10", "--similarity", "0.3", "--policy", "cs231n"]) == 0
    assert "linear_early" in capsys.readouterr().out.splitlines()[0]


@pytest.mark.backend_free  # the CLI; measuring is test_advise_measures_similarity_from_data's code
@pytest.mark.slow  # the CLI, a whole path end to end: `make test` runs it, `make check` does not
def test_cli_measures_builtin_datasets(capsys):
    assert main(["advise", "--samples", "10", "--target", "digits"]) == 0
    out = capsys.readouterr().out
    assert "Jensen-Shannon" in out and "LogME" in out and "Scenario" in out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--samples", "0", "--similarity", "low"], "n_samples=0.0 is not allowed"),
        (["--samples", "10", "--similarity", "2"], "similarity=2.0 is not allowed"),
        (["--samples", "10", "--similarity", "so-so"], "similarity='so-so' is not allowed"),
        (["--samples", "10", "--target", "cifar10"], "unknown dataset 'cifar10'"),
        (["--samples", "10", "--shift", "invert:lots"], "give KIND:AMOUNT"),
    ],
)
def test_cli_bad_input_exits_2_with_a_message(argv, match, capsys):
    assert main(["advise", *argv]) == 2
    assert match in capsys.readouterr().err


# --------------------------------------------------------------------------- #
# Real-data corrections (issue 24): scratch for a big network, its BatchNorm statistics, the head, progress
# --------------------------------------------------------------------------- #
def _big_model(n_params: int) -> keras.Model:
    """A model with about ``n_params`` parameters (within 9): one Dense layer on 8 inputs, 9 per unit."""
    inputs = keras.Input((8,))
    return keras.Model(inputs, keras.layers.Dense(n_params // 9 + 1)(inputs), name="big")


@pytest.mark.backend_free  # the advice only: no training
def test_scratch_is_advised_only_for_a_network_small_enough_for_the_labels():
    big = _big_model(100 * 2000 + 1)            # over 100 parameters per labelled example (1000 per class, 2 classes)
    rec = advise(1000, 0.5, n_classes=2, backbone=big)
    assert rec.scenario == 3 and rec.strategy == "feature_extraction" and rec.alternative == "scratch"
    assert rec.freeze_to == 1.0 and rec.learning_rate == 1e-3 and "too many to learn from scratch" in rec.rationale
    assert advise(1000, 0.5, n_classes=2, backbone=big, scratch_params_per_sample=None).strategy == "scratch"
    small = _big_model(100 * 2000 - 100)
    assert small.count_params() <= 100 * 2000 < big.count_params()
    assert advise(1000, 0.5, n_classes=2, backbone=small).strategy == "scratch"
    assert advise(1000, 0.5, n_classes=2, backbone="ResNet50").strategy == "scratch"   # a name: no count


def test_scratch_scores_with_statistics_re_estimated_on_its_training_images(base, tiny):
    _, train, val = tiny
    model, log = train_strategy("scratch", base, train, val, epochs=1, head_epochs=1, seed=0, verbose=0)
    bn = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)][0]
    # momentum 0.99 and two steps would leave the moving mean near its start (0); re-estimated it is the data's
    assert float(np.max(np.abs(bn.moving_mean.numpy()))) > 0.05
    assert set(log.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}


@pytest.mark.backend_free  # the epoch count of a head on cached features; training runs above
def test_a_head_on_cached_features_trains_at_least_min_head_steps(base, tiny):
    _, train, val = tiny                        # 18 images, batch 32: one step per epoch
    _, log = train_strategy("feature_extraction", base, train, val, epochs=1, head_epochs=1, seed=0,
                                    verbose=0, min_head_steps=12, patience=100)
    assert len(log.epoch) == 12
    _, log = train_strategy("feature_extraction", base, train, val, epochs=1, head_epochs=1, seed=0,
                                    verbose=0, min_head_steps=0)
    assert len(log.epoch) == 2


def test_train_strategy_shows_progress_by_default_and_can_be_silenced(base, tiny, capsys):
    _, train, val = tiny
    train_strategy("fine_tune_all", base, train, val, epochs=1, head_epochs=1, seed=0, min_head_steps=0)
    out = capsys.readouterr().out
    assert "[fine_tune_all] head on cached features: 1 epochs" in out and "fine-tuning every layer" in out
    assert "val_accuracy" in out                 # Keras's epoch line of the fine-tuning phase
    train_strategy("feature_extraction", base, train, val, epochs=1, head_epochs=1, seed=0, min_head_steps=0,
                           verbose=0)
    assert capsys.readouterr().out == ""
