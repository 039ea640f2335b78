//! A server-certificate verifier that records every problem before deciding. It runs
//! webpki's real verification (the decision, unless `-k`), then checks dates, the
//! host name and the chain separately so that "expired AND wrong host AND unknown CA"
//! all show up in one run.

use super::certs::{self, Sent};
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, Error, RootCertStore, SignatureScheme};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wsdoctor_core::evidence::{CertInfo, CertProblem};

/// What the verifier saw, read back after the handshake.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    pub chain: Vec<CertInfo>,
    pub problems: Vec<CertProblem>,
}

#[derive(Debug)]
pub(crate) struct RecordingVerifier {
    pub roots: Arc<RootCertStore>,
    pub algs: WebPkiSupportedAlgorithms,
    pub insecure: bool,
    pub recorded: Arc<Mutex<Recorded>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let (chain, problems, verdict) = self.judge(end_entity, intermediates, server_name, now);
        if let Ok(mut r) = self.recorded.lock() {
            r.chain = chain;
            r.problems = problems;
        }
        match verdict {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

impl RecordingVerifier {
    /// The chain as sent, every problem, and webpki's verdict: what a handshake
    /// records, and what a capture's certificates are judged with.
    pub(crate) fn judge(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> (Vec<CertInfo>, Vec<CertProblem>, Result<(), Error>) {
        let verdict = self.full_check(end_entity, intermediates, server_name, now);
        let (chain, problems) = self.inspect(end_entity, intermediates, server_name, now, &verdict);
        (chain, problems, verdict)
    }

    /// webpki's own verdict: chain to a trust anchor at `now`, then the name.
    fn full_check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let cert = ParsedCertificate::try_from(end_entity)?;
        verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.roots,
            intermediates,
            now,
            self.algs.all,
        )?;
        verify_server_name(&cert, server_name)
    }

    /// Every problem, each check independent of the others.
    fn inspect(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
        verdict: &Result<(), Error>,
    ) -> (Vec<CertInfo>, Vec<CertProblem>) {
        let ders: Vec<&[u8]> = std::iter::once(end_entity.as_ref())
            .chain(intermediates.iter().map(|c| c.as_ref()))
            .collect();
        let sent: Vec<Sent<'_>> = ders.iter().filter_map(|d| Sent::parse(d)).collect();
        let chain: Vec<CertInfo> = sent.iter().map(Sent::info).collect();
        let now_s = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let mut problems = certs::date_problems(&chain, now_s);
        if let Some(p) = self.name_problem(end_entity, server_name, &chain) {
            problems.push(p);
        }
        if let Some(p) = self.chain_problem(end_entity, intermediates, &sent, &chain) {
            problems.push(p);
        }
        if let Some(p) = certs::interception(&chain) {
            problems.push(p);
        }
        if sent.len() != ders.len() {
            problems.push(CertProblem::Other {
                message: "a certificate the server sent could not be parsed".to_string(),
            });
        }
        if problems.is_empty()
            && let Err(e) = verdict
        {
            // webpki refused for a reason none of our checks names (bad signature,
            // wrong key usage, …): keep its words.
            problems.push(CertProblem::Other {
                message: e.to_string(),
            });
        }
        (chain, problems)
    }

    fn name_problem(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        chain: &[CertInfo],
    ) -> Option<CertProblem> {
        let cert = ParsedCertificate::try_from(end_entity).ok()?;
        match verify_server_name(&cert, server_name) {
            Ok(()) => None,
            Err(_) => Some(CertProblem::HostnameMismatch {
                host: server_name.to_str().into_owned(),
                sans: chain.first().map(|c| c.sans.clone()).unwrap_or_default(),
            }),
        }
    }

    /// The chain checked at a time when every certificate is valid, so only trust is judged.
    fn chain_problem(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        sent: &[Sent<'_>],
        chain: &[CertInfo],
    ) -> Option<CertProblem> {
        let cert = ParsedCertificate::try_from(end_entity).ok()?;
        let at = u64::try_from(certs::time_inside(chain)).unwrap_or(0);
        let at = UnixTime::since_unix_epoch(Duration::from_secs(at));
        match verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.roots,
            intermediates,
            at,
            self.algs.all,
        ) {
            Ok(()) => None,
            Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
                let trusted: Vec<Vec<u8>> = self
                    .roots
                    .roots
                    .iter()
                    .map(|a| certs::name_contents(a.subject.as_ref()).to_vec())
                    .collect();
                certs::chain_problem(sent, &trusted)
            }
            // Windows that do not overlap: the dates are already recorded.
            Err(Error::InvalidCertificate(
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. },
            )) => None,
            Err(e) => Some(CertProblem::Other {
                message: e.to_string(),
            }),
        }
    }
}
