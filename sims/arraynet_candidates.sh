#!/usr/bin/env bash
# The ArrayNet architecture comparison in benchmarks/README.md: four candidates that differ
# only in their antenna mixing (configs/studies/arraynet/arraynet-{none,dense,attention,
# pooled}.yaml) train side by side, one CPU thread each, for 8 minutes of wall time (each
# run is stopped there and keeps its best epoch so far), then are evaluated with
# sims/arraynet_eval.py on the same held-out UMi 16-port grids against ls-linear,
# lmmse-adaptive, lmmse-kron fitted on a separate training set, and genie-paths. A stopped run is not resumed (its budget is spent);
# delete runs/arraynet-<mixing>/ to train it again.
# Budget: about 8 minutes of training plus the data and evaluation (~10 minutes) on 2 cores.
# Usage: bash sims/arraynet_candidates.sh [OUT_DIR]   (run from the repository root)
set -euo pipefail
out=${1:-results/arraynet-candidates}
py=${PYTHON:-python}
mkdir -p data/arrays
simulate() {  # config seed grids part
  local f=data/arrays/$1-$4.h5
  [ -f "$f" ] || OMP_NUM_THREADS=1 $py cli.py simulate --config "configs/arrays/$1.yaml" \
    --seed "$2" -n "$3" -o "$f" --device cpu
}
simulate umi-panel16 1001 1024 train
simulate umi-panel16 1002 128 val
simulate umi-panel16 1003 128 test
nets=()
for mixing in none dense attention pooled; do
  name=arraynet-$mixing
  nets+=("ckpt:runs/$name/best")
  [ -d "runs/$name" ] && continue
  OMP_NUM_THREADS=1 timeout 480 $py cli.py train --device cpu --quiet \
    --config "configs/studies/arraynet/$name.yaml" || [ $? -eq 124 ] &
done
wait
$py sims/arraynet_eval.py --out "$out" \
  --test umi-panel16=data/arrays/umi-panel16-test.h5:data/arrays/umi-panel16-train.h5 \
  --nets "$(IFS=,; echo "${nets[*]}")"
