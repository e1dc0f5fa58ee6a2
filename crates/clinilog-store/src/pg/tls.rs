//! TLS to the clinic's server, verified as libpq's `sslmode=verify-full`
//! does: the server's certificate must chain to the clinic's CA and be made
//! out for the host name in the address. rustls with ring (pure Rust and
//! the same build on every OS), handed to `postgres` by
//! `tokio-postgres-rustls`.
//!
//! The address takes libpq's TLS parameters, which `postgres 0.19` does
//! not know (`verify-full`, `sslrootcert`), so they are taken out of it
//! here before the rest is parsed:
//!
//! - `sslmode=verify-full` (the default): chain and host name verified.
//! - `sslmode=verify-ca`: the chain verified, not the host name.
//! - `sslmode=disable`: no TLS, and only to this computer (`localhost`, a
//!   loopback address or a Unix socket); refused for any other host
//!   before connecting.
//! - `require`, `prefer`, `allow`: refused, in one sentence; they accept
//!   any certificate, so an impostor could pose as the clinic's server.
//! - `sslrootcert=PATH`: the clinic's CA (PEM); else `PGSSLROOTCERT`; else
//!   `~/.postgresql/root.crt`, as for `psql`.
//!
//! Over a Unix socket TLS is not used (as with libpq: the server does not
//! offer it there, and nothing crosses a network).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// How the connection to the server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS: only to this computer.
    Disable,
    /// The certificate chains to the clinic's CA; the host name is not checked.
    VerifyCa,
    /// The certificate chains to the clinic's CA and names the host.
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// libpq's word, or why Clinilog does not take it.
    fn parse(word: &str) -> Result<Self, String> {
        match word {
            "disable" => Ok(SslMode::Disable),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            "require" | "prefer" | "allow" => Err(format!(
                "sslmode={word} accepts any certificate, so another machine could pose as the clinic's server: \
                 use sslmode=verify-full (the default) with the clinic's CA as sslrootcert=PATH"
            )),
            other => Err(format!(
                "sslmode={other} is not a TLS mode: use verify-full (the default), verify-ca, or disable \
                 (this computer only)"
            )),
        }
    }
}

