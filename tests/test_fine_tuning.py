"""Freezing, fine-tuning, head replacement and the cached-features fast path (keras_tl.transfer.freezing).

Everything runs on ``build_source_cnn`` with random weights and tiny random
images; nothing here loads a data set or trains the real source model.
"""

import re

import numpy as np
import pytest

import keras
from keras_tl.transfer.features import extract_features, fit_logistic_regression, train_head_on_features
from keras_tl.transfer.freezing import fine_tune, freeze, freeze_to, trainable_summary, unfreeze
from keras_tl.transfer.heads import add_head, feature_extractor, replace_head
from keras_tl.models.source_model import build_source_cnn

# The countable layers (InputLayer excluded) of build_source_cnn, bottom to top.
SOURCE_LAYERS = [
    "add_channel", "rescale",
    "block1_conv", "block1_bn", "block1_relu", "block1_pool",
    "block2_conv", "block2_bn", "block2_relu", "block2_pool",
    "flatten", "fc", "dropout", "predictions",
]
# The countable layers of feature_extractor(build_source_cnn(), "flatten").
BASE_LAYERS = SOURCE_LAYERS[: SOURCE_LAYERS.index("flatten") + 1]
BN = {"block1_bn", "block2_bn"}
_OBJ = object()


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def images(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28)).astype("float32")


def head_model(n_classes=3):
    base = feature_extractor(build_source_cnn(), "flatten")
    return add_head(base, n_classes), base


