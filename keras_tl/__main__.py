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
import os
import sys
import tempfile
from pathlib import Path

#: ``keras_tl.SHIFT_KINDS`` (keras_tl.datasets imports TensorFlow, so --help keeps its own copy; a test
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
WEIGHT_NAMES = ("hed-bsds500", "imagenet-torchvision")

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


class _Formatter(argparse.HelpFormatter):
    """Wraps each line of a description or epilog on its own, so the shift kinds stay one per line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(super(_Formatter, self)._fill_text(line, width, indent) if line.strip() else ""
                         for line in text.splitlines())


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m keras_tl", description="keras-tl: transfer learning, measured.",
        epilog=f"{_FREEZE_HELP}\n\n{_SHIFT_TEXT}\n\nYour own images: python -m keras_tl advise --data FOLDER --train",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"keras-tl {_version()}")
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
    args = parser.parse_args(argv)

    if args.command == "advise":
        try:
            if args.data is not None:
                return _advise_on_folder(args)
            if args.train:
                raise ValueError("--train needs --data FOLDER: it trains on your images.")
            if args.samples is None:
                raise ValueError("--samples is needed without --data: give the labelled examples per class.")
            return _advise(args)
        except (ValueError, FileNotFoundError) as exc:  # FileNotFoundError: a missing offline package
            print(f"error: {exc}", file=sys.stderr)
            return 2

    if args.command == "tour":
        _quiet_import()
        from .tour import run_tour

        print("keras-tl tour: Fashion-MNIST classes 0-4 as the source task, classes 5-9 as the target\n"
              f"with {args.n_per_class} labelled images per class. Same architecture, two starts:\n"
              "  transfer = source model's layers (frozen) + new head;  scratch = random weights, all trained.\n")
        result = run_tour(quick=args.quick, epochs=args.epochs, n_per_class=args.n_per_class,
                          seed=args.seed, out_dir=args.out)
        print("\nValidation accuracy on the target classes (start = after epoch 1; slope = gain/epoch "
              "over the first 5; asymptote = best):\n")
        print(result.table())
        t, s = result.summaries["transfer"], result.summaries["scratch"]
        print(f"\nTransfer starts {t['start'] - s['start']:+.3f} and ends {t['final'] - s['final']:+.3f} "
              "against scratch.")
        print(f"Plot written to {result.plot_path.resolve()}")
    return 0


_NOISE = ("All log messages before absl::InitializeLog()", "cudart_stub.cc", "cuda_platform.cc", "cuInit",
          "cuda_executor.cc", "cpu_feature_guard.cc", "oneDNN custom operations", "computation_placer.cc",
          "This TensorFlow binary is optimized", "To enable the following instructions")


def _quiet_import() -> None:
    """Import Keras (and TensorFlow, initialised) with stderr held back; print it again without TF's start-up lines.

    TensorFlow writes some lines (``cudart_stub.cc ... Could not find cuda drivers``) from C++ before
    ``TF_CPP_MIN_LOG_LEVEL`` is read: only lines matching those known start-up messages are dropped.
    """
    if "keras" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as held:
        os.dup2(held.fileno(), 2)
        try:
            import keras

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                tf.config.list_physical_devices()  # CUDA's probe logs here, once
                tf.get_logger().setLevel("ERROR")  # no "triggered tf.function retracing" between small fits
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read().decode(errors="replace")
    kept = [line for line in text.splitlines() if line.strip() and not any(n in line for n in _NOISE)]
    if kept:
        print("\n".join(kept), file=sys.stderr)


def _parse_classes(spec: str, what: str) -> tuple[str, list[int] | None]:
    name, _, classes = spec.partition(":")
    if name not in ("fashion_mnist", "digits"):
        raise ValueError(f"--{what} {spec!r}: unknown dataset {name!r}; allowed: fashion_mnist[:CLASSES], digits[:CLASSES].")
    if not classes:
        return name, None
    try:
        if "-" in classes:
            lo, hi = (int(v) for v in classes.split("-"))
            return name, list(range(lo, hi + 1))
        return name, [int(v) for v in classes.split(",")]
    except ValueError:
        raise ValueError(f"--{what} {spec!r}: classes must look like 0-4 or 0,2,4.") from None


def _advise(args) -> int:
    _quiet_import()
    from . import advisor

    if args.weights is not None:
        from .backbones import get_spec
        from .weight_sources import get_source

        weights_of = get_source(args.weights).backbone
        if args.backbone is None:
            args.backbone = weights_of
        elif get_spec(args.backbone).name != weights_of:
            raise ValueError(
                f"--weights {args.weights} are {weights_of} weights, not {get_spec(args.backbone).name}'s: use "
                f"--backbone {weights_of}, or leave --backbone out."
            )
    similarity = args.similarity
    if similarity is not None:
        try:
            similarity = float(similarity)
        except ValueError:
            pass
        rec = advisor.advise(
            args.samples, similarity, n_classes=args.classes, backbone=args.backbone, policy=args.policy
        )
        print(rec)
        return 0

    from .source_model import FEATURE_LAYER, pretrain_source_model
    from .strategies import feature_extractor

    if args.weights is not None:
        return _advise_on_photos(args)
    source_name, source_classes = _parse_classes(args.source or "fashion_mnist:0-4", "source")
    if source_name != "fashion_mnist":
        raise ValueError(f"--source {args.source!r}: the built-in source model is trained on fashion_mnist classes.")
    source_classes = source_classes or list(range(5))
    others = [c for c in range(10) if c not in source_classes]
    x, y, n_found = _target_images(args, others)  # checked before the source model is trained

    from .datasets import transfer_task

    task = transfer_task(source_classes=source_classes, target_classes=others, n_per_class=1, seed=args.seed)
    print(f"Source: fashion_mnist classes {source_classes}; the source CNN (cached after its first training).")
    base = feature_extractor(pretrain_source_model(task, seed=args.seed, verbose=0), FEATURE_LAYER)
    n_classes = args.classes or n_found
    print(f"Target: {args.target}{' shifted ' + args.shift if args.shift else ''} ({n_classes} classes). Measuring ...")
    rec = advisor.advise(
        args.samples, None, n_classes=n_classes, backbone=base, source=task.source[0], target=x,
        target_labels=y, policy=args.policy, seed=args.seed,
    )
    print(rec.report)
    print()
    print(rec)
    return 0


def _target_images(args, default_classes: list[int]):
    """The --target images (training split) and labels, with --shift applied."""
    import numpy as np

    from .datasets import load_dataset, select_classes, shift_domain

    target_name, target_classes = _parse_classes(args.target, "target")
    shift = None
    if args.shift:
        kind, _, amount = args.shift.partition(":")
        try:
            shift = (kind, float(amount or 1.0))
        except ValueError:
            raise ValueError(f"--shift {args.shift!r}: give KIND:AMOUNT, e.g. invert:1.0.") from None
    (x, y), _ = load_dataset(target_name)
    if target_classes is not None:
        x, y = select_classes(x, y, target_classes)
    elif target_name == "fashion_mnist":
        x, y = select_classes(x, y, default_classes)
    if shift is not None:
        x = shift_domain(x, shift[0], shift[1], seed=args.seed)
    return x, y, len(np.unique(y))


def _advise_on_photos(args) -> int:
    """``advise --weights W``: the ImageNet backbone's features, the 100 photos as the source sample."""
    from . import advisor
    from .backbones import load_backbone

    if args.source is not None:
        raise ValueError(
            f"--source {args.source!r} with --weights {args.weights}: the source sample of ImageNet weights is the "
            "100 ImageNet-type photos (keras_tl.imagenet_photos); leave --source out."
        )
    if args.size < 32:
        raise ValueError(f"--size {args.size}: {args.backbone} needs at least 32 pixels.")
    base = load_backbone(args.backbone, weights=args.weights, input_shape=(args.size, args.size, 3), pooling="avg")
    x, y, n_found = _target_images(args, list(range(5, 10)))
    n_classes = args.classes or n_found
    print(f"Source: the 100 ImageNet-type photos (keras_tl.imagenet_photos) on {args.backbone} with weights "
          f"{args.weights!r} at {args.size}x{args.size}.")
    print(f"Target: {args.target}{' shifted ' + args.shift if args.shift else ''} ({n_classes} classes). Measuring ...")
    rec = advisor.advise(
        args.samples, None, n_classes=n_classes, backbone=base, target=x, target_labels=y, policy=args.policy,
        seed=args.seed,
    )
    print(rec.report)
    print()
    print(rec)
    return 0


