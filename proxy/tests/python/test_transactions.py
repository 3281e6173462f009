"""Transactions and keys on several shards through redis-py, as
applications use them: `pipeline()` (MULTI/EXEC by default), `transaction()`
with WATCH and its retry loop, WatchError, and the multi-key commands whose
keys nobody hash-tagged. The proxy runs with 3 shards (see test_smoke.py,
whose fixtures these tests share); keys named differently land on
different shards.
"""

import pytest
import redis

from test_smoke import port, r, r3  # noqa: F401  (pytest fixtures)

ACCOUNTS = [f"acct:{i}" for i in range(12)]


def test_pipeline_is_one_atomic_transaction_over_every_shard(r):
    pipe = r.pipeline()  # transaction=True: MULTI ... EXEC
    for i, k in enumerate(ACCOUNTS):
        pipe.set(k, 100 + i)
    pipe.incrby(ACCOUNTS[0], 5)
    pipe.mget(ACCOUNTS[:3])
    pipe.lpush(ACCOUNTS[1], "x")  # a runtime error, in place
    results = pipe.execute(raise_on_error=False)
    assert results[: len(ACCOUNTS)] == [True] * len(ACCOUNTS)
    assert results[len(ACCOUNTS)] == 105
    assert results[len(ACCOUNTS) + 1] == [b"105", b"101", b"102"]
    assert isinstance(results[-1], redis.ResponseError)
    assert "WRONGTYPE" in str(results[-1])


def test_transaction_helper_retries_on_watch_and_moves_money(r, port):
    for k in ACCOUNTS:
        r.set(k, 100)
    other = redis.Redis(port=port, socket_timeout=10)
    calls = {"n": 0}

    def transfer(pipe):
        calls["n"] += 1
        a = int(pipe.get(ACCOUNTS[0]))
        b = int(pipe.get(ACCOUNTS[7]))
        if calls["n"] == 1:
            # Another client changes a watched key: EXEC must fail once.
            other.incrby(ACCOUNTS[0], 1)
        pipe.multi()
        pipe.set(ACCOUNTS[0], a - 10)
        pipe.set(ACCOUNTS[7], b + 10)

    r.transaction(transfer, ACCOUNTS[0], ACCOUNTS[7])
    assert calls["n"] == 2
    assert int(r.get(ACCOUNTS[0])) == 91
    assert int(r.get(ACCOUNTS[7])) == 110
    other.close()


def test_watch_error_when_a_watched_key_on_another_shard_changes(r, port):
    other = redis.Redis(port=port, socket_timeout=10)
    with r.pipeline() as pipe:
        pipe.watch(ACCOUNTS[3], ACCOUNTS[9])
        other.set(ACCOUNTS[9], "changed")
        pipe.multi()
        pipe.set(ACCOUNTS[3], "mine")
        pipe.set(ACCOUNTS[4], "mine")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get(ACCOUNTS[3]) is None
    assert r.get(ACCOUNTS[4]) is None
    other.close()


def test_multi_key_commands_run_on_keys_of_any_shard(r):
    r.set("src", "v", px=600_000)
    assert r.rename("src", "dst")
    assert r.get("dst") == b"v" and r.exists("src") == 0
    assert 0 < r.pttl("dst") <= 600_000
    r.sadd("s1", "a", "b")
    r.sadd("s2", "b", "c")
    assert r.smove("s1", "s2", "a")
    assert r.sunionstore("s3", ["s1", "s2"]) == 3
    assert sorted(r.smembers("s3")) == [b"a", b"b", b"c"]
    r.rpush("q1", "j1", "j2")
    assert r.lmove("q1", "q2", "LEFT", "RIGHT") == b"j1"
    assert r.rpoplpush("q1", "q2") == b"j2"
    assert r.lrange("q2", 0, -1) == [b"j2", b"j1"]  # RPOPLPUSH pushes at the head
    assert r.msetnx({"n1": 1, "n2": 2})
    assert not r.msetnx({"n2": 3, "n3": 4})
    assert r.mget(["n1", "n2", "n3"]) == [b"1", b"2", None]
    r.zadd("z1", {"m": 1})
    r.zadd("z2", {"m": 2})
    assert r.zunionstore("z3", ["z1", "z2"]) == 1
    assert r.zscore("z3", "m") == 3.0
    assert r.copy("z3", "z4")
    assert r.zscore("z4", "m") == 3.0


def test_resp3_transaction_replies(r3):
    pipe = r3.pipeline()
    pipe.set("a", 1)
    pipe.set("b", 2)
    pipe.hset("h", mapping={"f": "v"})
    pipe.hgetall("h")
    assert pipe.execute() == [True, True, 1, {b"f": b"v"}]
