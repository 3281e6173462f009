"""Client-side caching through redis-py's own cache (`protocol=3`,
`cache_config=CacheConfig()`), which turns `CLIENT TRACKING on` and drops
an entry when an `invalidate` push names its key: reads of keys on every
shard are served from the cache without a trip to the server until
another client writes them (or a transaction over several shards, or a
script, or a flush), after which redis-py reads the new values.

redis-py 5.1+ turns its cache on only for a server that says it is Redis
7.4 or later; shardis says 7.0.15 (the version whose commands it has),
so the fixture lowers redis-py's gate (`CacheProxyConnection.
MIN_ALLOWED_VERSION`) to reach the mechanism, which Redis 7.0 has too
(README).

The proxy is the 3-shard one of test_smoke.py (fixture `port`). redis-py
reads the pushes waiting on its connection before it answers from its
cache; they leave the proxy when the write that caused them is answered,
so a read right after a write may still find the old entry for the time
the push takes to arrive: every wait for a new value is a bounded poll.
"""

import time

import pytest
import redis
from redis.cache import CacheConfig
from redis.connection import CacheProxyConnection

from test_smoke import port  # noqa: F401  (pytest fixture)

WAIT_S = 5
KEYS = [f"csc:{c}" for c in "abcdefghij"]  # keys on all 3 shards


@pytest.fixture
def clients(port, monkeypatch):  # noqa: F811
    monkeypatch.setattr(CacheProxyConnection, "MIN_ALLOWED_VERSION", "7.0.0")
    other = redis.Redis(port=port, socket_timeout=10)
    other.delete(*KEYS)
    cached = redis.Redis(port=port, protocol=3, socket_timeout=10, cache_config=CacheConfig())
    yield cached, other
    cached.close()
    other.close()


def gets_served(other):
    return other.info("commandstats").get("cmdstat_get", {}).get("calls", 0)


def eventually(read, want):
    deadline = time.monotonic() + WAIT_S
    while True:
        got = read()
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.005)


def test_reads_come_from_the_cache_until_another_client_writes(clients):
    cached, other = clients
    for k in KEYS:
        other.set(k, "1")
    assert [cached.get(k) for k in KEYS] == [b"1"] * len(KEYS)
    before = gets_served(other)
    # Served from redis-py's cache: the server sees no GET.
    for _ in range(3):
        assert [cached.get(k) for k in KEYS] == [b"1"] * len(KEYS)
    assert gets_served(other) == before
    for k in KEYS:
        other.set(k, "2")
    for k in KEYS:
        assert eventually(lambda: cached.get(k), b"2") == b"2"
    assert gets_served(other) > before


def test_transactions_scripts_and_flushes_invalidate(clients):
    cached, other = clients
    for k in KEYS:
        other.set(k, "1")
    assert [cached.get(k) for k in KEYS] == [b"1"] * len(KEYS)
    # A transaction over several shards.
    with other.pipeline(transaction=True) as p:
        for k in KEYS:
            p.incr(k)
        p.execute()
    for k in KEYS:
        assert eventually(lambda: cached.get(k), b"2") == b"2"
    # A script that writes a key on one shard.
    other.eval("return redis.call('SET', KEYS[1], 'scripted')", 1, KEYS[0])
    assert eventually(lambda: cached.get(KEYS[0]), b"scripted") == b"scripted"
    # A flush empties the whole cache.
    assert cached.get(KEYS[1]) == b"2"
    other.flushall()
    assert eventually(lambda: cached.get(KEYS[1]), None) is None
