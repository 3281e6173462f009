#!/usr/bin/env python3
"""Workers taking jobs from one untagged queue, against a running server.

Usage: python3 benches/queue_pops.py --port PORT [-n JOBS] [--clients C]

Each of C clients (threads, one connection each) calls, one call at a
time, a script that moves the next job id from a wait list to an active
list (RPOPLPUSH of its KEYS, on one shard) and marks that job's hash, an
undeclared key in any slot: BullMQ's moveToActive in miniature. Which job
a call takes depends on what the others took, so on several shards a
call's one-shard try and its transaction may take different jobs, and
the transaction's round strays again (the path of a round put back with
its locks kept). Prints calls per second and, on shardis, ring rounds,
ring requests and straying rounds per call (INFO stats; 0 elsewhere).
The server is flushed first: never point it at data you keep. Only
127.0.0.1; every loop is bounded by JOBS.
"""
import argparse
import threading
import time

import redis

TAKE = """
local id = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
if not id then return false end
redis.call('HSET', 'job:' .. id, 'state', 'active')
return tonumber(id)
"""


def stats(r):
    i = r.info("stats")
    return [i.get(k, 0) for k in ("shardis_ring_rounds", "shardis_ring_requests", "shardis_stray_rounds")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-n", type=int, default=4000)
    ap.add_argument("--clients", type=int, default=8)
    a = ap.parse_args()
    r = redis.Redis(host="127.0.0.1", port=a.port)
    r.flushall()
    wait, active = "q:wait", "q:active"
    r.rpush(wait, *range(a.n))
    sha = r.script_load(TAKE)
    per = a.n // a.clients

    def work():
        c = redis.Redis(host="127.0.0.1", port=a.port)
        for _ in range(per):
            c.evalsha(sha, 2, wait, active)

    before = stats(r)
    t = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(a.clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    dt = time.perf_counter() - t
    after = stats(r)
    calls = per * a.clients
    taken = r.llen(active)
    assert taken == calls, f"{taken} jobs active after {calls} calls"
    d = [(x - y) / calls for x, y in zip(after, before)]
    print(
        f"port {a.port}: {calls / dt:.0f} calls/s; per call: ring rounds {d[0]:.2f}, "
        f"ring requests {d[1]:.2f}, straying rounds {d[2]:.2f}"
    )


if __name__ == "__main__":
    main()
