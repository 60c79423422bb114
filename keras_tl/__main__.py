"""``python -m keras_tl``: the command line (:mod:`keras_tl.cli`)."""

import sys

from keras_tl.cli import main

if __name__ == "__main__":
    sys.exit(main())
