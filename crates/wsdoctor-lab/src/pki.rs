//! The lab's certificates, generated fresh at every start.
//!
//! Every TLS failure the lab shows is a real certificate that real clients reject for
//! exactly one reason. The lab CA ("wsdoctor lab CA") signs an intermediate, which
//! signs the leaves; users pass the lab CA as `--cacert`, so the healthy TLS echo
//! verifies and each broken one fails only for its intended fault. Generating at
//! start-up (rcgen) means no private key is ever committed and dates are always
//! relative to today: "expired" is expired whenever the lab runs.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Which certificate (and chain) a TLS scenario presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cert {
    /// Leaf for 127.0.0.1 + intermediate, chaining to the lab CA: correct.
    Lab,
    /// Like `Lab`, but notAfter was 30 days ago.
    Expired,
    /// Like `Lab`, but notBefore is 30 days ahead.
    NotYetValid,
    /// A leaf for 127.0.0.1 that signs itself.
    SelfSigned,
    /// Chains to the lab CA, but the only SAN is `wrong.example.invalid`.
    WrongHost,
    /// Leaf + root of a second CA that is never written out.
    UnknownCa,
    /// The `Lab` leaf sent without its intermediate.
    MissingIntermediate,
    /// Leaf + root of a CA named like a corporate TLS-inspection appliance.
    Intercepted,
}

/// Subject CN of the lab root CA (what `--cacert` trusts).
pub const LAB_CA_NAME: &str = "wsdoctor lab CA";
/// Subject CN of the lab intermediate CA.
pub const LAB_INTERMEDIATE_NAME: &str = "wsdoctor lab intermediate CA";
/// Subject CN of the untrusted private CA of `tls-unknown-ca`.
pub const OTHER_CA_NAME: &str = "wsdoctor other private CA";
/// Subject CN and organisation of the inspection CA of `tls-intercepted`.
pub const INSPECTION_CA_NAME: &str = "Fortinet SSL Inspection CA";
pub const INSPECTION_CA_ORG: &str = "Fortinet";
/// The only name in the `tls-wrong-host` certificate.
pub const WRONG_HOST: &str = "wrong.example.invalid";

/// Every certificate the lab needs, plus the PEM files it hands to users.
pub struct Pki {
    /// The lab root CA, PEM: what `--cacert` takes.
    pub ca_pem: String,
    /// A client certificate (chaining to the lab CA) that `tls-client-cert-required` accepts.
    pub client_cert_pem: String,
    pub client_key_pem: String,
    provider: Arc<CryptoProvider>,
    lab_roots: Arc<RootCertStore>,
    intermediate: CertificateDer<'static>,
    lab_leaf: Leaf,
    expired: Leaf,
    not_yet_valid: Leaf,
    self_signed: Leaf,
    wrong_host: Leaf,
    unknown_ca: (Leaf, CertificateDer<'static>),
    intercepted: (Leaf, CertificateDer<'static>),
}

struct Leaf {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

/// Why the lab's certificates could not be made or loaded.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("generating the lab certificates failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("building the lab's TLS configuration failed: {0}")]
    Tls(String),
}

type Issuer = CertifiedIssuer<'static, KeyPair>;

impl Pki {
    /// Generates the whole lab PKI with validity windows around `now`.
    pub fn generate(now: OffsetDateTime) -> Result<Pki, PkiError> {
        let year = Duration::days(365);
        let root = ca(LAB_CA_NAME, "wsdoctor lab", None, now, 10 * year, None)?;
        let inter = ca(
            LAB_INTERMEDIATE_NAME,
            "wsdoctor lab",
            None,
            now,
            5 * year,
            Some(&root),
        )?;
        let other = ca(OTHER_CA_NAME, "Example Corp", None, now, 10 * year, None)?;
        let inspection = ca(
            INSPECTION_CA_NAME,
            INSPECTION_CA_ORG,
            Some("Certificate Authority"),
            now,
            10 * year,
            None,
        )?;
        let day = Duration::days(1);
        let lab_leaf = leaf(&["127.0.0.1"], now - day, now + year, Some(&inter))?;
        let client = client_leaf(now - day, now + year, &root)?;
        let mut roots = RootCertStore::empty();
        roots
            .add(root.der().clone())
            .map_err(|e| PkiError::Tls(e.to_string()))?;
        Ok(Pki {
            ca_pem: root.pem(),
            client_cert_pem: client.0,
            client_key_pem: client.1,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            lab_roots: Arc::new(roots),
            intermediate: inter.der().clone(),
            expired: leaf(&["127.0.0.1"], now - 90 * day, now - 30 * day, Some(&inter))?,
            not_yet_valid: leaf(&["127.0.0.1"], now + 30 * day, now + year, Some(&inter))?,
            self_signed: leaf(&["127.0.0.1"], now - day, now + year, None)?,
            wrong_host: leaf(&[WRONG_HOST], now - day, now + year, Some(&inter))?,
            unknown_ca: (
                leaf(&["127.0.0.1"], now - day, now + year, Some(&other))?,
                other.der().clone(),
            ),
            intercepted: (
                leaf(&["127.0.0.1"], now - day, now + year, Some(&inspection))?,
                inspection.der().clone(),
            ),
            lab_leaf,
        })
    }

    /// The chain (leaf first) and key a scenario's server presents.
    pub fn chain(&self, cert: Cert) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let with_inter = |l: &Leaf| (vec![l.cert.clone(), self.intermediate.clone()], key(l));
        match cert {
            Cert::Lab => with_inter(&self.lab_leaf),
            Cert::Expired => with_inter(&self.expired),
            Cert::NotYetValid => with_inter(&self.not_yet_valid),
            Cert::WrongHost => with_inter(&self.wrong_host),
            Cert::SelfSigned => (vec![self.self_signed.cert.clone()], key(&self.self_signed)),
            Cert::MissingIntermediate => (vec![self.lab_leaf.cert.clone()], key(&self.lab_leaf)),
            Cert::UnknownCa => {
                let (l, ca) = &self.unknown_ca;
                (vec![l.cert.clone(), ca.clone()], key(l))
            }
            Cert::Intercepted => {
                let (l, ca) = &self.intercepted;
                (vec![l.cert.clone(), ca.clone()], key(l))
            }
        }
    }

    /// A rustls server configuration for a scenario; `client_auth` demands a client
    /// certificate chaining to the lab CA.
    pub fn server_config(
        &self,
        cert: Cert,
        client_auth: bool,
    ) -> Result<Arc<rustls::ServerConfig>, PkiError> {
        // WebSockets run over HTTP/1.1; saying so keeps h2-first clients honest.
        self.server_config_alpn(cert, client_auth, &[b"http/1.1"])
    }

    /// [`Self::server_config`] offering these ALPN protocols (the HTTP/2 scenarios
    /// offer h2 first, as real servers do).
    pub fn server_config_alpn(
        &self,
        cert: Cert,
        client_auth: bool,
        alpn: &[&[u8]],
    ) -> Result<Arc<rustls::ServerConfig>, PkiError> {
        let tls = |e: &dyn std::fmt::Display| PkiError::Tls(e.to_string());
        let builder = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls(&e))?;
        let builder = if client_auth {
            let verifier = WebPkiClientVerifier::builder_with_provider(
                self.lab_roots.clone(),
                self.provider.clone(),
            )
            .build()
            .map_err(|e| tls(&e))?;
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let (chain, key) = self.chain(cert);
        let mut config = builder.with_single_cert(chain, key).map_err(|e| tls(&e))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }

    /// A root store holding only the lab CA (for clients in tests).
    pub fn lab_roots(&self) -> Arc<RootCertStore> {
        self.lab_roots.clone()
    }

    pub fn provider(&self) -> Arc<CryptoProvider> {
        self.provider.clone()
    }
}

fn key(l: &Leaf) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(l.key.clone_key())
}

