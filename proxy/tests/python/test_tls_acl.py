"""redis-py over TLS and as restricted users, against a proxy this test
starts with a TLS port (a CA, server and client certificates made with the
openssl command in a temporary directory).

Covers what applications do: `ssl=True` with client certificates, a
MULTI/EXEC pipeline over TLS, a user limited to its key prefix running
redis-py's `Lock` (Lua scripts, checked on the shards as that user), a
refused key raising `NoPermissionError`, and the plain port beside TLS.
"""

import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import redis

from test_smoke import running_proxy


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_certs(d: Path):
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=pytest CA", "-keyout", str(d / "ca.key"), "-out", str(d / "ca.crt"))
    for who, ext in (("server", "san.ext"), ("client", "client.ext")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={who}",
                "-keyout", str(d / f"{who}.key"), "-out", str(d / f"{who}.csr"))
        openssl("x509", "-req", "-in", str(d / f"{who}.csr"), "-CA", str(d / "ca.crt"),
                "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-days", "2",
                "-extfile", str(d / ext), "-out", str(d / f"{who}.crt"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory(prefix="shardis-pytest-tls-") as tmp:
        d = Path(tmp)
        make_certs(d)
        tls_port = free_port()
        args = ["--port", "0", "--dir", str(d / "data"), "--shards", "2",
                "--tls-port", str(tls_port), "--tls-cert-file", str(d / "server.crt"),
                "--tls-key-file", str(d / "server.key"), "--tls-ca-cert-file", str(d / "ca.crt")]
        with running_proxy(args) as port:
            yield {"port": port, "tls_port": tls_port, "dir": d}


def tls_client(server, **kw):
    d = server["dir"]
    return redis.Redis(port=server["tls_port"], ssl=True, ssl_ca_certs=str(d / "ca.crt"),
                       ssl_certfile=str(d / "client.crt"), ssl_keyfile=str(d / "client.key"),
                       socket_timeout=10, **kw)


def test_redis_py_over_tls(server):
    r = tls_client(server)
    assert r.ping()
    r.set("tls:k", "v")
    with r.pipeline(transaction=True) as p:
        p.incr("tls:n")
        p.incr("tls:m")
        p.get("tls:k")
        assert p.execute() == [1, 1, b"v"]
    plain = redis.Redis(port=server["port"], socket_timeout=10)
    assert plain.get("tls:k") == b"v"
    # Without a client certificate the server refuses it.
    d = server["dir"]
    bare = redis.Redis(port=server["tls_port"], ssl=True, ssl_ca_certs=str(d / "ca.crt"),
                       socket_timeout=10)
    with pytest.raises(redis.ConnectionError):
        bare.ping()


def test_a_restricted_user_runs_locks_on_its_keys(server):
    admin = redis.Redis(port=server["port"], socket_timeout=10)
    admin.acl_setuser("worker", enabled=True, passwords=["+pw"], keys=["job:*"],
                      commands=["+@all", "-@dangerous"])
    w = tls_client(server, username="worker", password="pw")
    assert w.acl_whoami() == "worker"
    lock = w.lock("job:lock", timeout=5)
    assert lock.acquire(blocking=False)
    w.set("job:1", "x")
    lock.release()
    with pytest.raises(redis.exceptions.NoPermissionError):
        w.get("other")
    with pytest.raises(redis.exceptions.NoPermissionError):
        w.flushall()
    # A script reaching a key outside job:* fails as that user.
    with pytest.raises(redis.ResponseError, match="can't access"):
        w.eval("return redis.call('get', 'other')", 0)
    entry = admin.acl_log(count=1)[0]
    assert entry["username"] == "worker"
    assert entry["context"] == "lua"