def _folder_backbone(args) -> tuple[str, str | None]:
    """``(backbone, weights)`` for ``--data``: the source CNN, or MobileNetV2/VGG16 with offline ImageNet weights."""
    name = args.backbone
    if name is None:
        if args.weights is None:
            return "source_cnn", None
        from .weight_sources import get_source

        name = get_source(args.weights).backbone
    if name.lower() in ("source_cnn", "source-cnn"):
        if args.weights is not None:
            raise ValueError(f"--weights {args.weights} with --backbone source_cnn: the source CNN has its own "
                             "weights (keras_tl.pretrain_source_model); leave --weights out.")
        return "source_cnn", None
    canonical = {k.lower(): k for k in DEFAULT_WEIGHTS}.get(name.lower())
    if canonical is None:
        raise ValueError(f"--backbone {name!r} with --data is not allowed; allowed: source_cnn, "
                         f"{', '.join(DEFAULT_WEIGHTS)} (the backbones with offline pretrained weights).")
    weights = args.weights or DEFAULT_WEIGHTS[canonical]
    from .weight_sources import get_source

    if get_source(weights).backbone != canonical:
        raise ValueError(f"--weights {weights} are {get_source(weights).backbone} weights, not {canonical}'s: use "
                         f"--weights {DEFAULT_WEIGHTS[canonical]}, or leave --weights out.")
    return canonical, weights


