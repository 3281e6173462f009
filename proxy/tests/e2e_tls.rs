//! TLS through the real binaries: a CA, server and client certificates
//! made by the test (rcgen), a rustls client; client certificates
//! required and refused, a certificate from another CA refused, the plain
//! port beside the TLS port, garbage instead of a handshake dropped
//! without harm to others, and the certificate reloaded by CONFIG SET
//! without dropping open TLS connections (a bad file refused, nothing
//! changed).

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    sync::Arc,
};

use common::{Opts, Server, TempDir, IO_TIMEOUT};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use redis::Commands;
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer, ServerName};

/// A certificate authority made for the test.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().expect("a key");
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(rcgen::DnType::CommonName, name.to_string());
        let cert = p.self_signed(&key).expect("a CA certificate");
        Ca { cert, key }
    }

    /// A certificate for `names` signed by this CA, written as
    /// `<stem>.crt` and `<stem>.key` in `dir`.
    fn issue(&self, dir: &Path, stem: &str, names: &[&str]) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().expect("a key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let p = CertificateParams::new(names).expect("params");
        let cert = p.signed_by(&key, &self.cert, &self.key).expect("signed");
        let (c, k) = (
            dir.join(format!("{stem}.crt")),
            dir.join(format!("{stem}.key")),
        );
        std::fs::write(&c, cert.pem()).expect("write");
        std::fs::write(&k, key.serialize_pem()).expect("write");
        (c, k)
    }

    fn write(&self, path: &Path) {
        std::fs::write(path, self.cert.pem()).expect("write");
    }
}

/// A port free now on 127.0.0.1 (bound and let go).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn client_config(ca: &Path, client: Option<(&Path, &Path)>) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).expect("ca") {
        roots.add(c.expect("a cert")).expect("add");
    }
    let b = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let cfg = match client {
        None => b.with_no_client_auth(),
        Some((cert, key)) => {
            let certs: Vec<_> = CertificateDer::pem_file_iter(cert)
                .expect("cert")
                .map(|c| c.expect("a cert"))
                .collect();
            let key = PrivateKeyDer::from_pem_file(key).expect("key");
            b.with_client_auth_cert(certs, key).expect("client auth")
        }
    };
    Arc::new(cfg)
}

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

fn connect(port: u16, cfg: Arc<rustls::ClientConfig>) -> Tls {
    let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    sock.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    sock.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let name = ServerName::try_from("localhost").expect("a name");
    let conn = rustls::ClientConnection::new(cfg, name).expect("a client");
    rustls::StreamOwned::new(conn, sock)
}

/// Sends `cmd` (inline) and reads one line of reply; `Err` if the
/// connection failed (a refused handshake shows here).
fn ask(tls: &mut Tls, cmd: &str) -> std::io::Result<String> {
    tls.write_all(format!("{cmd}\r\n").as_bytes())?;
    tls.flush()?;
    read_line(tls)
}

/// Reads one reply line.
fn read_line(tls: &mut Tls) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if tls.read(&mut b)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        line.push(b[0]);
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

struct Setup {
    _tmp: TempDir,
    dir: PathBuf,
    ca: Ca,
    server: Server,
    tls_port: u16,
}

/// A fresh directory with a CA (`ca.crt`) and a server certificate for
/// localhost and 127.0.0.1 signed by it; the certificate and key paths.
fn server_certs(ca_name: &str) -> (TempDir, Ca, PathBuf, PathBuf) {
    let tmp = TempDir::new();
    let ca = Ca::new(ca_name);
    ca.write(&tmp.0.join("ca.crt"));
    let (cert, key) = ca.issue(&tmp.0, "server", &["localhost", "127.0.0.1"]);
    (tmp, ca, cert, key)
}

fn start(auth: &str) -> Setup {
    let (tmp, ca, cert, key) = server_certs("shardis test CA");
    let dir = tmp.0.clone();
    let tls_port = free_port();
    let path = |p: &Path| p.display().to_string();
    let server = Server::start(
        Opts::shards(2)
            .flag("--tls-port", &tls_port.to_string())
            .flag("--tls-cert-file", &path(&cert))
            .flag("--tls-key-file", &path(&key))
            .flag("--tls-ca-cert-file", &path(&dir.join("ca.crt")))
            .flag("--tls-auth-clients", auth),
    );
    Setup {
        _tmp: tmp,
        dir,
        ca,
        server,
        tls_port,
    }
}