def compiled_head_model(optimizer=None, n_classes=3):
    model, base = head_model(n_classes)
    model.compile(
        optimizer=optimizer if optimizer is not None else keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model, base


def flags(model):
    """name -> trainable for the countable layers of ``model`` (one level)."""
    return {lyr.name: lyr.trainable for lyr in model.layers if not isinstance(lyr, keras.layers.InputLayer)}


def all_flags(model, prefix="", inputs=True):
    """path -> trainable for every layer, nested ones included, and the model itself.

    ``inputs=False`` leaves out InputLayers: they have no weights, and a .keras
    file does not record their flag.
    """
    out = {prefix + "<self>": model.trainable}
    for lyr in model.layers:
        if inputs or not isinstance(lyr, keras.layers.InputLayer):
            out[prefix + lyr.name] = lyr.trainable
        if hasattr(lyr, "layers"):
            out.update(all_flags(lyr, prefix + lyr.name + "/", inputs))
    return out


def expected_flags(names, n_frozen, train_bn=False):
    return {name: i >= n_frozen and (train_bn or name not in BN) for i, name in enumerate(names)}


def lr_of(model):
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def to_np(v):
    return np.array(keras.ops.convert_to_numpy(v))


def n_params(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


# --------------------------------------------------------------------------- #
# 1. freeze_to: int, fraction, layer name, block name; BN; nested base
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "k, n_frozen",
    [
        (0, 0), (1, 1), (5, 5), (13, 13), (14, 14), (np.int64(3), 3),
        (0.0, 0), (0.5, 7), (0.2, 3), (1.0, 14),
        ("rescale", 2), ("block1_pool", 6), ("fc", 12), ("predictions", 14),
        ("block1", 6), ("block2", 10),
    ],
)
def test_freeze_to_flat_model_freezes_exactly_the_bottom_k_layers(k, n_frozen):
    model = freeze_to(build_source_cnn(), k)
    assert flags(model) == expected_flags(SOURCE_LAYERS, n_frozen)


def test_freeze_to_int_one_and_float_one_differ():
    # 1 is "one layer", 1.0 is "all of them".
    assert [n for n, t in flags(freeze_to(build_source_cnn(), 1)).items() if not t and n not in BN] == [
        "add_channel"
    ]
    assert not any(flags(freeze_to(build_source_cnn(), 1.0)).values())


def test_freeze_to_block1_trainable_weights():
    model = freeze_to(build_source_cnn(), "block1")
    assert sorted(w.path for w in model.trainable_weights) == sorted(
        ["block2_conv/kernel", "fc/kernel", "fc/bias", "predictions/kernel", "predictions/bias"]
    )


def test_freeze_to_train_bn():
    model = freeze_to(build_source_cnn(), "block1", train_bn=True)
    assert flags(model) == expected_flags(SOURCE_LAYERS, 6, train_bn=True)
    assert model.get_layer("block1_bn").trainable is False  # below the cut: frozen even with train_bn
    paths = {w.path for w in model.trainable_weights}
    assert {"block2_bn/gamma", "block2_bn/beta"} <= paths
    assert not any(p.startswith("block1_") for p in paths)
    assert not any("moving" in p for p in paths)

    freeze_to(model, 0, train_bn=True)
    assert all(flags(model).values())
    freeze_to(model, 0)  # default train_bn=False freezes BN again
    assert {name for name, t in flags(model).items() if not t} == BN
    assert not any("_bn/" in w.path for w in model.trainable_weights)


@pytest.mark.parametrize(
    "k, n_frozen",
    [(0, 0), (3, 3), (11, 11), (1.0, 11), (0.0, 0), ("block1", 6), ("block2", 10), ("flatten", 11),
     ("block2_conv", 7)],
)
def test_freeze_to_on_add_head_model_counts_base_layers_and_keeps_head_trainable(k, n_frozen):
    model, base = head_model()
    freeze_to(model, k)
    assert flags(base) == expected_flags(BASE_LAYERS, n_frozen)
    head = model.get_layer("head")
    assert head.trainable
    assert set(map(id, head.trainable_weights)) <= set(map(id, model.trainable_weights))
    assert len(head.trainable_weights) == 2
    base_trainable = [n for n in BASE_LAYERS[n_frozen:] if n not in BN and base.get_layer(n).weights]
    assert len(model.trainable_weights) == 2 + len(base_trainable)


def test_freeze_to_on_add_head_model_train_bn():
    model, base = head_model()
    freeze_to(model, "block1", train_bn=True)
    assert flags(base) == expected_flags(BASE_LAYERS, 6, train_bn=True)
    freeze_to(model, "block1")
    assert flags(base) == expected_flags(BASE_LAYERS, 6)


# --------------------------------------------------------------------------- #
# 2. freeze_to: bad k, and nothing half-changed
# --------------------------------------------------------------------------- #
BAD_K = [
    (15, "k=15"), (100, "k=100"), (-1, "k=-1"), (1.5, "k=1.5"), (-0.1, "k=-0.1"),
    ("nope", "'nope'"), ("block3", "'block3'"), ("", "''"),
    (True, "k=True"), (False, "k=False"), (None, "k=None"), ([3], "k=[3]"), (_OBJ, repr(_OBJ)),
]


def _odd_state_flat():
    model = freeze_to(build_source_cnn(), "block1", train_bn=True)
    model.get_layer("fc").trainable = False  # an irregular state freeze_to would never produce
    model.get_layer("block1_relu").trainable = True
    return model


@pytest.mark.parametrize("k, shown", BAD_K, ids=[repr(k)[:20] for k, _ in BAD_K])
def test_freeze_to_rejects_bad_k_and_changes_nothing(k, shown):
    model = _odd_state_flat()
    before = all_flags(model)
    before_weights = [w.path for w in model.trainable_weights]
    with pytest.raises(ValueError, match=re.escape(shown)) as err:
        freeze_to(model, k)
    if k == "nope":
        assert "Blocks: ['block1', 'block2']" in str(err.value)
    assert all_flags(model) == before
    assert [w.path for w in model.trainable_weights] == before_weights


@pytest.mark.parametrize("k, shown", [(12, "k=12"), (14, "k=14"), (-1, "k=-1"), (2.0, "k=2.0"), ("fc", "'fc'"),
                                      ("predictions", "'predictions'")])
def test_freeze_to_on_add_head_model_rejects_k_beyond_the_base(k, shown):
    # "fc" and "predictions" were cut off the source model: they are not layers of the base.
    model, base = head_model()
    freeze_to(model, "block2", train_bn=True)
    base.get_layer("rescale").trainable = True
    before = all_flags(model)
    with pytest.raises(ValueError, match=re.escape(shown)):
        freeze_to(model, k)
    assert all_flags(model) == before


def test_freeze_to_error_message_counts_the_layers():
    with pytest.raises(ValueError, match="has 14 layers"):
        freeze_to(build_source_cnn(), 15)
    model, _ = head_model()
    with pytest.raises(ValueError, match="has 11 layers"):
        freeze_to(model, 12)


# --------------------------------------------------------------------------- #
# 3. freeze and unfreeze
# --------------------------------------------------------------------------- #
def test_freeze_flat_model_leaves_only_the_last_layer_trainable():
    model = freeze(unfreeze(build_source_cnn(), train_bn=True))
    assert flags(model) == {name: name == "predictions" for name in SOURCE_LAYERS}
    assert [w.path for w in model.trainable_weights] == ["predictions/kernel", "predictions/bias"]


def test_freeze_add_head_model_leaves_only_the_head_trainable():
    model, base = head_model()
    unfreeze(model, train_bn=True)
    freeze(model)
    assert not any(flags(base).values())
    assert base.trainable_weights == []
    assert model.get_layer("head").trainable
    head = model.get_layer("head")
    assert [id(w) for w in model.trainable_weights] == [id(head.kernel), id(head.bias)]


@pytest.mark.parametrize("nested", [False, True])
def test_unfreeze_makes_everything_but_bn_trainable(nested):
    if nested:
        model, stack = head_model()
    else:
        model = stack = build_source_cnn()
    freeze(model)
    unfreeze(model)
    names = BASE_LAYERS if nested else SOURCE_LAYERS
    assert flags(stack) == expected_flags(names, 0)
    if nested:
        assert all(flags(model).values())  # the base and the head
    unfreeze(model, train_bn=True)
    assert all(flags(stack).values())
    trainable_ids = set(map(id, model.trainable_weights))
    for bn in BN:
        layer = stack.get_layer(bn)
        assert {id(layer.gamma), id(layer.beta)} <= trainable_ids
        assert id(layer.moving_mean) not in trainable_ids


# --------------------------------------------------------------------------- #
# 4. fine_tune
# --------------------------------------------------------------------------- #
def test_fine_tune_default_lowers_learning_rate_tenfold_and_unfreezes_all_but_bn():
    model, base = compiled_head_model()
    old_optimizer = model.optimizer
    out = fine_tune(model)
    assert out is model
    assert lr_of(model) == pytest.approx(1e-4, rel=1e-5)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.optimizer is not old_optimizer
    assert model.loss == "sparse_categorical_crossentropy"
    assert flags(base) == expected_flags(BASE_LAYERS, 0)
    assert model.get_layer("head").trainable


def test_fine_tune_explicit_learning_rate_wins_over_lr_factor():
    model, _ = compiled_head_model()
    fine_tune(model, learning_rate=3e-5, lr_factor=0.5)
    assert lr_of(model) == pytest.approx(3e-5, rel=1e-5)


def test_fine_tune_lr_factor():
    model, _ = compiled_head_model()
    fine_tune(model, lr_factor=0.5)
    assert lr_of(model) == pytest.approx(5e-4, rel=1e-5)


def test_fine_tune_keeps_optimizer_class_and_settings():
    model, _ = compiled_head_model(keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True))
    fine_tune(model)
    assert type(model.optimizer) is keras.optimizers.SGD
    assert lr_of(model) == pytest.approx(1e-3, rel=1e-5)
    assert model.optimizer.momentum == pytest.approx(0.9)
    assert model.optimizer.nesterov is True


