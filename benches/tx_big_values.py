#!/usr/bin/env python3
"""Cross-shard transactions and moves whose destination is a big value:
does their cost grow with it?

Against a running server (flushes it: use a throw-away one), with one
redis-py client, for destinations of 0, 10,000 and 100,000 elements:

- `MULTI; SADD {a}queues default; LPUSH {b}queue job; EXEC` (a job
  queue's push, the pattern of Sidekiq's client),
- `MULTI; ZADD {a}index now tag; HSET {b}unacked tag body; EXEC` (kombu's
  unacked bookkeeping),
- `SMOVE {a}src {b}dst member` and `LMOVE {a}src {b}dst LEFT RIGHT`,
- a script's `ZADD` on one shard (`EVALSHA` of `redis.call('ZADD',
  KEYS[1], ARGV[1], ARGV[2])` on `{b}done`, a job queue's completed set),
- `MULTI; LPUSH {b}feed item; LTRIM {b}feed 0 N-1; EXPIRE {b}feed 3600;
  INCR {a}count; EXEC` (a capped activity feed with a time to live),
- `MULTI; LREM {b}queue 1 job; SADD {a}done job; EXEC` (a reliable
  queue's acknowledgement of a job pushed by the first column),
- `MULTI; XADD {b}events * type job; INCR {a}seen; EXEC` (an event log
  and a counter).

`{a}` and `{b}` hash to slots 15495 and 3300: different shards whenever
shardis runs two or more (its default). Prints microseconds per operation,
the median of 3 runs of 200 operations each.

    python3 benches/tx_big_values.py PORT [PORT...]
"""

import statistics
import sys
import time

import redis

SIZES = (0, 10_000, 100_000)
OPS = 200
RUNS = 3


def load(r, n):
    """Destinations of `n` elements each, and fresh sources."""
    r.flushall()
    p = r.pipeline(transaction=False)
    for i in range(0, n, 1000):
        chunk = [f"old{j}" for j in range(i, min(n, i + 1000))]
        p.rpush("{b}queue", *chunk)
        p.rpush("{b}dst-list", *chunk)
        p.rpush("{b}feed", *chunk)
        for c in chunk:
            p.xadd("{b}events", {"type": c})
        p.sadd("{b}dst-set", *chunk)
        p.hset("{b}unacked", mapping={c: "x" * 32 for c in chunk})
        p.zadd("{a}index", {c: j for j, c in enumerate(chunk, start=i)})
        p.zadd("{b}done", {c: j for j, c in enumerate(chunk, start=i)})
    p.execute()


def timed(fn):
    """Median microseconds per call of fn(i) over RUNS runs of OPS calls."""
    per = []
    for run in range(RUNS):
        t = time.perf_counter()
        for i in range(OPS):
            fn(run * OPS + i)
        per.append((time.perf_counter() - t) / OPS * 1e6)
    return statistics.median(per)


def measure(port):
    r = redis.Redis(port=port)
    zadd = r.register_script("return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])")
    rows = []
    for n in SIZES:
        load(r, n)
        r.sadd("{a}src-set", *[f"m{i}" for i in range(OPS * RUNS)])
        r.rpush("{a}src-list", *[f"e{i}" for i in range(OPS * RUNS)])

        def push(i):
            p = r.pipeline(transaction=True)
            p.sadd("{a}queues", "default")
            p.lpush("{b}queue", f"job{i}")
            p.execute()

        def unacked(i):
            p = r.pipeline(transaction=True)
            p.zadd("{a}index", {f"tag{i}": time.time()})
            p.hset("{b}unacked", f"tag{i}", "x" * 32)
            p.execute()

        def feed(i):
            p = r.pipeline(transaction=True)
            p.lpush("{b}feed", f"item{i}")
            p.ltrim("{b}feed", 0, max(n, 1) - 1)
            p.expire("{b}feed", 3600)
            p.incr("{a}count")
            p.execute()

        def ack(i):
            p = r.pipeline(transaction=True)
            p.lrem("{b}queue", 1, f"job{i}")
            p.sadd("{a}done", f"job{i}")
            p.execute()

        def event(i):
            p = r.pipeline(transaction=True)
            p.xadd("{b}events", {"type": f"job{i}"})
            p.incr("{a}seen")
            p.execute()

        rows.append((n, timed(push), timed(unacked),
                     timed(lambda i: r.smove("{a}src-set", "{b}dst-set", f"m{i}")),
                     timed(lambda i: r.lmove("{a}src-list", "{b}dst-list", "LEFT", "RIGHT")),
                     timed(lambda i: zadd(keys=["{b}done"], args=[i, f"new{i}"])),
                     timed(feed), timed(ack), timed(event)))
    return rows


def main():
    ports = [int(p) for p in sys.argv[1:]]
    if not ports:
        sys.exit(__doc__)
    for port in ports:
        print(f"port {port}: microseconds per operation (median of {RUNS} runs of {OPS})\n")
        print("| destination size | MULTI SADD+LPUSH | MULTI ZADD+HSET | SMOVE | LMOVE "
              "| script ZADD | MULTI LPUSH+LTRIM+EXPIRE+INCR | MULTI LREM+SADD "
              "| MULTI XADD+INCR |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for n, *us in measure(port):
            print(f"| {n:,} | " + " | ".join(f"{u:,.0f}" for u in us) + " |")
        print()


if __name__ == "__main__":
    main()