/// The TLS part of an address.
#[derive(Clone, Debug, PartialEq)]
pub struct TlsSettings {
    pub mode: SslMode,
    /// `sslrootcert` as given (else `PGSSLROOTCERT`), unresolved.
    pub root_cert: Option<PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` address:
/// gives the address without them, and the settings (`PGSSLMODE` and
/// `PGSSLROOTCERT` when the address leaves them out).
pub fn split_address(address: &str) -> Result<(String, TlsSettings), String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (base, query) = match address.split_once('?') {
        Some((b, q)) => (b, q),
        None => (address, ""),
    };
    let mut mode = None;
    let mut root_cert = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || {
            percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map(|v| v.into_owned())
                .map_err(|_| format!("{key} is not valid UTF-8 once decoded"))
        };
        match key {
            "sslmode" => mode = Some(decoded()?),
            "sslrootcert" => root_cert = Some(decoded()?),
            "sslcert" | "sslkey" | "sslcrl" | "sslpassword" => {
                return Err(format!(
                    "{key} is not supported: Clinilog logs in with a password (SCRAM), not a client certificate"
                ));
            }
            _ => rest.push(pair),
        }
    }
    let mode = match mode.or_else(|| env("PGSSLMODE")) {
        Some(word) => SslMode::parse(&word)?,
        None => SslMode::VerifyFull,
    };
    let root_cert = root_cert.or_else(|| env("PGSSLROOTCERT")).map(PathBuf::from);
    if root_cert.as_deref() == Some(Path::new("system")) {
        return Err("sslrootcert=system is not supported: give the clinic's CA file as sslrootcert=PATH".to_owned());
    }
    let stripped = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((stripped, TlsSettings { mode, root_cert }))
}

/// Whether `host` is this computer: `localhost`, a loopback address, or a
/// Unix socket's folder.
pub fn is_local(host: &str) -> bool {
    host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `~/.postgresql/root.crt`, where `psql` looks for the CA.
fn default_root_cert() -> Option<PathBuf> {
    Some(
        directories::BaseDirs::new()?
            .home_dir()
            .join(".postgresql")
            .join("root.crt"),
    )
}

/// The CA file to use: the one given, else `~/.postgresql/root.crt` if it exists.
pub fn root_cert_path(settings: &TlsSettings) -> Option<PathBuf> {
    settings
        .root_cert
        .clone()
        .or_else(|| default_root_cert().filter(|p| p.is_file()))
}

/// The rustls connector for `settings`, with the clinic's CA read from its
/// file. `server` names the server in the sentence when no CA is found.
pub fn connector(settings: &TlsSettings, server: &str) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let Some(path) = root_cert_path(settings) else {
        return Err(format!(
            "there is no CA to check {server}'s certificate against: add sslrootcert=PATH (the clinic's CA \
             certificate) to the address, or put it at ~/.postgresql/root.crt; nothing was sent"
        ));
    };
    let pem = std::fs::read(&path).map_err(|e| format!("cannot read the clinic's CA ({e}): {}", path.display()))?;
    let mut roots = RootCertStore::empty();
    let mut found = 0;
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
        let cert: CertificateDer<'static> =
            cert.map_err(|e| format!("the clinic's CA is not a PEM certificate ({e}): {}", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("the clinic's CA cannot be used ({e}): {}", path.display()))?;
        found += 1;
    }
    if found == 0 {
        return Err(format!(
            "the clinic's CA file holds no certificate (expected -----BEGIN CERTIFICATE-----): {}",
            path.display()
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(roots);
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?;
    let config = match settings.mode {
        SslMode::VerifyCa => {
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| format!("TLS cannot be set up: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(inner)))
                .with_no_client_auth()
        }
        _ => builder.with_root_certificates(roots).with_no_client_auth(),
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// `verify-ca`: the chain is checked as for `verify-full`; a certificate
/// made out for another name is accepted.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// What went wrong with TLS, in one sentence naming the cause, when `e`
/// is a TLS failure (`None` for any other error).
pub fn explain(e: &postgres::Error, server: &str, host: &str, settings: &TlsSettings) -> Option<String> {
    let ca = root_cert_path(settings).map_or_else(|| "the CA file".to_owned(), |p| p.display().to_string());
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        let inner = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        for candidate in [Some(s), inner].into_iter().flatten() {
            if let Some(r) = candidate.downcast_ref::<rustls::Error>() {
                return Some(rustls_sentence(r, server, host, &ca));
            }
        }
        source = s.source();
    }
    let text = e.to_string();
    let detail = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
    if detail.contains("server does not support TLS") || text.contains("server does not support TLS") {
        return Some(format!(
            "{server} does not offer TLS, so nothing was sent: the clinic's IT must turn on ssl in its \
             postgresql.conf with a certificate from the clinic's CA (see the README)"
        ));
    }
    if let Some(db) = e.as_db_error()
        && db.code() == &postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        && db.message().contains("no encryption")
    {
        return Some(format!(
            "{server} accepts only TLS connections: remove sslmode=disable from the address and give the \
             clinic's CA as sslrootcert=PATH"
        ));
    }
    None
}

fn rustls_sentence(e: &rustls::Error, server: &str, host: &str, ca: &str) -> String {
    let after = "nothing was sent";
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => format!(
                "{server}'s certificate is not signed by the clinic's CA in {ca}: check that this is the \
                 clinic's CA and that the address names the clinic's server; {after}"
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => format!(
                "{server}'s certificate is not made out for the name \"{host}\": connect with the host name \
                 written on the certificate; {after}"
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("{server}'s certificate has expired: the clinic's IT must renew it; {after}")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("{server}'s certificate is not valid yet: check this computer's clock; {after}")
            }
            CertificateError::Revoked => format!("{server}'s certificate was revoked; {after}"),
            other => format!("{server}'s certificate was refused ({other:?}); {after}"),
        },
        other => format!("the TLS connection to {server} failed ({other}); {after}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_the_address() {
        let (rest, s) = split_address(
            "postgres://nurse@db.clinic/clinic?sslmode=verify-ca&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=3",
        )
        .unwrap();
        assert_eq!(rest, "postgres://nurse@db.clinic/clinic?connect_timeout=3");
        assert_eq!(s.mode, SslMode::VerifyCa);
        assert_eq!(s.root_cert.as_deref(), Some(Path::new("/etc/ca.pem")));
    }

    #[test]
    fn modes_that_accept_any_certificate_are_refused_with_the_reason() {
        for word in ["require", "prefer", "allow"] {
            let e = split_address(&format!("postgres://db/c?sslmode={word}")).unwrap_err();
            assert!(e.contains("any certificate") && e.contains("verify-full"), "{e}");
        }
        let e = split_address("postgres://db/c?sslmode=strict").unwrap_err();
        assert!(e.contains("not a TLS mode"), "{e}");
        let e = split_address("postgres://db/c?sslcert=/x").unwrap_err();
        assert!(e.contains("client certificate"), "{e}");
    }

    #[test]
    fn only_this_computer_is_local() {
        for h in [
            "localhost",
            "127.0.0.1",
            "127.8.9.1",
            "::1",
            "[::1]",
            "/var/run/postgresql",
        ] {
            assert!(is_local(h), "{h}");
        }
        for h in ["db.clinic", "10.0.0.5", "192.168.1.1", "localhost.evil.example"] {
            assert!(!is_local(h), "{h}");
        }
    }
}
