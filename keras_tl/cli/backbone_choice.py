"""``python -m keras_tl advise --data FOLDER --backbones offline``: rank candidate backbones on your images.

Every candidate (:func:`keras_tl.offline_candidates`: ``offline``, or a comma list of ``Backbone:weights``)
takes your images at ``--size`` pixels; :func:`keras_tl.score_backbones` measures LogME, LEEP and a linear
probe over 5 seeded splits, and the advice is for the pick (the best probe). Imported by
:mod:`keras_tl.cli.commands` (TensorFlow), never by ``--help``.
"""

from __future__ import annotations

from pathlib import Path

from keras_tl.advisor.scenarios import advise
from keras_tl.data.folders import image_folder
from keras_tl.measure.candidates import offline_candidates

__all__: list[str] = []


def _check_flags(args) -> None:
    """``--backbones`` with flags it cannot honour: each a ``ValueError`` naming the flag and what to do."""
    if args.data is None:
        raise ValueError(f"--backbones {args.backbones!r} needs --data FOLDER: the candidates are ranked on your "
                         "labelled images.")
    for flag, value in (("--backbone", args.backbone), ("--weights", args.weights), ("--similarity", args.similarity),
                        ("--source", args.source), ("--shift", args.shift)):
        if value is not None:
            raise ValueError(f"{flag} {value!r} with --backbones: the advisor picks the backbone and measures the "
                             f"similarity on it; leave {flag} out (or --backbones, to choose the backbone yourself).")
    if args.target != "fashion_mnist:5-9":
        raise ValueError(f"--target {args.target!r} with --data: your folder is the target; leave --target out.")
    if args.train:
        raise ValueError("--train with --backbones: rank first, then train the pick with "
                         "--data FOLDER --backbone NAME --weights WEIGHTS --train.")
    if args.size < 32:
        raise ValueError(f"--size {args.size}: the candidates need at least 32 pixels.")
    if not Path(args.data).is_dir():
        raise ValueError(f"--data {args.data!r} is not a folder: give a folder with one sub-folder of images per class.")


def advise_backbones(args) -> int:
    """Rank the ``--backbones`` candidates on ``--data``, print the table, then the advice for the pick."""
    _check_flags(args)
    names = None if args.backbones == "offline" else [b.strip() for b in args.backbones.split(",") if b.strip()]
    data = image_folder(args.data, image_size=args.size, color_mode="rgb", seed=args.seed)
    candidates = offline_candidates((args.size, args.size, 3), names=names)
    print(f"Data: {args.data}: {len(data.y)} images, {data.n_classes} classes, at {args.size}x{args.size}.")
    print(f"Ranking {len(candidates)} candidates ({', '.join(candidates)}): one forward pass each, LogME, LEEP "
          "and a linear probe over 5 splits ...", flush=True)
    rec = advise(args.samples, None, n_classes=data.n_classes, target=data.x, target_labels=data.y,
                 backbones=candidates, policy=args.policy, seed=args.seed)
    print()
    print(rec.ranking)
    print()
    print(rec)
    return 0
