#!/usr/bin/env bash
# Start a real single-node SLURM cluster on this machine for the tests (run as root).
# Usage: start_cluster.sh STATE_DIR   -> writes /etc/slurm/slurm.conf (a copy in STATE_DIR).
# Installs Debian's slurm-wlm and munge when missing. Stop it with stop_cluster.sh STATE_DIR.
set -euo pipefail
state=$(realpath -m "${1:?usage: start_cluster.sh STATE_DIR}")
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi
mkdir -p "$state"/{spool,ctld,log,run}
# munge: a key, a running daemon, and a round trip
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n | unmunge >/dev/null
host=$(hostname -s)
# The node is declared at least as large as the biggest job of profiles/slurm (8 CPUs, 32 GB),
# so that the shipped profile's requests are accepted as they are; SlurmdParameters=
# config_overrides keeps slurmd from draining a node smaller than declared (jobs share the real
# cores; nothing enforces memory with task/none).
cpus=$(( $(nproc) > 8 ? $(nproc) : 8 ))
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
mem=$(( mem > 40000 ? mem : 40000 ))
# Jobs call srun, which reads the default /etc/slurm/slurm.conf: write it there (only if
# absent or written by this script before), and keep a copy in STATE_DIR.
conf=/etc/slurm/slurm.conf
if [ -e "$conf" ] && ! grep -q '^# emotify-pipeline test cluster' "$conf"; then
  echo "$conf exists and was not written by this script; not touching it" >&2
  exit 1
fi
mkdir -p /etc/slurm
cat > "$state/slurm.conf" <<CONF
# emotify-pipeline test cluster (tests/slurm/start_cluster.sh)
ClusterName=emotify-test
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldPort=$(( 6817 + RANDOM % 1000 ))
SlurmdPort=$(( 7817 + RANDOM % 1000 ))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
SlurmdParameters=config_overrides
MpiDefault=none
SchedulerType=sched/backfill
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
cp "$state/slurm.conf" "$conf"
export SLURM_CONF="$conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed)'; then
    echo "SLURM up: $SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "SLURM did not come up; logs in $state/log" >&2
exit 1
