#!/usr/bin/env python3
"""shardis as a cache beside redis-server:
`maxmemory 100mb` with `allkeys-lru` and `allkeys-lfu`, a cache-aside load
(GET, then SET on a miss) of Zipf-distributed keys (s = 0.99) whose 1 KB
values add up to ten times the limit, the same trace on every server.

Reported per server and policy: the hit ratio after the first third of
the trace (the warm-up), the throughput of the whole replay (GETs and the
SETs of the misses, which evict at the limit, per second), and the peak
resident memory of all the server's processes (PSS) next to what they held
empty.

Run: `cargo build --release -p proxy` then
`python3 benches/cache.py --proxy-bin target/release/proxy`
(`--scale 0.2` for a quicker run).
"""

import argparse
import os
import platform
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import emit, now_utc, start_redis, start_shardis  # noqa: E402
from memory import resp  # noqa: E402


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def send(self, data):
        self.s.sendall(data)

    def read(self):
        line = self.f.readline()
        t = line[:1]
        if t == b"$":
            n = int(line[1:-2])
            if n < 0:
                return None
            return self.f.read(n + 2)[:-2]
        if t == b"-":
            raise RuntimeError(line.decode().strip())
        return line[1:-2]


def zipf_trace(keys, ops, s=0.99, seed=7):
    import bisect
    import random
    cdf, total = [], 0.0
    for rank in range(1, keys + 1):
        total += 1.0 / rank ** s
        cdf.append(total)
    rng = random.Random(seed)
    return [min(bisect.bisect_left(cdf, rng.random() * total), keys - 1) for _ in range(ops)]


def replay(port, trace, value, batch=500, sample=None):
    c = Conn(port)
    warm = len(trace) // 3
    hits = gets = 0
    t0 = time.monotonic()
    for i in range(0, len(trace), batch):
        chunk = trace[i:i + batch]
        c.send(b"".join(resp(b"GET", b"key:%d" % r) for r in chunk))
        got = [c.read() for _ in chunk]
        misses = [r for r, v in zip(chunk, got) if v is None]
        if misses:
            c.send(b"".join(resp(b"SET", b"key:%d" % r, value) for r in misses))
            for _ in misses:
                c.read()
        if i >= warm:
            gets += len(chunk)
            hits += len(chunk) - len(misses)
        if sample:
            sample()
    secs = time.monotonic() - t0
    return hits / max(gets, 1), len(trace) / secs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy-bin", required=True)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--maxmemory-mb", type=int, default=100)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the operations")
    ap.add_argument("--out")
    a = ap.parse_args()
    value = b"v" * 1000
    keys = a.maxmemory_mb * 1024 * 1024 * 10 // len(value)
    ops = int(2_000_000 * a.scale)
    trace = zipf_trace(keys, ops)
    tmp = tempfile.mkdtemp(prefix="shardis-cache-")
    starters = [("redis-server", lambda: start_redis(tmp, "redis")),
                ("shardis", lambda: start_shardis(tmp, a.proxy_bin, a.shards, 0))]
    rows = []
    for policy in ("allkeys-lru", "allkeys-lfu"):
        for name, start in starters:
            s = start()
            try:
                c = Conn(s.port)
                c.send(resp(b"CONFIG", b"SET", b"maxmemory", b"%dmb" % a.maxmemory_mb,
                            b"maxmemory-policy", policy.encode()))
                c.read()
                time.sleep(0.5)
                empty = s.rss_bytes()
                peak = [empty]
                tick = [0]

                def sample():
                    tick[0] += 1
                    if tick[0] % 20 == 0:
                        peak[0] = max(peak[0], s.rss_bytes())
                ratio, rate = replay(s.port, trace, value, sample=sample)
                peak[0] = max(peak[0], s.rss_bytes())
                rows.append((policy, name, ratio, rate, empty, peak[0]))
                print(f"{policy} {name:13} hit ratio {ratio:.3f}  {rate:9.0f} ops/s  "
                      f"resident empty {empty >> 20} MB, peak {peak[0] >> 20} MB",
                      file=sys.stderr, flush=True)
            finally:
                s.stop()
    lines = [f"Run of {now_utc()} on {platform.node()}: maxmemory {a.maxmemory_mb} MB, "
             f"{keys} keys of 1000-byte values (10x), {ops} GETs, Zipf s=0.99, "
             f"shardis with {a.shards} shards.", "",
             "| policy | server | hit ratio | ops/s | resident empty MB | resident peak MB | "
             "peak - empty over maxmemory |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for policy, name, ratio, rate, empty, peak in rows:
        lines.append(f"| {policy} | {name} | {ratio:.3f} | {rate:.0f} | {empty >> 20} | "
                     f"{peak >> 20} | {(peak - empty) / (a.maxmemory_mb << 20):.2f}x |")
    emit(lines, a.out)


if __name__ == "__main__":
    main()
