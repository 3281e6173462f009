"""Pub/sub through redis-py, as applications use it: `Redis.pubsub()` with
SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE and `get_message`, PUBLISH/SPUBLISH and
their receiver counts, the PUBSUB introspection subcommands, RESP2's
subscribed mode and RESP3's push frames beside ordinary replies, CLIENT
LIST's sub=/psub=/ssub= and flags=P, the cleanup of a subscriber that
leaves, a fan-out over a proxy with two workers, and a slow subscriber
closed for `client-output-buffer-limit pubsub` while publishing goes on, and
the issue's size: 100 subscribers, 10 publishers, 20 channels, 5 patterns
and a subscriber that stops reading.

redis-py 8 speaks RESP3 unless told otherwise, so the basic tests run
twice, with `protocol=2` and `protocol=3`. Most tests share the 3-shard,
1-worker proxy of test_smoke.py (fixture `port`); the fan-out and the slow
subscriber use a proxy of their own with `--workers 2` and a config file
setting `client-output-buffer-limit pubsub 1mb 512kb 60` (fixture `port2`).

Nothing here sleeps to wait for a condition: messages are read with
`get_message(timeout=...)` in loops bounded by a deadline, server-side
cleanup is polled with a deadline, every thread is joined with a timeout
and every client has a socket timeout.
"""

import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
import redis
from redis.crc import key_slot

from test_smoke import running_proxy
from test_smoke import port, r, r3  # noqa: F401  (pytest fixtures)

WAIT_S = 5  # deadline of every message wait and poll
SUBSCRIBED_MODE_ERROR = (
    "Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
    "are allowed in this context"
)


# ---------------------------------------------------------------- helpers


def next_message(p, timeout=WAIT_S):
    """The next message of pubsub `p` (confirmations included); fails if
    none comes before the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"no pub/sub message within {timeout} s")
        m = p.get_message(timeout=left)
        if m is not None:
            return m


def messages(p, n, timeout=WAIT_S):
    return [next_message(p, timeout) for _ in range(n)]


def msg(kind, channel, data, pattern=None):
    return {"type": kind, "pattern": pattern, "channel": channel, "data": data}


def wait_for(what, predicate, timeout=WAIT_S):
    """Polls `predicate` until true; fails with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)  # a pause between polls, not a wait for the condition


def client_line(client, name):
    rows = [c for c in client.client_list() if c["name"] == name]
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def client(request, port):
    c = redis.Redis(port=port, protocol=request.param, socket_timeout=10)
    yield c
    c.close()


@pytest.fixture
def r2(port):
    c = redis.Redis(port=port, protocol=2, socket_timeout=10)
    yield c
    c.close()


@pytest.fixture
def pubsubs():
    """`pubsubs(client)` makes a PubSub that is closed at teardown."""
    made = []

    def make(c, **kw):
        p = c.pubsub(**kw)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


# ------------------------------------------------------- a 2-worker proxy

LIMITS_CONF = "client-output-buffer-limit pubsub 1mb 512kb 60\n"


@pytest.fixture(scope="module")
def port2():
    """A proxy with 2 workers, 2 shards and a small pubsub output limit
    (hard 1 MiB, soft 512 KiB for 60 s), given in a config file."""
    with tempfile.TemporaryDirectory(prefix="shardis-pytest-pubsub-") as data:
        conf = Path(data) / "shardis.conf"
        conf.write_text(LIMITS_CONF)
        args = [str(conf), "--port", "0", "--dir", data, "--shards", "2", "--workers", "2"]
        with running_proxy(args) as p:
            yield p


# ------------------------------------------------------------ the basics


def test_subscribe_publish_and_receiver_count(client, pubsubs):
    p1, p2 = pubsubs(client), pubsubs(client)
    p1.subscribe("news", "sport")
    assert messages(p1, 2) == [
        msg("subscribe", b"news", 1),
        msg("subscribe", b"sport", 2),
    ]
    p1.subscribe("news")  # again: no new subscription, the count stays
    assert next_message(p1) == msg("subscribe", b"news", 2)
    p2.subscribe("news")
    assert next_message(p2) == msg("subscribe", b"news", 1)

    assert client.publish("news", "hello") == 2
    assert client.publish("sport", b"\x00\xff\r\n") == 1
    assert client.publish("nobody-listens", "x") == 0
    assert messages(p1, 2) == [
        msg("message", b"news", b"hello"),
        msg("message", b"sport", b"\x00\xff\r\n"),
    ]
    assert next_message(p2) == msg("message", b"news", b"hello")

    # Messages of one publisher arrive in publish order.
    for i in range(50):
        assert client.publish("news", f"n{i}") == 2
    for p in (p1, p2):
        assert [m["data"] for m in messages(p, 50)] == [f"n{i}".encode() for i in range(50)]


