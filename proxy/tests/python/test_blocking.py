"""Blocking list and sorted-set commands through redis-py, as applications
use them: BLPOP/BRPOP timeouts and wake-ups on one shard and over several,
first key in argument order, first-come first-served clients on one shard,
BLMOVE/BRPOPLPUSH between shards, BLMPOP/BZMPOP with COUNT, BZPOPMIN/
BZPOPMAX replies, MULTI and Lua (where they do not block), CLIENT UNBLOCK,
a client that leaves mid-wait, timeout errors, and a small job queue with
producers and consumers. The proxy runs with 3 shards (see test_smoke.py,
whose fixtures these tests share).

Nothing here sleeps to wait for a condition: a blocked client is waited
for by polling `CLIENT LIST` (`flags=b`) and INFO `blocked_clients` with a
deadline. A blocked client is usually a bare `redis.Connection` whose
command is sent now and whose reply is read later, so no thread is needed.
"""

import threading
import time
from collections import Counter

import pytest
import redis

from test_smoke import port, r, r3  # noqa: F401  (pytest fixtures)

WAIT_S = 5  # deadline of every poll, join and blocked read


# Which shard a key is on, as the proxy computes it (`common/src/slot.rs`,
# `proxy/src/state.rs`: Redis Cluster's CRC16 slot with hash tags, slots
# split into 3 equal ranges). Used only to check that the keys below do
# spread over shards; the tests themselves do not depend on it.
def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def shard_of(key, shards=3):
    k = key.encode()
    start = k.find(b"{")
    if start >= 0:
        end = k.find(b"}", start + 1)
        if end > start + 1:
            k = k[start + 1 : end]
    return (crc16(k) % 16384) * shards // 16384


SPREAD = ["q:a", "q:b", "q:c", "q:d", "q:e"]  # keys on several shards
TAGGED = ["{q}a", "{q}b", "{q}c"]  # keys on one shard
SRC, DST = "q:src", "q:dst"  # different shards
JOBS = [f"jobs:{i}" for i in range(4)]  # lists on every shard
KEYSETS = pytest.mark.parametrize("keys", [TAGGED, SPREAD], ids=["one-shard", "several-shards"])


def test_the_keys_spread_as_intended():
    assert crc16(b"123456789") == 0x31C3  # CRC16/XMODEM check value
    assert len({shard_of(k) for k in SPREAD}) == 3
    assert len({shard_of(k) for k in TAGGED}) == 1
    assert shard_of(SRC) != shard_of(DST)
    assert len({shard_of(k) for k in JOBS}) == 3


# ---- helpers ---------------------------------------------------------------


def wait_until(what, cond):
    deadline = time.monotonic() + WAIT_S
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)  # poll interval, bounded by the deadline


def blocked_ids(r):
    return {int(c["id"]) for c in r.client_list() if "b" in c["flags"]}


def wait_blocked(r, *ids):
    wait_until(f"clients {ids} blocked", lambda: set(ids) <= blocked_ids(r))


def blocked_count(r):
    return int(r.info("clients")["blocked_clients"])


class Waiter:
    """A connection of its own that sends a blocking command now and
    reads its reply later."""

    def __init__(self, port, protocol=2):
        self.conn = redis.Connection(port=port, socket_timeout=WAIT_S, protocol=protocol)
        self.conn.connect()
        self.conn.send_command("CLIENT", "ID")
        self.id = self.conn.read_response()

    def send(self, *args):
        self.conn.send_command(*args)
        return self

    def reply(self):
        return self.conn.read_response()

    def close(self):
        self.conn.disconnect()


@pytest.fixture
def waiters(port):
    made = []

    def make(protocol=2):
        w = Waiter(port, protocol)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def block(r, waiter, *args):
    """Sends blocking command `args` on `waiter` and waits until it blocks."""
    waiter.send(*args)
    wait_blocked(r, waiter.id)
    return waiter


# ---- timeouts --------------------------------------------------------------


