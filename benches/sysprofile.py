#!/usr/bin/env python3
"""Where a request's time goes, in kernel terms: syscalls, context
switches (voluntary and involuntary), wake-ups sent and received, and
moves between CPUs, per request, for shardis's proxy and its shards next
to redis-server (and valkey, with --valkey-bin), plus the requests a
shard gets per ring round (the proxy's `shardis_ring_requests /
shardis_ring_rounds`).

For each server and workload, the server is started, warmed up with SETs,
then `perf stat --per-thread` (syscalls: `raw_syscalls:sys_enter`,
wake-ups sent: `sched:sched_wakeup`, counted in the waker's thread) is
attached to every thread of every process while one `redis-benchmark
-c 50 -r 100000 -d 32 -P P` run goes; voluntary and involuntary switches
and CPU time (user + system) come from `/proc/TID/status` and
`/proc/TID/stat` before and after the run, migrations from perf's
`cpu-migrations`. A voluntary switch is a sleep, so it is also a
wake-up received. Counts are totals over the run divided by its requests:
they include everything the processes did meanwhile (a shard's timers,
the proxy's clock thread).

Run through `ops/bench --profile` (or directly with --proxy-bin). Needs
`perf` (Debian's linux-perf) with tracepoints; without it the syscall
and wake-up columns say n/a.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (emit, now_utc, run_benchmark, start_redis,  # noqa: E402
                   start_shardis, start_valkey)

EVENTS = ["raw_syscalls:sys_enter", "sched:sched_wakeup", "cpu-migrations"]


def tids(pid):
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


TICK = os.sysconf("SC_CLK_TCK")


def thread_counts(pid, tid):
    """(voluntary, involuntary switches, CPU seconds) of one thread so far."""
    vol = invol = 0
    cpu = 0.0
    try:
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    vol = int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    invol = int(line.split()[1])
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        pass
    return vol, invol, cpu


def snapshot(roles):
    """{role: [vol, invol, cpu seconds]} summed over the roles' threads."""
    out = {}
    for role, pids in roles.items():
        tot = [0, 0, 0]
        for pid in pids:
            for tid in tids(pid):
                for i, v in enumerate(thread_counts(pid, tid)):
                    tot[i] += v
        out[role] = tot
    return out


PERF_LINE = re.compile(r"^(.*)-(\d+),([^,]*),[^,]*,([^,]+),")


def start_perf(pids, out_file):
    if not shutil.which("perf"):
        return None
    all_tids = [t for p in pids for t in tids(p)]
    cmd = ["perf", "stat", "-x", ",", "--per-thread", "-e", ",".join(EVENTS),
           "-t", ",".join(str(t) for t in all_tids), "-o", out_file]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return p if p.poll() is None else None


def stop_perf(p, out_file, roles):
    """{role: {event: count}} from perf's per-thread output."""
    if p is None:
        return None
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    role_of = {}
    for role, pids in roles.items():
        for pid in pids:
            for t in tids(pid):
                role_of[t] = role
    out = {role: {e: 0 for e in EVENTS} for role in roles}
    try:
        with open(out_file) as f:
            for line in f:
                m = PERF_LINE.match(line)
                if not m or not m.group(3).isdigit():
                    continue
                role = role_of.get(int(m.group(2)))
                if role and m.group(4) in out[role]:
                    out[role][m.group(4)] += int(m.group(3))
    except OSError:
        return None
    return out


def info_fields(port, names):
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "stats"], capture_output=True,
                         text=True, timeout=30).stdout
    vals = {}
    for line in out.splitlines():
        k, _, v = line.strip().partition(":")
        if k in names:
            vals[k] = int(v)
    return vals


