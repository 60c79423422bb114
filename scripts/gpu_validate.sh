#!/usr/bin/env bash
# GPU validation: run the notebooks in full mode (QUICK = False) on the JAX backend and record
# timings and accuracies. Meant for a GPU machine that has JAX (with CUDA) but no TensorFlow and
# no network: Keras, nbclient/nbformat/ipykernel and keras_tl's other needs come as wheels.
#
#   scripts/gpu_validate.sh WHEEL_DIR [OUT_FILE]
#
#   WHEEL_DIR  wheels for: keras nbformat nbclient ipykernel numpy scipy scikit-learn matplotlib
#              and their dependencies (make it on a connected machine with
#              `pip download -d wheels keras nbformat nbclient ipykernel scipy scikit-learn matplotlib`)
#   OUT_FILE   tab-separated results (default gpu_validation.tsv): notebook, result, seconds,
#              the output lines that mention accuracy; a header says which devices JAX saw.
#
# Environment knobs:
#   NOTEBOOKS="00_tour 01_feature_extraction"  only these (default: all but SKIP)
#   SKIP="07_bert_sentiment"   notebooks that need TensorFlow (TF-Hub): skipped by default
#   MODE=full|quick            full (default) rewrites QUICK = True to QUICK = False in a temp copy
#   PYTHON=python3             interpreter that has JAX; NO_INSTALL=1 uses it as is (no venv)
#   ALLOW_CPU=1                go on when JAX sees no GPU (to check the script on a CPU machine)
#   KEEP=folder                keep the executed notebooks there
# The Fashion-MNIST files must be in /usr/share/datasets/fashion-mnist or ~/.keras/datasets/fashion-mnist.
set -euo pipefail

WHEELS=${1:?usage: scripts/gpu_validate.sh WHEEL_DIR [OUT_FILE]}
OUT=$(realpath -m "${2:-gpu_validation.tsv}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
SKIP=${SKIP:-07_bert_sentiment}
MODE=${MODE:-full}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ "${NO_INSTALL:-0}" = "1" ]; then
    PY=$PYTHON
else
    # A venv that sees the machine's JAX (system site packages); everything else from the wheels, offline.
    "$PYTHON" -m venv --system-site-packages "$WORK/venv"
    PY=$WORK/venv/bin/python
    "$PY" -m pip install --quiet --no-index --find-links "$WHEELS" \
        keras nbformat nbclient ipykernel numpy scipy scikit-learn matplotlib
fi

export KERAS_BACKEND=jax PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" MPLBACKEND=Agg
DEVICES=$("$PY" -c 'import jax; print(jax.default_backend(), jax.devices())')
echo "JAX: $DEVICES"
if [[ $DEVICES != gpu* ]] && [ "${ALLOW_CPU:-0}" != "1" ]; then
    echo "JAX sees no GPU ($DEVICES); set ALLOW_CPU=1 to run anyway." >&2
    exit 1
fi
"$PY" -c 'import keras, keras_tl; assert keras.backend.backend() == "jax", keras.backend.backend()'

selected=()
if [ -n "${NOTEBOOKS:-}" ]; then
    for name in $NOTEBOOKS; do selected+=("$ROOT/notebooks/${name%.ipynb}.ipynb"); done
else
    for nb in "$ROOT"/notebooks/[0-9][0-9]_*.ipynb; do
        stem=$(basename "$nb" .ipynb)
        [[ " $SKIP " == *" $stem "* ]] && { echo "skip $stem (needs TensorFlow)"; continue; }
        selected+=("$nb")
    done
fi

{
    echo "# keras_tl GPU validation, $(date -u +%Y-%m-%dT%H:%MZ), mode $MODE, KERAS_BACKEND=jax"
    echo "# JAX: $DEVICES; $("$PY" -c 'import keras; print("keras", keras.__version__)')"
    printf 'notebook\tresult\tseconds\taccuracy lines\n'
} > "$OUT"
flag=(); [ "$MODE" = "full" ] && flag=(--full)
rc=0
"$PY" "$ROOT/scripts/run_notebooks.py" "${flag[@]}" --out "$OUT" ${KEEP:+--keep "$KEEP"} "${selected[@]}" || rc=$?
echo "results in $OUT ($rc notebook(s) failed)"
exit "$rc"
