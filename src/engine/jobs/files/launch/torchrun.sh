#!/usr/bin/env bash
# One machine: one process per GPU (nccl), or CPU processes (gloo). Extra arguments go to train.py (--out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
NPROC_PER_NODE=${NPROC_PER_NODE:-2}   # EDIT: processes on this machine (its number of GPUs)
TORCHRUN=${TORCHRUN:-torchrun}        # EDIT: or "python3 -m torch.distributed.run"
exec $TORCHRUN --standalone --nproc_per_node "$NPROC_PER_NODE" train.py "$@"
