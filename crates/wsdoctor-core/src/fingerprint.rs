//! Who answered: recognises servers and intermediaries (nginx, HAProxy, Apache,
//! Envoy, Cloudflare, AWS ELB, Vercel, Netlify, Socket.IO, SockJS, …) from a response's
//! headers and body, so a finding can point the fix at the right component (and
//! [`crate::tables::stacks`] can name a stack's own known failure).

use crate::evidence::HttpResponse;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Reverse proxy or load balancer: sits in front of the application.
    Proxy,
    /// CDN or WAF at the edge.
    Edge,
    /// The application server or framework itself.
    App,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    pub name: &'static str,
    pub role: Role,
    /// The body is the component's own error page (it answered itself rather than
    /// passing a backend's answer on).
    pub own_page: bool,
    /// The header or body text that identified it.
    pub clue: String,
}

/// Every component the response reveals, most specific first.
pub fn identify(r: &HttpResponse) -> Vec<Component> {
    let server = r.header("server").unwrap_or("").to_ascii_lowercase();
    let body = r.body.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut add = |name, role, own_page, clue: String| {
        out.push(Component {
            name,
            role,
            own_page,
            clue,
        })
    };

    if server.contains("cloudflare") || r.header("cf-ray").is_some() {
        let own = body.contains("cloudflare");
        add("Cloudflare", Role::Edge, own, clue(r, "cf-ray", "server"));
    }
    // Platforms whose functions answer the request: they pass an Upgrade on as a plain
    // request (their own error pages carry x-vercel-error, or name Netlify).
    if server == "vercel" || r.header("x-vercel-id").is_some() {
        let own = r.header("x-vercel-error").is_some();
        add("Vercel", Role::Edge, own, clue(r, "x-vercel-id", "server"));
    }
    if server == "netlify" || r.header("x-nf-request-id").is_some() {
        let own = body.contains("netlify");
        add(
            "Netlify",
            Role::Edge,
            own,
            clue(r, "x-nf-request-id", "server"),
        );
    }
    if server.starts_with("awselb") || body.contains("awselb") {
        add(
            "AWS ELB",
            Role::Proxy,
            body.contains("awselb") || r.body.trim().is_empty(),
            header_clue(r, "server"),
        );
    }
    if server.contains("envoy") || r.header("x-envoy-upstream-service-time").is_some() {
        let own = r.body.trim().is_empty()
            || body.contains("upstream connect error")
            || body.contains("no healthy upstream");
        add(
            "Envoy",
            Role::Proxy,
            own,
            clue(r, "x-envoy-upstream-service-time", "server"),
        );
    }
    if server.starts_with("nginx")
        || server.starts_with("openresty")
        || body.contains("<center>nginx")
    {
        add(
            "nginx",
            Role::Proxy,
            body.contains("<center>nginx") || body.contains("<center>openresty"),
            header_clue(r, "server"),
        );
    }
    if server.starts_with("haproxy")
        || body.contains("no server is available to handle this request")
    {
        add("HAProxy", Role::Proxy, true, "HAProxy error page".into());
    }
    if server.starts_with("apache") || body.contains("<address>apache") {
        add(
            "Apache httpd",
            Role::Proxy,
            body.contains("<address>apache"),
            header_clue(r, "server"),
        );
    }
    if server.starts_with("wsdoctor-lab") {
        // The lab's own refusal (its connection cap), not the scenario's fault.
        add(
            "the wsdoctor lab",
            Role::App,
            true,
            header_clue(r, "server"),
        );
    }
    if let Some(via) = r.header("via") {
        add(
            "a proxy (Via header)",
            Role::Proxy,
            false,
            format!("Via: {via}"),
        );
    }
    if body.contains("transport unknown")
        || body.contains("session id unknown")
        || body.contains("\"sid\"")
    {
        add(
            "Socket.IO (engine.io)",
            Role::App,
            true,
            "engine.io error body".into(),
        );
    }
    if body.contains("welcome to sockjs")
        || body.contains("can \"upgrade\" only to \"websocket\"")
        || body.contains("\"websocket\":true")
    {
        add("SockJS", Role::App, true, "SockJS body".into());
    }
    for (needle, name) in [
        ("simplehttp", "Python http.server"),
        ("werkzeug", "Werkzeug (Flask dev server)"),
        ("gunicorn", "gunicorn"),
        ("uvicorn", "uvicorn"),
        ("kestrel", "Kestrel"),
        ("jetty", "Jetty"),
        ("microsoft-iis", "IIS"),
        ("python/", "a Python server"),
    ] {
        if server.contains(needle) {
            add(name, Role::App, true, header_clue(r, "server"));
            break;
        }
    }
    if let Some(p) = r.header("x-powered-by") {
        add(
            "an application framework (X-Powered-By)",
            Role::App,
            true,
            format!("X-Powered-By: {p}"),
        );
    }
    out
}

