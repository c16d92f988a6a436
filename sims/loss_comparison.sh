#!/usr/bin/env bash
# Training objective, per SNR, on one CPU budget: CENet on the adaptive-LMMSE base with
# plain MSE vs the base-normalised loss, and CENet on the linear interpolation with plain
# MSE vs log-NMSE (configs/experiments/cpu/loss-*.yaml: same model, data, seed and
# epochs per pair), evaluated with the baselines and the genie bound on one test set of
# the LTE EPA/EVA/ETU mixture. The four trainings run two at a time, one thread each.
# Usage: bash sims/loss_comparison.sh [OUT_DIR]   (run from the repository root)
set -euo pipefail
out=${1:-results/loss-comparison}
py=${PYTHON:-python}
mkdir -p "$out"
train() {
  local name=$1
  if [ -f "runs/$name/last.json" ]; then resume=--resume; else resume=; fi
  OMP_NUM_THREADS=1 $py cli.py train --config "configs/experiments/cpu/$name.yaml" \
    --device cpu --quiet $resume
}
train loss-mse & train loss-base & wait
train loss-linear-mse & train loss-linear-log-nmse & wait
[ -f "$out/test.h5" ] || $py cli.py simulate --config configs/lte-epa-eva-etu.yaml -n 4096 \
  --out "$out/test.h5" --quiet
$py cli.py evaluate --data "$out/test.h5" --out "$out" --device cpu --quiet --estimators \
  ls-linear,lmmse-robust,lmmse-adaptive,lmmse,genie-lmmse,ckpt:runs/loss-mse,ckpt:runs/loss-base,ckpt:runs/loss-linear-mse,ckpt:runs/loss-linear-log-nmse