#[test]
fn client_certificates_are_required_and_checked() {
    let s = start("yes");
    let ca = s.dir.join("ca.crt");
    let (cc, ck) = s.ca.issue(&s.dir, "client", &["client"]);
    let mut good = connect(s.tls_port, client_config(&ca, Some((&cc, &ck))));
    assert_eq!(ask(&mut good, "PING").unwrap(), "+PONG");
    assert_eq!(ask(&mut good, "SET tlskey over-tls").unwrap(), "+OK");
    // The plain port serves beside it, the same data.
    let mut plain = s.server.client();
    assert_eq!(plain.get::<_, String>("tlskey").unwrap(), "over-tls");
    // The redis crate's own TLS (rediss://), unchanged.
    let pem = |p: &Path| std::fs::read(p).expect("read");
    let certs = redis::TlsCertificates {
        client_tls: Some(redis::ClientTlsConfig {
            client_cert: pem(&cc),
            client_key: pem(&ck),
        }),
        root_cert: Some(pem(&ca)),
    };
    let url = format!("rediss://127.0.0.1:{}/", s.tls_port);
    let client = redis::Client::build_with_tls(url, certs).expect("a TLS client");
    let mut crate_tls = client
        .get_connection_with_timeout(IO_TIMEOUT)
        .expect("the redis crate over TLS");
    assert_eq!(crate_tls.get::<_, String>("tlskey").unwrap(), "over-tls");
    // redis-cli --tls, unchanged.
    let path = |p: &Path| p.display().to_string();
    let out = std::process::Command::new("redis-cli")
        .args([
            "--tls",
            "--cacert",
            &path(&ca),
            "--cert",
            &path(&cc),
            "--key",
            &path(&ck),
        ])
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &s.tls_port.to_string(),
            "GET",
            "tlskey",
        ])
        .output()
        .expect("redis-cli (CI installs redis-tools)");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "over-tls");
    // No certificate: refused.
    let mut none = connect(s.tls_port, client_config(&ca, None));
    assert!(
        ask(&mut none, "PING").is_err(),
        "a client without a certificate"
    );
    // A certificate from another CA: refused.
    let other = Ca::new("another CA");
    let (oc, ok) = other.issue(&s.dir, "stranger", &["stranger"]);
    let mut stranger = connect(s.tls_port, client_config(&ca, Some((&oc, &ok))));
    assert!(
        ask(&mut stranger, "PING").is_err(),
        "a certificate of another CA"
    );
    // Garbage instead of a handshake: dropped; everyone else goes on.
    let mut raw = TcpStream::connect(("127.0.0.1", s.tls_port)).unwrap();
    raw.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    raw.write_all(b"*1\r\n$4\r\nPING\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = raw.read(&mut buf).unwrap_or(0);
    assert!(
        !buf[..n].starts_with(b"+PONG"),
        "plain RESP on the TLS port"
    );
    assert_eq!(ask(&mut good, "GET tlskey").unwrap(), "$8");
    assert_eq!(plain.get::<_, String>("tlskey").unwrap(), "over-tls");
}

#[test]
fn optional_client_certificates_and_a_reloaded_certificate() {
    let s = start("optional");
    let ca = s.dir.join("ca.crt");
    let mut anon = connect(s.tls_port, client_config(&ca, None));
    assert_eq!(ask(&mut anon, "PING").unwrap(), "+PONG");
    // A new server certificate from a new CA: new connections get it,
    // the open one stays.
    let ca2 = Ca::new("second CA");
    ca2.write(&s.dir.join("ca2.crt"));
    let (cert2, key2) = ca2.issue(&s.dir, "server2", &["localhost"]);
    let mut admin = s.server.client();
    // A bad file first: refused, nothing changes.
    let bad: redis::RedisResult<()> = redis::cmd("CONFIG")
        .arg(&["SET", "tls-cert-file", "/nonexistent/cert.pem"])
        .query(&mut admin);
    let e = bad.expect_err("a missing certificate file");
    assert!(
        format!("{e}").contains("Unable to update TLS configuration"),
        "{e}"
    );
    let mut again = connect(s.tls_port, client_config(&ca, None));
    assert_eq!(ask(&mut again, "PING").unwrap(), "+PONG");
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("tls-cert-file")
        .arg(cert2.display().to_string())
        .arg("tls-key-file")
        .arg(key2.display().to_string())
        .query::<()>(&mut admin)
        .unwrap();
    let mut new = connect(s.tls_port, client_config(&s.dir.join("ca2.crt"), None));
    assert_eq!(ask(&mut new, "PING").unwrap(), "+PONG");
    let mut old_ca = connect(s.tls_port, client_config(&ca, None));
    assert!(
        ask(&mut old_ca, "PING").is_err(),
        "the old certificate is gone"
    );
    assert_eq!(
        ask(&mut anon, "PING").unwrap(),
        "+PONG",
        "the open connection stays"
    );
    let got: String = redis::cmd("CONFIG")
        .arg(&["GET", "tls-cert-file"])
        .query::<Vec<String>>(&mut admin)
        .unwrap()
        .remove(1);
    assert_eq!(got, cert2.display().to_string());
}

#[test]
fn tls_only_serves_no_plain_port() {
    let (tmp, _ca, cert, key) = server_certs("tls-only CA");
    let dir = tmp.0.clone();
    let tls_port = free_port();
    let mut child = std::process::Command::new(common::proxy_bin())
        .args(["--tls-only", "--tls-port", &tls_port.to_string()])
        .args(["--tls-cert-file", &cert.display().to_string()])
        .args(["--tls-key-file", &key.display().to_string()])
        .args(["--tls-auth-clients", "no", "--shards", "1"])
        .args(["--dir", &dir.join("data").display().to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn the proxy");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("a line");
    let killed = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    if line.trim() != format!("shardis ready on TLS port {tls_port}") {
        killed(&mut child);
        panic!("unexpected first line: {line:?}");
    }
    let mut c = connect(tls_port, client_config(&dir.join("ca.crt"), None));
    let pong = ask(&mut c, "PING");
    // CONFIG GET port: the plain port is 0, none.
    let first = ask(&mut c, "CONFIG GET port");
    let rest: Vec<String> = (0..4)
        .map(|_| read_line(&mut c).unwrap_or_default())
        .collect();
    killed(&mut child);
    assert_eq!(pong.unwrap(), "+PONG");
    assert_eq!(first.unwrap(), "*2");
    assert_eq!(rest, ["$4", "port", "$1", "0"]);
}