def measure(a, tmp, name, workload, pipeline):
    if name == "redis-server":
        s = start_redis(tmp, "redis")
        roles = {"redis-server": [s.procs[0].pid]}
    elif name == "valkey":
        s = start_valkey(tmp, a.valkey_bin)
        roles = {"valkey": [s.procs[0].pid]}
    else:
        s = start_shardis(tmp, a.proxy_bin, a.shards, a.workers, extra=a.shardis_args)
        proxy = s.procs[0].pid
        roles = {"proxy": [proxy], "shards": [p for p in s.pids() if p != proxy]}
    try:
        run_benchmark(s, "SET", 16, max(a.n // 10, 10_000), a.clients, a.keyspace, a.size)
        ring = ("shardis_ring_rounds", "shardis_ring_requests")
        ring0 = info_fields(s.port, ring) if name == "shardis" else {}
        perf_out = os.path.join(tmp, f"perf-{name}-{workload}-{pipeline}.txt")
        perf = start_perf([p for ps in roles.values() for p in ps], perf_out)
        before = snapshot(roles)
        res = run_benchmark(s, workload, pipeline, a.n, a.clients, a.keyspace, a.size)
        after = snapshot(roles)
        counted = stop_perf(perf, perf_out, roles)
        ring1 = info_fields(s.port, ring) if name == "shardis" else {}
    finally:
        s.stop()
    rows = {}
    for role in roles:
        vol, invol, cpu = (after[role][i] - before[role][i] for i in range(3))
        row = {"vol": vol / a.n, "invol": invol / a.n, "cpu": cpu * 1e6 / a.n}
        if counted:
            row["sys"] = counted[role]["raw_syscalls:sys_enter"] / a.n
            row["wake"] = counted[role]["sched:sched_wakeup"] / a.n
            row["mig"] = counted[role]["cpu-migrations"] / a.n
        rows[role] = row
    batch = None
    if ring1:
        rounds = ring1[ring[0]] - ring0.get(ring[0], 0)
        reqs = ring1[ring[1]] - ring0.get(ring[1], 0)
        batch = reqs / rounds if rounds else None
    return res["rps"], res["p99"], rows, batch


def fmt(x, digits=2):
    return "n/a" if x is None else f"{x:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy-bin", required=True)
    ap.add_argument("--valkey-bin", help="a valkey-server to measure too")
    ap.add_argument("-n", type=int, default=300_000, help="requests per measured run")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keyspace", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--shards", type=int, default=0, help="0: the proxy's default")
    ap.add_argument("--workers", type=int, default=0, help="0: the proxy's default")
    ap.add_argument("--workloads", default="GET,SET")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--shardis-args", default="",
                    help="more proxy flags, space-separated (e.g. '--cpu-affinity none')")
    ap.add_argument("--out")
    a = ap.parse_args()
    a.shardis_args = a.shardis_args.split()
    tmp = tempfile.mkdtemp(prefix="shardis-sysprofile-")
    names = ["redis-server"] + (["valkey"] if a.valkey_bin else []) + ["shardis"]
    lines = [f"Run of {now_utc()}: redis-benchmark -c {a.clients} -n {a.n} -r {a.keyspace} "
             f"-d {a.size}; shardis {' '.join(a.shardis_args) or 'with its defaults'}"
             f"{f', {a.shards} shards' if a.shards else ''}"
             f"{f', {a.workers} workers' if a.workers else ''}. Per request: CPU time "
             "(user + system, from /proc), syscalls, voluntary / involuntary context switches, wake-ups sent, CPU migrations; "
             "batch = requests per request-ring publish.", "",
             "| workload | P | process | req/s | p99 ms | CPU us | syscalls | vol. switches | "
             "invol. switches | wake-ups sent | migrations | batch |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for wl in a.workloads.split(","):
        for pl in (int(p) for p in a.pipelines.split(",")):
            for name in names:
                rps, p99, rows, batch = measure(a, tmp, name, wl, pl)
                total = {k: sum(r.get(k, 0) for r in rows.values())
                         for k in ("cpu", "sys", "vol", "invol", "wake", "mig")}
                if len(rows) > 1:
                    rows = dict(rows, **{"shardis total": total})
                for role, r in rows.items():
                    first = role in ("redis-server", "valkey", "proxy")
                    lines.append(
                        f"| {wl} | {pl} | {role} | "
                        f"{f'{rps / 1000:.0f}k' if first else ''} | "
                        f"{fmt(p99) if first else ''} | {fmt(r['cpu'])} | {fmt(r.get('sys'))} | "
                        f"{fmt(r['vol'])} | {fmt(r['invol'])} | {fmt(r.get('wake'))} | "
                        f"{fmt(r.get('mig'), 3)} | "
                        f"{fmt(batch, 1) if role == 'proxy' else ''} |")
                print(lines[-1], file=sys.stderr, flush=True)
    emit(lines, a.out)


if __name__ == "__main__":
    main()