def test_psubscribe_pattern_messages(client, pubsubs):
    p = pubsubs(client)
    p.psubscribe("news.*", "h?llo", "room:[ab]")
    assert messages(p, 3) == [
        msg("psubscribe", b"news.*", 1),
        msg("psubscribe", b"h?llo", 2),
        msg("psubscribe", b"room:[ab]", 3),
    ]
    assert client.publish("news.art", "a") == 1
    assert client.publish("hallo", "b") == 1
    assert client.publish("room:b", "c") == 1
    assert client.publish("room:c", "no") == 0
    assert client.publish("news", "no") == 0
    assert messages(p, 3) == [
        msg("pmessage", b"news.art", b"a", pattern=b"news.*"),
        msg("pmessage", b"hallo", b"b", pattern=b"h?llo"),
        msg("pmessage", b"room:b", b"c", pattern=b"room:[ab]"),
    ]


def test_channel_and_matching_pattern_both_receive(client, pubsubs):
    p = pubsubs(client)
    p.subscribe("ev.login")
    p.psubscribe("ev.*")
    assert messages(p, 2) == [
        msg("subscribe", b"ev.login", 1),
        msg("psubscribe", b"ev.*", 2),
    ]
    assert client.publish("ev.login", "alice") == 2
    # As Redis: the channel's subscribers first, then the patterns'.
    assert messages(p, 2) == [
        msg("message", b"ev.login", b"alice"),
        msg("pmessage", b"ev.login", b"alice", pattern=b"ev.*"),
    ]
    # Two matching patterns of one client: one message per subscription.
    p.psubscribe("ev.log*")
    assert next_message(p) == msg("psubscribe", b"ev.log*", 3)
    assert client.publish("ev.logout", "bob") == 2
    got = messages(p, 2)
    assert sorted(m["pattern"] for m in got) == [b"ev.*", b"ev.log*"]
    assert all(m["type"] == "pmessage" and m["channel"] == b"ev.logout" for m in got)


def test_unsubscribe_without_arguments(client, pubsubs):
    p = pubsubs(client)
    p.subscribe("u:a", "u:b", "u:c")
    p.psubscribe("u:*")
    assert [m["data"] for m in messages(p, 4)] == [1, 2, 3, 4]

    p.unsubscribe()  # every channel, none of the patterns
    got = messages(p, 3)
    assert {m["type"] for m in got} == {"unsubscribe"}
    assert sorted(m["channel"] for m in got) == [b"u:a", b"u:b", b"u:c"]
    assert [m["data"] for m in got] == [3, 2, 1]  # the pattern still counts

    assert client.publish("u:a", "x") == 1  # the pattern only
    assert next_message(p) == msg("pmessage", b"u:a", b"x", pattern=b"u:*")

    p.punsubscribe()
    assert next_message(p) == msg("punsubscribe", b"u:*", 0)
    assert client.publish("u:a", "x") == 0

    # Nothing left to leave: one confirmation with a null name and 0.
    # (redis-py's get_message reads nothing once it is unsubscribed.)
    p.unsubscribe()
    assert p.parse_response(block=False, timeout=WAIT_S) == [b"unsubscribe", None, 0]