fn dn(params: &mut CertificateParams, cn: &str, org: &str, unit: Option<&str>) {
    params.distinguished_name.push(DnType::CommonName, cn);
    params
        .distinguished_name
        .push(DnType::OrganizationName, org);
    if let Some(unit) = unit {
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, unit);
    }
}

/// A CA certificate: self-signed when `parent` is `None`, else an intermediate under it.
fn ca(
    cn: &str,
    org: &str,
    unit: Option<&str>,
    now: OffsetDateTime,
    lifetime: Duration,
    parent: Option<&Issuer>,
) -> Result<Issuer, rcgen::Error> {
    let mut params = CertificateParams::default();
    dn(&mut params, cn, org, unit);
    params.not_before = now - Duration::days(1);
    params.not_after = now + lifetime;
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate()?;
    match parent {
        None => {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            CertifiedIssuer::self_signed(params, key)
        }
        Some(parent) => {
            params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
            params.use_authority_key_identifier_extension = true;
            CertifiedIssuer::signed_by(params, key, parent)
        }
    }
}

/// A server leaf for `names` (IP literals become IP SANs), self-signed without an issuer.
fn leaf(
    names: &[&str],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    issuer: Option<&Issuer>,
) -> Result<Leaf, rcgen::Error> {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    dn(
        &mut params,
        names.first().copied().unwrap_or("wsdoctor lab"),
        "wsdoctor lab",
        None,
    );
    params.not_before = not_before;
    params.not_after = not_after;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate()?;
    let cert = match issuer {
        Some(issuer) => {
            params.use_authority_key_identifier_extension = true;
            params.signed_by(&key, issuer)?
        }
        None => params.self_signed(&key)?,
    };
    Ok(Leaf {
        cert: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    })
}

/// A client certificate (PEM cert, PEM key) issued directly by the lab root.
fn client_leaf(
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    root: &Issuer,
) -> Result<(String, String), rcgen::Error> {
    let mut params = CertificateParams::default();
    dn(&mut params, "wsdoctor lab client", "wsdoctor lab", None);
    params.not_before = not_before;
    params.not_after = not_after;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, root)?;
    Ok((cert.pem(), key.serialize_pem()))
}
