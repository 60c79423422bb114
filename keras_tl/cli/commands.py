"""The commands of ``python -m keras_tl`` (:mod:`keras_tl.cli` parses the arguments, then imports this).

``advise`` asks the advisor about built-in data, the ImageNet photos or your own folder (and with
``--train`` trains its advice and a control on a held-out split); ``tour`` runs the headline demo.
Importing this module imports TensorFlow, with its start-up log lines held back (:func:`_quiet_import`).
"""

from __future__ import annotations

from pathlib import Path

import keras
import matplotlib
import numpy as np

from keras_tl.advisor.recipes import MIN_HEAD_STEPS, train_strategy
from keras_tl.advisor.scenarios import advise
from keras_tl.cli.backbone_choice import advise_backbones  # noqa: F401  (main() calls commands.advise_backbones)
from keras_tl.cli.options import DEFAULT_WEIGHTS
from keras_tl.data.builtin import load_dataset
from keras_tl.data.folders import image_folder
from keras_tl.data.photos import imagenet_photos
from keras_tl.data.shifts import shift_domain
from keras_tl.data.splits import select_classes, stratified_split
from keras_tl.data.tasks import transfer_task
from keras_tl.measure.benefits import plot_learning_curves
from keras_tl.measure.similarity import features_of, similarity
from keras_tl.models.backbones import Preprocess, load_backbone
from keras_tl.models.registry import get_spec
from keras_tl.models.source_model import FEATURE_LAYER, pretrain_source_model
from keras_tl.models.weight_sources import get_source
from keras_tl.saving import save_model
from keras_tl.tour import run_tour
from keras_tl.transfer.heads import feature_extractor

matplotlib.use("Agg")  # the command line writes its plots to files
import matplotlib.pyplot as plt  # noqa: E402


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


def run_advise(args) -> int:

    if args.weights is not None:
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
        rec = advise(
            args.samples, similarity, n_classes=args.classes, backbone=args.backbone, policy=args.policy
        )
        print(rec)
        return 0

    if args.weights is not None:
        return _advise_on_photos(args)
    source_name, source_classes = _parse_classes(args.source or "fashion_mnist:0-4", "source")
    if source_name != "fashion_mnist":
        raise ValueError(f"--source {args.source!r}: the built-in source model is trained on fashion_mnist classes.")
    source_classes = source_classes or list(range(5))
    others = [c for c in range(10) if c not in source_classes]
    x, y, n_found = _target_images(args, others)  # checked before the source model is trained

    task = transfer_task(source_classes=source_classes, target_classes=others, n_per_class=1, seed=args.seed)
    print(f"Source: fashion_mnist classes {source_classes}; the source CNN (cached after its first training).")
    base = feature_extractor(pretrain_source_model(task, seed=args.seed, verbose=0), FEATURE_LAYER)
    n_classes = args.classes or n_found
    print(f"Target: {args.target}{' shifted ' + args.shift if args.shift else ''} ({n_classes} classes). Measuring ...")
    rec = advise(
        args.samples, None, n_classes=n_classes, backbone=base, source=task.source[0], target=x,
        target_labels=y, policy=args.policy, seed=args.seed,
    )
    print(rec.report)
    print()
    print(rec)
    return 0


def _target_images(args, default_classes: list[int]):
    """The --target images (training split) and labels, with --shift applied."""

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
    rec = advise(
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

    if get_source(weights).backbone != canonical:
        raise ValueError(f"--weights {weights} are {get_source(weights).backbone} weights, not {canonical}'s: use "
                         f"--weights {DEFAULT_WEIGHTS[canonical]}, or leave --weights out.")
    return canonical, weights


def advise_on_folder(args) -> int:
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


    split = 0.2 if args.train else None  # with --train: 20 % of every class is the test split, set aside first
    if weights is None:
        data = image_folder(args.data, image_size=28, color_mode="grayscale", validation_split=split, seed=args.seed)
        x, x_test = data.x[..., 0], None if data.x_val is None else data.x_val[..., 0]
        task = transfer_task()
        base = feature_extractor(pretrain_source_model(task, verbose=0), FEATURE_LAYER)
        source, source_text = task.source[0], ("Fashion-MNIST classes 0-4 on the source CNN (your images as 28x28 "
                                               "grayscale)")
    else:
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
    rec = advise(
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

    model = keras.Sequential([keras.Input((size, size, 3)), Preprocess(backbone, weights=weights), base])
    features = features_of(model, imagenet_photos(size=size))
    order = np.random.default_rng(0).permutation(len(features))
    half = len(features) // 2
    score = similarity(features[order[:half]], features[order[half:]], random_baseline=False).score
    return (f"two random halves of the same {len(features)} photos score {score:.3f} at {size} px, the most "
            "that samples this small can show.")


def _balanced_accuracy(y_true, y_pred, n_classes: int) -> float:
    """Mean recall over the classes present in ``y_true`` (0.5 for a majority-class guess on two classes)."""

    recalls = [float(np.mean(y_pred[y_true == c] == c)) for c in range(n_classes) if np.any(y_true == c)]
    return float(np.mean(recalls))


def _train_on_folder(args, rec, base, backbone: str, weights: str | None, data, x, x_test) -> int:
    """``--train``: the recommended strategy and a control, a table on the held-out test split, the curves, the model."""
    y_test = data.y_val
    scale = None
    if weights is not None:  # train on scaled pixels; the saved model scales raw 0..255 pixels itself
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
    _save_results(args, runs, rec, scale, backbone, weights, data)
    return 0


def _save_results(args, runs: dict, rec, scale, backbone: str, weights: str | None, data) -> None:
    """The learning curves as a PNG and the advised model as a ``.keras`` file that takes raw 0..255 pixels."""
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


def tour(args) -> None:
    """``python -m keras_tl tour``: transfer against scratch on Fashion-MNIST, with the table and the plot."""
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
