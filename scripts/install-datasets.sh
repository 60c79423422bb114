#!/usr/bin/env bash
# Install the Debian package `dataset-fashion-mnist` when its files are missing
# and apt-get is available. Prints what it does; never fails the build when it
# cannot install (keras_tl.fashion_mnist() then explains the fixes).
set -u
dir=/usr/share/datasets/fashion-mnist
if [ -f "$dir/train-images-idx3-ubyte.gz" ] && [ -f "$dir/t10k-labels-idx1-ubyte.gz" ]; then
    echo "Fashion-MNIST found in $dir"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get not found: Fashion-MNIST will be read from ~/.keras/datasets or downloaded by Keras."
    exit 0
fi
sudo=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "Not root and no sudo: run 'apt-get install dataset-fashion-mnist' as root."
        exit 0
    fi
fi
echo "Installing the Debian package dataset-fashion-mnist ..."
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq && $sudo apt-get install -y -qq dataset-fashion-mnist \
    || echo "Could not install dataset-fashion-mnist; see keras_tl.fashion_mnist() for other ways."