def test_ssubscribe_spublish_across_slots_and_namespaces(client, pubsubs):
    a, b = "orders:eu", "orders:us"
    assert key_slot(a.encode()) != key_slot(b.encode())
    shard = pubsubs(client)
    shard.ssubscribe(a, b)  # channels of two slots in one command: no CROSSSLOT
    assert messages(shard, 2) == [
        msg("ssubscribe", a.encode(), 1),
        msg("ssubscribe", b.encode(), 2),
    ]
    plain = pubsubs(client)
    plain.subscribe(a)
    plain.psubscribe("orders:*")
    assert [m["data"] for m in messages(plain, 2)] == [1, 2]

    assert client.spublish(a, "s1") == 1
    assert client.spublish(b, "s2") == 1
    assert messages(shard, 2) == [
        msg("smessage", a.encode(), b"s1"),
        msg("smessage", b.encode(), b"s2"),
    ]

    # SPUBLISH reaches neither SUBSCRIBE nor PSUBSCRIBE, PUBLISH does not
    # reach SSUBSCRIBE. Each check is followed by a message of the right
    # kind from the same publisher, so a leaked one would arrive first.
    assert client.spublish(a, "shard-only") == 1
    assert client.publish(a, "plain-only") == 2
    assert messages(plain, 2) == [
        msg("message", a.encode(), b"plain-only"),
        msg("pmessage", a.encode(), b"plain-only", pattern=b"orders:*"),
    ]
    assert next_message(shard) == msg("smessage", a.encode(), b"shard-only")
    assert client.publish(b, "plain-b") == 1  # the pattern only
    assert client.spublish(b, "shard-b") == 1
    assert next_message(shard) == msg("smessage", b.encode(), b"shard-b")
    assert next_message(plain) == msg("pmessage", b.encode(), b"plain-b", pattern=b"orders:*")

    # A shard confirmation counts shard channels only.
    plain.ssubscribe("orders:jp")
    assert next_message(plain) == msg("ssubscribe", b"orders:jp", 1)
    shard.sunsubscribe()
    got = messages(shard, 2)
    assert sorted(m["channel"] for m in got) == [a.encode(), b.encode()]
    assert [m["data"] for m in got] == [1, 0]
    assert client.spublish(a, "gone") == 0


# ------------------------------------------------------- introspection


def test_pubsub_channels_numsub_numpat_shard(r2, pubsubs):
    wait_for("no pattern left by earlier tests", lambda: r2.pubsub_numpat() == 0)
    p1, p2, p3, p4 = (pubsubs(r2) for _ in range(4))
    p1.subscribe("intro:a", "intro:b", "other:c")
    p2.subscribe("intro:a")
    p3.psubscribe("intro:*", "x?")
    p1.psubscribe("intro:*")  # one pattern, two subscribers
    p4.ssubscribe("intro:s1", "intro:s2")
    for p, n in ((p1, 4), (p2, 1), (p3, 2), (p4, 2)):
        messages(p, n)

    assert sorted(r2.pubsub_channels("intro:*")) == [b"intro:a", b"intro:b"]
    everything = set(r2.pubsub_channels())
    assert {b"intro:a", b"intro:b", b"other:c"} <= everything
    assert not everything & {b"intro:*", b"x?", b"intro:s1", b"intro:s2"}
    assert r2.pubsub_channels("nothing:*") == []

    assert r2.pubsub_numsub("intro:a", "intro:b", "nope", "intro:s1") == [
        (b"intro:a", 2),
        (b"intro:b", 1),
        (b"nope", 0),
        (b"intro:s1", 0),  # a shard channel is not a channel
    ]
    assert r2.pubsub_numsub() == []
    assert r2.pubsub_numpat() == 2  # distinct patterns

    assert sorted(r2.pubsub_shardchannels("intro:*")) == [b"intro:s1", b"intro:s2"]
    assert sorted(r2.pubsub_shardchannels()) == [b"intro:s1", b"intro:s2"]
    assert r2.pubsub_shardnumsub("intro:s1", "intro:s2", "intro:a") == [
        (b"intro:s1", 1),
        (b"intro:s2", 1),
        (b"intro:a", 0),
    ]

    # Leaving updates every answer at once (the confirmation is read).
    p2.unsubscribe("intro:a")
    p1.unsubscribe("intro:a")
    p3.punsubscribe("x?")
    p4.sunsubscribe("intro:s2")
    for p in (p1, p2, p3, p4):
        next_message(p)
    assert r2.pubsub_channels("intro:*") == [b"intro:b"]
    assert r2.pubsub_numsub("intro:a") == [(b"intro:a", 0)]
    assert r2.pubsub_numpat() == 1
    assert r2.pubsub_shardchannels() == [b"intro:s1"]


