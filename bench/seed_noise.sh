#!/usr/bin/env bash
# Run-to-run noise of the demo's training: three of its sizes (d12, d24, d40 at their
# config.yaml LRs, 2 layers, 64 x 16 tokens a step), four seeds each, one 1-sqrt WSD run
# to 20 tokens per non-embedding parameter, validation loss on 65,536 tokens. Prints each
# size's losses and their standard deviation: the per-run offset bench/calibrate.py needs.
#   bash bench/seed_noise.sh            # seeds vary the init and the batch order
#   bash bench/seed_noise.sh init       # the init only (batch order seed 0, as the workflow)
set -euo pipefail
cd "$(dirname "$0")/.."
SL=.venv/bin/scalinglaws
MODE=${1:-both}
W=${SEED_NOISE_DIR:-results/seed_noise}/$MODE
mkdir -p "$W"
[ -f "$W/../data/meta.json" ] || $SL prepare-data --out "$W/../data" --val-fraction 0.05 > /dev/null
for spec in "12 68 0.032" "24 248 0.008" "40 781 0.008"; do   # d_model, steps (20 tokens/param), LR
  set -- $spec
  for s in 0 1 2 3; do
    data_seed=$s; [ "$MODE" = init ] && data_seed=0
    $SL train --data "$W/../data" --out "$W/d$1_s$s" --d-model "$1" --n-layers 2 --n-heads 2 --ffn-multiple-of 8 \
      --seq-len 64 --batch-size 16 --lr "$3" --seed $s --data-seed $data_seed --schedule wsd --total-steps "$2" \
      --warmup-steps 10 --cooldown-fraction 0.2 --shape 1-sqrt --no-progress --threads 1 \
      --eval-out "$W/d$1_s$s.json" --eval-tokens 65536 > /dev/null &
    if [ $((s % 2)) = 1 ]; then wait; fi   # two runs at a time on two cores
  done
done
.venv/bin/python - "$W" <<'PY'
import json, re, statistics, sys
from pathlib import Path
by = {}
for f in sorted(Path(sys.argv[1]).glob("d*_s*.json")):
    by.setdefault(int(re.match(r"d(\d+)_s", f.name).group(1)), []).append(json.loads(f.read_text())["val_loss"])
for d, v in sorted(by.items()):
    sd = statistics.stdev(v)
    print(f"d{d}: {' '.join(f'{x:.4f}' for x in v)}  sd {sd:.4f} ({100 * sd / statistics.mean(v):.2f}%)")
PY
