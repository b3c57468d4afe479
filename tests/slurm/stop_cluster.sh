#!/usr/bin/env bash
# Stop the daemons start_cluster.sh started (by their pid files).
state=$(realpath -m "${1:?usage: stop_cluster.sh STATE_DIR}")
for name in slurmd slurmctld; do
  pidfile="$state/run/$name.pid"
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
exit 0