def test_fine_tune_uncompiled_model_with_learning_rate():
    model, base = head_model()
    fine_tune(model, learning_rate=2e-4)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert lr_of(model) == pytest.approx(2e-4, rel=1e-5)
    assert flags(base) == expected_flags(BASE_LAYERS, 0)


@pytest.mark.parametrize(
    "layers, first_trainable",
    [
        ("all", 0), (11, 0), (1, 10), (3, 8), (5, 6), (np.int64(2), 9),
        (1.0, 0), (0.3, 8), (0.45, 6), (0.01, 10),
        ("block2_conv", 6), ("block2", 6), ("block1", 2), ("block1_relu", 4), ("flatten", 10), ("add_channel", 0),
    ],
)
def test_fine_tune_unfreezes_exactly_the_top_layers(layers, first_trainable):
    model, base = compiled_head_model()
    freeze(model)
    fine_tune(model, layers=layers)
    assert flags(base) == expected_flags(BASE_LAYERS, first_trainable)
    assert model.get_layer("head").trainable


def test_fine_tune_train_bn():
    model, base = compiled_head_model()
    fine_tune(model, layers="block2", train_bn=True)
    assert flags(base) == expected_flags(BASE_LAYERS, 6, train_bn=True)


def _fine_tune_raises(model, match, **kwargs):
    before = all_flags(model)
    optimizer = getattr(model, "optimizer", None)
    with pytest.raises(ValueError, match=match):
        fine_tune(model, **kwargs)
    assert all_flags(model) == before
    assert getattr(model, "optimizer", None) is optimizer


