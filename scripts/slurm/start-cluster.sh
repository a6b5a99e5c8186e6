#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine for ptb's live sweep tests.
#
# Why like this: these machines have no systemd (see feasibility.md §1a), so every daemon is
# started by hand. The node gets 2 fake GPUs (character devices with /dev/null's numbers), which is
# enough for Slurm to bind CUDA_VISIBLE_DEVICES per job. Accounting is off (no slurmdbd/MariaDB):
# ptb reads state from `squeue --json` and, for finished jobs, `scontrol show job`.
#
# Usage: scripts/slurm/start-cluster.sh        (root; idempotent: a running cluster is left alone)
# State:  $PTB_SLURM_STATE (default /tmp/ptb-slurm): pids.txt, fakegpu/, logs.
set -euo pipefail

STATE="${PTB_SLURM_STATE:-/tmp/ptb-slurm}"
NODE="$(hostname -s)"
CONF_DIR=/etc/slurm
mkdir -p "$STATE"

if [ "$(id -u)" != 0 ]; then
  echo "start-cluster.sh: must run as root (it installs packages and starts daemons)" >&2; exit 2
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "installing slurm-wlm and munge (apt-get)…" >&2
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq slurm-wlm munge >/dev/null
fi

# Already up? Then nothing to do (the live test may call this more than once).
if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
  echo "slurm already running on $NODE" >&2; exit 0
fi

# Fake GPUs: slurmd refuses regular files, character devices work.
mkdir -p "$STATE/fakegpu"
for i in 0 1; do
  [ -c "$STATE/fakegpu/nvidia$i" ] || { rm -f "$STATE/fakegpu/nvidia$i"; mknod "$STATE/fakegpu/nvidia$i" c 1 3; }
done

CPUS="$(nproc)"
MEM_MB="$(awk '/MemTotal/ {printf "%d", $2/1024*0.8}' /proc/meminfo)"
mkdir -p "$CONF_DIR"
cat > "$CONF_DIR/slurm.conf" <<CONF
# Written by ptb scripts/slurm/start-cluster.sh
ClusterName=ptb
SlurmctldHost=$NODE
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
GresTypes=gpu
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
DefMemPerCPU=500
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
KillWait=5
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SchedulerType=sched/backfill
NodeName=$NODE CPUs=$CPUS RealMemory=$MEM_MB Gres=gpu:fake:2 State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
cat > "$CONF_DIR/gres.conf" <<CONF
AutoDetect=off
NodeName=$NODE Name=gpu Type=fake File=$STATE/fakegpu/nvidia[0-1]
CONF

mkdir -p /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
chown munge:munge /run/munge
chown slurm:slurm /var/spool/slurmctld /var/log/slurm /run/slurm

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  su -s /bin/sh munge -c /usr/sbin/munged
fi
for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done

/usr/sbin/slurmctld
/usr/sbin/slurmd

for _ in $(seq 100); do
  if sinfo -h -o '%T' 2>/dev/null | grep -q '^idle'; then break; fi
  sleep 0.2
done
if ! sinfo -h -o '%T' 2>/dev/null | grep -q '^idle'; then
  echo "start-cluster.sh: node $NODE did not become idle; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
  sinfo >&2 || true; exit 1
fi

# PIDs for stop-cluster.sh (it stops exactly these, never by name).
{
  echo "slurmd $(cat /run/slurm/slurmd.pid)"
  echo "slurmctld $(cat /run/slurm/slurmctld.pid)"
  echo "munged $(cat /run/munge/munged.pid 2>/dev/null || true)"
} > "$STATE/pids.txt"
sinfo