def test_pubsub_numsub_replies_an_array_in_resp3(r3, pubsubs):
    # Redis 7 answers NUMSUB and SHARDNUMSUB with a flat array in both
    # protocols; redis-py (whose default is RESP3 since 8.0) zips it into
    # pairs and fails on a map.
    p = pubsubs(r3)
    p.subscribe("n3:a")
    p.ssubscribe("n3:s")
    messages(p, 2)
    raw = r3.execute_command("PUBSUB", "NUMSUB", "n3:a", "n3:none")
    assert raw == [b"n3:a", 1, b"n3:none", 0]
    raw = r3.execute_command("PUBSUB", "SHARDNUMSUB", "n3:s")
    assert raw == [b"n3:s", 1]
    assert r3.pubsub_numsub("n3:a") == [(b"n3:a", 1)]
    assert r3.pubsub_shardnumsub("n3:s") == [(b"n3:s", 1)]


# ------------------------------------------------- RESP2 and RESP3 modes


def test_resp2_subscribed_mode_allows_only_pubsub_commands(r2, pubsubs):
    r2.set("k", "v")
    p = pubsubs(r2)
    p.subscribe("m2")
    assert next_message(p) == msg("subscribe", b"m2", 1)

    p.execute_command("GET", "k")
    with pytest.raises(redis.ResponseError) as err:
        next_message(p)
    assert str(err.value) == SUBSCRIBED_MODE_ERROR

    p.ping()
    assert p.parse_response(block=False, timeout=WAIT_S) == [b"pong", b""]
    p.ping("hi")
    assert p.parse_response(block=False, timeout=WAIT_S) == [b"pong", b"hi"]

    # Still subscribed after the refusal.
    assert r2.publish("m2", "after") == 1
    assert next_message(p) == msg("message", b"m2", b"after")

    # Once every subscription is gone, the connection is a normal one.
    p.unsubscribe("m2")
    assert p.parse_response(block=False, timeout=WAIT_S) == [b"unsubscribe", b"m2", 0]
    p.connection.send_command("GET", "k")
    assert p.connection.read_response() == b"v"

    # RESET leaves subscribed mode too, and drops the subscriptions.
    p.connection.send_command("SUBSCRIBE", "m2b")
    assert p.connection.read_response() == [b"subscribe", b"m2b", 1]
    p.connection.send_command("RESET")
    assert p.connection.read_response() == b"RESET"
    assert r2.pubsub_numsub("m2b") == [(b"m2b", 0)]
    p.connection.send_command("GET", "k")
    assert p.connection.read_response() == b"v"


def test_resp3_subscriber_runs_commands_and_gets_push_frames(r3, port, pubsubs):
    r3.set("k", "v")
    pushes = []

    def on_push(frame):
        pushes.append(frame)
        return frame  # get_message then returns it too

    p = pubsubs(r3, push_handler_func=on_push)
    p.subscribe("m3")
    assert next_message(p) == msg("subscribe", b"m3", 1)

    publisher = redis.Redis(port=port, protocol=3, socket_timeout=10)
    try:
        assert publisher.publish("m3", "one") == 1
        # An ordinary command on the subscribed connection: its reply is
        # read, and a push frame arriving around it goes to the handler.
        conn = p.connection
        conn.send_command("GET", "k")
        assert conn.read_response() == b"v"
        conn.send_command("PING")
        assert conn.read_response() == b"PONG"  # RESP3: a plain PONG
        conn.send_command("SET", "k2", "w")
        assert conn.read_response() == b"OK"
        assert publisher.publish("m3", "two") == 1
        want = [[b"message", b"m3", b"one"], [b"message", b"m3", b"two"]]
        deadline = time.monotonic() + WAIT_S
        while [f for f in pushes if f[0] == b"message"] != want:
            assert time.monotonic() < deadline, pushes
            p.get_message(timeout=0.1)  # reads push frames not yet read
        assert r3.get("k2") == b"w"
    finally:
        publisher.close()


# --------------------------------------------- CLIENT LIST and cleanup


