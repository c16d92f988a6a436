#!/usr/bin/env bash
# Retrain every shipped model from scratch and reproduce its numbers: trains
# configs/experiments/pretrained/*.yaml (resuming an interrupted run), copies each best
# checkpoint into chanest/pretrained/ with its model card (budget from log.csv), then
# evaluates every shipped model against the baselines (sims/pretrained_eval.py).
# Same config and seed give the same weights on a given device type.
# Budget: about 50 + 95 minutes, one CPU thread each (the two run side by side on 2 cores).
# Usage: bash sims/pretrained.sh [OUT_DIR]   (run from the repository root)
set -euo pipefail
out=${1:-results/pretrained}
py=${PYTHON:-python}
device=${DEVICE:-cpu}
names=(cenet-lte-mixture cenet-nr-dmrs)
for name in "${names[@]}"; do
  cfg=configs/experiments/pretrained/$name.yaml
  if [ -f "runs/$name/last.json" ]; then resume=--resume; else resume=; fi
  OMP_NUM_THREADS=1 $py cli.py train --config "$cfg" --device "$device" --quiet $resume &
done
wait
for name in "${names[@]}"; do
  $py - "$name" "$device" <<'PY'
import sys
from chanest.pretrained import machine, ship
name, device = sys.argv[1], sys.argv[2]
info = ship(f"runs/{name}", name,
            command=f"python cli.py train --config configs/experiments/pretrained/{name}.yaml",
            device=f"{device}, 1 thread (OMP_NUM_THREADS=1)" + machine())
print(name, info["budget"], "val NMSE", info["val_nmse_db"], "dB")
PY
done
$py sims/pretrained_eval.py --out "$out"
