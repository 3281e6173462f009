"""Keyspace notifications through redis-py, as applications use them:
`CONFIG SET notify-keyspace-events`, then PSUBSCRIBE to
`__keyspace@0__:<key>` / `__keyevent@0__:<event>` (Redis 7.0's names and
channels). A cache that drops its entries when their keys change (a
listener thread of redis-py's `run_in_thread`), a Spring Session-style
expiry listener (`Egx`, `__keyevent@*__:expired`), the event of each
command class and the masking by class, new keys, key misses, expired
keys both when a read finds them and when nobody touches them, the order
of events over keys of several shards, MULTI/EXEC and Lua scripts, and
`CONFIG GET`'s spelling of the value.

The proxy is the 3-shard, 1-worker one of test_smoke.py (fixture `port`),
shared with other test files: every test that sets
`notify-keyspace-events` does it through the `notify` fixture, which puts
it back to "" at teardown whatever happened.

Nothing here sleeps to wait for a condition. To know that every event of
some commands has arrived (and that no other did), the publishing client
then PUBLISHes a marker on a channel the listener also subscribes to: the
proxy publishes a command's events before it answers it, so the marker
comes after them. Messages are read with `get_message(timeout=...)` in
loops bounded by a deadline; threads are joined with a timeout; every
client has a socket timeout. The one sleep lets a 1 ms TTL run out.
"""

import itertools
import queue
import threading
import time

import pytest
import redis

from test_blocking import shard_of
from test_smoke import port, r, r3  # noqa: F401  (pytest fixtures)

WAIT_S = 5  # deadline of every message wait
EXPIRY_WAIT_S = 3  # background expiry runs every 100 ms: "a couple of seconds"
MARK = "notify-test:mark"
KEYSPACE = "__keyspace@0__:"
KEYEVENT = "__keyevent@0__:"
BOTH = (KEYSPACE + "*", KEYEVENT + "*")

SPREAD = list("abcdefghij")  # keys on all 3 shards
SRC, DST = "q:src", "q:dst"  # keys on different shards


def ks(key, event):
    return (KEYSPACE + key, event)


def ke(event, key):
    return (KEYEVENT + event, key)


def both(key, event):
    """What K and E together send for one event: keyspace, then keyevent."""
    return [ks(key, event), ke(event, key)]


def show(events):
    """Events as one short line (for assertion messages)."""
    return " ".join(
        f"{c[len(KEYSPACE):]}>{m}" if c.startswith(KEYSPACE) else f"{c[len(KEYEVENT):]}<{m}"
        for c, m in events
    )


def test_the_keys_spread_as_intended():
    assert len({shard_of(k) for k in SPREAD}) == 3
    assert shard_of(SRC) != shard_of(DST)


# ---------------------------------------------------------------- fixtures


def config_value(r):
    """CONFIG GET notify-keyspace-events (redis-py decodes its reply)."""
    return r.config_get("notify-keyspace-events")["notify-keyspace-events"]


@pytest.fixture
def notify(r):
    """`notify(flags)` sets notify-keyspace-events; "" again at teardown."""

    def set_flags(flags):
        assert r.config_set("notify-keyspace-events", flags)

    try:
        yield set_flags
    finally:
        r.config_set("notify-keyspace-events", "")
        assert config_value(r) == ""


class Listener:
    """A subscriber to `patterns` (PSUBSCRIBE) and to the marker channel,
    with str channels and messages."""

    tokens = itertools.count()

    def __init__(self, port, patterns, protocol):
        self.client = redis.Redis(
            port=port, protocol=protocol, socket_timeout=10, decode_responses=True
        )
        self.p = self.client.pubsub()
        self.p.psubscribe(*patterns)
        self.p.subscribe(MARK)
        got = [self.message() for _ in range(len(patterns) + 1)]
        assert [m["type"] for m in got] == ["psubscribe"] * len(patterns) + ["subscribe"]

    def message(self, timeout=WAIT_S):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no pub/sub message within {timeout} s")
            m = self.p.get_message(timeout=left)
            if m is not None:
                return m

    def event(self, timeout=WAIT_S):
        """The next keyspace message as (channel, message)."""
        m = self.message(timeout)
        assert m["type"] == "pmessage", m
        return (m["channel"], m["data"])

    def events(self, publisher):
        """Every event that arrived before a marker `publisher` publishes
        now, in order: what the commands `publisher` ran before caused."""
        token = f"mark-{next(self.tokens)}"
        assert publisher.publish(MARK, token) >= 1
        out = []
        while True:
            m = self.message()
            if m["type"] == "message" and m["channel"] == MARK:
                assert m["data"] == token
                return out
            assert m["type"] == "pmessage", m
            out.append((m["channel"], m["data"]))

    def close(self):
        self.p.close()
        self.client.close()