@pytest.mark.parametrize("learning_rate", [0, 0.0, -1e-3])
def test_fine_tune_rejects_non_positive_learning_rate(learning_rate):
    model, _ = compiled_head_model()
    freeze(model)
    _fine_tune_raises(model, re.escape(f"learning_rate={learning_rate!r}"), learning_rate=learning_rate)


@pytest.mark.parametrize("lr_factor", [0, -0.1])
def test_fine_tune_rejects_non_positive_lr_factor(lr_factor):
    model, _ = compiled_head_model()
    freeze(model)
    _fine_tune_raises(model, re.escape(f"lr_factor={lr_factor!r}"), lr_factor=lr_factor)


def test_fine_tune_uncompiled_without_learning_rate_raises():
    model, _ = head_model()
    freeze(model)
    _fine_tune_raises(model, "not compiled")


@pytest.mark.parametrize(
    "layers, shown",
    [(0, "layers=0"), (12, "layers=12"), (-1, "layers=-1"), (0.0, "layers=0.0"), (1.5, "layers=1.5"),
     (True, "layers=True"), (None, "layers=None"), ("nope", "'nope'"), ("fc", "'fc'")],
)
def test_fine_tune_rejects_bad_layers(layers, shown):
    model, _ = compiled_head_model()
    freeze(model)
    _fine_tune_raises(model, re.escape(shown), layers=layers)


def test_fine_tune_flat_model_has_no_base():
    model = build_source_cnn()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    freeze(model)
    _fine_tune_raises(model, "no base model inside it to unfreeze")


# --------------------------------------------------------------------------- #
# 5. BatchNorm stays in inference mode while fine-tuning
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("train_bn", [False, True])
def test_fine_tune_batchnorm_statistics(train_bn):
    keras.utils.set_random_seed(0)
    model, base = compiled_head_model()
    fine_tune(model, train_bn=train_bn)
    bns = [base.get_layer(name) for name in sorted(BN)]
    convs = [base.get_layer(name) for name in ("block1_conv", "block2_conv")]
    stats = [(to_np(b.moving_mean), to_np(b.moving_variance), to_np(b.gamma), to_np(b.beta)) for b in bns]
    kernels = [to_np(c.kernel) for c in convs]
    x, y = images(32, seed=1), np.arange(32) % 3
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for conv, kernel in zip(convs, kernels):
        assert np.max(np.abs(to_np(conv.kernel) - kernel)) > 1e-7, f"{conv.name} did not train"
    for b, (mean, var, gamma, beta) in zip(bns, stats):
        if train_bn:
            assert not np.allclose(to_np(b.moving_mean), mean), f"{b.name} moving_mean did not update"
            assert not np.allclose(to_np(b.moving_variance), var), f"{b.name} moving_variance did not update"
        else:
            np.testing.assert_array_equal(to_np(b.moving_mean), mean, err_msg=f"{b.name} moving_mean changed")
            np.testing.assert_array_equal(to_np(b.moving_variance), var, err_msg=f"{b.name} moving_variance changed")
            np.testing.assert_array_equal(to_np(b.gamma), gamma)
            np.testing.assert_array_equal(to_np(b.beta), beta)


