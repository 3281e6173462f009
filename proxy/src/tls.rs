//! TLS for clients, with rustls: the server configuration built from the
//! `tls-*` parameters, rebuilt by `CONFIG SET`, and the handshake of a
//! connection accepted on `tls-port`.
//!
//! **Cost.** Plain connections never see this module: a TLS connection
//! is accepted on its own listener, its handshake runs in its own task
//! (bounded by [`HANDSHAKE_TIMEOUT`], and counted with the clients
//! against `maxclients`: past it a new TLS socket is closed at once), and
//! then it is served by the same connection code, built for the TLS
//! stream type, as a plain one.
//!
//! **Reload.** `CONFIG SET tls-cert-file ...` (and the other `tls-*`
//! files and options) builds a new configuration first; if it fails
//! (a missing file, a bad key), nothing changes and CONFIG SET answers
//! the error. New connections use the new configuration; open ones keep
//! theirs.
//!
//! **Parameters** (Redis's names): `tls-port` (0: no TLS; set at start),
//! `tls-cert-file`, `tls-key-file` (PEM), `tls-ca-cert-file` and/or
//! `tls-ca-cert-dir` (PEM certificates trusted for client
//! certificates), `tls-auth-clients yes|no|optional`, `tls-protocols`
//! (`TLSv1.2` and/or `TLSv1.3`; empty: both), `tls-ciphersuites` (TLS 1.3
//! suites, OpenSSL's names, `:`-separated; empty: rustls's defaults).
//! TLS 1.0 and 1.1 and TLS 1.2 cipher lists (`tls-ciphers`) are not
//! offered: rustls does not have them.

use std::{
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use rustls::{
    crypto::CryptoProvider,
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    server::WebPkiClientVerifier,
    RootCertStore, ServerConfig,
};

/// How long a TLS client has to finish its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The parameters a TLS configuration is built from.
pub const PARAMS: [&str; 7] = [
    "tls-cert-file",
    "tls-key-file",
    "tls-ca-cert-file",
    "tls-ca-cert-dir",
    "tls-auth-clients",
    "tls-protocols",
    "tls-ciphersuites",
];

/// The configuration new TLS connections get, and the handshakes under
/// way.
#[derive(Default)]
pub struct Tls {
    config: Mutex<Option<Arc<ServerConfig>>>,
    /// Handshakes started and not finished: they count against
    /// `maxclients` (a client that connects and never speaks must not
    /// hold sockets past the limit).
    pending: AtomicU64,
}

/// A handshake under way, counted in [`Tls::pending`] until dropped.
pub struct Handshake<'a>(&'a AtomicU64);

impl Drop for Handshake<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Tls {
    /// Starts a handshake if fewer than `room` are under way.
    pub fn begin(&self, room: u64) -> Option<Handshake<'_>> {
        let n = self.pending.fetch_add(1, Ordering::Relaxed);
        let h = Handshake(&self.pending);
        (n < room).then_some(h)
    }

    /// The configuration in force, if TLS is on.
    pub fn acceptor(&self) -> Option<tokio_rustls::TlsAcceptor> {
        let c = self.config.lock().unwrap_or_else(|p| p.into_inner());
        c.clone().map(tokio_rustls::TlsAcceptor::from)
    }

    /// Puts `config` in force.
    pub fn set(&self, config: Arc<ServerConfig>) {
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = Some(config);
    }
}

/// Reads every certificate of PEM file `path`.
fn certs_of(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read '{}': {e}", path.display()))?
        .collect();
    let certs = certs.map_err(|e| format!("bad certificate in '{}': {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in '{}'", path.display()));
    }
    Ok(certs)
}

/// The trusted certificates of `file` and every file of `dir`.
fn roots(file: &str, dir: &str) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    let mut paths = Vec::new();
    if !file.is_empty() {
        paths.push(std::path::PathBuf::from(file));
    }
    if !dir.is_empty() {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read directory '{dir}': {e}"))?;
        for e in entries.flatten() {
            if e.path().is_file() {
                paths.push(e.path());
            }
        }
    }
    for p in paths {
        for c in certs_of(&p)? {
            store
                .add(c)
                .map_err(|e| format!("bad CA certificate in '{}': {e}", p.display()))?;
        }
    }
    Ok(store)
}