def test_client_list_shows_subscription_counts(r, port, pubsubs):
    sub = redis.Redis(port=port, client_name="ps-listed", socket_timeout=10)
    try:
        p = pubsubs(sub)
        p.subscribe("cl:a", "cl:b")
        p.psubscribe("cl:*")
        p.ssubscribe("cl:s")
        messages(p, 4)
        line = client_line(r, "ps-listed")
        assert (line["flags"], line["sub"], line["psub"], line["ssub"]) == ("P", "2", "1", "1")

        p.unsubscribe()
        p.punsubscribe()
        messages(p, 3)
        line = client_line(r, "ps-listed")
        assert (line["flags"], line["sub"], line["psub"], line["ssub"]) == ("P", "0", "0", "1")
        p.sunsubscribe()
        assert p.parse_response(block=False, timeout=WAIT_S) == [b"sunsubscribe", b"cl:s", 0]
        line = client_line(r, "ps-listed")
        assert (line["flags"], line["sub"], line["psub"], line["ssub"]) == ("N", "0", "0", "0")
    finally:
        sub.close()


def test_subscriber_that_disconnects_is_removed(r2, port, pubsubs):
    p = pubsubs(r2)
    p.subscribe("bye")
    p.psubscribe("bye*")
    p.ssubscribe("bye")
    messages(p, 3)
    assert r2.pubsub_numsub("bye") == [(b"bye", 1)]
    assert r2.publish("bye", "x") == 2
    p.close()  # the connection closes without unsubscribing
    wait_for(
        "the closed subscriber to leave",
        lambda: r2.pubsub_numsub("bye") == [(b"bye", 0)]
        and r2.pubsub_shardnumsub("bye") == [(b"bye", 0)]
        and r2.pubsub_numpat() == 0,
    )
    assert r2.publish("bye", "x") == 0
    assert r2.spublish("bye", "x") == 0

    # A subscriber killed by CLIENT KILL leaves too.
    killed = redis.Redis(port=port, protocol=2, client_name="ps-killed", socket_timeout=10)
    try:
        k = pubsubs(killed)
        k.subscribe("bye")
        next_message(k)
        victim = client_line(r2, "ps-killed")["id"]
        assert r2.client_kill_filter(_id=victim) == 1
        wait_for("the killed subscriber to leave", lambda: r2.pubsub_numsub("bye") == [(b"bye", 0)])
        assert r2.publish("bye", "x") == 0
    finally:
        killed.close()


# ------------------------------------------------ two workers, fan-out

FAN_CHANNELS = [f"fan:{i}" for i in range(5)]
FAN_SUBSCRIBERS = 20
FAN_PUBLISHERS = 4
FAN_MESSAGES = 200  # per publisher and channel


