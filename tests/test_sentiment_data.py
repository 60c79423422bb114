"""The project's sentiment reviews: shape, balance, fixed split, loader errors."""

import csv
from collections import Counter

import numpy as np
import pytest

from keras_tl import datasets, sentiment_reviews


def test_balanced_with_fixed_split():
    (x_train, y_train), (x_test, y_test) = sentiment_reviews()
    assert len(x_train) + len(x_test) >= 480
    assert all(isinstance(t, str) and t.strip() for t in x_train + x_test)
    assert set(np.unique(y_train)) == {0, 1} and set(np.unique(y_test)) == {0, 1}
    assert abs(int(y_train.sum()) * 2 - len(y_train)) <= 2   # balanced within one review
    assert abs(int(y_test.sum()) * 2 - len(y_test)) <= 2
    assert 0.25 <= len(x_test) / (len(x_train) + len(x_test)) <= 0.35
    assert not set(x_train) & set(x_test), "a review is in both splits"
    # The split is fixed: two loads give the same lists in the same order.
    (x_again, _), (x_test_again, _) = sentiment_reviews()
    assert x_again == x_train and x_test_again == x_test


def test_no_duplicates_and_not_one_word_separable():
    (x_train, y_train), (x_test, y_test) = sentiment_reviews()
    texts = x_train + x_test
    labels = np.concatenate([y_train, y_test])
    assert len(set(texts)) == len(texts)
    # No single word decides the label: the best one-word rule stays far from perfect.
    words = Counter(w for t in texts for w in set(t.lower().split()))
    best = 0.0
    for word, n in words.items():
        if n < 5:
            continue
        has = np.array([word in t.lower().split() for t in texts])
        acc = max(np.mean(has == labels.astype(bool)), np.mean(has != labels.astype(bool)))
        best = max(best, acc)
    assert best < 0.65, best   # measured: 0.57 ("i")


def test_csv_columns_and_loader_errors(tmp_path):
    path = next(d / "reviews.csv" for d in datasets.SENTIMENT_DIRS if (d / "reviews.csv").is_file())
    with open(path, newline="", encoding="utf-8") as fh:
        assert csv.DictReader(fh).fieldnames == ["id", "text", "label", "split"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,label,split\n0,fine,1,validation\n")
    with pytest.raises(ValueError, match="validation"):
        sentiment_reviews(bad)
    with pytest.raises(datasets.DatasetUnavailableError, match="reviews.csv"):
        sentiment_reviews(tmp_path / "missing" / "reviews.csv")