/// The ring provider with the TLS 1.3 suites `names` asks for (OpenSSL's
/// names: `TLS_AES_256_GCM_SHA384:...`), all if empty.
fn provider(names: &str) -> Result<CryptoProvider, String> {
    let mut p = rustls::crypto::ring::default_provider();
    if names.trim().is_empty() {
        return Ok(p);
    }
    let mut keep = Vec::new();
    for name in names.split(':').map(str::trim).filter(|n| !n.is_empty()) {
        let want = name.strip_prefix("TLS_").unwrap_or(name);
        let found = p.cipher_suites.iter().find(|s| {
            s.version() == &rustls::version::TLS13
                && s.suite().as_str().and_then(|n| n.strip_prefix("TLS13_")) == Some(want)
        });
        match found {
            Some(s) => keep.push(*s),
            None => return Err(format!("unknown TLS 1.3 cipher suite '{name}'")),
        }
    }
    // The TLS 1.2 suites stay (tls-ciphers is not offered).
    keep.extend(
        p.cipher_suites
            .iter()
            .filter(|s| s.version() == &rustls::version::TLS12)
            .copied(),
    );
    p.cipher_suites = keep;
    Ok(p)
}

/// The protocol versions `tls-protocols` names (empty: 1.2 and 1.3).
fn versions(spec: &str) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let mut v = Vec::new();
    for word in spec.split_whitespace() {
        match word.to_ascii_lowercase().as_str() {
            "tlsv1.2" => v.push(&rustls::version::TLS12),
            "tlsv1.3" => v.push(&rustls::version::TLS13),
            _ => {
                return Err(format!(
                    "unsupported TLS protocol '{word}' (TLSv1.2 and TLSv1.3 are)"
                ))
            }
        }
    }
    if v.is_empty() {
        v = vec![&rustls::version::TLS12, &rustls::version::TLS13];
    }
    Ok(v)
}

/// Builds the server configuration from the parameters (`get` gives a
/// parameter's value by name).
pub fn build(get: impl Fn(&str) -> String) -> Result<Arc<ServerConfig>, String> {
    let cert = get("tls-cert-file");
    let key = get("tls-key-file");
    if cert.is_empty() || key.is_empty() {
        return Err("TLS needs tls-cert-file and tls-key-file".into());
    }
    let certs = certs_of(Path::new(&cert))?;
    let key = PrivateKeyDer::from_pem_file(&key)
        .map_err(|e| format!("cannot read a private key from '{key}': {e}"))?;
    let provider = Arc::new(provider(&get("tls-ciphersuites"))?);
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(&get("tls-protocols"))?)
        .map_err(|e| format!("TLS protocols: {e}"))?;
    let auth = get("tls-auth-clients");
    let builder = if auth == "no" {
        builder.with_no_client_auth()
    } else {
        let roots = roots(&get("tls-ca-cert-file"), &get("tls-ca-cert-dir"))?;
        if roots.is_empty() {
            return Err("tls-auth-clients needs tls-ca-cert-file or tls-ca-cert-dir".into());
        }
        let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
        let v = match auth == "optional" {
            true => v.allow_unauthenticated(),
            false => v,
        };
        let v = v.build().map_err(|e| format!("client verifier: {e}"))?;
        builder.with_client_cert_verifier(v)
    };
    let config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshakes_under_way_are_bounded() {
        let tls = Tls::default();
        let a = tls.begin(2).expect("room for one");
        let b = tls.begin(2).expect("room for two");
        assert!(tls.begin(2).is_none(), "a third is refused");
        drop(a);
        let c = tls.begin(2).expect("room again");
        drop((b, c));
        assert_eq!(tls.pending.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = build(|_| String::new()).expect_err("no certificate");
        assert!(e.contains("tls-cert-file"), "{e}");
        let e = versions("TLSv1.1").expect_err("refused");
        assert!(e.contains("TLSv1.1"), "{e}");
        let e = provider("TLS_NOPE").expect_err("refused");
        assert!(e.contains("TLS_NOPE"), "{e}");
        assert!(provider("TLS_AES_256_GCM_SHA384").is_ok());
    }
}
