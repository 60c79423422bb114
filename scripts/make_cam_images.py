"""Draw the README's Grad-CAM and first-layer-filter pictures: docs/img/grad_cam.png and docs/img/layer_filters.png.

Deterministic (offline pretrained weights, fixed photos, seed 0 for the random-weight filters):

    python scripts/make_cam_images.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import keras_tl  # noqa: E402

PHOTOS = [2, 3, 4, 28, 84, 95]  # elephants, red panda, giant panda, forklift, leopard, camel


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    classifier = keras_tl.load_backbone("MobileNetV2", weights="imagenet-torchvision", input_shape=(224, 224, 3), include_top=True)
    model = keras.Sequential([keras.Input((224, 224, 3)), keras_tl.Preprocess("MobileNetV2", weights="imagenet-torchvision"), classifier])
    photos = keras_tl.imagenet_photos(size=224)[PHOTOS]
    names = [top[0][1] for top in keras_tl.decode_predictions(model.predict(photos, verbose=0), top=1)]
    fig = keras_tl.plot_grad_cam(photos, keras_tl.grad_cam(model, photos), titles=names)
    fig.savefig(out / "grad_cam.png", dpi=56)
    plt.close(fig)

    keras.utils.set_random_seed(0)
    pretrained = keras_tl.layer_filters(classifier)
    random = keras_tl.layer_filters(keras_tl.load_backbone("MobileNetV2", weights=None, input_shape=(96, 96, 3)))
    fig, axes = plt.subplots(4, 17, figsize=(12, 3.2))
    for ax in axes.flat:
        ax.axis("off")
    for i in range(32):
        axes[i // 8, i % 8].imshow(pretrained[i], interpolation="nearest")
        axes[i // 8, 9 + i % 8].imshow(random[i], interpolation="nearest")
    axes[0, 3].set_title(f"ImageNet MobileNetV2 Conv1 (smoothness {keras_tl.filter_smoothness(pretrained):.2f})", fontsize=9, loc="center")
    axes[0, 12].set_title(f"random weights (smoothness {keras_tl.filter_smoothness(random):.2f})", fontsize=9, loc="center")
    fig.savefig(out / "layer_filters.png", dpi=72)
    plt.close(fig)
    print(f"wrote {out / 'grad_cam.png'} and {out / 'layer_filters.png'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "img")
    main(parser.parse_args().out)
