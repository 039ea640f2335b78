//! The URL layer: turns what the user typed into the ws:// or wss:// URL the probe
//! uses, recording every common mistake on the way (an http scheme, no scheme, a
//! fragment, spaces, a port that does not fit the scheme, IDN hosts, credentials).
//! Pure: parsing only, no DNS.

use crate::evidence::{UrlEvidence, UrlIssue};
use crate::redact;

/// Analyse `input`. Always returns evidence; when the URL is unusable, `issues`
/// holds an `Unparseable` or `UnsupportedScheme` issue and `effective` is empty.
pub fn analyze(input: &str, show_secrets: bool) -> UrlEvidence {
    let shown = |s: &str| {
        if show_secrets {
            s.to_string()
        } else {
            redact::url(s)
        }
    };
    let mut ev = UrlEvidence {
        input: bounded(&shown(input)),
        ..UrlEvidence::default()
    };
    let trimmed = input.trim();
    let bad: String = trimmed
        .chars()
        .filter(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^')
        })
        .collect();
    if !bad.is_empty() || trimmed.len() != input.len() {
        let mut chars = describe_chars(&bad);
        if trimmed.len() != input.len() {
            chars.push_str(if chars.is_empty() {
                "leading/trailing whitespace"
            } else {
                ", leading/trailing whitespace"
            });
        }
        ev.issues.push(UrlIssue::InvalidCharacters { chars });
    }

    let with_scheme = match split_scheme(trimmed) {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "ws" | "wss" => format!("{}://{rest}", scheme.to_ascii_lowercase()),
            "http" | "https" => {
                let mapped = if scheme.eq_ignore_ascii_case("https") {
                    "wss"
                } else {
                    "ws"
                };
                ev.issues.push(UrlIssue::HttpScheme {
                    given: scheme.to_ascii_lowercase(),
                    mapped_to: mapped.into(),
                });
                format!("{mapped}://{rest}")
            }
            other => {
                ev.issues.push(UrlIssue::UnsupportedScheme {
                    scheme: other.to_string(),
                });
                return ev;
            }
        },
        None => {
            let assumed = if authority_port(trimmed) == Some(443) {
                "wss"
            } else {
                "ws"
            };
            ev.issues.push(UrlIssue::NoScheme {
                assumed: assumed.into(),
            });
            format!("{assumed}://{}", trimmed.trim_start_matches("//"))
        }
    };

    let mut parsed = match url::Url::parse(&with_scheme) {
        Ok(u) => u,
        Err(e) => {
            ev.issues.push(UrlIssue::Unparseable {
                reason: e.to_string(),
            });
            return ev;
        }
    };
    let Some(host) = parsed.host() else {
        ev.issues.push(UrlIssue::Unparseable {
            reason: "the URL has no host".into(),
        });
        return ev;
    };
    ev.host = match host {
        url::Host::Domain(d) => d.to_string(),
        url::Host::Ipv4(a) => a.to_string(),
        url::Host::Ipv6(a) => a.to_string(),
    };
    if let Some(reason) = unresolvable_host(&ev.host) {
        ev.host = String::new();
        ev.issues.push(UrlIssue::Unparseable { reason });
        return ev;
    }
    if parsed.port() == Some(0) {
        ev.issues.push(UrlIssue::Unparseable {
            reason: "port 0 cannot be connected to (it means \"any port\" only when listening)"
                .into(),
        });
        return ev;
    }
    if ev.host.split('.').any(|l| l.starts_with("xn--")) {
        let unicode = authority_host(trimmed).unwrap_or_default();
        if !unicode.is_ascii() {
            ev.issues.push(UrlIssue::Idn {
                unicode,
                ascii: ev.host.clone(),
            });
        }
    }
    if let Some(f) = parsed.fragment() {
        ev.issues.push(UrlIssue::Fragment {
            // OAuth puts tokens in fragments (#access_token=…).
            fragment: if show_secrets {
                f.to_string()
            } else {
                redact::fragment_text(f)
            },
        });
        parsed.set_fragment(None);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        ev.issues.push(UrlIssue::Userinfo);
        // Browsers do not send URL credentials on an Upgrade; neither do we.
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
    }
    if let Some(q) = parsed.query() {
        let params = redact::secret_params(q);
        if !params.is_empty() {
            ev.issues.push(UrlIssue::SecretInQuery { params });
        }
    }
    ev.secure = parsed.scheme() == "wss";
    // ws and wss are special schemes in the WHATWG parser: a default port always exists.
    ev.port = parsed
        .port_or_known_default()
        .unwrap_or(if ev.secure { 443 } else { 80 });
    if ev.secure && ev.port == 80 {
        ev.issues.push(UrlIssue::WssOnPort80);
    }
    if !ev.secure && ev.port == 443 {
        ev.issues.push(UrlIssue::WsOnPort443);
    }
    ev.resource = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_string(),
    };
    ev.effective = shown(parsed.as_str());
    ev
}

