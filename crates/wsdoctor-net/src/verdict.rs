//! A one-line account of how a probe ended, for `--compare-direct`: the proxied
//! report carries how the direct path fared, as words the rules can quote.

use wsdoctor_core::evidence::{
    DnsOutcome, Evidence, HttpOutcome, MessageOutcome, TcpOutcome, TlsOutcome,
};

/// "worked …" or "failed at <layer>: <what happened>".
pub(crate) fn direct_verdict(ev: &Evidence) -> String {
    if let Some(s) = &ev.session {
        return match s.message {
            MessageOutcome::Echoed { .. } | MessageOutcome::Received { .. } => {
                "worked: the upgrade succeeded and a message came back".to_string()
            }
            _ => "partly worked: the upgrade succeeded but no message came back".to_string(),
        };
    }
    if let Some(h) = &ev.http {
        return format!("failed at http: {}", http_words(&h.outcome));
    }
    if let Some(t) = &ev.tls {
        return format!("failed at tls: {}", tls_words(t));
    }
    if let Some(tcp) = &ev.tcp {
        let what: Vec<String> = tcp
            .attempts
            .iter()
            .map(|a| format!("{} {}", a.addr, tcp_words(&a.outcome)))
            .collect();
        return format!("failed at tcp: {}", what.join(", "));
    }
    if let Some(d) = &ev.dns {
        let what: Vec<String> = d
            .queries
            .iter()
            .map(|q| format!("{} {}", q.record, dns_words(&q.outcome)))
            .collect();
        return format!("failed at dns: {}", what.join(", "));
    }
    "not tried: the URL is unusable".to_string()
}

fn http_words(o: &HttpOutcome) -> String {
    match o {
        HttpOutcome::Response(r) => format!("status {} {}", r.status, r.reason),
        HttpOutcome::Silence => "no response".into(),
        HttpOutcome::Closed => "closed without a response".into(),
        HttpOutcome::Reset => "reset without a response".into(),
        HttpOutcome::NotHttp { .. } => "the answer was not HTTP".into(),
        HttpOutcome::HeadTooLarge { limit } => format!("response head over {limit} bytes"),
        HttpOutcome::Malformed { message, .. } => message.clone(),
    }
}

fn tls_words(t: &wsdoctor_core::evidence::TlsEvidence) -> String {
    match &t.outcome {
        TlsOutcome::Established => "established".into(),
        TlsOutcome::Failed { message, .. } => message.clone(),
        TlsOutcome::NotTls { .. } => "the server did not speak TLS".into(),
        TlsOutcome::Silence => "no answer to the TLS handshake".into(),
        TlsOutcome::Closed => "closed during the TLS handshake".into(),
    }
}

fn tcp_words(o: &TcpOutcome) -> String {
    match o {
        TcpOutcome::Connected => "connected".into(),
        TcpOutcome::Refused => "refused".into(),
        TcpOutcome::TimedOut => "timed out".into(),
        TcpOutcome::Unreachable { detail } => format!("unreachable ({detail})"),
        TcpOutcome::Reset => "reset".into(),
        TcpOutcome::Cancelled => "cancelled".into(),
        TcpOutcome::Error { message } => message.clone(),
    }
}

fn dns_words(o: &DnsOutcome) -> String {
    match o {
        DnsOutcome::Answers { .. } => "answered".into(),
        DnsOutcome::NoAnswer => "no answer".into(),
        DnsOutcome::NxDomain => "NXDOMAIN".into(),
        DnsOutcome::Timeout => "timed out".into(),
        DnsOutcome::Error { message } => message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsdoctor_core::evidence::{SessionEvidence, TcpAttempt, TcpEvidence};

    #[test]
    fn verdict_names_the_deepest_layer_reached() {
        let mut ev = Evidence::default();
        assert!(direct_verdict(&ev).starts_with("not tried"));
        ev.tcp = Some(TcpEvidence {
            attempts: vec![TcpAttempt {
                addr: "127.0.0.1:9".parse().expect("addr"),
                started_ms: 0.0,
                ms: 0.1,
                outcome: TcpOutcome::Refused,
            }],
            connected: None,
        });
        assert_eq!(direct_verdict(&ev), "failed at tcp: 127.0.0.1:9 refused");
        ev.session = Some(SessionEvidence {
            message: MessageOutcome::Echoed { ms: 1.0 },
            ..Default::default()
        });
        assert!(direct_verdict(&ev).starts_with("worked"));
    }
}
