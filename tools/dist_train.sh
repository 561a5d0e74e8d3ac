#!/usr/bin/env bash
# Distributed training on torchrun: tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT. On machines without CUDA it uses gloo on CPUs.
set -euo pipefail
if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: tools/dist_train.sh CONFIG GPUS [train.py options] (GPUS: processes per node, >= 1)" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON=${PYTHON:-$( [ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python)}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# one process first: missing data or checkpoints are one line, not a traceback per rank
# (CHECK_DATA=0 skips it, e.g. when a job restarts with data already checked)
if [ "${CHECK_DATA:-1}" != 0 ]; then
    "$PYTHON" "$ROOT/tools/train.py" "$CONFIG" --check-data "${@:3}"
fi
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$ROOT/tools/train.py" "$CONFIG" --launcher pytorch "${@:3}"