# --------------------------------------------------------------------------- #
# 6. trainable_summary
# --------------------------------------------------------------------------- #
def _summary_rows(table):
    rows = {}
    for line in table.splitlines()[2:-1]:
        parts = line.split()
        rows[parts[1]] = (parts[2], parts[3], int(parts[4].replace(",", "")), len(line) - len(line.lstrip()))
    return rows


@pytest.mark.parametrize("nested", [False, True])
def test_trainable_summary(nested):
    if nested:
        model, stack = head_model()
    else:
        model = stack = build_source_cnn()
    freeze_to(model, "block1")
    table = trainable_summary(model)
    rows = _summary_rows(table)
    names = BASE_LAYERS if nested else SOURCE_LAYERS
    for name in names:
        assert name in rows, f"{name} missing from the summary"
    if nested:
        assert rows[stack.name][1] == "nested"
        assert rows["head"][1] == "trainable"
        assert rows["block1_conv"][3] > rows["head"][3]  # nested layers are indented
    expected_state = {
        "block1_conv": "frozen", "block1_bn": "frozen", "block2_conv": "trainable", "block2_bn": "frozen",
        "block1_relu": "-", "block2_pool": "-", "flatten": "-", "rescale": "-",
    }
    if not nested:
        expected_state.update(fc="trainable", predictions="trainable", dropout="-")
    for name, state in expected_state.items():
        assert rows[name][1] == state, (name, rows[name])
    for name in names:
        layer = stack.get_layer(name)
        assert rows[name][0] == type(layer).__name__
        assert rows[name][2] == n_params(layer.weights)
    m = re.search(r"trainable parameters: ([\d,]+); frozen \(incl. BN statistics\): ([\d,]+)", table.splitlines()[-1])
    assert m, table.splitlines()[-1]
    trainable, frozen = (int(g.replace(",", "")) for g in m.groups())
    assert trainable == n_params(model.trainable_weights)
    assert frozen == n_params(model.non_trainable_weights)
    assert trainable + frozen == model.count_params()


# --------------------------------------------------------------------------- #
# 7. replace_head
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def vgg():
    return keras.applications.VGG16(weights=None, include_top=True, input_shape=(32, 32, 3))