/// DNS limits (RFC 1035 §2.3.4): a name is at most 253 characters, a label 63.
/// A longer host cannot be looked up, so it is a URL mistake, not a DNS failure.
fn unresolvable_host(host: &str) -> Option<String> {
    const NAME_MAX: usize = 253;
    const LABEL_MAX: usize = 63;
    if host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    if host.trim_end_matches('.').len() > NAME_MAX {
        return Some(format!(
            "the host is {} characters long; a DNS name has at most {NAME_MAX}",
            host.len()
        ));
    }
    host.split('.').find(|l| l.len() > LABEL_MAX).map(|l| {
        format!(
            "a label of the host is {} characters long; DNS allows at most {LABEL_MAX}",
            l.len()
        )
    })
}

/// True when the issues make a probe impossible.
pub fn is_unusable(ev: &UrlEvidence) -> bool {
    ev.issues.iter().any(|i| {
        matches!(
            i,
            UrlIssue::Unparseable { .. } | UrlIssue::UnsupportedScheme { .. }
        )
    })
}

/// What the report quotes of the input: a 10,000-character URL is shortened, so
/// every finding that quotes it stays readable and the report small.
fn bounded(s: &str) -> String {
    const SHOWN: usize = 300;
    match s.char_indices().nth(SHOWN) {
        Some((i, _)) => format!("{}… ({} characters)", &s[..i], s.chars().count()),
        None => s.to_string(),
    }
}

fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    let valid = !scheme.is_empty()
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

fn authority(s: &str) -> &str {
    let rest = s
        .split_once("://")
        .map_or(s, |(_, r)| r)
        .trim_start_matches("//");
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..end];
    auth.rsplit_once('@').map_or(auth, |(_, h)| h)
}

fn authority_host(s: &str) -> Option<String> {
    let a = authority(s);
    let host = if a.starts_with('[') {
        a
    } else {
        a.rsplit_once(':').map_or(a, |(h, _)| h)
    };
    (!host.is_empty()).then(|| host.to_string())
}

fn authority_port(s: &str) -> Option<u16> {
    authority(s)
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
}