def _advise_on_folder(args) -> int:
    """``advise --data FOLDER [--train]``: the advisor on your images, then (with --train) its strategy vs scratch."""
    if args.similarity is not None:
        raise ValueError(f"--similarity {args.similarity!r} with --data: the similarity of your images is measured; "
                         "leave --similarity out (or leave --data out to advise from a given similarity).")
    for flag, value, default in (("--target", args.target, "fashion_mnist:5-9"), ("--source", args.source, None),
                                 ("--shift", args.shift, None)):
        if value != default:
            raise ValueError(f"{flag} {value!r} with --data: your folder is the target and the backbone decides the "
                             f"source; leave {flag} out.")
    if args.epochs < 1:
        raise ValueError(f"--epochs {args.epochs}: give an int >= 1.")
    backbone, weights = _folder_backbone(args)
    if weights is not None and args.size < 32:
        raise ValueError(f"--size {args.size}: {backbone} needs at least 32 pixels.")
    if not Path(args.data).is_dir():
        raise ValueError(f"--data {args.data!r} is not a folder: give a folder with one sub-folder of images per class.")
    _quiet_import()
    import numpy as np

    from . import advisor
    from .folders import image_folder

    split = 0.2 if args.train else None  # with --train: 20 % of every class is the test split, set aside first
    if weights is None:
        from .datasets import transfer_task
        from .source_model import FEATURE_LAYER, pretrain_source_model
        from .strategies import feature_extractor

        data = image_folder(args.data, image_size=28, color_mode="grayscale", validation_split=split, seed=args.seed)
        x, x_test = data.x[..., 0], None if data.x_val is None else data.x_val[..., 0]
        task = transfer_task()
        base = feature_extractor(pretrain_source_model(task, verbose=0), FEATURE_LAYER)
        source, source_text = task.source[0], ("Fashion-MNIST classes 0-4 on the source CNN (your images as 28x28 "
                                               "grayscale)")
    else:
        from .backbones import load_backbone

        data = image_folder(args.data, image_size=args.size, color_mode="rgb", validation_split=split, seed=args.seed)
        x, x_test = data.x, data.x_val
        base = load_backbone(backbone, weights=weights, input_shape=(args.size, args.size, 3), pooling="avg")
        source, source_text = None, (f"the 100 ImageNet-type photos (keras_tl.imagenet_photos) on {backbone} with "
                                     f"weights {weights!r} at {args.size}x{args.size}")
    counts = np.bincount(data.y, minlength=data.n_classes)
    print(f"Data: {args.data}: {len(data.y)} images"
          + (f" for the advice and training, + {len(data.y_val)} held out as the test split" if args.train else "")
          + f", {data.n_classes} classes " + ", ".join(f"{c} ({n})" for c, n in zip(data.class_names, counts)) + ".")
    print(f"Source: {source_text}. Measuring ...")
    rec = advisor.advise(
        args.samples, None, n_classes=data.n_classes, backbone=base, source=source, target=x, target_labels=data.y,
        policy=args.policy, seed=args.seed,
    )
    print(rec.report)
    if weights is not None:
        print(f"(The similarity score depends on --size and on the sample sizes, not only on your images: "
              f"{_photo_halves(backbone, weights, base, args.size)} See --help.)")
    print()
    print(rec)
    if not args.train:
        return 0
    return _train_on_folder(args, rec, base, backbone, weights, data, x, x_test)


def _photo_halves(backbone: str, weights: str, base, size: int) -> str:
    """The score of two halves of the 100 photos at this size: the ceiling for samples this small, in words."""
    import keras
    import numpy as np

    from .backbones import Preprocess
    from .datasets import imagenet_photos
    from .similarity import features_of, similarity

    model = keras.Sequential([keras.Input((size, size, 3)), Preprocess(backbone, weights=weights), base])
    features = features_of(model, imagenet_photos(size=size))
    order = np.random.default_rng(0).permutation(len(features))
    half = len(features) // 2
    score = similarity(features[order[:half]], features[order[half:]], random_baseline=False).score
    return (f"two random halves of the same {len(features)} photos score {score:.3f} at {size} px, the most "
            "that samples this small can show.")


def _balanced_accuracy(y_true, y_pred, n_classes: int) -> float:
    """Mean recall over the classes present in ``y_true`` (0.5 for a majority-class guess on two classes)."""
    import numpy as np

    recalls = [float(np.mean(y_pred[y_true == c] == c)) for c in range(n_classes) if np.any(y_true == c)]
    return float(np.mean(recalls))


