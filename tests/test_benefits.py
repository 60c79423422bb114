import pytest

from keras_tl.measure import benefits


def test_curve_summary_from_history_dict_and_list():
    s = benefits.curve_summary({"val_accuracy": [0.5, 0.6, 0.7, 0.9, 0.8]}, slope_epochs=3)
    assert s == {"start": 0.5, "slope": 0.1, "asymptote": 0.9, "best_epoch": 4, "final": 0.8}
    assert benefits.curve_summary([0.3])["slope"] == 0.0


def test_curve_summary_errors():
    with pytest.raises(ValueError, match="'val_acc' is not in the history"):
        benefits.curve_summary({"val_accuracy": [0.1]}, metric="val_acc")
    with pytest.raises(ValueError, match="at least one epoch"):
        benefits.curve_summary([])
    with pytest.raises(ValueError, match="slope_epochs=1"):
        benefits.curve_summary([0.1, 0.2], slope_epochs=1)


def test_table_and_plot(tmp_path):
    curves = {"transfer": [0.8, 0.85, 0.9], "scratch": [0.5, 0.7, 0.88]}
    table = benefits.format_table(benefits.compare_curves(curves))
    assert table.splitlines()[1].split()[:2] == ["transfer", "0.800"]
    path = tmp_path / "curves.png"
    fig = benefits.plot_learning_curves(curves, path=path)
    assert path.stat().st_size > 1000 and len(fig.axes[0].lines) >= 2
