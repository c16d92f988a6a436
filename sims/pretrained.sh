#!/usr/bin/env bash
# Retrain every shipped model from scratch and reproduce its numbers: trains
# configs/experiments/pretrained/*.yaml (resuming an interrupted run), copies each best
# checkpoint into chanest/pretrained/ with its model card (budget from log.csv), then
# evaluates every shipped model against the baselines (sims/pretrained_eval.py; the
# joint-antenna model on stored array test sets with sims/arraynet_eval.py).
# Same config and seed give the same weights on a given device type.
# Budget: about 50 + 95 + 40 minutes, one CPU thread each (side by side on 2 cores).
# Usage: bash sims/pretrained.sh [OUT_DIR]   (run from the repository root)
set -euo pipefail
out=${1:-results/pretrained}
py=${PYTHON:-python}
device=${DEVICE:-cpu}
names=(cenet-lte-mixture cenet-nr-dmrs arraynet-umi-panel16)
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
mkdir -p data/arrays
for spec in "umi-panel16 1001 1024 train" "umi-panel16 1003 128 test" \
            "cdl-ula16 2001 512 fit" "cdl-ula16 2003 128 test"; do
  set -- $spec
  [ -f "data/arrays/$1-$4.h5" ] || $py cli.py simulate --config "configs/arrays/$1.yaml" \
    --seed "$2" -n "$3" -o "data/arrays/$1-$4.h5" --device "$device"
done
$py sims/arraynet_eval.py --out "$out/arraynet" --nets pretrained:arraynet-umi-panel16 \
  --test umi-panel16=data/arrays/umi-panel16-test.h5:data/arrays/umi-panel16-train.h5 \
  --test cdl-ula16=data/arrays/cdl-ula16-test.h5:data/arrays/cdl-ula16-fit.h5
