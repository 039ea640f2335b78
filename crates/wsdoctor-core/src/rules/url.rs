//! URL-layer findings: one per `UrlIssue`.

use crate::catalog::CauseId;
use crate::evidence::{Evidence, UrlIssue};
use crate::report::Finding;

pub fn findings(e: &Evidence, out: &mut Vec<Finding>) {
    for issue in &e.url.issues {
        out.push(finding(issue, e));
    }
}

fn finding(issue: &UrlIssue, e: &Evidence) -> Finding {
    match issue {
        UrlIssue::Unparseable { reason } => {
            Finding::new(CauseId::UrlUnparseable, format!("'{}' is not a valid URL: {reason}.", e.url.input))
        }
        UrlIssue::UnsupportedScheme { scheme } => Finding::new(
            CauseId::UrlUnsupportedScheme,
            format!("The scheme is {scheme}://; WebSocket URLs start with ws:// or wss://."),
        ),
        UrlIssue::HttpScheme { given, mapped_to } => Finding::new(
            CauseId::UrlHttpScheme,
            format!("{given}:// was given; wsdoctor continued with {mapped_to}://, which is what a WebSocket client needs."),
        )
        .also(format!("Write {mapped_to}:// in the client: {}", e.url.effective)),
        UrlIssue::NoScheme { assumed } => Finding::new(
            CauseId::UrlNoScheme,
            format!("No scheme was given; wsdoctor assumed {assumed}://."),
        )
        .also(format!("Write the full URL: {}", e.url.effective)),
        UrlIssue::Fragment { fragment } => Finding::new(
            CauseId::UrlFragment,
            format!("The URL ends in #{fragment}; it was removed for the probe."),
        ),
        UrlIssue::InvalidCharacters { chars } => Finding::new(
            CauseId::UrlInvalidCharacters,
            format!("The URL contains {chars}; the probe used the percent-encoded form {}.", e.url.effective),
        ),
        UrlIssue::WssOnPort80 => {
            Finding::new(CauseId::UrlWssOnPort80, "The URL asks for TLS (wss://) on port 80.")
        }
        UrlIssue::WsOnPort443 => {
            Finding::new(CauseId::UrlWsOnPort443, "The URL asks for plaintext (ws://) on port 443.")
        }
        UrlIssue::Idn { unicode, ascii } => Finding::new(
            CauseId::UrlIdnHost,
            format!("The host {unicode} is sent as {ascii}."),
        ),
        UrlIssue::Userinfo => Finding::new(
            CauseId::UrlUserinfo,
            "The URL contains user:password@; it was not sent, like browsers do.",
        ),
        UrlIssue::SecretInQuery { params } => Finding::new(
            CauseId::UrlSecretInQuery,
            format!("The query carries {} (shown as [redacted]).", params.join(", ")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::CauseId;
    use crate::evidence::Evidence;
    use crate::rules::test_support::ids;

    fn url_ids(input: &str) -> Vec<CauseId> {
        let e = Evidence {
            url: crate::url::analyze(input, false),
            ..Evidence::default()
        };
        ids(&e)
    }

    #[test]
    fn each_url_issue_maps_to_its_cause() {
        assert_eq!(url_ids("http://h/ws"), [CauseId::UrlHttpScheme]);
        assert_eq!(url_ids("h:8080/ws"), [CauseId::UrlNoScheme]);
        assert_eq!(url_ids("ws://h/ws#x"), [CauseId::UrlFragment]);
        assert_eq!(url_ids("ws://h/a b"), [CauseId::UrlInvalidCharacters]);
        assert_eq!(url_ids("wss://h:80/"), [CauseId::UrlWssOnPort80]);
        assert_eq!(url_ids("ws://h:443/"), [CauseId::UrlWsOnPort443]);
        assert_eq!(url_ids("ws://bücher.example/"), [CauseId::UrlIdnHost]);
        assert_eq!(url_ids("ws://u:p@h/"), [CauseId::UrlUserinfo]);
        assert_eq!(url_ids("ws://h/?token=1"), [CauseId::UrlSecretInQuery]);
        assert_eq!(url_ids("gopher://h/"), [CauseId::UrlUnsupportedScheme]);
        assert_eq!(url_ids("ws://"), [CauseId::UrlUnparseable]);
    }
}
