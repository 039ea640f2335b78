//! Certificate facts from x509 data, independent of webpki's verdict. webpki stops at
//! the first error and calls self-signed, unknown CA and missing intermediate all
//! `UnknownIssuer`; a diagnosis needs every problem and needs them told apart, so
//! this module reads the chain itself. It does no IO and takes `now` as a parameter.

use std::net::IpAddr;
use wsdoctor_core::evidence::{CertInfo, CertProblem};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Issuer-name fragments of TLS-inspecting proxies and antivirus products, lower case.
const INTERCEPTORS: &[&str] = &[
    "zscaler",
    "fortinet",
    "fortigate",
    "palo alto",
    "blue coat",
    "bluecoat",
    "symantec web gateway",
    "netskope",
    "forcepoint",
    "sophos",
    "cisco umbrella",
    "kaspersky",
    "avast",
    "eset",
    "mitmproxy",
    "charles proxy",
    "charlesproxy",
    "fiddler",
    "do_not_trust",
    "portswigger",
    "burp",
    "ssl inspection",
    "intercept",
];

/// One certificate as sent by the server, parsed once.
pub(crate) struct Sent<'a> {
    pub x509: X509Certificate<'a>,
}

impl<'a> Sent<'a> {
    pub(crate) fn parse(der: &'a [u8]) -> Option<Sent<'a>> {
        X509Certificate::from_der(der)
            .ok()
            .map(|(_, x509)| Sent { x509 })
    }

    fn subject_raw(&self) -> &[u8] {
        name_contents(self.x509.subject().as_raw())
    }

    fn issuer_raw(&self) -> &[u8] {
        name_contents(self.x509.issuer().as_raw())
    }

    pub(crate) fn self_signed(&self) -> bool {
        self.subject_raw() == self.issuer_raw()
    }

    pub(crate) fn info(&self) -> CertInfo {
        let v = self.x509.validity();
        CertInfo {
            subject: self.x509.subject().to_string(),
            issuer: self.x509.issuer().to_string(),
            sans: sans(&self.x509),
            not_before: v.not_before.timestamp(),
            not_after: v.not_after.timestamp(),
            is_ca: self.x509.is_ca(),
            self_signed: self.self_signed(),
            serial: self.x509.raw_serial_as_string(),
        }
    }
}

/// The DER contents of a Name, without its SEQUENCE header: the form webpki keeps
/// trust-anchor subjects in, so names from both sides compare byte for byte.
pub(crate) fn name_contents(raw: &[u8]) -> &[u8] {
    if raw.first() != Some(&0x30) {
        return raw;
    }
    let Some(&len0) = raw.get(1) else { return raw };
    let header = if len0 < 0x80 {
        2
    } else {
        2 + usize::from(len0 & 0x7f)
    };
    raw.get(header..).unwrap_or(raw)
}

/// Subject alternative names as text: DNS names as is, IP addresses formatted.
pub(crate) fn sans(x509: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(ext)) = x509.subject_alternative_name() else {
        return Vec::new();
    };
    ext.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(d.to_string()),
            GeneralName::IPAddress(b) => ip_from_bytes(b).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect()
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Validity problems of every certificate sent, at `now` (unix seconds).
pub(crate) fn date_problems(chain: &[CertInfo], now: i64) -> Vec<CertProblem> {
    let mut out = Vec::new();
    for c in chain {
        let p = if now > c.not_after {
            CertProblem::Expired {
                not_after: c.not_after,
            }
        } else if now < c.not_before {
            CertProblem::NotYetValid {
                not_before: c.not_before,
            }
        } else {
            continue;
        };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// A time inside every sent certificate's validity window (or the leaf's, when the
/// windows do not overlap), so the chain can be checked without the dates getting in
/// the way.
pub(crate) fn time_inside(chain: &[CertInfo]) -> i64 {
    let latest_start = chain.iter().map(|c| c.not_before).max().unwrap_or(0);
    let earliest_end = chain.iter().map(|c| c.not_after).min().unwrap_or(0);
    let (a, b) = if latest_start <= earliest_end {
        (latest_start, earliest_end)
    } else {
        chain
            .first()
            .map(|c| (c.not_before, c.not_after))
            .unwrap_or((0, 0))
    };
    (a / 2 + b / 2).max(0)
}

/// Why the chain does not reach a trust anchor, from what was sent and which subjects
/// are trusted (`trusted` holds Name contents, see [`name_contents`]).
pub(crate) fn chain_problem(sent: &[Sent<'_>], trusted: &[Vec<u8>]) -> Option<CertProblem> {
    let leaf = sent.first()?;
    if sent.len() == 1 && leaf.self_signed() {
        return Some(CertProblem::SelfSigned {
            subject: leaf.x509.subject().to_string(),
        });
    }
    let last = sent.last()?;
    if last.self_signed() {
        // The server sent a root of its own that the client does not trust.
        return Some(CertProblem::UnknownIssuer {
            issuer: last.x509.subject().to_string(),
        });
    }
    if trusted.iter().any(|t| t.as_slice() == last.issuer_raw()) {
        // The issuer is trusted yet the chain did not verify: not a missing link.
        return None;
    }
    let issuer = last.x509.issuer().to_string();
    if last.x509.is_ca() {
        Some(CertProblem::UnknownIssuer { issuer })
    } else {
        // Only the leaf was sent and its issuer is no trust anchor: the intermediate
        // that would link it to a root was left out.
        Some(CertProblem::IncompleteChain {
            missing_issuer: issuer,
        })
    }
}

/// A certificate in the chain issued by a known TLS-inspection product.
pub(crate) fn interception(chain: &[CertInfo]) -> Option<CertProblem> {
    chain
        .iter()
        .find(|c| is_interceptor(&c.issuer))
        .map(|c| CertProblem::InterceptionSuspected {
            issuer: c.issuer.clone(),
        })
}

fn is_interceptor(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    INTERCEPTORS.iter().any(|p| {
        // Short product names must match a whole word ("eset" not "reset").
        lower
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|w| w == *p)
            || (p.contains(' ') && lower.contains(p))
            || (p.len() > 6 && lower.contains(p))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(nb: i64, na: i64, issuer: &str) -> CertInfo {
        CertInfo {
            not_before: nb,
            not_after: na,
            issuer: issuer.into(),
            ..Default::default()
        }
    }

    #[test]
    fn dates_are_checked_per_certificate() {
        let chain = vec![info(100, 200, "a"), info(0, 150, "b"), info(300, 400, "c")];
        assert_eq!(
            date_problems(&chain, 170),
            vec![
                CertProblem::Expired { not_after: 150 },
                CertProblem::NotYetValid { not_before: 300 }
            ]
        );
        assert!(date_problems(&chain[..1], 150).is_empty());
    }

    #[test]
    fn time_inside_overlapping_windows() {
        assert_eq!(time_inside(&[info(100, 200, ""), info(0, 150, "")]), 125);
        // No overlap: the leaf's window.
        assert_eq!(time_inside(&[info(100, 200, ""), info(300, 400, "")]), 150);
    }

    #[test]
    fn interception_products_are_recognised_by_word() {
        assert!(is_interceptor(
            "CN=Zscaler Intermediate Root CA, O=Zscaler Inc."
        ));
        assert!(is_interceptor("CN=ESET SSL Filter CA"));
        assert!(is_interceptor("CN=mitmproxy, O=mitmproxy"));
        assert!(is_interceptor("CN=Corp SSL Inspection CA"));
        assert!(!is_interceptor("CN=R3, O=Let's Encrypt, C=US"));
        assert!(!is_interceptor("CN=Reset Networks CA"));
    }

    #[test]
    fn name_contents_strips_short_and_long_headers() {
        assert_eq!(name_contents(&[0x30, 0x02, 0x31, 0x00]), &[0x31, 0x00]);
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend(std::iter::repeat_n(0x31, 0x80));
        assert_eq!(name_contents(&long).len(), 0x80);
        assert_eq!(name_contents(&[0x31, 0x00]), &[0x31, 0x00]);
        assert_eq!(name_contents(&[0x30]), &[0x30]);
    }
}
