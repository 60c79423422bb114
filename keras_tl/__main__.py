"""Command line: ``python -m keras_tl tour`` and ``python -m keras_tl advise``.

Example:
    >>> main(["advise", "--samples", "500", "--similarity", "low"])  # doctest: +ELLIPSIS
    Scenario 3 (large target data, low similarity): scratch
    ...
    0
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m keras_tl", description="keras-tl: transfer learning, measured.")
    sub = parser.add_subparsers(dest="command", required=True)
    tour = sub.add_parser("tour", help="transfer vs training from scratch on Fashion-MNIST")
    tour.add_argument("--quick", action="store_true", help="10 epochs, 1,000 validation images")
    tour.add_argument("--epochs", type=int, default=None, help="target epochs (default 30, or 10 with --quick)")
    tour.add_argument("--n-per-class", type=int, default=20, help="labelled target images per class (default 20)")
    tour.add_argument("--seed", type=int, default=0)
    tour.add_argument("--out", default="keras_tl_output", help="folder for tour.png (default ./keras_tl_output)")
    adv = sub.add_parser(
        "advise",
        help="recommend a transfer strategy from target size and similarity",
        description="Give --similarity (high, low or a score in [0, 1]), or leave it out to measure it "
                    "on the built-in source model's features between --source and --target.",
    )
    adv.add_argument("--samples", type=float, required=True, help="labelled target examples per class")
    adv.add_argument("--similarity", default=None, help="high, low or a score in [0, 1]; omit to measure")
    adv.add_argument("--classes", type=int, default=None, help="number of target classes")
    adv.add_argument("--backbone", default=None, help="registry name for what to freeze, e.g. VGG16 (default: the "
                     "source CNN when measuring; with --weights, the backbone of those weights)")
    adv.add_argument("--weights", default=None, choices=_weight_choices(),
                     help="offline pretrained weights for --backbone (keras_tl.available_weights()): similarity is "
                          "then measured on that backbone against the 100 ImageNet-type photos "
                          "(keras_tl.imagenet_photos) instead of the source CNN and fashion_mnist:0-4")
    adv.add_argument("--size", type=int, default=64, help="input size of the --weights backbone in pixels (default 64)")
    adv.add_argument("--source", default=None, help="built-in source: fashion_mnist:CLASSES (default fashion_mnist:0-4; "
                     "with --weights the source sample is the photos)")
    adv.add_argument("--target", default="fashion_mnist:5-9", help="built-in target: fashion_mnist:CLASSES or digits")
    adv.add_argument("--shift", default=None, help="shift the target domain, KIND:AMOUNT, e.g. invert:1.0")
    adv.add_argument("--policy", default="course", help="course (default) or cs231n: see keras_tl.advisor.POLICIES")
    adv.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if args.command == "advise":
        try:
            return _advise(args)
        except (ValueError, FileNotFoundError) as exc:  # FileNotFoundError: a missing offline package
            print(f"error: {exc}", file=sys.stderr)
            return 2

    if args.command == "tour":
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


def _weight_choices() -> list[str]:
    from .weight_sources import available_weights

    return available_weights()


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

    import numpy as np

    from .datasets import load_dataset, select_classes, shift_domain
    from .source_model import FEATURE_LAYER, pretrain_source_model
    from .strategies import feature_extractor

    if args.weights is not None:
        return _advise_on_photos(args)
    source_name, source_classes = _parse_classes(args.source or "fashion_mnist:0-4", "source")
    if source_name != "fashion_mnist":
        raise ValueError(f"--source {args.source!r}: the built-in source model is trained on fashion_mnist classes.")
    source_classes = source_classes or list(range(5))
    target_name, target_classes = _parse_classes(args.target, "target")
    shift = None
    if args.shift:
        kind, _, amount = args.shift.partition(":")
        try:
            shift = (kind, float(amount or 1.0))
        except ValueError:
            raise ValueError(f"--shift {args.shift!r}: give KIND:AMOUNT, e.g. invert:1.0.") from None

    from .datasets import transfer_task

    others = [c for c in range(10) if c not in source_classes]
    task = transfer_task(source_classes=source_classes, target_classes=others, n_per_class=1, seed=args.seed)
    print(f"Source: fashion_mnist classes {source_classes}; the source CNN (cached after its first training).")
    base = feature_extractor(pretrain_source_model(task, seed=args.seed, verbose=0), FEATURE_LAYER)
    (x, y), _ = load_dataset(target_name)
    if target_classes is not None:
        x, y = select_classes(x, y, target_classes)
    elif target_name == "fashion_mnist":
        x, y = select_classes(x, y, others)
    if shift is not None:
        x = shift_domain(x, shift[0], shift[1], seed=args.seed)
    n_classes = args.classes or len(np.unique(y))
    print(f"Target: {args.target}{' shifted ' + args.shift if shift else ''} ({n_classes} classes). Measuring ...")
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


if __name__ == "__main__":
    sys.exit(main())
