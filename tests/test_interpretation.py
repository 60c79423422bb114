"""What a classifier gets wrong (keras_tl.diagnose.interpretation): confusion matrix, most confused, top losses."""

import keras
import numpy as np
import pytest

import keras_tl
from keras_tl import Interpretation, interpret

# 6 samples, 3 classes: true labels and deliberately chosen probabilities.
Y = np.array([0, 0, 1, 1, 2, 2])
P = np.array([
    [0.8, 0.1, 0.1],  # right
    [0.1, 0.1, 0.8],  # 0 -> 2, loss -log(0.1)
    [0.2, 0.7, 0.1],  # right
    [0.05, 0.05, 0.9],  # 1 -> 2, loss -log(0.05): the worst
    [0.1, 0.3, 0.6],  # right
    [0.1, 0.5, 0.4],  # 2 -> 1, loss -log(0.4)
])
NAMES = ["shirt", "sneaker", "boot"]


def test_confusion_matrix_and_most_confused():
    interp = Interpretation(P, Y, NAMES)
    assert interp.confusion_matrix().tolist() == [[1, 0, 1], [0, 1, 1], [0, 1, 1]]
    assert interp.most_confused() == [("shirt", "boot", 1), ("sneaker", "boot", 1), ("boot", "sneaker", 1)]
    assert interp.most_confused(min_count=2) == []
    assert interp.per_class_accuracy() == {"shirt": 0.5, "sneaker": 0.5, "boot": 0.5}
    assert interp.accuracy == 0.5


def test_top_losses_order_and_fields():
    top = Interpretation(P, Y, NAMES).top_losses(3)
    assert top.indices.tolist() == [3, 1, 5]
    assert np.allclose(top.losses, -np.log([0.05, 0.1, 0.4]))
    assert top.predicted.tolist() == [2, 2, 1] and top.true.tolist() == [1, 0, 2]
    assert np.allclose(top.probability, [0.9, 0.8, 0.5])
    assert len(Interpretation(P, Y).top_losses().indices) == 6


def test_logits_are_turned_into_probabilities():
    logits = np.log(P) + 3.0  # same softmax
    a, b = Interpretation(logits, Y), Interpretation(P, Y)
    assert np.allclose(a.probabilities, b.probabilities) and np.allclose(a.losses, b.losses)


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((4, 4)), keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])


def test_interpret_arrays_and_dataset_agree():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (20, 4, 4)).astype("float32")
    y = rng.integers(0, 3, 20)
    model = _model()
    a = interpret(model, x, y, class_names=NAMES, batch_size=7)
    b = interpret(model, tf.data.Dataset.from_tensor_slices((x, y)).batch(6))
    assert np.allclose(a.probabilities, b.probabilities, atol=1e-6)
    assert (a.confusion_matrix() == b.confusion_matrix()).all() and a.confusion_matrix().sum() == 20
    assert a.images is x and b.images is None
    with pytest.raises(ValueError, match="pass images=x"):
        b.plot_top_losses(4)
    assert "accuracy" in repr(a)


def test_plots():
    rng = np.random.default_rng(0)
    interp = Interpretation(P, Y, NAMES, images=rng.uniform(0, 255, (6, 8, 8)))
    fig = interp.plot_confusion_matrix()
    assert fig.axes[0].get_ylabel() == "true" and len(fig.axes[0].texts) == 9
    fig = interp.plot_top_losses(4)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "boot / sneaker / 0.90" and len(titles) == 4
    rgb = interp.plot_top_losses(2, images=rng.uniform(0, 255, (6, 8, 8, 3)))
    assert rgb.axes[0].images[0].get_array().shape == (8, 8, 3)
    assert interp.plot_confusion_matrix(normalize=True).axes[0].texts[0].get_text() == "0.50"


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: Interpretation(P, Y + 1), "y holds label 3 at index 4, outside the allowed range 0..2"),
        (lambda: Interpretation(P, Y[:4]), "y has 4 labels but there are 6 samples"),
        (lambda: Interpretation(P, Y, ["a", "b"]), "class_names has 2 names, but the model predicts 3 classes"),
        (lambda: Interpretation(P, Y).top_losses(0), "k=0 is not allowed"),
        (lambda: Interpretation(P, Y).most_confused(0), "min_count=0 is not allowed"),
        (lambda: Interpretation(P, Y).plot_top_losses(2, images=np.zeros((5, 8, 8))), "images has 5 samples"),
        (lambda: Interpretation(P, Y).plot_top_losses(2, images=np.zeros((6, 8, 8, 2))), "allowed: (n, h, w)"),
        (lambda: interpret(_model(), np.zeros((6, 4, 4)), Y[:5]), "different lengths: 6 samples and 5 labels"),
        (lambda: interpret(_model(), np.zeros((6, 4, 4)), Y, class_names=["a"]), "class_names has 1 names"),
        (lambda: interpret(_model(), np.zeros((6, 4, 4)), Y, batch_size=0), "batch_size=0 is not allowed"),
        (lambda: interpret(_model(), np.zeros((6, 5, 5)), Y), "but the model takes (4, 4)"),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value)


def test_public():
    assert keras_tl.interpret is interpret and "interpret" in keras_tl.__all__ and "TopLosses" in keras_tl.__all__


@pytest.mark.parametrize("names", [["functional", "defective"], [f"class number {i}" for i in range(6)]])
def test_confusion_matrix_title_survives_a_plain_savefig(names, tmp_path):
    """Issue 24: a 2-class plot cut its title ("Confusion matrix (accuracy ...)" wider than the figure)."""
    k = len(names)
    interp = Interpretation(np.eye(k)[np.arange(3 * k) % k], np.arange(3 * k) % k, names)
    fig = interp.plot_confusion_matrix()
    fig.savefig(tmp_path / "cm.png")  # no bbox_inches="tight": what a user writes
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    ax = fig.axes[0]
    for artist in [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]:
        box = artist.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width + 0.5 and box.y1 <= height + 0.5, (artist, box, width)
    assert "accuracy 1.000" in ax.get_title()
