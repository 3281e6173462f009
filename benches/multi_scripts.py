#!/usr/bin/env python3
"""MULTIs of scripts that each write their own undeclared key (a bulk add
of jobs without a hash tag), against a running server.

Usage: python3 benches/multi_scripts.py --port PORT [--multis 20] [--scripts 100]

Each MULTI (redis-py's transactional pipeline) queues SCRIPTS EVALSHAs
of one script: INCR of the id counter, HSET of `job:<id>` (not in KEYS,
in any slot), LPUSH of the id on the wait list, XADD on the events
stream with `MAXLEN ~ 10000`. Prints the seconds for MULTIS MULTIs, three
times, and on shardis the ring requests per MULTI (INFO stats; 0
elsewhere). Start shardis with `--colocate-after 0` to keep the queue's
keys where the first split put them. The server is flushed first: never
point it at data you keep. Only 127.0.0.1; every loop is bounded.
"""
import argparse
import time

import redis

ADD = """
local id = redis.call('INCR', KEYS[1])
redis.call('HSET', 'job:' .. id, 'data', ARGV[1], 'ts', '1')
redis.call('LPUSH', KEYS[2], id)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', '10000', '*', 'event', 'added', 'jobId', id)
return id
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--multis", type=int, default=20)
    ap.add_argument("--scripts", type=int, default=100)
    a = ap.parse_args()
    r = redis.Redis(host="127.0.0.1", port=a.port)
    r.flushall()
    sha = r.script_load(ADD)
    for rep in range(3):
        before = r.info("stats").get("shardis_ring_requests", 0)
        t = time.perf_counter()
        for _ in range(a.multis):
            p = r.pipeline(transaction=True)
            for _ in range(a.scripts):
                p.evalsha(sha, 3, "q:id", "q:wait", "q:events", "x" * 50)
            p.execute()
        dt = time.perf_counter() - t
        after = r.info("stats").get("shardis_ring_requests", 0)
        print(
            f"port {a.port} run {rep}: {dt:.3f} s for {a.multis} MULTIs of {a.scripts} scripts; "
            f"ring requests per MULTI {(after - before) / a.multis:.0f}"
        )


if __name__ == "__main__":
    main()
