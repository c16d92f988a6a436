#!/usr/bin/env bash
# The CUDA paths end to end in one short run (at most 8 minutes on one GPU, no network):
# simulate on the GPU, training with bf16 AMP, channels_last and torch.compile, resume,
# the DataLoader path, deterministic training, evaluate with a shipped model (and as
# merged shards), two training steps of every zoo network and of ArrayNet, complexity
# and bench_neural on the GPU, the tests marked cuda.
#
#   bash sims/gpu_check.sh [OUT] [--cpu] [--budget SECONDS]
#
# OUT (default: $OUT when set, else results/gpu-check) receives report.md, report.json
# and one log per step. Exit status 0: every step passed; 1: a step failed (its
# traceback is in the report); 2: no GPU (--cpu runs the steps on the CPU, smaller, to
# check the script itself). Steps: sims/gpu_check.py.
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
exec "$PYTHON" sims/gpu_check.py "$@"