def test_replace_head_on_vgg16(vgg):
    assert vgg.output_shape == (None, 1000)
    new = replace_head(vgg, 2)
    assert new.output_shape == (None, 2)
    assert vgg.output_shape == (None, 1000)  # the original is untouched
    names = [layer.name for layer in new.layers]
    assert names[-1] == "head" and "predictions" not in names
    assert names[:-1] == [layer.name for layer in vgg.layers[:-1]]
    for layer in new.layers[:-1]:
        assert layer is vgg.get_layer(layer.name)
    assert new.get_layer("head").kernel.shape == (4096, 2)  # cut below the old classifier, at fc2
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    p = new.predict(x, verbose=0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_replace_head_cut_at(vgg):
    new = replace_head(vgg, 3, cut_at="flatten", name="vgg_small")
    assert new.name == "vgg_small"
    assert new.output_shape == (None, 3)
    assert new.get_layer("head").kernel.shape == (512, 3)
    assert "fc1" not in [layer.name for layer in new.layers]


@pytest.mark.parametrize("n_classes", [1, 0, -2, "2", 2.0, None])
def test_replace_head_rejects_bad_n_classes(vgg, n_classes):
    with pytest.raises(ValueError, match=re.escape(f"n_classes={n_classes!r}")):
        replace_head(vgg, n_classes)


def test_replace_head_rejects_unknown_cut_at():
    with pytest.raises(ValueError, match="Unknown layer 'fc9'"):
        replace_head(build_source_cnn(), 2, cut_at="fc9")


# --------------------------------------------------------------------------- #
# 8. train_head_on_features
# --------------------------------------------------------------------------- #
def brightness_data(n, seed):
    """Class 1 images are bright, class 0 dark: separable by overall brightness."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 2)
    dark = rng.uniform(0, 90, (n, 28, 28))
    bright = rng.uniform(165, 255, (n, 28, 28))
    return np.where(y[:, None, None] == 1, bright, dark).astype("float32"), y


@pytest.fixture(scope="module")
def trained_on_features():
    keras.utils.set_random_seed(0)
    base = feature_extractor(build_source_cnn(), "flatten")
    x, y = brightness_data(64, seed=0)
    x_val, y_val = brightness_data(16, seed=1)
    model, history = train_head_on_features(
        base, x, y, n_classes=2, validation_data=(x_val, y_val), epochs=15, learning_rate=1e-2, verbose=0
    )
    return base, model, history


def test_train_head_on_features_learns_a_separable_problem(trained_on_features):
    base, model, history = trained_on_features
    x_test, y_test = brightness_data(40, seed=2)
    acc = float(np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == y_test))
    assert acc >= 0.85, acc
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "val_accuracy" in history.history
    # the returned model is compiled and its evaluate agrees
    _, eval_acc = model.evaluate(x_test, y_test, verbose=0)
    assert eval_acc == pytest.approx(acc)


def test_train_head_on_features_full_model_uses_the_trained_head(trained_on_features):
    base, model, _ = trained_on_features
    assert model.layers[1] is base
    assert base.trainable_weights == []
    x_test, _ = brightness_data(12, seed=3)
    features = extract_features(base, x_test)
    kernel, bias = model.get_layer("head").get_weights()
    logits = features @ kernel + bias
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(x_test, verbose=0), probs, rtol=1e-4, atol=1e-6)
    # and that head is not the untrained one add_head would give with the same seed
    keras.utils.set_random_seed(0)
    initial = add_head(base, 2).get_layer("head").get_weights()[0]
    assert not np.allclose(kernel, initial)


def test_train_head_on_features_rejects_a_trainable_base():
    base = feature_extractor(build_source_cnn(), "flatten", trainable=True)
    with pytest.raises(ValueError, match="trainable weights"):
        train_head_on_features(base, images(4), np.arange(4) % 2, n_classes=2, epochs=1, verbose=0)


@pytest.mark.parametrize("learning_rate", [0, -1e-3])
def test_train_head_on_features_rejects_non_positive_learning_rate(learning_rate):
    base = feature_extractor(build_source_cnn(), "flatten")
    with pytest.raises(ValueError, match=re.escape(f"learning_rate={learning_rate!r}")):
        train_head_on_features(
            base, images(4), np.arange(4) % 2, n_classes=2, epochs=1, learning_rate=learning_rate, verbose=0
        )


# --------------------------------------------------------------------------- #
# 9. fit_logistic_regression
# --------------------------------------------------------------------------- #
def test_fit_logistic_regression_separable_features():
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    features = rng.normal(0, 0.3, (60, 5)) + 5.0 * np.eye(3, 5)[y]
    clf = fit_logistic_regression(features, y)
    assert clf.score(features, y) == 1.0
    x_new = rng.normal(0, 0.3, (30, 5)) + 5.0 * np.eye(3, 5)[np.arange(30) % 3]
    assert clf.score(x_new, np.arange(30) % 3) == 1.0


def test_fit_logistic_regression_flattens_feature_maps():
    rng = np.random.default_rng(1)
    y = np.arange(20) % 2
    maps = rng.normal(0, 0.1, (20, 2, 2, 3)) + 3.0 * y[:, None, None, None]
    clf = fit_logistic_regression(maps, y)
    assert clf.score(maps.reshape(20, -1), y) == 1.0


@pytest.mark.parametrize(
    "features, y, kwargs, match",
    [
        (np.zeros((4, 2)), [0, 1, 0], {}, "different lengths: 4 and 3"),
        (np.zeros((4, 2)), [0, 1, 0, 1], {"C": 0}, "C=0"),
        (np.zeros((4, 2)), [0, 1, 0, 1], {"C": -1.0}, "C=-1.0"),
        (np.zeros((4, 2)), [1, 1, 1, 1], {}, "fewer than 2 classes"),
    ],
)
def test_fit_logistic_regression_rejects_bad_input(features, y, kwargs, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        fit_logistic_regression(features, y, **kwargs)


# --------------------------------------------------------------------------- #
# 10. .keras round trip of every model these functions produce
# --------------------------------------------------------------------------- #
def _freeze_to_flat():
    return freeze_to(build_source_cnn(), "block1")


def _freeze_to_nested():
    model, _ = head_model()
    return freeze_to(model, "block2", train_bn=True)


def _fine_tune_adam():
    model, _ = compiled_head_model()
    return fine_tune(model, layers="block2")


def _fine_tune_sgd_bn():
    model, _ = compiled_head_model(keras.optimizers.SGD(0.01, momentum=0.9))
    return fine_tune(model, layers=3, train_bn=True)


def _replace_head():
    return replace_head(build_source_cnn(), 2)


def _replace_head_cut_at():
    return replace_head(build_source_cnn(), 4, cut_at="flatten")


def _train_head_on_features():
    base = feature_extractor(build_source_cnn(), "flatten")
    x, y = brightness_data(16, seed=4)
    model, _ = train_head_on_features(base, x, y, n_classes=2, epochs=1, dropout=0.2, verbose=0)
    return model


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize(
    "make",
    [_freeze_to_flat, _freeze_to_nested, _fine_tune_adam, _fine_tune_sgd_bn, _replace_head, _replace_head_cut_at,
     _train_head_on_features],
    ids=lambda f: f.__name__.lstrip("_"),
)
def test_models_round_trip_through_keras_format(make, tmp_path):
    keras.utils.set_random_seed(0)
    model = make()
    path = tmp_path / "x.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    x = images(8, seed=5)
    np.testing.assert_allclose(model.predict(x, verbose=0), reloaded.predict(x, verbose=0), rtol=1e-6)
    assert all_flags(reloaded, inputs=False) == all_flags(model, inputs=False)
    assert len(reloaded.trainable_weights) == len(model.trainable_weights)


def test_trainable_summary_collapses_blocks_of_a_large_backbone():
    import keras_tl

    base = keras_tl.select_pretrained_model("MobileNetV2", weights=None, input_shape=(32, 32, 3))
    model = keras_tl.reuse(base, 3)
    freeze_to(model, "block_15")
    short, full = trainable_summary(model), trainable_summary(model, expand=True)
    n_layers = len(model.layers) + len(base.layers) + 2  # every layer, nested ones too (adapter: 2)
    assert len(full.splitlines()) == n_layers + 3  # header, rule, totals
    assert len(short.splitlines()) < 40
    pattern = re.compile(r"^\s*\d+\s+(\S+)(?: \(\d+ layers\))?\s+\S+(?:, \.\.\.)?\s+(\S+)\s+([\d,]+)$")
    rows = {}
    for line in short.splitlines()[2:-1]:
        name, state, params = pattern.match(line).groups()
        rows[name] = (None, state, int(params.replace(",", "")))
    assert rows["block_14"][1] == "frozen" and rows["block_15"][1] == "frozen"  # freeze_to is inclusive
    assert rows["block_16"][1] == "mixed" and rows["head"][1] == "trainable"  # its BN stays frozen
    assert sum(r[2] for name, r in rows.items() if name != base.name) == model.count_params()
    assert short.splitlines()[-1] == full.splitlines()[-1]  # same totals
    assert trainable_summary(model, expand=False) == short
