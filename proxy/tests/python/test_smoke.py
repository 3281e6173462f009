"""Smoke test with a real client (redis-py) against a proxy this test starts.

Run from the repository root after `cargo build -p proxy`:

    python3 -m pip install 'redis>=5' pytest     # RESP3 needs redis-py 5
    python3 -m pytest -q -p no:cacheprovider proxy/tests/python

The proxy binary is `$SHARDIS_PROXY_BIN`, else `$CARGO_TARGET_DIR/debug/proxy`,
else `target/debug/proxy`. It starts on a free port (`--port 0`, the port is
read from its "shardis ready on port N" line) with 3 shards in a temporary
directory, and is stopped by pid at the end (SIGTERM, then SIGKILL).
"""

import contextlib
import ctypes
import os
import queue
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import redis

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10
READY_PREFIX = "shardis ready on port "
REPO = Path(__file__).resolve().parents[3]


PR_SET_PDEATHSIG = 1


def die_with_parent():
    # Runs in the child before exec: the proxy gets SIGKILL if this test
    # process dies without its teardown (its shards die with the proxy).
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def proxy_bin():
    if os.environ.get("SHARDIS_PROXY_BIN"):
        return Path(os.environ["SHARDIS_PROXY_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "proxy"


@contextlib.contextmanager
def running_proxy(args):
    """Starts the proxy with `args` (after the binary; `--port 0` among
    them), yields its port once every shard answers, stops it by pid."""
    binary = proxy_bin()
    if not binary.is_file():
        pytest.fail(f"no proxy binary at {binary} (cargo build -p proxy, or set SHARDIS_PROXY_BIN)")
    proc = subprocess.Popen(
        [str(binary), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=die_with_parent,
    )
    lines = queue.Queue()

    def drain():
        # Keeps reading so the proxy never blocks on a full pipe.
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    try:
        yield wait_ready(proc, lines)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def port():
    with tempfile.TemporaryDirectory(prefix="shardis-pytest-") as data:
        with running_proxy(["--port", "0", "--dir", data, "--shards", "3", "--workers", "1"]) as p:
            yield p


def wait_ready(proc, lines):
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the proxy did not print its port")
        line = lines.get(timeout=left)
        if line is None:
            raise RuntimeError(f"the proxy exited with {proc.wait()}")
        if line.startswith(READY_PREFIX):
            port = int(line[len(READY_PREFIX):].strip())
            break
    # Ready once every shard answers: a key on each shard must round-trip.
    client = redis.Redis(port=port, socket_timeout=5)
    while True:
        try:
            client.mset({f"ready:{i}": "1" for i in range(30)})
            return port
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def r(port):
    client = redis.Redis(port=port, socket_timeout=10)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def r3(port):
    client = redis.Redis(port=port, protocol=3, socket_timeout=10)
    client.flushall()
    yield client
    client.close()


def test_strings_and_counters(r):
    assert r.set("s", "hello")
    assert r.get("s") == b"hello"
    assert r.append("s", " world") == 11
    assert r.getrange("s", 0, 4) == b"hello"
    assert r.set("s", "x", nx=True) is None
    assert r.set("bin", b"\x00\xff\r\n") and r.get("bin") == b"\x00\xff\r\n"
    assert r.incr("n") == 1
    assert r.incrby("n", 41) == 42
    assert r.incrbyfloat("n", 0.5) == 42.5
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.incr("s")


def test_mset_and_mget_across_shards(r):
    values = {f"key:{i}": f"value:{i}" for i in range(100)}
    assert r.mset(values)
    keys = list(values) + ["missing"]
    assert r.mget(keys) == [v.encode() for v in values.values()] + [None]
    assert r.exists(*keys) == 100
    assert r.delete(*keys[:50]) == 50
    assert r.dbsize() == 50
    assert sorted(r.scan_iter(match="key:*", count=7)) == sorted(k.encode() for k in keys[50:100])


def test_hashes(r):
    assert r.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert r.hgetall("h") == {b"a": b"1", b"b": b"2"}
    assert r.hincrby("h", "a", 9) == 10
    assert sorted(r.hkeys("h")) == [b"a", b"b"]
    assert r.hdel("h", "a", "zz") == 1


def test_lists(r):
    assert r.rpush("l", "a", "b", "c") == 3
    assert r.lpush("l", "z") == 4
    assert r.lrange("l", 0, -1) == [b"z", b"a", b"b", b"c"]
    assert r.lpop("l") == b"z"
    assert r.rpop("l", 2) == [b"c", b"b"]
    assert r.lmove("{l}src", "{l}dst") is None


def test_sets(r):
    assert r.sadd("{s}1", "a", "b", "c") == 3
    assert r.sadd("{s}2", "b", "c", "d") == 3
    assert r.smembers("{s}1") == {b"a", b"b", b"c"}
    assert r.sinter("{s}1", "{s}2") == {b"b", b"c"}
    assert r.sunionstore("{s}3", "{s}1", "{s}2") == 4
    assert r.sismember("{s}3", "d")


def test_sorted_sets(r):
    assert r.zadd("z", {"a": 1, "b": 2.5, "c": -1}) == 3
    assert r.zrange("z", 0, -1, withscores=True) == [(b"c", -1.0), (b"a", 1.0), (b"b", 2.5)]
    assert r.zincrby("z", 10, "a") == 11.0
    assert r.zrangebyscore("z", "(0", "+inf") == [b"b", b"a"]
    assert r.zscore("z", "b") == 2.5
    assert r.zpopmin("z") == [(b"c", -1.0)]


def test_ttls(r):
    assert r.set("t", "v", ex=100)
    assert 0 < r.ttl("t") <= 100
    assert 0 < r.pttl("t") <= 100_000
    assert r.persist("t")
    assert r.ttl("t") == -1
    assert r.expire("t", 50, gt=True) is False
    assert r.expire("t", 50)
    assert r.ttl("missing") == -2
    assert r.pexpire("t", 0)
    assert r.get("t") is None


def test_pipelines(r):
    pipe = r.pipeline(transaction=False)
    for i in range(500):
        pipe.set(f"p:{i}", i)
        pipe.incr(f"p:{i}")
    pipe.mget([f"p:{i}" for i in range(500)])
    replies = pipe.execute()
    assert replies[:4] == [True, 1, True, 2]
    assert replies[-1] == [str(i + 1).encode() for i in range(500)]


def test_resp3(r3):
    assert r3.hset("h", mapping={"a": "1"}) == 1
    assert r3.hgetall("h") == {b"a": b"1"}
    assert r3.zadd("z", {"m": 1.5}) == 1
    assert r3.zscore("z", "m") == 1.5
    assert r3.sadd("s", "x") == 1
    assert r3.smembers("s") == {b"x"}
    assert r3.mset({f"k{i}": i for i in range(20)})
    assert r3.mget([f"k{i}" for i in range(20)]) == [str(i).encode() for i in range(20)]
    assert r3.get("missing") is None
    assert r3.set("t", "v", px=100_000) and r3.ttl("t") > 0
