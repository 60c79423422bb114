"""Command line: ``python -m keras_tl tour``."""

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
    args = parser.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
