"""Fill keras_tl's on-disk cache once, before the tests and notebooks run (``make warm``; ``make test`` calls it).

The cache (``$KERAS_TL_CACHE`` or ``~/.cache/keras_tl``, see ``keras_tl.models.source_model.cache_dir``) holds:

* the pretrained source CNN (``pretrain_source_model``), keyed by its settings and source data:
  the key of ``pretrain_source_model(transfer_task())`` is the one the notebooks, the tour, the CLI
  and ``tests/test_source_model.py`` use (``transfer_task``'s source does not depend on
  ``n_per_class`` or ``seed``; the training seed 0 is their ``SEED``);
* the offline ImageNet / HED weights converted to Keras ``.weights.h5`` files (``converted_weights``),
  with and without the classifier where the source has one.

Without this step, the first of several pytest-xdist workers (or notebooks) to need an entry trains
or converts it while the others do the same: writes are atomic, so that is safe, but paid twice.
Prints what it did; a missing offline weight package is reported and skipped (the tests that need it skip).
"""

from __future__ import annotations

import time


def main() -> int:
    import keras_tl
    from keras_tl.core.cache import cache_dir
    from keras_tl.models.weight_sources import WEIGHT_SOURCES, WeightSourceUnavailable, converted_weights

    t0 = time.perf_counter()
    keras_tl.pretrain_source_model(keras_tl.transfer_task(), verbose=0)
    print(f"warm: source CNN ready in {cache_dir()} ({time.perf_counter() - t0:.1f} s)")
    for name, source in sorted(WEIGHT_SOURCES.items()):
        for include_top in (False, True) if source.has_top else (False,):
            t0 = time.perf_counter()
            try:
                path = converted_weights(name, include_top=include_top)
            except WeightSourceUnavailable as exc:
                print(f"warm: {name} skipped: {str(exc).split('.')[0]}")
                break
            print(f"warm: {path.name} ready ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
