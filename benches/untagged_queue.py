#!/usr/bin/env python3
"""An untagged job queue's enqueue script, one call at a time, against a
running server, window after window: how its rate moves as the queue grows
(and, on shardis, once the co-location brought the queue's keys to one
shard).

Usage: python3 benches/untagged_queue.py --port PORT [--seconds S]
       [--prefix P] [--window W]

The script is BullMQ's addJob in miniature: INCR of the queue's id
counter (KEYS[1]), HSET of the job's hash, LPUSH of the id on the wait
list and XADD to the events stream with MAXLEN ~ 10000, every key under
the prefix (no hash tag by default: `bq:`). Prints, per window of W
seconds (default 1), the calls per second, the mean latency and the
queue's length, then `INFO cluster`'s colocate lines when the server has
them. The server is flushed first: never point it at data you keep. Only
127.0.0.1; bounded by S seconds (default 20).
"""
import argparse
import time

import redis

ENQUEUE = """
local id = redis.call('INCR', KEYS[1])
redis.call('HSET', ARGV[1] .. id, 'data', ARGV[2], 'ts', ARGV[3])
redis.call('LPUSH', ARGV[1] .. 'wait', id)
redis.call('XADD', ARGV[1] .. 'events', 'MAXLEN', '~', 10000, '*', 'event', 'added', 'jobId', id)
return id
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--window", type=float, default=1.0)
    ap.add_argument("--prefix", default="bq:")
    a = ap.parse_args()
    r = redis.Redis(host="127.0.0.1", port=a.port)
    r.flushall()
    s = r.register_script(ENQUEUE)
    data = "x" * 64
    t0 = time.time()
    end = t0 + a.seconds
    i = 0
    print("%7s %10s %10s %9s" % ("second", "calls/s", "us/call", "queued"))
    while time.time() < end:
        start = time.time()
        n = 0
        while time.time() - start < a.window:
            for _ in range(50):
                s(keys=[a.prefix + "id"], args=[a.prefix, data, str(i)])
                i += 1
                n += 1
        took = time.time() - start
        queued = r.llen(a.prefix + "wait")
        print("%7.0f %10.0f %10.1f %9d" % (time.time() - t0, n / took, took / n * 1e6, queued), flush=True)
    try:
        info = r.info("cluster")
        for k, v in info.items():
            if k.startswith("colocate"):
                print("%s:%s" % (k, v))
    except redis.ResponseError:
        pass


if __name__ == "__main__":
    main()