fn describe_chars(bad: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    for c in bad.chars() {
        let name = match c {
            ' ' => "space".to_string(),
            '\t' => "tab".to_string(),
            '\n' | '\r' => "line break".to_string(),
            c if c.is_control() => format!("control U+{:04X}", c as u32),
            c => format!("'{c}'"),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(ev: &UrlEvidence) -> Vec<String> {
        ev.issues
            .iter()
            .map(|i| {
                serde_json::to_value(i).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn plain_ws_url_has_no_issues() {
        let ev = analyze("ws://127.0.0.1:8080/chat?room=1", false);
        assert!(ev.issues.is_empty());
        assert_eq!(
            (ev.host.as_str(), ev.port, ev.secure),
            ("127.0.0.1", 8080, false)
        );
        assert_eq!(ev.resource, "/chat?room=1");
        assert_eq!(ev.effective, "ws://127.0.0.1:8080/chat?room=1");
    }

    #[test]
    fn https_maps_to_wss_and_keeps_going() {
        let ev = analyze("https://example.com/socket", false);
        assert_eq!(kinds(&ev), ["http-scheme"]);
        assert!(ev.secure);
        assert_eq!(ev.port, 443);
        assert_eq!(ev.effective, "wss://example.com/socket");
    }

    #[test]
    fn no_scheme_assumes_ws_or_wss_by_port() {
        let ev = analyze("example.com:443/ws", false);
        assert_eq!(
            ev.issues,
            vec![UrlIssue::NoScheme {
                assumed: "wss".into()
            }]
        );
        assert!(ev.secure);
        let ev = analyze("localhost:8080", false);
        assert_eq!(
            ev.issues,
            vec![UrlIssue::NoScheme {
                assumed: "ws".into()
            }]
        );
        assert_eq!(ev.resource, "/");
    }

    #[test]
    fn fragment_is_reported_and_dropped() {
        let ev = analyze("ws://h/ws#room", false);
        assert_eq!(
            ev.issues,
            vec![UrlIssue::Fragment {
                fragment: "room".into()
            }]
        );
        assert_eq!(ev.effective, "ws://h/ws");
    }

    #[test]
    fn spaces_are_reported_and_encoded() {
        let ev = analyze("ws://h/my socket", false);
        assert_eq!(kinds(&ev), ["invalid-characters"]);
        assert_eq!(ev.resource, "/my%20socket");
    }

    #[test]
    fn scheme_port_mismatches() {
        assert_eq!(kinds(&analyze("wss://h:80/", false)), ["wss-on-port80"]);
        assert_eq!(kinds(&analyze("ws://h:443/", false)), ["ws-on-port443"]);
    }

    #[test]
    fn idn_hosts_go_punycode() {
        let ev = analyze("wss://bücher.example/ws", false);
        assert_eq!(ev.host, "xn--bcher-kva.example");
        assert_eq!(
            ev.issues,
            vec![UrlIssue::Idn {
                unicode: "bücher.example".into(),
                ascii: "xn--bcher-kva.example".into()
            }]
        );
    }

    #[test]
    fn userinfo_and_query_secrets_are_redacted() {
        let ev = analyze("wss://u:pw@h/ws?token=abc", false);
        assert_eq!(kinds(&ev), ["userinfo", "secret-in-query"]);
        assert!(!ev.effective.contains("pw") && !ev.effective.contains("abc"));
        assert!(!ev.input.contains("pw") && !ev.input.contains("abc"));
        assert_eq!(
            ev.resource, "/ws?token=abc",
            "the probe still sends the real query"
        );
        let shown = analyze("wss://h/ws?token=abc", true);
        assert!(shown.effective.contains("abc"));
    }

    #[test]
    fn port_zero_and_names_dns_cannot_hold_are_unusable() {
        assert!(is_unusable(&analyze("ws://127.0.0.1:0/", false)));
        assert!(is_unusable(&analyze("wss://h:0/", false)));
        let long = format!("ws://{}.example/", "a".repeat(10_000));
        let ev = analyze(&long, false);
        assert!(is_unusable(&ev));
        assert!(ev.input.len() < 400, "the input is quoted bounded");
        assert!(is_unusable(&analyze(
            &format!("ws://{}.x/", "a".repeat(64)),
            false
        )));
        assert!(!is_unusable(&analyze(
            &format!("ws://{}.x/", "a".repeat(63)),
            false
        )));
    }

    #[test]
    fn fragment_tokens_are_redacted() {
        let ev = analyze("wss://h/cb#access_token=abc&state=1", false);
        assert_eq!(
            ev.issues,
            vec![UrlIssue::Fragment {
                fragment: "access_token=[redacted]&state=1".into()
            }]
        );
    }

    #[test]
    fn unusable_urls() {
        assert!(is_unusable(&analyze("ftp://h/", false)));
        assert!(is_unusable(&analyze("ws://", false)));
        assert!(is_unusable(&analyze("ws://exa mple.com/", false)));
        assert!(!is_unusable(&analyze("ws://[::1]:9/", false)));
        assert_eq!(analyze("ws://[::1]:9/", false).host, "::1");
    }
}
