//! Which forward proxy a connection goes through, decided like curl: `--proxy` first,
//! then `wss_proxy`/`ws_proxy`, the `https_proxy`/`http_proxy` they map to, and
//! `all_proxy`, each in lower and upper case, with `no_proxy` excluding hosts. The
//! environment is passed in as a function so the rules are testable without touching
//! the process environment.

use crate::options::ProxySetting;
use url::Url;
use wsdoctor_core::evidence::ProxyKind;

/// The proxy to use, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Chosen {
    pub url: Url,
    pub kind: ProxyKind,
    /// SOCKS5 with local resolution (`socks5://`) rather than by the proxy (`socks5h://`).
    pub local_dns: bool,
    /// `--proxy`, or the variable's name.
    pub chosen_by: String,
}

/// Where a connection goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Direct,
    /// A proxy variable was set but `no_proxy` matched the host.
    Bypassed {
        variable: String,
        by: String,
        /// The proxy that would have been used, credentials redacted.
        url: String,
    },
    Proxy(Chosen),
    /// The setting names no usable proxy (bad URL, unsupported scheme).
    Invalid {
        chosen_by: String,
        url: String,
        message: String,
    },
}

/// Decides the route for `host` over `ws://` (`secure == false`) or `wss://`.
pub(crate) fn choose(
    setting: &ProxySetting,
    host: &str,
    port: u16,
    secure: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Route {
    let (value, chosen_by) = match setting {
        ProxySetting::None => return Route::Direct,
        ProxySetting::Url(u) if u.trim().is_empty() => return Route::Direct,
        ProxySetting::Url(u) => (u.clone(), "--proxy".to_string()),
        ProxySetting::Auto => {
            let names: &[&str] = if secure {
                &["wss_proxy", "WSS_PROXY", "https_proxy", "HTTPS_PROXY"]
            } else {
                &["ws_proxy", "WS_PROXY", "http_proxy", "HTTP_PROXY"]
            };
            let found = names
                .iter()
                .chain(&["all_proxy", "ALL_PROXY"])
                .find_map(|n| {
                    env(n)
                        .filter(|v| !v.trim().is_empty())
                        .map(|v| (v, n.to_string()))
                });
            let Some((value, name)) = found else {
                return Route::Direct;
            };
            let no_proxy = env("no_proxy")
                .filter(|v| !v.trim().is_empty())
                .map(|v| (v, "no_proxy"))
                .or_else(|| env("NO_PROXY").map(|v| (v, "NO_PROXY")));
            if let Some((list, by)) = no_proxy
                && wsdoctor_core::tables::no_proxy_matches(&list, host, port)
            {
                return Route::Bypassed {
                    variable: name,
                    by: by.to_string(),
                    url: wsdoctor_core::redact::url(value.trim()),
                };
            }
            (value, name)
        }
    };
    parse(&value, chosen_by)
}

fn parse(value: &str, chosen_by: String) -> Route {
    let value = value.trim();
    // curl assumes http:// for a proxy without a scheme.
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    let invalid = |message: String| Route::Invalid {
        chosen_by: chosen_by.clone(),
        url: wsdoctor_core::redact::url(value),
        message,
    };
    let url = match Url::parse(&with_scheme) {
        Ok(u) if u.host_str().is_some() => u,
        Ok(_) => return invalid("the proxy URL has no host".to_string()),
        Err(e) => return invalid(format!("the proxy URL does not parse: {e}")),
    };
    let (kind, local_dns) = match url.scheme() {
        "http" => (ProxyKind::Http, false),
        "socks5" => (ProxyKind::Socks5, true),
        "socks5h" => (ProxyKind::Socks5, false),
        other => {
            return invalid(format!(
                "proxy scheme {other}:// is not supported (use http://, socks5:// or socks5h://)"
            ));
        }
    };
    Route::Proxy(Chosen {
        url,
        kind,
        local_dns,
        chosen_by,
    })
}

/// Checks a `--proxy` value the way `choose` will read it; the error says what is
/// wrong (an unsupported scheme, no host).
pub fn validate(value: &str) -> Result<(), String> {
    match parse(value, "--proxy".to_string()) {
        Route::Invalid { url, message, .. } => Err(format!("{url}: {message}")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn chosen(r: Route) -> (String, ProxyKind, String) {
        match r {
            Route::Proxy(c) => (c.url.to_string(), c.kind, c.chosen_by),
            other => panic!("expected a proxy, got {other:?}"),
        }
    }

    #[test]
    fn ws_maps_to_http_and_wss_to_https_like_curl() {
        let e = env(&[("HTTPS_PROXY", "http://s:3128"), ("http_proxy", "p:8080")]);
        assert_eq!(
            chosen(choose(&ProxySetting::Auto, "a.test", 443, true, &e)),
            (
                "http://s:3128/".into(),
                ProxyKind::Http,
                "HTTPS_PROXY".into()
            )
        );
        assert_eq!(
            chosen(choose(&ProxySetting::Auto, "a.test", 443, false, &e)),
            (
                "http://p:8080/".into(),
                ProxyKind::Http,
                "http_proxy".into()
            )
        );
    }

    #[test]
    fn websocket_variables_win_and_all_proxy_is_the_fallback() {
        let e = env(&[
            ("wss_proxy", "socks5h://s:1080"),
            ("https_proxy", "http://h:1"),
        ]);
        let (_, kind, by) = chosen(choose(&ProxySetting::Auto, "a", 443, true, &e));
        assert_eq!((kind, by.as_str()), (ProxyKind::Socks5, "wss_proxy"));
        let e = env(&[("ALL_PROXY", "socks5://s:1080")]);
        let (_, _, by) = chosen(choose(&ProxySetting::Auto, "a", 443, false, &e));
        assert_eq!(by, "ALL_PROXY");
        assert_eq!(
            choose(&ProxySetting::Auto, "a", 443, false, &env(&[])),
            Route::Direct
        );
    }

    #[test]
    fn no_proxy_bypasses_and_says_why() {
        let e = env(&[
            ("https_proxy", "http://s:3128"),
            ("NO_PROXY", "localhost,.corp.test,10.0.0.0/8"),
        ]);
        assert_eq!(
            choose(&ProxySetting::Auto, "ws.corp.test", 443, true, &e),
            Route::Bypassed {
                variable: "https_proxy".into(),
                by: "NO_PROXY".into(),
                url: "http://s:3128".into()
            }
        );
        assert!(matches!(
            choose(&ProxySetting::Auto, "10.1.2.3", 443, true, &e),
            Route::Bypassed { .. }
        ));
        assert!(matches!(
            choose(&ProxySetting::Auto, "corp.test.evil", 443, true, &e),
            Route::Proxy(_)
        ));
        // --proxy ignores NO_PROXY, like curl.
        let r = choose(
            &ProxySetting::Url("http://x:1".into()),
            "ws.corp.test",
            443,
            true,
            &e,
        );
        assert_eq!(chosen(r).2, "--proxy");
    }

    #[test]
    fn unsupported_and_broken_proxy_urls_are_invalid() {
        assert!(matches!(
            choose(
                &ProxySetting::Url("ftp://x:1".into()),
                "a",
                443,
                true,
                &env(&[])
            ),
            Route::Invalid { .. }
        ));
        assert!(matches!(
            choose(
                &ProxySetting::Url("http://[bad".into()),
                "a",
                443,
                true,
                &env(&[])
            ),
            Route::Invalid { .. }
        ));
        assert_eq!(
            choose(
                &ProxySetting::None,
                "a",
                443,
                true,
                &env(&[("ALL_PROXY", "x:1")])
            ),
            Route::Direct
        );
    }
}
