#!/usr/bin/env python3
"""Instructions per request, counted by callgrind (this VM's `perf` has no
hardware counters; callgrind's counts do not depend on what else runs).

For each command (GET, SET) and each process under test, one server is
started with that process under `valgrind --tool=callgrind` and the others
native: redis-server alone; shardis's proxy (1 worker, 2 shards started by
the proxy, which run native since valgrind does not follow children); or
shardis's shards (2 shards started apart, both under callgrind, the
proxy attached to them with `--attach`; their counts are summed). The counters are zeroed after a warm-up run, a
`redis-benchmark -c 50 -r 100000 -d 32 -P 16` run follows, and the dump's
total instructions are divided by the requests. The counts include all the
process does meanwhile: the shard's spinning between batches,
redis-server's event loop.

Run through `ops/bench --cpu` (or directly with --proxy-bin).
"""

import argparse
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (WORKLOADS, Server, emit, free_port, now_utc,  # noqa: E402
                   run_benchmark, start_redis, start_shardis, wait_port)

TOTALS = re.compile(r"^(?:summary|totals):\s+(\d+)", re.M)
# EVALSHA1: a 1-call script (as `ops/bench --scripts`' 1-call one),
# loaded with SCRIPT LOAD before the runs.
SCRIPT_1CALL = "return redis.call('set', KEYS[1], ARGV[1])"
# Valgrind slows a process about 50-fold: generous waits.
START_DEADLINE_S = 300.0


def callgrind(out_file):
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"]


def start_attached(tmp, proxy_bin, prefixes, appendonly="no"):
    """One shard started apart under each prefix, the proxy attached."""
    procs, socks = [], []
    data = tempfile.mkdtemp(prefix="shardis-shards-", dir=tmp)
    for i, prefix in enumerate(prefixes):
        d = os.path.join(data, f"shard-{i}")
        cmd = list(prefix) + [proxy_bin, "shard", "--id", str(i), "--dir", d,
                                            "--appendonly", appendonly]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                      stderr=open(os.path.join(tmp, f"shard-{i}.log"), "w")))
        socks.append(os.path.join(d, "shard.sock"))
    deadline = time.time() + START_DEADLINE_S
    while not all(os.path.exists(s) for s in socks):
        if time.time() > deadline or any(p.poll() is not None for p in procs):
            Server("shards", 0, procs).stop()
            raise RuntimeError("the shards did not start")
        time.sleep(0.05)
    port = free_port()
    # Its slot map goes with the shards, not into the working directory.
    proxy = subprocess.Popen([proxy_bin, "--port", str(port), "--workers", "1", "--dir", data,
                              "--attach", ",".join(socks)], stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(tmp, "proxy.log"), "w"))
    server = Server("shardis", port, [proxy] + procs)
    try:
        wait_port(port, deadline_s=START_DEADLINE_S, proc=proxy)
    except RuntimeError:
        server.stop()
        raise
    return server, [p.pid for p in procs]


def dump_total(pid, out_file, keep=None):
    """Dumps `pid`'s counters and returns the dump's total instructions;
    with `keep`, the dump is copied to that path (for callgrind_annotate)."""
    before = set(os.listdir(os.path.dirname(out_file)))
    subprocess.run(["callgrind_control", "-d", str(pid)], capture_output=True, timeout=300)
    deadline = time.time() + 120
    while time.time() < deadline:
        new = [f for f in set(os.listdir(os.path.dirname(out_file))) - before
               if f.startswith(os.path.basename(out_file))]
        for f in new:
            with open(os.path.join(os.path.dirname(out_file), f)) as fh:
                m = TOTALS.search(fh.read())
            if m:
                if keep:
                    shutil.copyfile(os.path.join(os.path.dirname(out_file), f), keep)
                return int(m.group(1))
        time.sleep(0.2)
    raise RuntimeError(f"no callgrind dump from pid {pid}")


def script_load(port, body):
    """SCRIPT LOAD of `body` on the server at `port`; its sha."""
    enc = b"*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$%d\r\n%s\r\n" % (len(body), body.encode())
    with socket.create_connection(("127.0.0.1", port), timeout=60) as c:
        c.sendall(enc)
        reply = b""
        while reply.count(b"\r\n") < 2:
            chunk = c.recv(4096)
            if not chunk:
                break
            reply += chunk
    sha = reply.split(b"\r\n")[1].decode()
    if sha != hashlib.sha1(body.encode()).hexdigest():
        raise RuntimeError(f"SCRIPT LOAD answered {reply!r}")
    return sha


# Workloads loadgen runs (16 operations in flight per connection):
# TX2, MULTI with 2 SETs on one hash tag and EXEC; TX2S, the same with
# keys on different shards; RENAME, a RENAME and its way back between two
# names on different shards.
LOADGEN = {
    "TX2": ["--workload", "tx", "--tx-sets", "2", "--spread", "0"],
    "TX2S": ["--workload", "tx", "--tx-sets", "2", "--spread", "1"],
    "RENAME": ["--workload", "rename", "--spread", "1"],
}