@pytest.fixture
def listen(port):
    """`listen(*patterns, protocol=2)`: a Listener, closed at teardown;
    by default on every keyspace and keyevent channel of db 0."""
    made = []

    def make(*patterns, protocol=2):
        listener = Listener(port, patterns or BOTH, protocol)
        made.append(listener)
        return listener

    yield make
    for listener in made:
        listener.close()


# ------------------------------------------------------------ configuration


def test_config_get_shows_the_value_as_redis_prints_it(r, notify):
    for given, shown in [
        ("KA", "AK"),
        ("EA", "AE"),
        ("gKE", "gKE"),
        ("Egx", "gxE"),
        ("KEl", "lKE"),
        ("Km", "Km"),
        ("E$lshzxeg", "g$lshzxeE"),
        ("", ""),
    ]:
        notify(given)
        assert config_value(r) == shown, given
    notify("gKE")
    for bad in ["KEq", "K E", "KE1"]:
        with pytest.raises(redis.ResponseError, match="Invalid event class character"):
            r.config_set("notify-keyspace-events", bad)
    # A refused value leaves the one in force.
    assert config_value(r) == "gKE"


def test_nothing_is_delivered_with_notifications_off(r, notify, listen):
    listener = listen()
    r.set("k", "v", ex=100)
    r.lpush("l", "x")
    r.get("missing")
    r.delete("k", "l")
    assert listener.events(r) == []
    notify("KEA")
    r.set("k", "v")
    assert listener.events(r) == both("k", "set")
    notify("")
    r.set("k", "w")
    r.delete("k")
    assert listener.events(r) == []


# ----------------------------------------------------------------- channels


@pytest.mark.parametrize("protocol", [2, 3], ids=["resp2", "resp3"])
def test_keyspace_keyevent_and_both(r, r3, notify, listen, protocol):
    listener = listen(protocol=protocol)
    r = r3 if protocol == 3 else r  # the writer speaks the same protocol
    notify("K$")
    r.set("k", "1")
    assert listener.events(r) == [ks("k", "set")]
    notify("E$")
    r.set("k", "2")
    assert listener.events(r) == [ke("set", "k")]
    notify("KE$")
    r.set("k", "3")
    r.append("k", "4")
    assert listener.events(r) == both("k", "set") + both("k", "append")


def test_pattern_on_one_key_and_on_one_event(r, notify, listen):
    notify("KEA")
    listener = listen(KEYSPACE + "user:1", KEYEVENT + "del")
    r.set("user:1", "a")
    r.set("user:2", "b")
    r.delete("user:1", "user:2")
    assert listener.events(r) == [
        ks("user:1", "set"),
        ks("user:1", "del"),
        ke("del", "user:1"),
        ke("del", "user:2"),
    ]


def test_events_are_masked_by_class(r, notify, listen):
    listener = listen()
    notify("KEl")
    r.set("s", "1")
    r.lpush("l", "x")
    r.sadd("set", "m")
    r.delete("s")  # generic: not asked for
    r.expire("l", 100)
    assert listener.events(r) == both("l", "lpush")

    # A: every class but n (new keys) and m (key misses).
    notify("KEA")
    r.set("fresh", "1")
    r.get("missing")
    r.sadd("set", "n")
    assert listener.events(r) == both("fresh", "set") + both("set", "sadd")


# ------------------------------------------------------------ event names


def test_generic_events(r, notify, listen):
    listener = listen()
    notify("KEg")  # SET itself (a string event) sends nothing
    a, b, c = "{g}a", "{g}b", "{g}c"  # one shard
    r.set(a, "1")
    assert r.expire(a, 100)
    assert r.persist(a)
    assert not r.persist(a)  # no TTL left: nothing
    assert r.copy(a, b)
    assert r.rename(a, c)
    assert r.expire("{g}missing", 10) == 0  # nothing
    assert r.delete(b, c, "{g}missing") == 2
    r.set(a, "1")
    assert r.expire(a, -1)  # a TTL in the past deletes: del
    assert listener.events(r) == (
        both(a, "expire")
        + both(a, "persist")
        + both(b, "copy_to")
        + both(a, "rename_from")
        + both(c, "rename_to")
        + both(b, "del")
        + both(c, "del")
        + both(a, "del")
    )


