#!/usr/bin/env bash
# VehA study on a CPU budget (about 40 min on 2 cores): ReEsNet and CENet trained over
# SNR 0-30 dB, ChannelNet at 22 dB (the paper's two stages, few grids), evaluated with the
# classical baselines and the genie bound on one 7000-grid test set; NMSE-vs-SNR figure.
# Usage: bash sims/veha_cpu.sh [OUT_DIR]   (run from the repository root)
set -euo pipefail
out=${1:-results/veha-cpu}
mkdir -p "$out"
for exp in reesnet-veha cenet-veha channelnet-veha-22db; do
  name=$(python -c "from chanest.training.experiment import load_experiment as l; print(l('configs/experiments/cpu/$exp.yaml').name)")
  if [ -f "runs/$name/last.json" ]; then resume=--resume; else resume=; fi
  python cli.py train --config "configs/experiments/cpu/$exp.yaml" --device cpu $resume
done
[ -f "$out/test.h5" ] || python cli.py simulate --config configs/channelnet-veha.yaml -n 7000 --out "$out/test.h5"
python cli.py evaluate --data "$out/test.h5" --out "$out" --device cpu --estimators \
  ls-linear,ls-rbf,lmmse-robust,lmmse-separable,lmmse,genie-lmmse,ckpt:runs/reesnet-veha-cpu/best,ckpt:runs/cenet-veha-cpu/best,ckpt:runs/channelnet-veha-22db-cpu/best
python cli.py plot "$out/results.csv" --out "$out/nmse"
