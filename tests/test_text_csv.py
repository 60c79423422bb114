"""keras_tl.text_csv: texts and labels from a CSV of your own."""

import numpy as np
import pytest

import keras_tl


def write(tmp_path, text, name="mine.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_string_labels_are_mapped_in_sorted_order(tmp_path):
    path = write(tmp_path, 'id,sentence,mood\n1,"Great, fun",pos\n2,So dull,neg\n3,Loved it,pos\n4,Meh,neutral\n')
    texts, y, names = keras_tl.text_csv(path, "sentence", "mood")
    assert texts == ["Great, fun", "So dull", "Loved it", "Meh"]
    assert names == ["neg", "neutral", "pos"]
    assert y.tolist() == [2, 0, 2, 1] and y.dtype == np.int64
    assert [names[i] for i in y] == ["pos", "neg", "pos", "neutral"]


def test_integer_labels_are_mapped_numerically(tmp_path):
    path = write(tmp_path, "t,l\na,10\nb,2\nc,-1\nd,2\n")
    texts, y, names = keras_tl.text_csv(path, "t", "l")
    assert names == ["-1", "2", "10"]  # numeric order, not string order
    assert y.tolist() == [2, 1, 0, 1]


def test_split_is_stratified_and_seeded(tmp_path):
    rows = "".join(f"text {i},{'a' if i < 12 else 'b'}\n" for i in range(18))
    path = write(tmp_path, "text,label\n" + rows)
    (x_train, y_train), (x_test, y_test), names = keras_tl.text_csv(path, "text", "label", test_size=1 / 3, seed=1)
    assert names == ["a", "b"]
    assert np.bincount(y_test).tolist() == [4, 2] and np.bincount(y_train).tolist() == [8, 4]
    assert sorted(x_train + x_test) == sorted(f"text {i}" for i in range(18))
    for xs, ys in ((x_train, y_train), (x_test, y_test)):
        assert all((int(t.split()[1]) >= 12) == bool(label) for t, label in zip(xs, ys))
    again = keras_tl.text_csv(path, "text", "label", test_size=1 / 3, seed=1)
    assert again[1][0] == x_test
    assert any(keras_tl.text_csv(path, "text", "label", test_size=1 / 3, seed=s)[1][0] != x_test for s in range(2, 6))


def test_missing_column_lists_the_columns(tmp_path):
    path = write(tmp_path, "sentence,mood\nhi,a\n")
    with pytest.raises(ValueError, match=r"text_column='text' is not a column of mine.csv; columns found: \['sentence', 'mood'\]"):
        keras_tl.text_csv(path, "text", "mood")
    with pytest.raises(ValueError, match=r"label_column='label'"):
        keras_tl.text_csv(path, "sentence", "label")


def test_empty_text_and_label_name_the_row(tmp_path):
    path = write(tmp_path, 'text,label\nfine,a\n"  ",b\n')
    with pytest.raises(ValueError, match="row 3: the text \\('text'\\) is empty"):
        keras_tl.text_csv(path, "text", "label")
    path = write(tmp_path, "text,label\nfine,a\nalso fine,\n", "b.csv")
    with pytest.raises(ValueError, match="row 3: the label \\('label'\\) is empty"):
        keras_tl.text_csv(path, "text", "label")


def test_one_label_only_and_too_few_rows(tmp_path):
    path = write(tmp_path, "text,label\na,x\nb,x\n")
    with pytest.raises(ValueError, match="holds one label only \\('x'\\)"):
        keras_tl.text_csv(path, "text", "label")
    path = write(tmp_path, "text,label\na,x\nb,x\nc,y\n", "b.csv")
    with pytest.raises(ValueError, match="\\{'y': 1\\}"):
        keras_tl.text_csv(path, "text", "label", test_size=0.5)
    with pytest.raises(ValueError, match="header but no rows"):
        keras_tl.text_csv(write(tmp_path, "text,label\n", "c.csv"), "text", "label")


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        keras_tl.text_csv(tmp_path / "nope.csv", "text", "label")
    path = write(tmp_path, "text,label\na,x\nb,y\n")
    with pytest.raises(ValueError, match="test_size=1.5 is not allowed"):
        keras_tl.text_csv(path, "text", "label", test_size=1.5)
