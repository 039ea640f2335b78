//! The probe's judgement without its sockets, for `wsdoctor pcap`: a capture shows the
//! same bytes a live `check` reads, so it must turn them into evidence the same way —
//! the response as shown (secrets redacted), the start of a refusal's body, what a
//! non-HTTP answer looked like, the codec's violation as evidence, the deflate the
//! server accepted, and the caps on what is kept. One place, used by both.

use wsdoctor_core::evidence::{
    CertInfo, CertProblem, HttpOutcome, HttpResponse, TlsOutcome, Violation,
};
use wsdoctor_proto::deflate;
use wsdoctor_proto::handshake::Response;
use wsdoctor_proto::session::ProtocolViolation;

/// How much of a non-101 body is kept.
pub const BODY_CAP: usize = crate::http::BODY_CAP;
/// Server frame headers kept as evidence.
pub const MAX_FRAMES: usize = crate::session::MAX_FRAMES;
/// Server ping times kept as evidence.
pub const MAX_SERVER_PINGS: usize = crate::session::MAX_SERVER_PINGS;

/// The response head as a report shows it: header values redacted unless `show_secrets`.
pub fn shown_response(r: &Response, show_secrets: bool) -> HttpResponse {
    crate::http::shown_response(r, show_secrets)
}

/// Bytes that cannot start an HTTP response (a TLS record is told apart).
pub fn not_http(buf: &[u8]) -> HttpOutcome {
    crate::http::not_http(buf)
}

/// A head that started but did not complete, with why.
pub fn partial_head(buf: &[u8], message: &str) -> HttpOutcome {
    crate::http::partial(buf, message)
}

/// A body or message as safe text (control characters escaped).
pub fn lossy_text(bytes: &[u8]) -> String {
    crate::text::lossy_text(bytes)
}

/// The preview of a text message a report shows.
pub fn preview_text(t: &str) -> String {
    crate::session::preview_text(t)
}

/// The preview of a binary message a report shows.
pub fn preview_binary(b: &[u8]) -> String {
    crate::session::preview_binary(b)
}

/// The codec's violation as evidence.
pub fn violation(v: &ProtocolViolation) -> Violation {
    crate::session::violation(v)
}

/// The permessage-deflate parameters the server accepted of what the client offered.
pub fn negotiated_deflate(offered: &[String], response: &Response) -> Option<deflate::Params> {
    crate::session::negotiated_deflate(offered, response)
}

/// A TLS record starts with a content type 20..=24 and major version 3.
pub fn looks_like_tls(first: &[u8]) -> bool {
    crate::tls::looks_like_tls(first)
}

/// The outcome the probe records when a TLS port answered with something else.
pub fn not_tls(first: &[u8]) -> TlsOutcome {
    TlsOutcome::NotTls {
        first_bytes: crate::text::printable(&first[..first.len().min(crate::tls::FIRST_BYTES)]),
    }
}

/// A protocol version as the probe names it (`TLSv1.3`).
pub fn tls_version_name(code: u16) -> String {
    crate::tls::version_name(&format!("{:?}", rustls::ProtocolVersion::from(code)))
}

/// A cipher suite as the probe names it (`TLS13_AES_128_GCM_SHA256`).
pub fn cipher_name(code: u16) -> String {
    format!("{:?}", rustls::CipherSuite::from(code))
}

/// Judges a captured certificate chain as the probe's verifier judges the one it is
/// sent: the same trust anchors (`--cacert`, the store), the same checks, every
/// problem recorded.
#[derive(Debug)]
pub struct CertJudge {
    verifier: crate::tls::RecordingVerifier,
}

impl CertJudge {
    /// Trust anchors as `check` loads them from the same options; the error names the
    /// file and why.
    pub fn new(opts: &crate::ProbeOptions) -> Result<CertJudge, String> {
        let setup = crate::tls::TlsSetup::new(opts)?;
        Ok(CertJudge {
            verifier: setup.verifier(),
        })
    }

    /// The chain (leaf first, DER) for `host` (a name, or the IP address connected to
    /// when the client sent no SNI) at `now` (Unix seconds): its certificates and
    /// every problem.
    pub fn judge(
        &self,
        ders: &[Vec<u8>],
        host: &str,
        now: i64,
    ) -> (Vec<CertInfo>, Vec<CertProblem>) {
        use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
        let Some((leaf, rest)) = ders.split_first() else {
            return (Vec::new(), Vec::new());
        };
        let Ok(name) = ServerName::try_from(host.to_string()) else {
            return (
                Vec::new(),
                vec![CertProblem::Other {
                    message: format!("{host:?} is not a name TLS can verify"),
                }],
            );
        };
        let leaf = CertificateDer::from(leaf.as_slice());
        let rest: Vec<CertificateDer<'_>> = rest
            .iter()
            .map(|d| CertificateDer::from(d.as_slice()))
            .collect();
        let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            u64::try_from(now).unwrap_or(0),
        ));
        let (chain, problems, _) = self.verifier.judge(&leaf, &rest, &name, at);
        (chain, problems)
    }
}