def _train_on_folder(args, rec, base, backbone: str, weights: str | None, data, x, x_test) -> int:
    """``--train``: the recommended strategy and a control, a table on the held-out test split, the curves, the model."""
    import keras
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .advisor import MIN_HEAD_STEPS, train_strategy
    from .benefits import plot_learning_curves
    from .datasets import stratified_split
    from .saving import save_model

    y_test = data.y_val
    scale = None
    if weights is not None:  # train on scaled pixels; the saved model scales raw 0..255 pixels itself
        from .backbones import Preprocess

        scale = Preprocess(backbone, weights=weights)
        x, x_test = (np.concatenate([np.asarray(scale(a[i:i + 256].astype("float32"))) for i in range(0, len(a), 256)])
                     for a in (x, x_test))
    (x_train, y_train), (x_val, y_val) = stratified_split(x, data.y, val_fraction=0.2, seed=args.seed)
    train, val = (x_train, y_train), (x_val, y_val)
    verbose = 0 if args.quiet else "auto"  # a line per epoch; one line for a head trained on cached features
    kwargs = dict(n_classes=data.n_classes, epochs=args.epochs, head_epochs=args.epochs, seed=args.seed,
                  verbose=verbose)
    control = "feature_extraction" if rec.strategy == "scratch" else "scratch"
    print(f"\nTraining {rec.strategy} (advised) and {control} (the control), {args.epochs} epochs per phase (a head on "
          f"cached features trains at least {MIN_HEAD_STEPS} steps), on {len(y_train)} images; the best epoch is picked "
          f"on {len(y_val)} validation images; both are then scored on the {len(y_test)} test images that neither the "
          "advice nor training saw.")
    runs = {}
    for name, strategy in ((f"{rec.strategy} (advised)", rec.strategy), (control, control)):
        if not args.quiet:
            print(f"\n[{len(runs) + 1}/2] {name} ...", flush=True)
        if strategy == rec.strategy:
            runs[name] = rec.train(base, train, val, **kwargs)
        else:
            runs[name] = train_strategy(strategy, base, train, val, **kwargs)
    majority = int(np.argmax(np.bincount(y_train, minlength=data.n_classes)))
    print(f"\n{'strategy':<30}{'val acc':>9}{'test acc':>10}{'test bal.':>11}{'best ep.':>10}{'epochs':>8}"
          f"{'seconds':>9}")
    for name, (model, log) in runs.items():
        predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
        best = int(np.nanargmax(log["val_accuracy"]))
        print(f"{name:<30}{log['val_accuracy'][best]:>9.3f}{np.mean(predicted == y_test):>10.3f}"
              f"{_balanced_accuracy(y_test, predicted, data.n_classes):>11.3f}{best + 1:>10d}{len(log.epoch):>8d}"
              f"{log.seconds:>9.1f}")
    guess = np.full_like(y_test, majority)
    print(f"{'majority class (no model)':<30}{'':>9}{np.mean(guess == y_test):>10.3f}"
          f"{_balanced_accuracy(y_test, guess, data.n_classes):>11.3f}")
    print(f"\nval acc: the best epoch's accuracy on the {len(y_val)} validation images that picked it (optimistic). "
          f"test acc / test bal.: accuracy and balanced accuracy (the mean recall of the classes) on the "
          f"{len(y_test)} held-out test images: the numbers to report. With so few, one test image is "
          f"{100 / len(y_test):.1f} points.")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plot_path = out / "learning_curves.png"
    fig = plot_learning_curves({name: log for name, (_, log) in runs.items()},
                               title=f"{Path(args.data).name}: validation accuracy", path=plot_path)
    plt.close(fig)
    model = runs[f"{rec.strategy} (advised)"][0]
    if scale is not None:
        inner = model
        model = keras.Sequential([keras.Input((args.size, args.size, 3)), scale, inner], name=f"{backbone}_classifier")
        # a fresh optimizer of the same kind: one shared with the inner model would be saved under the inner
        # model only, and loading would warn that the wrapper's optimizer has no saved variables
        fresh = inner.optimizer.__class__.from_config(inner.optimizer.get_config())
        model.compile(optimizer=fresh, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model_path = out / "recommended_model.keras"
    save_model(model, model_path)
    (out / "class_names.txt").write_text("\n".join(data.class_names) + "\n")
    print(f"Plot written to {plot_path.resolve()}")
    print(f"Model saved to {model_path.resolve()} (inputs: raw 0..255 pixels, "
          + ("28x28 grayscale" if weights is None else f"{args.size}x{args.size} RGB")
          + f"; outputs: class probabilities in the order of {(out / 'class_names.txt').resolve()}). "
          "Load it with keras_tl.load_model.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
