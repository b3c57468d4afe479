#!/usr/bin/env bash
# The GPU numbers of docs/performance.md, in one call of a GPU machine (the study end to end at the archive's size,
# the extractor's decoding workers, fp32 against native bf16):
#
#     bash benchmarks/gpu_run.sh REAL_DIR OUT_DIR
#
# REAL_DIR holds data.csv, groups.csv and emotifymusic/<genre>/<n>.mp3 (the 40 real clips will do:
# ids 1..PER_GENRE of every genre are linked to them in turn, see benchmarks/study_times.py
# --replicate). PER_GENRE (default 100) and CORES (default: all) may be set in the environment.
# Every step is timed and bounded on its own, so that one failing step leaves the others' numbers.
set -uo pipefail
mkdir -p "$2"
REAL=$(realpath "$1")
OUT=$(realpath "$2")
PER_GENRE=${PER_GENRE:-100}
CORES=${CORES:-$(nproc)}
WORK=${WORK:-/tmp/emotify_gpu_study}
HERE=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONUNBUFFERED=1
cd "$HERE" || exit 1
rm -rf "$WORK"  # a warm machine's earlier try must not turn this into a partial rerun
DEVICE=$(python3 -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')

{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
    echo "cores: $(nproc); device: $DEVICE"
    lscpu | grep -E '^Model name' || true
    df -h /dev/shm | tail -1
    python3 -c 'import sys, torch, numpy, pandas, sklearn, scipy, h5py, librosa, snakemake
print(sys.version.split()[0], "torch", torch.__version__, "numpy", numpy.__version__, "pandas", pandas.__version__,
      "sklearn", sklearn.__version__, "scipy", scipy.__version__, "h5py", h5py.__version__,
      "librosa", librosa.__version__, "snakemake", snakemake.__version__)' || echo "IMPORT FAILED"
} 2>&1 | tee "$OUT/machine.txt"
if grep -q "IMPORT FAILED" "$OUT/machine.txt"; then
    echo "the workflow's packages are missing (pip install -r requirements.txt)" >&2
    exit 1
fi

echo "== the study, $((4 * PER_GENRE)) ids, $CORES cores" | tee "$OUT/study.txt"
timeout "${STUDY_TIMEOUT:-400}" python3 benchmarks/study_times.py --work "$WORK" --real "$REAL" \
    --replicate "$PER_GENRE" --cores "$CORES" --forward-clips 40 \
    --extra "features={num_workers: $((CORES - 1))}" 2>&1 | tee -a "$OUT/study.txt"
echo "exit status: ${PIPESTATUS[0]} (124: timed out)" | tee -a "$OUT/study.txt"
tar -czf "$OUT/study_results.tar.gz" -C "$WORK" results/benchmarks results/tables logs .snakemake/log \
    results/summary.md 2>/dev/null

echo "== fp32 against bf16 on the real clips, $DEVICE" | tee "$OUT/precision.txt"
timeout "${PRECISION_TIMEOUT:-120}" python3 benchmarks/precision.py --data "$REAL" --device "$DEVICE" \
    --workers "$((CORES - 1))" --threads "$CORES" 2>&1 | tee -a "$OUT/precision.txt"
echo "exit status: ${PIPESTATUS[0]}" | tee -a "$OUT/precision.txt"

echo "== the extractor's decoding workers, $((4 * PER_GENRE)) clips" | tee "$OUT/extract.txt"
for workers in 4 8 $((CORES - 1)); do
    timeout "${EXTRACT_TIMEOUT:-60}" python3 benchmarks/extract.py --modes pipeline --workers "$workers" \
        --threads "$CORES" --n "$((4 * PER_GENRE))" --clips "$WORK/realdata/emotifymusic/*/*.mp3" \
        >"$OUT/extract_$workers.log" 2>&1
    echo "workers $workers, exit status $? (124: timed out): $(tail -1 "$OUT/extract_$workers.log")" |
        tee -a "$OUT/extract.txt"
done
