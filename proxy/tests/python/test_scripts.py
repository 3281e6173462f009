"""Lua scripts through redis-py, as applications use them: redis-py's
`Lock` (SET NX PX, and Lua scripts to release and extend) hammered by many
clients over locks on every shard with a checker counting overlapping
holders, a token-bucket rate limiter in Lua whose admissions per window
never pass the limit, and `register_script` (EVALSHA with the NOSCRIPT
fallback to EVAL after SCRIPT FLUSH). The proxy runs with 3 shards (see
test_smoke.py, whose fixtures these tests share).
"""

import threading
import time

import pytest
import redis

from test_smoke import port, r  # noqa: F401  (pytest fixtures)

CLIENTS = 32
ROUNDS = 15


def test_redis_py_lock_never_has_two_holders(r, port):
    names = [f"lock:{i}" for i in range(6)]  # spread over the shards
    held = {n: 0 for n in names}
    overlaps = []
    done = []
    guard = threading.Lock()

    def worker(i):
        c = redis.Redis(port=port, socket_timeout=10)
        got = 0
        for k in range(ROUNDS):
            name = names[(i + k) % len(names)]
            lock = c.lock(name, timeout=10, blocking_timeout=10, sleep=0.001)
            if not lock.acquire():
                continue
            with guard:
                held[name] += 1
                if held[name] > 1:
                    overlaps.append(name)
            with guard:
                held[name] -= 1
            lock.release()  # a Lua script: delete if the token is ours
            got += 1
        done.append(got)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert overlaps == []
    assert sum(done) == CLIENTS * ROUNDS
    assert all(r.exists(n) == 0 for n in names)


BUCKET = """
local key, rate, now = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local window = math.floor(now)
local count = redis.call('HINCRBY', key, 'w' .. window, 0)
if count >= rate then return 0 end
redis.call('HINCRBY', key, 'w' .. window, 1)
redis.call('HINCRBY', KEYS[2], 'w' .. window, 1)
redis.call('EXPIRE', key, 60)
return 1
"""


def test_token_bucket_never_admits_over_the_limit(r, port):
    limit = 5
    buckets = [f"bucket:{i}" for i in range(4)]

    def worker(i):
        c = redis.Redis(port=port, socket_timeout=10)
        script = c.register_script(BUCKET)
        for k in range(40):
            b = buckets[(i + k) % len(buckets)]
            # The audit key is not hash-tagged with the bucket: the script
            # runs over two shards when they differ.
            script(keys=[b, f"audit:{b}"], args=[limit, time.time()])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    for b in buckets:
        admitted = r.hgetall(f"audit:{b}")
        counted = r.hgetall(b)
        assert admitted, b
        for window, n in admitted.items():
            assert int(n) <= limit, (b, window, n)
            assert int(counted[window]) == int(n), (b, window)


def test_register_script_falls_back_to_eval_after_a_flush(r):
    incr = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert incr(keys=["counter"], args=[2]) == 2
    r.script_flush()
    assert incr(keys=["counter"], args=[3]) == 5  # NOSCRIPT, then EVAL
    assert r.script_exists(incr.sha) == [True]


LIBRARY = """#!lua name=jobs
local function push(keys, args)
  redis.call('RPUSH', keys[1], args[1])
  return redis.call('INCR', keys[2])
end
local function peek(keys)
  return redis.call('LRANGE', keys[1], 0, -1)
end
redis.register_function('push', push)
redis.register_function{function_name='peek', callback=peek, flags={'no-writes'}}
"""


def _pairs(flat):
    """A RESP2 flat [k, v, k, v, ...] reply (or a RESP3 map) as a dict."""
    if isinstance(flat, dict):
        return flat
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def test_functions_through_redis_py(r):
    assert r.function_flush() in (True, b"OK")
    assert r.function_load(LIBRARY) == b"jobs"
    # Keys nobody hash-tagged: the queue and its counter may sit on two
    # shards; the function runs atomically over both.
    for i in range(10):
        assert r.fcall("push", 2, "queue", "pushed", f"job{i}") == i + 1
    assert r.fcall_ro("peek", 1, "queue") == [f"job{i}".encode() for i in range(10)]
    with pytest.raises(redis.ResponseError, match="write flag"):
        r.fcall_ro("push", 2, "queue", "pushed", "x")
    (lib,) = [_pairs(x) for x in r.function_list(library="jobs")]
    assert lib[b"library_name"] == b"jobs"
    names = sorted(_pairs(f)[b"name"] for f in lib[b"functions"])
    assert names == [b"peek", b"push"]
    payload = r.function_dump()
    r.function_flush()
    with pytest.raises(redis.ResponseError, match="Function not found"):
        r.fcall("push", 2, "queue", "pushed", "x")
    assert r.function_restore(payload) in (True, b"OK")
    assert r.fcall("push", 2, "queue", "pushed", "again") == 11
    engines = _pairs(_pairs(r.function_stats())[b"engines"])
    counts = _pairs(engines[b"LUA"])
    assert counts == {b"libraries_count": 1, b"functions_count": 2}