def test_generic_events_of_rename_and_copy_over_two_shards(r, notify, listen):
    listener = listen()
    notify("KEA")
    r.set(SRC, "1")
    assert r.rename(SRC, DST)
    assert r.copy(DST, SRC)
    assert r.copy(DST, SRC, replace=True)
    assert r.rename(DST, SRC)  # over an existing key
    got = listener.events(r)
    assert got == (
        both(SRC, "set")
        + both(SRC, "rename_from")
        + both(DST, "rename_to")
        + both(SRC, "copy_to")
        + both(SRC, "copy_to")
        + both(DST, "rename_from")
        + both(SRC, "rename_to")
    ), show(got)


def test_list_events(r, notify, listen):
    listener = listen()
    notify("KElg")
    assert r.lpush("l", "a") == 1
    assert r.rpush("l", "b", "c") == 3
    assert r.rpop("l") == b"c"
    assert r.lpop("l") == b"a"
    assert r.rpop("l") == b"b"  # empties the list: rpop, then del
    assert r.rpop("l") is None  # nothing
    assert listener.events(r) == (
        both("l", "lpush")
        + both("l", "rpush")
        + both("l", "rpop")
        + both("l", "lpop")
        + both("l", "rpop")
        + both("l", "del")
    )


@pytest.mark.parametrize(
    "a,b,s,t",
    [
        ("{m}a", "{m}b", "{m}s", "{m}t"),  # one shard
        # Two shards each (proxy/src/xtx/moves.rs): the same events, in
        # the same order.
        (SRC + ":l", DST + ":l", SRC + ":sets", DST + ":sets"),
    ],
    ids=["one-shard", "across-shards"],
)
def test_move_events_in_redis_order(r, notify, listen, a, b, s, t):
    # Redis 7.0 pushes on the destination before it signals the pop
    # (lmoveGenericCommand/lmoveHandlePush); SMOVE sends srem, the source's
    # del if it emptied it, then sadd.
    assert (shard_of(a) == shard_of(b)) == a.startswith("{m}")
    assert (shard_of(s) == shard_of(t)) == s.startswith("{m}")
    listener = listen(KEYEVENT + "*")
    notify("Elsg")
    r.rpush(a, "1", "2")
    r.sadd(s, "x", "y")
    assert listener.events(r) == [ke("rpush", a), ke("sadd", s)]
    assert r.lmove(a, b, "LEFT", "RIGHT") == b"1"
    assert r.rpoplpush(a, b) == b"2"  # empties a
    assert r.smove(s, t, "x")
    assert r.smove(s, t, "y")  # empties s
    got = listener.events(r)
    assert got == [
        ke("rpush", b),
        ke("lpop", a),
        ke("lpush", b),
        ke("rpop", a),
        ke("del", a),
        ke("srem", s),
        ke("sadd", t),
        ke("srem", s),
        ke("del", s),
        ke("sadd", t),
    ], show(got)


def test_set_events(r, notify, listen):
    listener = listen()
    notify("KEsg")
    assert r.sadd("s", "a", "b") == 2
    assert r.sadd("s", "a") == 0  # nothing added: nothing
    assert r.srem("s", "nope") == 0  # nothing removed: nothing
    assert r.srem("s", "a") == 1
    assert r.srem("s", "b", "c") == 1  # empties it
    assert listener.events(r) == (
        both("s", "sadd") + both("s", "srem") + both("s", "srem") + both("s", "del")
    )


def test_zset_events(r, notify, listen):
    listener = listen()
    notify("KEzg")
    assert r.zadd("z", {"a": 1, "b": 2}) == 2
    assert r.zadd("z", {"a": 5}, incr=True) == 6.0  # ZADD INCR: zincr
    assert r.zincrby("z", 2, "b") == 4.0
    assert r.zrem("z", "nope") == 0  # nothing
    assert r.zrem("z", "a") == 1
    assert r.zrem("z", "b") == 1  # empties it
    assert listener.events(r) == (
        both("z", "zadd")
        + both("z", "zincr")
        + both("z", "zincr")
        + both("z", "zrem")
        + both("z", "zrem")
        + both("z", "del")
    )


