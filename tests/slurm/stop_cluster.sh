#!/usr/bin/env bash
# Stop the daemons start_cluster.sh started (by their pid files) and remove the
# /etc/slurm/slurm.conf it wrote: left behind, it makes every SLURM client call (the Snakemake
# SLURM plugin makes some at import) wait for a controller that is gone.
state=$(realpath -m "${1:?usage: stop_cluster.sh STATE_DIR}")
for name in slurmd slurmctld; do
  pidfile="$state/run/$name.pid"
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
conf=/etc/slurm/slurm.conf
if [ -f "$conf" ] && grep -q '^# emotify-pipeline test cluster' "$conf"; then
  rm -f "$conf"
fi
exit 0