def run_loadgen(a, port, workload, n):
    """`n` operations of `workload` (one of LOADGEN) with loadgen."""
    if not a.loadgen_bin:
        raise RuntimeError(f"{workload} needs --loadgen-bin (cargo build --release -p benches)")
    subprocess.run([a.loadgen_bin, "--port", str(port), "--conns", str(a.clients),
                    "--requests", str(n), "--pipeline", "16", "--seconds", "900"]
                   + LOADGEN[workload], check=True, capture_output=True, timeout=1200)


def measure(a, tmp, target, workload):
    outs = [os.path.join(tempfile.mkdtemp(prefix="cg-", dir=tmp), "callgrind.out")
            for _ in range(2)]
    if target == "redis-server":
        s = start_redis(tmp, "redis", prefix=callgrind(outs[0]), deadline_s=START_DEADLINE_S)
        pids = [s.procs[0].pid]
    elif target == "proxy":
        s = start_shardis(tmp, a.proxy_bin, 2, 1, prefix=callgrind(outs[0]),
                          deadline_s=START_DEADLINE_S)
        pids = [s.procs[0].pid]
    else:
        s, pids = start_attached(tmp, a.proxy_bin, [callgrind(o) for o in outs], a.appendonly)
    try:
        # Warm-up: the keys exist and every path has run once.
        run_benchmark(s, "SET", 16, a.n // 10, a.clients, a.keyspace, a.size)
        if workload == "EVALSHA1":
            body = SCRIPT_1CALL
            if a.script_bytes > len(body):
                # A comment line in front: the size of a job queue's script.
                body = "-- " + "x" * (a.script_bytes - len(body) - 4) + "\n" + body
            sha = script_load(s.port, body)
            WORKLOADS["EVALSHA1"] = ["evalsha", sha, "1", "key:__rand_int__", "x" * a.size]
            run_benchmark(s, "EVALSHA1", 16, a.n // 10, a.clients, a.keyspace, a.size)
        if workload in LOADGEN:
            run_loadgen(a, s.port, workload, a.n // 10)
        for pid in pids:
            subprocess.run(["callgrind_control", "-z", str(pid)], capture_output=True,
                           timeout=300)
        if workload in LOADGEN:
            run_loadgen(a, s.port, workload, a.n)
        else:
            run_benchmark(s, workload, 16, a.n, a.clients, a.keyspace, a.size)
        keeps = [None] * len(pids)
        if a.keep:
            os.makedirs(a.keep, exist_ok=True)
            keeps = [os.path.join(a.keep, f"{workload}-{target}-{i}.callgrind")
                     for i in range(len(pids))]
        return sum(dump_total(pid, out, k) for pid, out, k in zip(pids, outs, keeps)) / a.n
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy-bin", required=True)
    ap.add_argument("-n", type=int, default=100_000, help="requests per measured run")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keyspace", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--workloads", default="GET,SET",
                    help="redis-benchmark's GET, SET, INCR...; EVALSHA1 (a 1-call script); "
                         "TX2 (MULTI, 2 SETs on one shard, EXEC), TX2S (the same over "
                         "two shards) and RENAME (across shards and back), with "
                         "--loadgen-bin")
    ap.add_argument("--loadgen-bin", help="for TX2, TX2S and RENAME")
    ap.add_argument("--appendonly", choices=["no", "yes"], default="no",
                    help="the shards' log (yes: appendfsync everysec, the default start's)")
    ap.add_argument("--script-bytes", type=int, default=0,
                    help="EVALSHA1's script padded to this many bytes with a comment")
    ap.add_argument("--targets", default="proxy,shard,redis-server",
                    help="which processes to count (a subset of proxy,shard,redis-server)")
    ap.add_argument("--keep", metavar="DIR",
                    help="keep each dump as DIR/WORKLOAD-TARGET-N.callgrind "
                         "(read with callgrind_annotate)")
    ap.add_argument("--out")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="shardis-profile-")
    workloads = a.workloads.split(",")
    res = {}
    for wl in workloads:
        for target in a.targets.split(","):
            res[(target, wl)] = measure(a, tmp, target, wl)
            print(f"{wl:5} {target:13} {res[(target, wl)]:10.0f} instructions/request",
                  file=sys.stderr, flush=True)
    lines = [f"Run of {now_utc()}: callgrind, redis-benchmark -c {a.clients} -n {a.n} "
             f"-r {a.keyspace} -d {a.size} -P 16; shardis with 2 shards and 1 worker.", "",
             "| instructions per request, P16 | " + " | ".join(workloads) + " |",
             "| --- |" + " --- |" * len(workloads)]
    rows = (("shardis proxy (1 worker)", ("proxy",)),
            ("shardis shards", ("shard",)),
            ("shardis total", ("proxy", "shard")),
            ("redis-server", ("redis-server",)))
    for name, targets in rows:
        if all((t, w) in res for t in targets for w in workloads):
            lines.append(f"| {name} | " + " | ".join(
                f"{sum(res[(t, w)] for t in targets):,.0f}" for w in workloads) + " |")
    emit(lines, a.out)


if __name__ == "__main__":
    main()
