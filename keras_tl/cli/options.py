"""The options of ``python -m keras_tl`` that are data: shift kinds, offline weights, help texts (no TensorFlow)."""

from __future__ import annotations

#: ``keras_tl.SHIFT_KINDS`` (keras_tl.data imports TensorFlow, so --help keeps its own copy; a test
#: checks they agree).
SHIFT_HELP = {
    "rotate": "rotate every image by AMOUNT * 180 degrees",
    "invert": "blend towards the negative image",
    "noise": "add Gaussian noise with standard deviation AMOUNT * 255",
    "contrast": "shrink contrast towards mid-grey",
    "mix": "overlay images of another dataset",
}

#: The default offline weights of each ImageNet backbone of ``--data`` (keras_tl.available_weights()).
DEFAULT_WEIGHTS = {"MobileNetV2": "imagenet-torchvision", "VGG16": "hed-bsds500"}

WEIGHT_NAMES = ("hed-bsds500", "imagenet-lite0", "imagenet-torchvision")

_BACKBONES_HELP = (
    "with --data: let the advisor pick the backbone. 'offline' (every backbone with offline weights, and "
    "MobileNetV2 with random weights as the baseline) or a comma list such as "
    "MobileNetV2:imagenet-torchvision,VGG16:hed-bsds500 (WEIGHTS 'random' for random weights); each is scored on "
    "your images at --size pixels (LogME, LEEP, and a linear probe over 5 splits, the one it picks by), the table "
    "printed, and the advice given for the pick"
)

_FREEZE_HELP = (
    "freeze_to in the recommendation is what keras_tl.freeze_to freezes, counted from the input: 1.0 the "
    "whole base (feature extraction), 0 nothing (every layer trains), a layer name every layer up to and "
    "including it, a fraction in (0, 1) that share of the layers (0.333 of 15 layers: the first 5). With a "
    "backbone model it is printed with the last frozen layer and the count, e.g. "
    "\"0.333 -> up to 'block2_pool' (5 of 15 layers frozen)\"."
)

_SIMILARITY_HELP = (
    "The similarity score (1 - Jensen-Shannon divergence of the backbone's features, read against 0.70 for "
    "'high' and 0.50 for the negative-transfer warning) is a rough level, not a calibrated measure: it depends "
    "on the input size (the same elpv solar cells against the 100 photos on MobileNetV2 score about 0.48-0.54 at "
    "64 px, 0.36-0.43 at 96 px and 0.30-0.39 at 128 px), on how many images are compared (100 photos; 100, 320 or 1,000 cells move it "
    "by up to 0.06) and on the seed, and even two halves of the same 100 photos score only about 0.83-0.88. "
    "LogME gain (pretrained minus random features on your labels) is the direct test of whether the pretrained "
    "weights help; --train measures it."
)

_SHIFT_TEXT = "shift kinds for --shift KIND:AMOUNT (AMOUNT 0..1):\n" + "\n".join(
    f"- {k}: {v}" for k, v in SHIFT_HELP.items()
)