def test_geo_events(r, notify, listen):
    """GEOADD is a ZADD; a search's STORE destination gets georadiusstore
    or geosearchstore (on another shard too), or del when nothing was
    found."""
    listener = listen()
    notify("KEzg")
    assert r.geoadd(SRC, [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"]) == 2
    assert r.georadius(SRC, 15, 37, 200, unit="km", store=DST) == 2
    assert r.georadiusbymember(SRC, "Palermo", 10, unit="km", store_dist=DST) == 1
    assert r.geosearchstore(DST, SRC, longitude=15, latitude=37, radius=200, unit="km") == 2
    assert r.geosearchstore(DST, SRC, longitude=0, latitude=0, radius=1, unit="m") == 0
    assert r.exists(DST) == 0
    assert r.geosearch(SRC, member="Palermo", radius=1, unit="km") == [b"Palermo"]
    assert listener.events(r) == (
        both(SRC, "zadd")
        + both(DST, "georadiusstore")
        + both(DST, "georadiusstore")
        + both(DST, "geosearchstore")
        + both(DST, "del")
    )


def test_hash_events(r, notify, listen):
    listener = listen()
    notify("KEhg")
    assert r.hset("h", "f", "1") == 1
    r.execute_command("HMSET", "h", "g", "2", "n", "5")
    assert r.hincrby("h", "n", 3) == 8
    assert r.hdel("h", "nope") == 0  # nothing
    assert r.hdel("h", "f", "g") == 2
    assert r.hdel("h", "n") == 1  # empties it
    assert listener.events(r) == (
        both("h", "hset")
        + both("h", "hset")
        + both("h", "hincrby")
        + both("h", "hdel")
        + both("h", "hdel")
        + both("h", "del")
    )


def test_string_events(r, notify, listen):
    listener = listen()
    notify("KE$")
    r.set("s", "10")
    assert r.append("s", "0") == 3
    assert r.incr("s") == 101
    assert r.incrby("s", 9) == 110
    assert r.decr("s") == 109
    assert r.decrby("s", 9) == 100
    assert r.setrange("s", 0, "2") == 3
    assert r.incrbyfloat("s", 0.5) == 200.5
    got = listener.events(r)
    # Redis 7.0 names INCR, INCRBY, DECR and DECRBY all `incrby` (one
    # notifyKeyspaceEvent in incrDecrCommand; there is no `decrby` event).
    assert got == (
        both("s", "set")
        + both("s", "append")
        + both("s", "incrby")
        + both("s", "incrby")
        + both("s", "incrby")
        + both("s", "incrby")
        + both("s", "setrange")
        + both("s", "incrbyfloat")
    ), show(got)
    notify("KE$g")
    r.set("t", "v", ex=10)
    assert listener.events(r) == both("t", "set") + both("t", "expire")


def test_new_key_events(r, notify, listen):
    listener = listen()
    notify("KE$n")
    r.set("k", "1")
    r.set("k", "2")  # not new any more
    r.delete("k")  # g not asked for: nothing, but k is gone
    r.set("k", "3")  # new again
    assert listener.events(r) == (
        both("k", "new") + both("k", "set") + both("k", "set") + both("k", "new") + both("k", "set")
    )


def test_keymiss_events(r, notify, listen):
    listener = listen()
    notify("Km")
    r.set("k", "v")  # a write of a missing key is no miss; no $: no event
    assert r.get("k") == b"v"
    assert r.get("missing") is None
    assert listener.events(r) == [ks("missing", "keymiss")]
    notify("KEm")
    assert r.get("gone") is None
    assert listener.events(r) == both("gone", "keymiss")


# ------------------------------------------------------------ expired keys


def test_expired_event_when_a_read_finds_the_key_expired(r, notify, listen):
    listener = listen()
    notify("KEx")
    assert r.set("e", "v", px=1)
    time.sleep(0.01)  # the 1 ms TTL runs out (time passing, no condition)
    assert r.get("e") is None
    # The read expires the key and its event rides on the GET's reply; if
    # the shard's active expiry came first, its event came before the GET's
    # reply on the same link: either way it precedes the marker, once.
    assert listener.events(r) == both("e", "expired")


def test_expired_event_when_nobody_touches_the_key(r, notify, listen):
    listener = listen()
    notify("KEx")
    keys = [f"exp:{i}" for i in range(6)]
    assert len({shard_of(k) for k in keys}) == 3
    for k in keys:
        assert r.set(k, "v", px=50)
    r.set("stays", "v", ex=100)
    got = [listener.event(EXPIRY_WAIT_S) for _ in range(2 * len(keys))]
    # Each key's keyspace event comes right before its keyevent one; the
    # shards expire independently, so keys come in any order.
    pairs = [(got[i], got[i + 1]) for i in range(0, len(got), 2)]
    assert sorted(pairs) == sorted(tuple(both(k, "expired")) for k in keys)
    assert r.exists(*keys, "stays") == 1
    assert listener.events(r) == []  # nothing more (and no duplicate)


def test_spring_session_style_expiry_listener(r, notify, listen):
    # As Spring Session's ConfigureNotifyKeyspaceEventsAction: add E, g
    # and x to what is configured (unless A covers them).
    wanted = config_value(r)
    if "E" not in wanted:
        wanted += "E"
    if "A" not in wanted and "g" not in wanted:
        wanted += "g"
    if "A" not in wanted and "x" not in wanted:
        wanted += "x"
    notify(wanted)
    assert config_value(r) == "gxE"

    listener = listen("__keyevent@*__:expired", "__keyevent@*__:del")
    # One user logs in and out at once: the application deletes the keys.
    r.hset("spring:session:sessions:s0", mapping={"creationTime": "1"})
    r.set("spring:session:sessions:expires:s0", "", ex=1800)
    r.delete("spring:session:sessions:expires:s0", "spring:session:sessions:s0")
    # The others time out.
    ids = [f"s{i}" for i in range(1, 7)]
    for sid in ids:
        r.hset(f"spring:session:sessions:{sid}", mapping={"creationTime": "1"})
        r.set(f"spring:session:sessions:expires:{sid}", "", px=100)
    expired = {f"spring:session:sessions:expires:{sid}" for sid in ids}

    got = {"expired": [], "del": []}
    deadline = time.monotonic() + EXPIRY_WAIT_S
    while set(got["expired"]) != expired:
        m = listener.message(max(0.01, deadline - time.monotonic()))
        assert m["type"] == "pmessage", m
        kind = m["channel"].rsplit(":", 1)[1]
        assert m["pattern"] == f"__keyevent@*__:{kind}"
        got[kind].append(m["data"])
        if kind == "expired":
            # Spring then removes the expired session's data: a del.
            sid = m["data"].rsplit(":", 1)[1]
            assert r.delete(f"spring:session:sessions:{sid}") == 1
    rest = listener.events(r)  # the dels of the last removals
    assert all(channel == KEYEVENT + "del" for channel, _ in rest), rest
    got["del"] += [key for _, key in rest]

    assert sorted(got["expired"]) == sorted(expired)  # each once
    assert got["del"] == [
        "spring:session:sessions:expires:s0",
        "spring:session:sessions:s0",
    ] + [f"spring:session:sessions:{k.rsplit(':', 1)[1]}" for k in got["expired"]]
    assert r.keys("spring:*") == []


# ----------------------------------------------------------- applications


def test_cache_invalidation_with_a_listener_thread(r, port, notify):
    for i in range(1, 5):
        r.set(f"user:{i}", f"v{i}")
    r.set("session:x", "s")
    cache = {k.decode(): r.get(k) for k in r.keys("*")}
    notify("K$g")

    invalidated = []
    marks = queue.Queue()
    guard = threading.Lock()

    def on_key(m):
        key = m["channel"][len(KEYSPACE):]
        with guard:
            cache.pop(key, None)
            invalidated.append((key, m["data"]))

    sub = redis.Redis(port=port, socket_timeout=10, decode_responses=True)
    p = sub.pubsub()
    p.psubscribe(**{KEYSPACE + "user:*": on_key})
    p.subscribe(**{MARK: lambda m: marks.put(m["data"])})
    for _ in range(2):  # the confirmations, read before the thread starts
        m = p.get_message(timeout=WAIT_S)
        assert m is not None and m["type"] in ("psubscribe", "subscribe")
    thread = p.run_in_thread(sleep_time=0.05, daemon=True)
    try:

        def sync(token):
            assert r.publish(MARK, token) == 1
            assert marks.get(timeout=WAIT_S) == token

        r.set("user:1", "changed")
        r.expire("user:2", 100)
        r.set("session:x", "t")  # not a cached user key: no invalidation
        assert r.get("user:3") == b"v3"  # a read: nothing
        sync("one")
        with guard:
            assert invalidated == [("user:1", "set"), ("user:2", "expire")]
            assert sorted(cache) == ["session:x", "user:3", "user:4"]
        r.delete("user:3")
        with pytest.raises(redis.ResponseError, match="not an integer"):
            r.incr("user:4")  # refused: nothing changed, nothing sent
        sync("two")
        with guard:
            assert invalidated[2:] == [("user:3", "del")]
            assert sorted(cache) == ["session:x", "user:4"]
    finally:
        thread.stop()
        thread.join(timeout=WAIT_S)
        p.close()
        sub.close()
    assert not thread.is_alive()


# ------------------------------------------------ several shards, MULTI, Lua


def test_events_of_keys_on_several_shards_arrive_in_command_order(r, notify, listen):
    listener = listen(KEYEVENT + "set")
    notify("E$")
    keys = [f"{k}:{n}" for n in range(5) for k in SPREAD]
    assert len({shard_of(k) for k in keys}) == 3
    for k in keys:
        r.set(k, "v")  # each waits for its reply before the next
    got = [listener.event() for _ in keys]
    assert got == [ke("set", k) for k in keys]
    assert listener.events(r) == []


def test_events_of_one_command_over_several_shards(r, notify, listen):
    # Every key's events come, each keyspace message right before its
    # keyevent one. (Redis sends them in argument order; here each shard's
    # part of the command sends its own keys', in argument order.)
    listener = listen()
    notify("KEA")
    assert r.mset({k: "1" for k in SPREAD})
    assert r.delete(*SPREAD, "missing") == len(SPREAD)
    got = listener.events(r)
    sets, dels = got[: 2 * len(SPREAD)], got[2 * len(SPREAD):]
    for part, event in ((sets, "set"), (dels, "del")):
        pairs = [(part[i], part[i + 1]) for i in range(0, len(part), 2)]
        assert sorted(pairs) == sorted(tuple(both(k, event)) for k in SPREAD)
        keys = [key for channel, key in part if channel.startswith(KEYEVENT)]
        for shard in range(3):
            mine = [k for k in SPREAD if shard_of(k) == shard]
            assert [k for k in keys if shard_of(k) == shard] == mine


def test_events_of_multi_exec_over_several_shards(r, notify, listen):
    listener = listen()
    notify("KEA")
    pipe = r.pipeline()  # MULTI ... EXEC
    for k in SPREAD:
        pipe.set(k, "1")
    pipe.incr("a")
    pipe.append("b", "2")
    assert pipe.execute() == [True] * len(SPREAD) + [2, 2]
    got = listener.events(r)
    expected = [e for k in SPREAD for e in both(k, "set")] + both("a", "incrby") + both("b", "append")
    assert sorted(got) == sorted(expected)
    # Each event's keyspace message is right before its keyevent one, and
    # the events of one key come in command order.
    for i in range(0, len(got), 2):
        (space, event), (channel, key) = got[i], got[i + 1]
        assert (space, event) == ks(key, channel[len(KEYEVENT):])
    assert [e for e in got if e[0] == KEYSPACE + "a"] == [ks("a", "set"), ks("a", "incrby")]
    assert [e for e in got if e[0] == KEYSPACE + "b"] == [ks("b", "set"), ks("b", "append")]

    # A transaction that fails on WATCH changes nothing: no events.
    with r.pipeline() as tx:
        tx.watch("a")
        r.set("a", "other")
        tx.multi()
        tx.set("a", "mine")
        tx.set("c", "mine")
        with pytest.raises(redis.WatchError):
            tx.execute()
    assert listener.events(r) == both("a", "set")


SCRIPT = "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[2]); return 1"


@pytest.mark.parametrize(
    "keys", [("{lua}a", "{lua}b"), (SRC, DST)], ids=["one-shard", "several-shards"]
)
def test_events_of_a_lua_script(r, notify, listen, keys):
    listener = listen()
    notify("KEA")
    assert r.eval(SCRIPT, 2, *keys, "x", "y") == 1
    assert r.mget(keys) == [b"x", b"y"]
    got = listener.events(r)
    assert got == both(keys[0], "set") + both(keys[1], "set"), show(got)