@KEYSETS
def test_timeouts_answer_null(r, r3, keys):
    for c in (r, r3):
        start = time.monotonic()
        assert c.blpop(keys, timeout=0.1) is None
        assert c.brpop(keys, timeout=0.05) is None
        assert c.blmpop(0.05, len(keys), *keys, direction="LEFT", count=2) is None
        assert c.bzpopmin(keys, timeout=0.05) is None
        assert c.bzpopmax(keys, timeout=0.05) is None
        assert c.bzmpop(0.05, len(keys), keys, min=True, count=2) is None
        assert c.blmove(keys[0], keys[-1], 0.05, "LEFT", "RIGHT") is None
        assert c.brpoplpush(keys[0], keys[-1], 0.05) is None
        elapsed = time.monotonic() - start
        assert 0.4 <= elapsed < 4, elapsed
    assert r.exists(*keys) == 0
    assert blocked_count(r) == 0


@pytest.mark.parametrize(
    "args, error",
    [
        (("BLPOP", "q:a", "-1"), "timeout is negative"),
        (("BRPOP", "q:a", "q:b", "-0.5"), "timeout is negative"),
        (("BLMOVE", SRC, DST, "LEFT", "RIGHT", "-1"), "timeout is negative"),
        (("BRPOPLPUSH", SRC, DST, "-1"), "timeout is negative"),
        (("BLMPOP", "-1", "1", "q:a", "LEFT"), "timeout is negative"),
        (("BZPOPMIN", "q:a", "-1"), "timeout is negative"),
        (("BZPOPMAX", "q:a", "q:b", "-1"), "timeout is negative"),
        (("BZMPOP", "-1", "2", "q:a", "q:b", "MIN"), "timeout is negative"),
        (("BLPOP", "q:a", "abc"), "timeout is not a float or out of range"),
        (("BRPOP", "q:a", "q:b", "1x"), "timeout is not a float or out of range"),
        (("BLMOVE", SRC, DST, "LEFT", "RIGHT", "x"), "timeout is not a float or out of range"),
        (("BRPOPLPUSH", SRC, DST, "x"), "timeout is not a float or out of range"),
        (("BLMPOP", "abc", "1", "q:a", "LEFT"), "timeout is not a float or out of range"),
        (("BZPOPMIN", "q:a", "abc"), "timeout is not a float or out of range"),
        (("BZPOPMAX", "q:a", "nan"), "timeout is not a float or out of range"),
        (("BZMPOP", "abc", "1", "q:a", "MAX"), "timeout is not a float or out of range"),
    ],
)
def test_bad_timeouts_are_redis_errors(r, args, error):
    r.rpush("q:a", "kept")  # even with an element there: the error comes first
    with pytest.raises(redis.ResponseError, match=f"^{error}$"):
        r.execute_command(*args)
    assert r.lrange("q:a", 0, -1) == [b"kept"]
    assert r.ping()


def test_negative_timeout_from_redis_py_helpers(r):
    with pytest.raises(redis.ResponseError, match="timeout is negative"):
        r.blpop(["q:a"], timeout=-1)
    with pytest.raises(redis.ResponseError, match="timeout is negative"):
        r.bzpopmin(SPREAD, timeout=-1)


# ---- wake-ups --------------------------------------------------------------


@KEYSETS
def test_blpop_and_brpop_get_a_value_pushed_later(r, waiters, keys):
    w = block(r, waiters(), "BLPOP", *keys, 0)
    assert blocked_count(r) == 1
    r.rpush(keys[-1], "v1", "v2")
    assert w.reply() == [keys[-1].encode(), b"v1"]
    w.send("BRPOP", *keys, 5)
    assert w.reply() == [keys[-1].encode(), b"v2"]  # there already
    block(r, w, "BRPOP", *keys, 5)
    r.lpush(keys[0], "a", "b")
    assert w.reply() == [keys[0].encode(), b"a"]  # BRPOP: the tail
    assert r.lrange(keys[0], 0, -1) == [b"b"]
    wait_until("no blocked client", lambda: blocked_count(r) == 0)
    w.send("PING")
    assert w.reply() == b"PONG"  # the connection goes on