/// The first component in front of the application that passed a backend answer on
/// instead of answering itself: the sign of a proxy that dropped the Upgrade.
pub fn passing_proxy(components: &[Component]) -> Option<&Component> {
    components
        .iter()
        .find(|c| matches!(c.role, Role::Proxy | Role::Edge) && !c.own_page)
}

pub fn is_socketio(components: &[Component]) -> bool {
    components.iter().any(|c| c.name.starts_with("Socket.IO"))
}

/// The request path is Socket.IO's or engine.io's (`/socket.io/`, `/engine.io/`, also
/// under a prefix): the server there speaks that protocol, not raw WebSocket.
pub fn is_socketio_path(resource: &str) -> bool {
    let path = resource.split(['?', '#']).next().unwrap_or("");
    ["/socket.io", "/engine.io"].iter().any(|word| {
        path.match_indices(word)
            .any(|(i, _)| matches!(path[i + word.len()..].chars().next(), None | Some('/')))
    })
}

pub fn is_sockjs(components: &[Component]) -> bool {
    components.iter().any(|c| c.name == "SockJS")
}

fn header_clue(r: &HttpResponse, name: &str) -> String {
    r.header(name)
        .map(|v| format!("{name}: {v}"))
        .unwrap_or_else(|| "response body".into())
}

fn clue(r: &HttpResponse, first: &str, second: &str) -> String {
    if r.header(first).is_some() {
        header_clue(r, first)
    } else {
        header_clue(r, second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(headers: &[(&str, &str)], body: &str) -> HttpResponse {
        crate::rules::test_support::response(400, headers, body)
    }

    #[test]
    fn nginx_passing_a_backend_answer_is_a_passing_proxy() {
        let c = identify(&resp(
            &[("Server", "nginx/1.22.1")],
            "Failed to open a WebSocket connection",
        ));
        assert_eq!(c[0].name, "nginx");
        assert!(passing_proxy(&c).is_some());
    }

    #[test]
    fn nginx_own_error_page_is_not_passing() {
        let c = identify(&resp(&[("Server", "nginx")], "<hr><center>nginx</center>"));
        assert!(c[0].own_page);
        assert!(passing_proxy(&c).is_none());
    }

    #[test]
    fn the_labs_own_refusal_names_the_lab() {
        let mut r = resp(
            &[("Server", "wsdoctor-lab")],
            "wsdoctor lab: scenario x already holds 256 connections, its cap\n",
        );
        r.status = 503;
        let c = identify(&r);
        assert_eq!(c[0].name, "the wsdoctor lab");
        let e = crate::evidence::Evidence {
            http: Some(crate::evidence::HttpEvidence {
                outcome: crate::evidence::HttpOutcome::Response(r),
                ..Default::default()
            }),
            ..crate::rules::test_support::healthy()
        };
        let f = crate::diagnose(&e);
        assert_eq!(f[0].id, crate::CauseId::HttpServiceUnavailable);
        assert!(
            f[0].evidence.iter().any(|l| l.contains("the wsdoctor lab")),
            "{:?}",
            f[0].evidence
        );
    }

    #[test]
    fn engine_io_and_sockjs_bodies() {
        assert!(is_socketio(&identify(&resp(
            &[],
            r#"{"code":0,"message":"Transport unknown"}"#
        ))));
        assert!(is_sockjs(&identify(&resp(&[], "Welcome to SockJS!\n"))));
        assert!(
            identify(&resp(&[("Server", "SimpleHTTP/0.6 Python/3.11")], ""))
                .iter()
                .any(|c| c.role == Role::App)
        );
    }
}
