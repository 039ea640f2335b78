//! Building the rustls client configuration from the options: trust anchors
//! (webpki-roots or the system store, plus `--cacert`), the client certificate, ALPN,
//! and the recording hooks whose results the handshake reads back.

use super::verify::{Recorded, RecordingVerifier};
use crate::options::{CaStore, ProbeOptions};
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, SignatureScheme};
use std::io::BufReader;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// PEM files larger than this are not certificate bundles we should read.
const PEM_CAP: u64 = 16 * 1024 * 1024;

/// What one handshake recorded through its hooks.
#[derive(Debug, Default)]
pub(crate) struct HandshakeState {
    pub recorded: Arc<Mutex<Recorded>>,
    pub client_cert_requested: Arc<AtomicBool>,
}

/// Trust anchors and client identity, loaded once per probe.
pub(crate) struct TlsSetup {
    provider: Arc<CryptoProvider>,
    roots: Arc<RootCertStore>,
    client: Option<Arc<CertifiedKey>>,
    insecure: bool,
}

impl TlsSetup {
    /// Loads everything the options name; the error says which file and why.
    pub(crate) fn new(opts: &ProbeOptions) -> Result<TlsSetup, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        match opts.ca_store {
            CaStore::Webpki => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            CaStore::System => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
            }
        }
        if let Some(path) = &opts.cacert {
            let certs = read_certs(path, "--cacert")?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!(
                    "--cacert {}: no usable CA certificate in the file",
                    path.display()
                ));
            }
        }
        let client = match (&opts.client_cert, &opts.client_key) {
            (Some(cert), Some(key)) => Some(load_identity(&provider, cert, key)?),
            (Some(cert), None) => Some(load_identity(&provider, cert, cert)?),
            (None, Some(_)) => return Err("--key needs --cert".to_string()),
            (None, None) => None,
        };
        Ok(TlsSetup {
            provider,
            roots: Arc::new(roots),
            client,
            insecure: opts.insecure,
        })
    }

    /// A verifier that records into its own state (for judging a capture's chain).
    pub(crate) fn verifier(&self) -> RecordingVerifier {
        RecordingVerifier {
            roots: self.roots.clone(),
            algs: self.provider.signature_verification_algorithms,
            insecure: self.insecure,
            recorded: Default::default(),
        }
    }

    /// A fresh configuration with fresh hooks for one handshake, offering `alpn`.
    pub(crate) fn client_config(
        &self,
        alpn: &[&[u8]],
    ) -> Result<(Arc<ClientConfig>, HandshakeState), String> {
        let state = HandshakeState::default();
        let verifier = RecordingVerifier {
            recorded: state.recorded.clone(),
            ..self.verifier()
        };
        let resolver = NotingResolver {
            identity: self.client.clone(),
            requested: state.client_cert_requested.clone(),
        };
        let builder = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS configuration: {e}"))?;
        let mut config = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_client_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        // SSLKEYLOGFILE, as curl and browsers honour it: the TLS secrets appended to
        // that file, so a capture of this check can be decrypted (`wsdoctor pcap
        // --keylog`, Wireshark). Unset, nothing is written.
        config.key_log = Arc::new(rustls::KeyLogFile::new());
        Ok((Arc::new(config), state))
    }
}

/// Offers the client certificate (if any) and notes that the server asked for one.
#[derive(Debug)]
struct NotingResolver {
    identity: Option<Arc<CertifiedKey>>,
    requested: Arc<AtomicBool>,
}

impl ResolvesClientCert for NotingResolver {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.requested.store(true, Ordering::Relaxed);
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        // Always ask to be consulted, so a CertificateRequest is noticed even
        // without a certificate to offer.
        true
    }
}

fn read_certs(path: &Path, flag: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut reader = open_capped(path, flag)?;
    rustls_pemfile::certs(&mut reader)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{flag} {}: {e}", path.display()))
}

fn load_identity(
    provider: &CryptoProvider,
    cert: &Path,
    key: &Path,
) -> Result<Arc<CertifiedKey>, String> {
    let certs = read_certs(cert, "--cert")?;
    if certs.is_empty() {
        return Err(format!(
            "--cert {}: no certificate in the file",
            cert.display()
        ));
    }
    let mut reader = open_capped(key, "--key")?;
    let key_der = rustls_pemfile::private_key(&mut reader)
        .map_err(|e| format!("--key {}: {e}", key.display()))?
        .ok_or_else(|| format!("--key {}: no private key in the file", key.display()))?;
    let signing = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| format!("--key {}: {e}", key.display()))?;
    Ok(Arc::new(CertifiedKey::new(certs, signing)))
}

fn open_capped(path: &Path, flag: &str) -> Result<BufReader<std::io::Take<std::fs::File>>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    Ok(BufReader::new(file.take(PEM_CAP)))
}