@KEYSETS
def test_redis_py_blpop_in_a_thread(r, port, keys):
    got = []

    def consumer():
        c = redis.Redis(port=port, socket_timeout=WAIT_S, single_connection_client=True)
        got.append(c.blpop(keys, timeout=WAIT_S - 1))
        c.close()

    t = threading.Thread(target=consumer)
    t.start()
    wait_until("a blocked client", lambda: blocked_count(r) == 1)
    r.lpush(keys[1], "job")
    t.join(timeout=WAIT_S + 1)
    assert not t.is_alive()
    assert got == [(keys[1].encode(), b"job")]
    assert r.exists(*keys) == 0


@KEYSETS
def test_first_key_in_argument_order_wins(r, keys):
    r.rpush(keys[2], "two")
    r.rpush(keys[0], "zero")
    r.rpush(keys[1], "one")
    assert r.blpop(keys, timeout=1) == (keys[0].encode(), b"zero")
    assert r.brpop(keys, timeout=1) == (keys[1].encode(), b"one")
    assert r.blpop(list(reversed(keys)), timeout=1) == (keys[2].encode(), b"two")
    r.zadd(keys[-1], {"m": 1})
    r.zadd(keys[1], {"n": 2})
    assert r.bzpopmin(keys, timeout=1) == (keys[1].encode(), b"n", 2.0)
    assert r.exists(*keys) == 1


def test_first_key_wins_whichever_shard_holds_it(r):
    a, b, c, d, e = SPREAD  # shards 2, 0, 1, 1, 2
    assert [shard_of(k) for k in SPREAD] == [2, 0, 1, 1, 2]
    r.rpush(e, "e1")
    r.rpush(c, "c1")
    # a is empty; c comes before e, which shares a's shard.
    assert r.blpop(SPREAD, timeout=1) == (c.encode(), b"c1")
    # a and e lead on one shard: e wins over b, on another shard.
    r.rpush(b, "b1")
    assert r.blpop([a, e, b], timeout=1) == (e.encode(), b"e1")
    assert r.blpop([a, e, b], timeout=1) == (b.encode(), b"b1")
    r.zadd(d, {"m": 1})
    r.zadd(e, {"n": 2})
    assert r.bzpopmax([a, b, c, d, e], timeout=1) == (d.encode(), b"m", 1.0)
    assert r.bzpopmax([a, b, c, d, e], timeout=1) == (e.encode(), b"n", 2.0)
    assert r.exists(*SPREAD) == 0


