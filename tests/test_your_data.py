"""Your own data, the whole path: a folder of PNG/JPEG photos -> image_folder -> advise -> train -> save
-> load in a new process -> the same predictions; once through the Python API, once through the CLI.

The photos are real: scikit-image's LFW faces (``keras_tl.faces()``), written at mixed sizes as PNG and
JPEG. The source CNN backbone keeps the slow tests to seconds of training (marked ``slow``: the new
processes import TensorFlow, ~10 s each on a loaded machine).
"""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

import keras_tl
from keras_tl import cli

ROOT = str(Path(keras_tl.__file__).resolve().parent.parent)


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the CLI must be quiet on its own
    return env


def _run(args: list[str], cwd, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=_env(), cwd=cwd,
                          timeout=timeout)


PREDICT = """
import sys, numpy as np, keras_tl
model = keras_tl.load_model(sys.argv[1])
np.save(sys.argv[3], model.predict(np.load(sys.argv[2]), verbose=0))
"""


def _predict_in_new_process(model_path: Path, x: np.ndarray, tmp_path: Path) -> np.ndarray:
    np.save(tmp_path / "x.npy", x)
    run = _run(["-c", PREDICT, str(model_path), str(tmp_path / "x.npy"), str(tmp_path / "p.npy")], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    return np.load(tmp_path / "p.npy")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """15 real face photos and 15 non-face photos, PNG and JPEG, 25..67 pixels wide."""
    x, y = keras_tl.faces()
    root = tmp_path_factory.mktemp("my_photos")
    for label, name in ((1, "face"), (0, "not_a_face")):
        (root / name).mkdir()
        for i, image in enumerate(x[y == label][:15]):
            image = Image.fromarray(image).resize((25 + 3 * i, 25 + 2 * i))
            image.save(root / name / (f"{i:02d}.jpg" if i % 2 else f"{i:02d}.png"))
    return root


@pytest.mark.slow
def test_your_folder_through_the_python_api(folder, tmp_path):
    data = keras_tl.image_folder(folder, image_size=28, color_mode="grayscale", validation_split=0.2, seed=0)
    assert data.class_names == ["face", "not_a_face"] and len(data.y) + len(data.y_val) == 30
    x, x_val = data.x[..., 0], data.x_val[..., 0]
    task = keras_tl.transfer_task()
    base = keras_tl.feature_extractor(keras_tl.pretrain_source_model(task, verbose=0), "flatten")
    rec = keras_tl.advise(backbone=base, source=task.source[0], target=x, target_labels=data.y)
    assert rec.samples_per_class == 12 and rec.similarity_score is not None and rec.size == "small"
    assert f"of {rec.total_layers} layers" in str(rec)
    model, log = rec.train(base, (x, data.y), (x_val, data.y_val), epochs=1, head_epochs=1, min_head_steps=0)
    assert isinstance(log, keras.callbacks.History)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(log.history)
    assert all(len(v) == len(log.epoch) for v in log.history.values())
    path = tmp_path / "mine.keras"
    model.save(path)
    expected = model.predict(x_val, verbose=0)
    got = _predict_in_new_process(path, x_val, tmp_path)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_your_folder_through_the_cli(folder, tmp_path):
    out = tmp_path / "out"
    run = _run(["-m", "keras_tl", "advise", "--data", str(folder), "--train", "--epochs", "1", "--out", str(out)],
               tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Scenario" in run.stdout and "(advised)" in run.stdout and "scratch" in run.stdout
    assert "layers frozen" in run.stdout or "nothing frozen" in run.stdout
    model_path = out / "recommended_model.keras"
    assert f"Model saved to {model_path.resolve()}" in run.stdout
    assert f"Plot written to {(out / 'learning_curves.png').resolve()}" in run.stdout
    assert (out / "learning_curves.png").stat().st_size > 1000
    assert (out / "class_names.txt").read_text().split() == ["face", "not_a_face"]
    for noise in ("cudart_stub", "cpu_feature_guard", "retracing"):
        assert noise not in run.stdout + run.stderr, run.stderr[-2000:]
    # The CLI's process trained and saved the model; this one loads it and predicts. (Loading in a process
    # that has not imported keras_tl's layers: test_your_folder_through_the_python_api and
    # test_saving.py::test_load_model_in_a_fresh_process.)
    x = keras_tl.image_folder(folder, image_size=28, color_mode="grayscale").x[..., 0]
    probs = keras_tl.load_model(model_path).predict(x, verbose=0)
    assert probs.shape == (30, 2)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)


def test_help_and_version_do_not_import_tensorflow(tmp_path):
    for args in (["--help"], ["--version"], ["advise", "--help"]):
        run = _run(["-X", "importtime", "-m", "keras_tl", *args], tmp_path, timeout=60)
        assert run.returncode == 0, run.stderr[-2000:]
        imported = [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line]
        assert not [m for m in imported if m.split(".")[0] in ("tensorflow", "keras", "jax")], args
    assert run.stdout.count("freeze_to") >= 1 and all(kind in run.stdout for kind in keras_tl.SHIFT_KINDS)
    assert _run(["-m", "keras_tl", "--version"], tmp_path, timeout=60).stdout.strip() == f"keras-tl {keras_tl.__version__}"


def test_help_lists_every_shift_kind():
    assert list(cli.SHIFT_HELP) == list(keras_tl.SHIFT_KINDS)
    assert set(cli.WEIGHT_NAMES) == set(keras_tl.available_weights())


@pytest.mark.parametrize("args, message", [
    (["--data", "/nonexistent/photos"], "--data '/nonexistent/photos' is not a folder"),
    (["--data", ".", "--backbone", "ResNet50"], "--backbone 'ResNet50' with --data is not allowed; allowed: source_cnn"),
    (["--data", ".", "--backbone", "source_cnn", "--weights", "hed-bsds500"], "the source CNN has its own weights"),
    (["--data", ".", "--backbone", "MobileNetV2", "--weights", "hed-bsds500"], "are VGG16 weights, not MobileNetV2's"),
    (["--data", ".", "--similarity", "high"], "--similarity 'high' with --data"),
    (["--data", ".", "--shift", "invert:1"], "--shift 'invert:1' with --data"),
    (["--data", ".", "--epochs", "0"], "--epochs 0: give an int >= 1"),
    (["--train", "--samples", "10"], "--train needs --data FOLDER"),
    (["--similarity", "high"], "--samples is needed without --data"),
])
def test_advise_data_rejects_bad_flags(args, message, capsys):
    assert cli.main(["advise", *args]) == 2
    assert message in capsys.readouterr().err
