//! HTTPS with rustls (on ring, as the rest of the workspace): the server's certificate and key
//! from PEM files, and client certificates (mTLS) required per namespace.
//!
//! A namespace with `client_ca_file` accepts only requests whose connection presented a
//! certificate chain that verifies against that CA. The handshake itself asks for a client
//! certificate without requiring one, checked against every configured client CA together,
//! so a namespace without mTLS (and a browser without certificates) still connects; which CA
//! must have signed it is then checked per request, for the namespace the request names.

use crate::auth::AuthError;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use zeroize::Zeroizing;

// rustls 0.23.48 deprecates its ring provider (no post-quantum key exchange); ring stays, as
// for reqwest here, because aws-lc-rs would add a C and cmake build. Classical X25519/P-256
// key exchange is what the Web UI's and the CLI's TLS stacks negotiate with it.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    // Named explicitly: rustls would panic choosing a process default if another crate in
    // the build ever turned on a second provider.
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(what: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| format!("{what}: cannot read file {}: {e}", path.display()))
}

/// Every certificate in a PEM file, in order; at least one.
fn read_certs(what: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read(what, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what}: file {} is not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{what}: file {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

/// The private key of a PEM file. Its errors never quote the file: a parse error could show
/// a part of the key.
fn read_key(what: &str, path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = read(what, path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => format!(
            "{what}: file {} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)",
            path.display()
        ),
        _ => format!("{what}: file {} is not valid PEM", path.display()),
    })
}

/// The SHA-256 of a certificate, as `openssl x509 -fingerprint -sha256` shows it: public,
/// and what a reload logs to say which certificate is now served.
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    let digest = Sha256::digest(cert.as_ref());
    let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}

/// A namespace's client CA: the certificates a client's chain must lead to.
pub struct ClientCa {
    file: PathBuf,
    roots: Vec<CertificateDer<'static>>,
    verifier: Arc<dyn ClientCertVerifier>,
}

impl fmt::Debug for ClientCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCa")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

fn root_store(what: &str, certs: &[CertificateDer<'static>]) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert.clone())
            .map_err(|e| format!("{what}: a certificate is not usable as a CA: {e}"))?;
    }
    Ok(roots)
}

impl ClientCa {
    pub fn load(what: &str, file: &Path) -> Result<ClientCa, String> {
        let roots = read_certs(what, file)?;
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(root_store(what, &roots)?), provider())
                .build()
                .map_err(|e| format!("{what}: {e}"))?;
        Ok(ClientCa {
            file: file.to_owned(),
            roots,
            verifier,
        })
    }

    /// Fingerprints of the CA certificates, to tell whether a reload changed them.
    pub fn fingerprints(&self) -> Vec<String> {
        self.roots.iter().map(fingerprint).collect()
    }

    /// Whether the connection's client certificate chain leads to this CA.
    pub fn check(&self, cert: Option<&ClientCert>) -> Result<(), AuthError> {
        let Some(chain) = cert.map(|c| &c.0[..]).filter(|c| !c.is_empty()) else {
            return Err(AuthError::Unauthenticated(
                "this namespace requires a client certificate (mTLS) and the connection presented none"
                    .into(),
            ));
        };
        self.verifier
            .verify_client_cert(&chain[0], &chain[1..], UnixTime::now())
            .map(|_| ())
            .map_err(|e| {
                AuthError::Forbidden(format!(
                    "the client certificate is not accepted by this namespace's client CA: {e}"
                ))
            })
    }
}

/// The certificate chain a client presented on its TLS connection (a request extension).
#[derive(Clone, Debug)]
pub struct ClientCert(pub Arc<Vec<CertificateDer<'static>>>);

/// `[server.tls]`, loaded: what new connections are accepted with.
pub struct ServerTls {
    acceptor: TlsAcceptor,
    cert_fingerprint: String,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls")
            .field("cert_sha256", &self.cert_fingerprint)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// The certificate chain and key from their files; `client_cas` are every namespace's
    /// client CAs (none: no client certificate is asked for).
    pub fn load(cert_file: &Path, key_file: &Path, client_cas: &[&ClientCa]) -> Result<ServerTls, String> {
        let chain = read_certs("server.tls.cert_file", cert_file)?;
        let key = read_key("server.tls.key_file", key_file)?;
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("server.tls: {e}"))?;
        let builder = if client_cas.is_empty() {
            builder.with_no_client_auth()
        } else {
            let all: Vec<CertificateDer<'static>> = client_cas
                .iter()
                .flat_map(|ca| ca.roots.iter().cloned())
                .collect();
            let verifier = WebPkiClientVerifier::builder_with_provider(
                Arc::new(root_store("client_ca_file", &all)?),
                provider(),
            )
            .allow_unauthenticated()
            .build()
            .map_err(|e| format!("client_ca_file: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        };
        let cert_fingerprint = fingerprint(&chain[0]);
        let mut config = builder.with_single_cert(chain, key).map_err(|e| {
            // Such as a key that is not the certificate's: rustls's message names no key bytes.
            format!(
                "server.tls: certificate {} and key {} do not make a pair: {e}",
                cert_file.display(),
                key_file.display()
            )
        })?;
        // HTTP/1.1 is all the server speaks.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServerTls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            cert_fingerprint,
        })
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }

    /// SHA-256 of the served (leaf) certificate.
    pub fn cert_fingerprint(&self) -> &str {
        &self.cert_fingerprint
    }
}
