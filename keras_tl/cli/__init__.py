"""Command line: ``python -m keras_tl tour`` and ``python -m keras_tl advise``.

``python -m keras_tl advise --data FOLDER`` asks the advisor about your own images (a folder with
one sub-folder per class), and with ``--train`` holds out a test split (20 % of every class, never
seen by the advice or by training), trains its strategy and a control (scratch; or, when scratch is
advised, feature extraction) on 64 % with the best epoch picked on the other 16 %, reports test
accuracy and balanced accuracy, writes the learning curves and saves the recommended model. Training
prints one line per epoch unless ``--quiet``. ``--help`` and ``--version`` import
neither TensorFlow nor Keras (they answer in a fraction of a second); the commands import them when
they need them, with TensorFlow's start-up log lines held back.

Example:
    >>> main(["advise", "--samples", "500", "--similarity", "low"])  # doctest: +ELLIPSIS
    Scenario 3 (large target data, low similarity): scratch
    ...
    0
"""

from __future__ import annotations

import argparse
import sys

from keras_tl._version import __version__
from keras_tl.cli.options import (
    _BACKBONES_HELP,
    _FREEZE_HELP,
    _SHIFT_TEXT,
    _SIMILARITY_HELP,
    DEFAULT_WEIGHTS,
    SHIFT_HELP,
    WEIGHT_NAMES,
)
from keras_tl.cli.quiet import _quiet_import

__all__ = ["DEFAULT_WEIGHTS", "SHIFT_HELP", "WEIGHT_NAMES", "main"]


class _Formatter(argparse.HelpFormatter):
    """Wraps each line of a description or epilog on its own, so the shift kinds stay one per line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(super(_Formatter, self)._fill_text(line, width, indent) if line.strip() else ""
                         for line in text.splitlines())


def _parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m keras_tl`` (building it imports neither TensorFlow nor Keras)."""
    parser = argparse.ArgumentParser(
        prog="python -m keras_tl", description="keras-tl: transfer learning, measured.",
        epilog=f"{_FREEZE_HELP}\n\n{_SHIFT_TEXT}\n\nYour own images: python -m keras_tl advise --data FOLDER --train",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"keras-tl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    tour = sub.add_parser("tour", help="transfer vs training from scratch on Fashion-MNIST")
    tour.add_argument("--quick", action="store_true", help="10 epochs, 1,000 validation images")
    tour.add_argument("--epochs", type=int, default=None, help="target epochs (default 30, or 10 with --quick)")
    tour.add_argument("--n-per-class", type=int, default=20, help="labelled target images per class (default 20)")
    tour.add_argument("--seed", type=int, default=0)
    tour.add_argument("--out", default="keras_tl_output", help="folder for tour.png (default ./keras_tl_output)")
    adv = sub.add_parser(
        "advise",
        help="recommend a transfer strategy from target size and similarity (or for your own --data folder)",
        description="Give --similarity (high, low or a score in [0, 1]), or leave it out to measure it "
                    "on the built-in source model's features between --source and --target. With --data FOLDER "
                    "(one sub-folder of images per class) the target is your images: --samples is counted, "
                    "similarity measured against the backbone's source sample, and --train trains the advice.",
        epilog=f"{_FREEZE_HELP}\n\n{_SIMILARITY_HELP}\n\n{_SHIFT_TEXT}",
        formatter_class=_Formatter,
    )
    adv.add_argument("--samples", type=float, default=None,
                     help="labelled target examples per class (counted from --data when given)")
    adv.add_argument("--similarity", default=None, help="high, low or a score in [0, 1]; omit to measure")
    adv.add_argument("--classes", type=int, default=None, help="number of target classes")
    adv.add_argument("--backbone", default=None, help="registry name for what to freeze, e.g. VGG16 (default: the "
                     "source CNN when measuring; with --weights, the backbone of those weights). With --data: "
                     "source_cnn (default), MobileNetV2 or VGG16")
    adv.add_argument("--weights", default=None, choices=WEIGHT_NAMES,
                     help="offline pretrained weights for --backbone (keras_tl.available_weights()): similarity is "
                          "then measured on that backbone against the 100 ImageNet-type photos "
                          "(keras_tl.imagenet_photos) instead of the source CNN and fashion_mnist:0-4")
    adv.add_argument("--size", type=int, default=64,
                     help="input size of the --weights backbone in pixels (default 64). The similarity score changes "
                          "with it (elpv cells against the photos: about 0.5 at 64 px, 0.4 at 96 px, 0.35 at 128 px), see below")
    adv.add_argument("--source", default=None, help="built-in source: fashion_mnist:CLASSES (default fashion_mnist:0-4; "
                     "with --weights the source sample is the photos)")
    adv.add_argument("--target", default="fashion_mnist:5-9", help="built-in target: fashion_mnist:CLASSES or digits")
    adv.add_argument("--shift", default=None, help="shift the target domain, KIND:AMOUNT, e.g. invert:1.0")
    adv.add_argument("--policy", default="course", help="course (default) or cs231n: see keras_tl.advisor.POLICIES")
    adv.add_argument("--seed", type=int, default=0)
    adv.add_argument("--data", default=None, metavar="FOLDER",
                     help="your images: FOLDER/CLASS_NAME/*.png|jpg (two or more classes); replaces --target")
    adv.add_argument("--backbones", default=None, metavar="CANDIDATES", help=_BACKBONES_HELP)
    adv.add_argument("--train", action="store_true",
                     help="with --data: hold out 20%% of every class as a test split (the advice and training never "
                          "see it), train the recommended strategy and a control (scratch, or feature_extraction when "
                          "scratch is advised) on 64%%, pick each run's best epoch on the other 16%% (validation), "
                          "report test accuracy and balanced accuracy, plot the curves and save the recommended model")
    adv.add_argument("--quiet", action="store_true",
                     help="with --train: no per-epoch progress lines (by default every epoch prints one line)")
    adv.add_argument("--epochs", type=int, default=10,
                     help="with --train: epochs per phase (head, then fine-tuning; scratch gets both), default 10")
    adv.add_argument("--out", default="keras_tl_output",
                     help="with --train: folder for learning_curves.png and the .keras model (default ./keras_tl_output)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m keras_tl`` with ``argv`` (default: the command line); returns the exit status."""
    args = _parser().parse_args(argv)
    # The commands need TensorFlow: imported here, after parsing, so that --help and --version stay instant.
    _quiet_import()
    from keras_tl.cli import commands  # noqa: E402


    if args.command == "advise":
        try:
            if args.backbones is not None:
                return commands.advise_backbones(args)
            if args.data is not None:
                return commands.advise_on_folder(args)
            if args.train:
                raise ValueError("--train needs --data FOLDER: it trains on your images.")
            if args.samples is None:
                raise ValueError("--samples is needed without --data: give the labelled examples per class.")
            return commands.run_advise(args)
        except (ValueError, FileNotFoundError) as exc:  # FileNotFoundError: a missing offline package
            print(f"error: {exc}", file=sys.stderr)
            return 2

    if args.command == "tour":
        commands.tour(args)
    return 0


