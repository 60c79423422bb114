import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def fashion():
    from keras_tl import fashion_mnist

    return fashion_mnist()


@pytest.fixture(scope="session")
def digits_data():
    from keras_tl import digits

    return digits()