def test_fan_out_over_two_workers(port2):
    # Subscriber i listens to two channels; each channel has 8 subscribers.
    plan = [(FAN_CHANNELS[i % 5], FAN_CHANNELS[(i + 1) % 5]) for i in range(FAN_SUBSCRIBERS)]
    per_channel = {c: sum(c in chans for chans in plan) for c in FAN_CHANNELS}
    expected_each = 2 * FAN_PUBLISHERS * FAN_MESSAGES
    clients, subs = [], []
    try:
        for chans in plan:  # one connection each: spread over both workers
            c = redis.Redis(port=port2, socket_timeout=10)
            p = c.pubsub()
            p.subscribe(*chans)
            clients.append(c)
            subs.append(p)
        for p, chans in zip(subs, plan):
            assert [(m["type"], m["channel"]) for m in messages(p, 2)] == [
                ("subscribe", ch.encode()) for ch in chans
            ]
        checker = redis.Redis(port=port2, protocol=2, socket_timeout=10)
        clients.append(checker)
        assert checker.pubsub_numsub(*FAN_CHANNELS) == [
            (c.encode(), per_channel[c]) for c in FAN_CHANNELS
        ]
        assert sum(1 for c in checker.client_list() if c["flags"] == "P") == FAN_SUBSCRIBERS

        deadline = time.monotonic() + 20
        received = [[] for _ in subs]
        errors = []

        def read(i):
            p = subs[i]
            try:
                while len(received[i]) < expected_each:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return
                    m = p.get_message(timeout=min(left, 1.0))
                    if m is not None:
                        received[i].append((m["channel"], m["data"]))
            except Exception as e:  # reported below
                errors.append(f"subscriber {i}: {e!r}")

        counts = []

        def publish(k):
            c = redis.Redis(port=port2, socket_timeout=10)
            try:
                for seq in range(FAN_MESSAGES):
                    for ch in FAN_CHANNELS:
                        n = c.publish(ch, f"{k}:{seq}")
                        if n != per_channel[ch]:
                            counts.append((k, seq, ch, n))
            except Exception as e:
                errors.append(f"publisher {k}: {e!r}")
            finally:
                c.close()

        readers = [threading.Thread(target=read, args=(i,), daemon=True) for i in range(len(subs))]
        writers = [threading.Thread(target=publish, args=(k,), daemon=True) for k in range(FAN_PUBLISHERS)]
        for t in readers + writers:
            t.start()
        for t in writers + readers:
            t.join(timeout=max(0.1, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in writers + readers), "threads still running at the deadline"
        assert errors == []
        assert counts == [], f"PUBLISH counts other than {per_channel}: {counts[:5]}"

        for i, chans in enumerate(plan):
            got = received[i]
            assert len(got) == expected_each, (i, len(got))
            for ch in chans:
                for k in range(FAN_PUBLISHERS):
                    seqs = [
                        int(d.split(b":")[1])
                        for c, d in got
                        if c == ch.encode() and d.startswith(f"{k}:".encode())
                    ]
                    assert seqs == list(range(FAN_MESSAGES)), (i, ch, k, seqs[:10])
    finally:
        for p in subs:
            p.close()
        for c in clients:
            c.close()


# ------------------------------------------------- a slow subscriber

PAYLOAD = 8192


def test_slow_subscriber_is_closed_at_its_output_limit(port2):
    pub = redis.Redis(port=port2, protocol=2, socket_timeout=10)
    good_client = redis.Redis(port=port2, socket_timeout=10)
    good = good_client.pubsub()
    slow = socket.socket()
    try:
        assert pub.config_get("client-output-buffer-limit")["client-output-buffer-limit"].endswith(
            "pubsub 1048576 524288 60"
        )
        good.subscribe("slowch")
        assert next_message(good) == msg("subscribe", b"slowch", 1)
        # A subscriber that never reads: a small receive buffer, so the
        # kernel takes little of what it is sent.
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.settimeout(WAIT_S)
        slow.connect(("127.0.0.1", port2))
        slow.sendall(b"CLIENT SETNAME ps-slow\r\nSUBSCRIBE slowch\r\n")
        confirm = b"+OK\r\n*3\r\n$9\r\nsubscribe\r\n$6\r\nslowch\r\n:1\r\n"
        got = b""
        deadline = time.monotonic() + WAIT_S
        while len(got) < len(confirm) and time.monotonic() < deadline:
            got += slow.recv(len(confirm) - len(got))
        assert got == confirm
        line = client_line(pub, "ps-slow")
        assert (line["flags"], line["sub"]) == ("P", "1")
        assert pub.pubsub_numsub("slowch") == [(b"slowch", 2)]

        received = []

        def drain(block):
            # Keeps the good subscriber at most 32 messages behind: it
            # reads whatever arrived, and waits only if that far behind.
            while True:
                m = good.get_message(timeout=WAIT_S if block() else 0)
                if m is None:
                    if block():
                        pytest.fail("the good subscriber stopped receiving")
                    return
                received.append(m["data"])

        published, dropped_at, slowest = 0, None, 0.0
        start = time.monotonic()
        for seq in range(4000):  # at most 32 MB
            t = time.monotonic()
            n = pub.publish("slowch", f"{seq:08d}".encode() + b"x" * (PAYLOAD - 8))
            slowest = max(slowest, time.monotonic() - t)
            published += 1
            if n == 1 and dropped_at is None:
                dropped_at = seq
            else:
                assert n == (2 if dropped_at is None else 1), (seq, n)
            drain(lambda: published - len(received) > 32)
            if dropped_at is not None and seq >= dropped_at + 50:
                break
        elapsed = time.monotonic() - start
        assert dropped_at is not None, "the slow subscriber was never closed"
        # Closed near 1 MiB of unsent messages (plus what the kernel holds),
        # far below the 32 MiB default.
        assert dropped_at * PAYLOAD < 16 << 20, dropped_at
        # Publishing never waited for the slow subscriber.
        assert slowest < 2.0 and elapsed < 15, (slowest, elapsed)

        # The slow subscriber's connection is closed: what the kernel held,
        # then end of stream.
        deadline = time.monotonic() + WAIT_S
        closed = False
        while time.monotonic() < deadline:
            try:
                data = slow.recv(1 << 16)
            except ConnectionResetError:
                closed = True
                break
            if not data:
                closed = True
                break
        assert closed, "the slow subscriber's connection stayed open"
        wait_for("NUMSUB to drop to 1", lambda: pub.pubsub_numsub("slowch") == [(b"slowch", 1)])

        # The good subscriber got everything, in order.
        assert pub.publish("slowch", "end") == 1
        drain(lambda: not received or received[-1] != b"end")
        assert received[-1] == b"end"
        assert [int(d[:8]) for d in received[:-1]] == list(range(published))
    finally:
        slow.close()
        good.close()
        good_client.close()
        pub.close()


def test_a_client_with_a_hundred_thousand_subscriptions_subscribes_and_leaves(r, port):
    """One SUBSCRIBE of 100,000 channels, then UNSUBSCRIBE of all: each
    costs the server one lookup per channel (not a scan of the client's
    list), and everything is gone afterwards."""
    n = 100_000
    names = [b"many:%d" % i for i in range(n)]
    parts = [b"*%d\r\n$9\r\nSUBSCRIBE\r\n" % (n + 1)]
    parts += [b"$%d\r\n%s\r\n" % (len(c), c) for c in names]
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:

        def drain(word, count):
            got, tail = 0, b""
            while got < count:
                data = s.recv(1 << 20)
                assert data, "the server closed the connection"
                chunk = tail + data
                got += chunk.count(word)
                tail = chunk[-(len(word) - 1):]

        s.sendall(b"".join(parts))
        drain(b"\nsubscribe\r\n", n)
        assert r.pubsub_numsub("many:0", "many:99999") == [(b"many:0", 1), (b"many:99999", 1)]
        assert r.publish("many:500", "x") == 1
        s.sendall(b"*1\r\n$11\r\nUNSUBSCRIBE\r\n")
        drain(b"\nunsubscribe\r\n", n)
        assert r.pubsub_numsub("many:0") == [(b"many:0", 0)]
        assert r.pubsub_channels("many:*") == []
    finally:
        s.close()


# ------------------------------------- the size, with a stalled one

BIG_CHANNELS = [f"big:{i % 5}:{i}" for i in range(20)]  # group i % 5
BIG_PATTERNS = [f"big:{g}:*" for g in range(5)]  # each matches 4 channels
BIG_SUBSCRIBERS = 100
BIG_PUBLISHERS = 10
BIG_MESSAGES = 10  # per publisher and channel: 2,000 publishes in all
STALL_PAYLOAD = 64 * 1024


def test_a_hundred_subscribers_ten_publishers_and_one_that_stops_reading(port2):
    """100 subscribers over both workers (two channels and one pattern
    each), 10 publishers on 20 channels matched by 5 patterns, and one more
    subscriber that never reads while publisher 0 also sends it 64 KiB
    messages: it is disconnected at its 1 MiB limit while the traffic goes
    on, and every other subscriber gets every message once, in publish
    order per publisher and channel, with PUBLISH counting its receivers."""
    plan = [
        ((BIG_CHANNELS[s % 20], BIG_CHANNELS[(s + 7) % 20]), BIG_PATTERNS[s % 5])
        for s in range(BIG_SUBSCRIBERS)
    ]

    def matches(pattern, channel):
        return channel.startswith(pattern[:-1])

    receivers = {
        c: sum(c in chans for chans, _ in plan) + sum(matches(p, c) for _, p in plan)
        for c in BIG_CHANNELS
    }
    expected = [
        sum((c in chans) + matches(p, c) for c in BIG_CHANNELS) * BIG_PUBLISHERS * BIG_MESSAGES
        for chans, p in plan
    ]
    clients, subs = [], []
    stalled = socket.socket()
    try:
        for chans, pattern in plan:  # one connection each: spread over both workers
            c = redis.Redis(port=port2, socket_timeout=10)
            p = c.pubsub()
            p.subscribe(*chans)
            p.psubscribe(pattern)
            clients.append(c)
            subs.append(p)
        for p in subs:
            assert [m["type"] for m in messages(p, 3)] == ["subscribe", "subscribe", "psubscribe"]
        # The stalled subscriber: every channel through a pattern, plus the
        # channel of the big messages; a small receive buffer, never read.
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.settimeout(WAIT_S)
        stalled.connect(("127.0.0.1", port2))
        stalled.sendall(b"CLIENT SETNAME ps-stalled\r\nPSUBSCRIBE big:*\r\nSUBSCRIBE stall\r\n")
        checker = redis.Redis(port=port2, protocol=2, socket_timeout=10)
        clients.append(checker)
        wait_for("the stalled subscriber", lambda: checker.pubsub_numsub("stall") == [(b"stall", 1)])
        assert sum(1 for c in checker.client_list() if c["flags"] == "P") == BIG_SUBSCRIBERS + 1
        assert checker.pubsub_numpat() == len(BIG_PATTERNS) + 1  # unique patterns, as Redis 7

        deadline = time.monotonic() + 60
        received = [[] for _ in subs]
        errors, counts, stall_counts = [], [], []

        def read(i):
            p = subs[i]
            try:
                while len(received[i]) < expected[i]:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return
                    m = p.get_message(timeout=min(left, 1.0))
                    if m is not None:
                        received[i].append((m["type"], m["channel"], m["data"]))
            except Exception as e:  # reported below
                errors.append(f"subscriber {i}: {e!r}")

        def publish(k):
            c = redis.Redis(port=port2, socket_timeout=10)
            big = b"s" * STALL_PAYLOAD
            seen_gone = False  # the stalled subscriber no longer counted
            try:
                for seq in range(BIG_MESSAGES):
                    for ch in BIG_CHANNELS:
                        n = c.publish(ch, f"{k}:{seq}")
                        if n == receivers[ch]:
                            seen_gone = True
                        elif n != receivers[ch] + 1 or seen_gone:
                            counts.append((k, seq, ch, n))
                        if k == 0:
                            stall_counts.append(c.publish("stall", big))
            except Exception as e:
                errors.append(f"publisher {k}: {e!r}")
            finally:
                c.close()

        readers = [threading.Thread(target=read, args=(i,), daemon=True) for i in range(len(subs))]
        writers = [threading.Thread(target=publish, args=(k,), daemon=True) for k in range(BIG_PUBLISHERS)]
        for t in readers + writers:
            t.start()
        for t in writers + readers:
            t.join(timeout=max(0.1, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in writers + readers), "threads still running at the deadline"
        assert errors == []
        assert counts == [], f"PUBLISH counts other than {receivers} (+1): {counts[:5]}"

        # The stalled subscriber was dropped during the traffic, near its
        # 1 MiB limit (plus what the kernel buffers), and stayed dropped.
        assert 0 in stall_counts, "the stalled subscriber was never disconnected"
        dropped_at = stall_counts.index(0)
        assert set(stall_counts[:dropped_at]) == {1} and set(stall_counts[dropped_at:]) == {0}
        assert dropped_at < len(stall_counts) // 2, (dropped_at, len(stall_counts))
        assert dropped_at * STALL_PAYLOAD < 16 << 20, dropped_at
        assert checker.pubsub_numpat() == len(BIG_PATTERNS)
        assert not [c for c in checker.client_list() if c["name"] == "ps-stalled"]

        for i, (chans, pattern) in enumerate(plan):
            got = received[i]
            assert len(got) == expected[i], (i, len(got), expected[i])
            for kind, names in (("message", chans), ("pmessage", BIG_CHANNELS)):
                for ch in names:
                    if kind == "pmessage" and not matches(pattern, ch):
                        continue
                    for k in range(BIG_PUBLISHERS):
                        seqs = [
                            int(d.split(b":")[1])
                            for t, c, d in got
                            if t == kind and c == ch.encode() and d.startswith(f"{k}:".encode())
                        ]
                        assert seqs == list(range(BIG_MESSAGES)), (i, kind, ch, k, seqs[:10])
    finally:
        stalled.close()
        for p in subs:
            p.close()
        for c in clients:
            c.close()
