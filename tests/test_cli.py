import pytest
from keras_tl.__main__ import main


@pytest.mark.slow  # the tour, a whole path end to end: `make test` runs it, `make check` does not
def test_tour_prints_table_and_plot_path(tmp_path, capsys):
    assert main(["tour", "--quick", "--epochs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "transfer" in out and "scratch" in out and "asymptote" in out
    assert f"Plot written to {tmp_path.resolve() / 'tour.png'}" in out
    assert (tmp_path / "tour.png").stat().st_size > 1000