@KEYSETS
def test_a_key_of_another_type_before_the_first_list_is_an_error(r, keys):
    r.set(keys[1], "string")
    r.rpush(keys[2], "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.blpop(keys[:3], timeout=1)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.lmpop(3, *keys[:3], direction="LEFT")
    # A list before it: popped, no error.
    r.rpush(keys[0], "first")
    assert r.blpop(keys[:3], timeout=1) == (keys[0].encode(), b"first")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.lmpop(3, *keys[:3], direction="RIGHT")
    r.delete(keys[1])
    assert r.blmpop(1, 3, *keys[:3], direction="LEFT", count=5) == [keys[2].encode(), [b"x"]]
    assert r.exists(*keys[:3]) == 0


def test_blocking_on_ten_thousand_keys(r, waiters):
    """One BLPOP over 10,000 keys (on every shard, and all on one): it
    waits like any other, others are served meanwhile, a push to its
    9,999th key wakes it, and the timeout answers null."""
    for fmt in ("k10k:{}", "{{k10k}}:{}"):
        keys = [fmt.format(i) for i in range(10_000)]
        w = block(r, waiters(), "BLPOP", *keys, 0)
        assert blocked_count(r) >= 1
        r.set("k10k:other", "v")
        assert r.get("k10k:other") == b"v"
        r.rpush(keys[9_998], "late")
        assert w.reply() == [keys[9_998].encode(), b"late"]
        assert r.blpop(keys, timeout=0.05) is None
        assert r.exists(*keys[:100]) == 0
    wait_until("no blocked clients", lambda: blocked_count(r) == 0)


@KEYSETS
def test_a_push_to_a_key_nobody_waits_on_wakes_nobody(r, waiters, keys):
    w = block(r, waiters(), "BLPOP", *keys[:2], 0)
    r.rpush(keys[2], "elsewhere")
    r.set("q:string", "x")
    # The waiter is still blocked after the writes were served.
    assert w.id in blocked_ids(r)
    assert r.llen(keys[2]) == 1
    r.rpush(keys[1], "mine")
    assert w.reply() == [keys[1].encode(), b"mine"]


def test_clients_blocked_on_one_shard_are_served_first_come_first_served(r, waiters):
    key = TAGGED[0]
    clients = []
    for _ in range(3):
        w = block(r, waiters(), "BLPOP", key, 0)
        r.llen(key)  # a round trip to the key's shard after the wait began
        clients.append(w)
    assert blocked_count(r) == 3
    r.rpush(key, "x", "y", "z")
    assert [w.reply() for w in clients] == [[key.encode(), v] for v in (b"x", b"y", b"z")]
    assert r.llen(key) == 0
    wait_until("no blocked client", lambda: blocked_count(r) == 0)


def test_first_come_first_served_one_push_at_a_time(r, waiters):
    a = block(r, waiters(), "BRPOP", TAGGED[1], TAGGED[0], 0)
    r.llen(TAGGED[0])
    b = block(r, waiters(), "BLPOP", TAGGED[0], 0)
    r.llen(TAGGED[0])
    r.lpush(TAGGED[0], "first")
    assert a.reply() == [TAGGED[0].encode(), b"first"]
    assert b.id in blocked_ids(r)  # b still waits: one element, one client
    r.lpush(TAGGED[0], "second")
    assert b.reply() == [TAGGED[0].encode(), b"second"]


# ---- moves between shards --------------------------------------------------


def test_blmove_between_shards(r, waiters):
    assert r.blmove(SRC, DST, 0.05, "LEFT", "RIGHT") is None
    w = block(r, waiters(), "BLMOVE", SRC, DST, "LEFT", "RIGHT", 0)
    r.rpush(SRC, "job-1")
    assert w.reply() == b"job-1"
    assert r.exists(SRC) == 0
    assert r.lrange(DST, 0, -1) == [b"job-1"]
    r.rpush(SRC, "job-2", "job-3")
    assert r.blmove(SRC, DST, 1, "RIGHT", "LEFT") == b"job-3"
    assert r.lrange(SRC, 0, -1) == [b"job-2"]
    assert r.lrange(DST, 0, -1) == [b"job-3", b"job-1"]


def test_brpoplpush_between_shards(r, waiters):
    w = block(r, waiters(), "BRPOPLPUSH", SRC, DST, 0)
    r.lpush(SRC, "a", "b")  # SRC: b a
    assert w.reply() == b"a"
    assert r.lrange(SRC, 0, -1) == [b"b"]
    assert r.lrange(DST, 0, -1) == [b"a"]
    assert r.brpoplpush(SRC, DST, 1) == b"b"
    assert r.exists(SRC) == 0
    assert r.lrange(DST, 0, -1) == [b"b", b"a"]  # pushed at the head


def test_blmove_to_a_wrong_type_destination_keeps_the_element(r, waiters):
    r.set(DST, "not a list")
    r.rpush(SRC, "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.blmove(SRC, DST, 1, "LEFT", "RIGHT")
    assert r.lrange(SRC, 0, -1) == [b"x"]


def test_moves_between_shards_are_atomic(r, port):
    n = 60
    r.rpush(SRC, *range(n))
    moved = []
    seen = []
    done = threading.Event()

    def mover():
        c = redis.Redis(port=port, socket_timeout=WAIT_S)
        try:
            for i in range(n):
                if i % 2:
                    moved.append(c.blmove(SRC, DST, 1, "LEFT", "RIGHT"))
                else:
                    moved.append(c.brpoplpush(SRC, DST, 1))
        finally:
            done.set()
            c.close()

    t = threading.Thread(target=mover)
    t.start()
    deadline = time.monotonic() + WAIT_S
    for _ in range(10_000):  # an observer reading both lists in one transaction
        if done.is_set() or time.monotonic() > deadline:
            break
        pipe = r.pipeline()
        pipe.llen(SRC)
        pipe.llen(DST)
        seen.append(sum(pipe.execute()))
    t.join(timeout=WAIT_S)
    assert not t.is_alive()
    assert set(seen) <= {n}
    assert None not in moved and len(moved) == n
    assert r.llen(SRC) == 0
    assert sorted(r.lrange(DST, 0, -1), key=int) == [str(i).encode() for i in range(n)]


# ---- BLMPOP, BZMPOP, BZPOPMIN, BZPOPMAX -----------------------------------


@KEYSETS
def test_blmpop_with_count(r, r3, waiters, keys):
    r.rpush(keys[1], "1", "2", "3")
    r.rpush(keys[2], "x")
    assert r.blmpop(1, len(keys), *keys, direction="RIGHT", count=2) == [keys[1].encode(), [b"3", b"2"]]
    assert r3.blmpop(1, len(keys), *keys, direction="LEFT", count=5) == [keys[1].encode(), [b"1"]]
    w = block(r, waiters(), "BLMPOP", 0, 2, *keys[:2], "LEFT", "COUNT", 2)
    r.rpush(keys[0], "a", "b", "c")
    assert w.reply() == [keys[0].encode(), [b"a", b"b"]]
    assert r.lrange(keys[0], 0, -1) == [b"c"]
    assert r.lrange(keys[2], 0, -1) == [b"x"]


@KEYSETS
def test_bzmpop_with_count(r, r3, waiters, keys):
    r.zadd(keys[1], {"a": 1, "b": 2, "c": 3})
    assert r.bzmpop(1, len(keys), keys, min=True, count=2) == [keys[1].encode(), [[b"a", b"1"], [b"b", b"2"]]]
    assert r3.bzmpop(1, len(keys), keys, max=True, count=9) == [keys[1].encode(), [[b"c", 3.0]]]
    assert r.exists(keys[1]) == 0
    w = block(r, waiters(), "BZMPOP", 0, len(keys), *keys, "MAX", "COUNT", 2)
    r.zadd(keys[-1], {"x": 10, "y": 20, "z": 30})
    assert w.reply() == [keys[-1].encode(), [[b"z", b"30"], [b"y", b"20"]]]
    assert r.zrange(keys[-1], 0, -1, withscores=True) == [(b"x", 10.0)]


@KEYSETS
def test_bzpopmin_and_bzpopmax_reply_key_member_score(r, r3, waiters, keys):
    r.zadd(keys[1], {"low": 1.5, "mid": 2, "high": 3.25})
    assert r.bzpopmin(keys, timeout=1) == (keys[1].encode(), b"low", 1.5)
    assert r3.bzpopmax(keys, timeout=1) == [keys[1].encode(), b"high", 3.25]
    w = waiters()
    assert w.send("BZPOPMIN", *keys, 1).reply() == [keys[1].encode(), b"mid", b"2"]  # RESP2: bulk strings
    block(r, w, "BZPOPMAX", *keys, 0)
    r.zadd(keys[-1], {"m1": 1, "m2": 2})
    assert w.reply() == [keys[-1].encode(), b"m2", b"2"]
    assert r.zpopmin(keys[-1]) == [(b"m1", 1.0)]
    w3 = block(r, waiters(protocol=3), "BZPOPMIN", *keys, 0)
    r.zadd(keys[0], {"n": -4.5})
    assert w3.reply() == [keys[0].encode(), b"n", -4.5]  # RESP3: a double


# ---- MULTI and Lua: no blocking ---------------------------------------------


@KEYSETS
def test_blocking_commands_in_multi_answer_at_once(r, r3, keys):
    for c in (r, r3):
        pipe = c.pipeline()  # MULTI ... EXEC
        pipe.blpop(keys, timeout=0)
        pipe.brpop(keys, timeout=0)
        pipe.blmove(keys[0], keys[-1], 0, "LEFT", "RIGHT")
        pipe.brpoplpush(keys[0], keys[-1], 0)
        pipe.blmpop(0, len(keys), *keys, direction="LEFT", count=3)
        pipe.bzpopmin(keys, timeout=0)
        pipe.bzpopmax(keys, timeout=0)
        pipe.bzmpop(0, len(keys), keys, min=True, count=3)
        start = time.monotonic()
        assert pipe.execute() == [None] * 8
        assert time.monotonic() - start < 2
    pipe = r.pipeline()
    pipe.rpush(keys[-1], "a", "b")
    pipe.blpop(keys, timeout=0)
    pipe.brpop(keys, timeout=0)
    pipe.blpop(keys, timeout=0)
    assert pipe.execute() == [2, (keys[-1].encode(), b"a"), (keys[-1].encode(), b"b"), None]
    assert blocked_count(r) == 0


@KEYSETS
def test_blocking_commands_in_lua(r, keys):
    # Redis 7.0: BLMPOP and BZMPOP may run in a script, as their
    # non-blocking forms; the older ones are flagged `noscript`.
    start = time.monotonic()
    assert r.eval("return redis.call('BLMPOP', 0, 1, KEYS[1], 'LEFT')", 1, keys[0]) is None
    assert r.eval("return redis.call('BZMPOP', 0, 1, KEYS[1], 'MIN')", 1, keys[0]) is None
    assert time.monotonic() - start < 2
    r.rpush(keys[0], "a", "b")
    assert r.eval("return redis.call('BLMPOP', 0, 1, KEYS[1], 'LEFT', 'COUNT', 5)", 1, keys[0]) == [
        keys[0].encode(),
        [b"a", b"b"],
    ]
    for call in (
        "redis.call('BLPOP', KEYS[1], 0)",
        "redis.call('BRPOP', KEYS[1], 0)",
        "redis.call('BLMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT', 0)",
        "redis.call('BRPOPLPUSH', KEYS[1], KEYS[2], 0)",
        "redis.call('BZPOPMIN', KEYS[1], 0)",
        "redis.call('BZPOPMAX', KEYS[1], 0)",
    ):
        with pytest.raises(redis.ResponseError, match="This Redis command is not allowed from script"):
            r.eval(f"return {call}", 2, keys[0], keys[1])
    assert blocked_count(r) == 0


# ---- CLIENT UNBLOCK and disconnects ---------------------------------------


@KEYSETS
def test_client_unblock_timeout_and_error(r, port, waiters, keys):
    w = block(r, waiters(), "BLPOP", *keys, 0)
    assert r.client_unblock(w.id) is True  # TIMEOUT: the timeout's null
    assert w.reply() is None
    assert r.client_unblock(w.id) is False  # not blocked any more
    block(r, w, "BZPOPMIN", *keys, 0)
    assert r.client_unblock(w.id, error=True) is True
    with pytest.raises(redis.ResponseError, match="^UNBLOCKED"):
        w.reply()
    wait_until("no blocked client", lambda: blocked_count(r) == 0)
    # The unblocked waits are gone: a push stays in the list.
    r.rpush(keys[0], "stays")
    assert r.lrange(keys[0], 0, -1) == [b"stays"]
    w.send("PING")
    assert w.reply() == b"PONG"
    # redis-py's own blpop, unblocked from another client.
    got = []

    def consumer():
        c = redis.Redis(port=port, socket_timeout=WAIT_S, single_connection_client=True)
        try:
            got.append(c.brpop(keys[1:], timeout=0))
            c.brpop(keys[1:], timeout=0)
        except redis.ResponseError as e:
            got.append(str(e))
        finally:
            c.close()

    t = threading.Thread(target=consumer)
    t.start()
    for expected in (1, 2):
        wait_until("a blocked client", lambda: len(blocked_ids(r)) == 1)
        (cid,) = blocked_ids(r)
        assert r.client_unblock(cid, error=expected == 2)
        wait_until("the reply", lambda: len(got) == expected)
    t.join(timeout=WAIT_S)
    assert not t.is_alive()
    assert got[0] is None
    assert got[1].startswith("UNBLOCKED")


def test_client_unblock_of_a_client_that_is_not_blocked(r, waiters):
    w = waiters()
    assert r.client_unblock(w.id) is False
    assert r.client_unblock(w.id, error=True) is False
    assert r.client_unblock(999_999_999) is False


@KEYSETS
def test_a_client_that_left_does_not_take_a_later_push(r, waiters, keys):
    w = block(r, waiters(), "BRPOP", *keys, 0)
    zw = block(r, waiters(), "BZPOPMIN", *keys, 0)
    w.close()
    zw.close()
    wait_until("the clients gone", lambda: not {w.id, zw.id} & {int(c["id"]) for c in r.client_list()})
    wait_until("no blocked client", lambda: blocked_count(r) == 0)
    r.lpush(keys[-1], "job")
    r.zadd(keys[0], {"m": 1})
    for _ in range(3):  # round trips to the shards after the pushes
        assert r.llen(keys[-1]) == 1
        assert r.zcard(keys[0]) == 1
        assert r.exists(*keys) == 2
    assert r.brpop(keys[1:], timeout=1) == (keys[-1].encode(), b"job")
    assert r.bzpopmin(keys[:-1], timeout=1) == (keys[0].encode(), b"m", 1.0)


def test_a_client_that_left_is_skipped_in_the_queue(r, waiters):
    key = TAGGED[0]
    gone = block(r, waiters(), "BLPOP", key, 0)
    r.llen(key)
    stays = block(r, waiters(), "BLPOP", key, 0)
    gone.close()
    wait_until("one blocked client", lambda: blocked_ids(r) == {stays.id})
    r.rpush(key, "one", "two")
    assert stays.reply() == [key.encode(), b"one"]
    assert r.lrange(key, 0, -1) == [b"two"]


# ---- a job queue -----------------------------------------------------------


def test_producers_and_consumers_over_lists_on_every_shard(r, port):
    producers, per_producer, consumers = 3, 300, 4
    total = producers * per_producer
    received = []
    errors = []
    guard = threading.Lock()
    deadline = time.monotonic() + 25

    def produce(p):
        c = redis.Redis(port=port, socket_timeout=WAIT_S)
        try:
            for i in range(per_producer):
                c.lpush(JOBS[(p + i) % len(JOBS)], f"job:{p}:{i}")
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(repr(e))
        finally:
            c.close()

    def consume():
        c = redis.Redis(port=port, socket_timeout=WAIT_S)
        try:
            while time.monotonic() < deadline:
                with guard:
                    if len(received) >= total:
                        return
                got = c.brpop(JOBS, timeout=1)
                if got is not None:
                    with guard:
                        received.append(got)
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=consume) for _ in range(consumers)]
    threads += [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic()) + 2 * WAIT_S)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    jobs = Counter(job for _, job in received)
    assert len(received) == total
    assert set(jobs.values()) == {1}
    assert set(jobs) == {f"job:{p}:{i}".encode() for p in range(producers) for i in range(per_producer)}
    for key, job in received:
        p, i = map(int, job.split(b":")[1:])
        assert key == JOBS[(p + i) % len(JOBS)].encode()
    assert r.exists(*JOBS) == 0
    assert blocked_count(r) == 0
