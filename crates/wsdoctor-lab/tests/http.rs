//! The scenarios that answer the Upgrade with plain HTTP: each sends the status,
//! headers and body its declaration promises, and where the fix is "use the right
//! URL/Origin/credentials" the fix really works.

mod common;

use common::*;
use tokio::io::AsyncWriteExt;
use wsdoctor_lab::{ALLOWED_ORIGIN, BEARER_TOKEN};

#[tokio::test]
async fn ordinary_pages_answer_200_with_html() {
    let lab = lab(&["plain-http-site", "spa-catch-all"]).await;
    for name in ["plain-http-site", "spa-catch-all"] {
        let a = upgrade(addr(&lab, name), path(&lab, name), &[]).await;
        assert_eq!(a.response.status, 200, "{name}");
        assert!(
            a.header("Content-Type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{name}"
        );
        assert!(a.body().to_ascii_lowercase().contains("<html"), "{name}");
    }
    // The SPA answers every path the same way: that is what makes it a catch-all.
    let other = upgrade(addr(&lab, "spa-catch-all"), "/anything/else", &[]).await;
    assert_eq!(other.response.status, 200);
    lab.shutdown().await;
}

#[tokio::test]
async fn wrong_path_is_404_and_the_right_path_upgrades() {
    let lab = lab(&["wrong-path"]).await;
    let a = upgrade(addr(&lab, "wrong-path"), path(&lab, "wrong-path"), &[]).await;
    assert_eq!(a.response.status, 404);
    let right = upgrade(addr(&lab, "wrong-path"), "/ws", &[]).await;
    assert_eq!(right.response.status, 101);
    lab.shutdown().await;
}

#[tokio::test]
async fn redirect_points_at_the_trailing_slash_which_works() {
    let lab = lab(&["redirect"]).await;
    let a = upgrade(addr(&lab, "redirect"), "/ws", &[]).await;
    assert_eq!(a.response.status, 301);
    let location = a.header("Location").expect("Location").to_string();
    assert_eq!(location, format!("http://{}/ws/", addr(&lab, "redirect")));
    let target = upgrade(addr(&lab, "redirect"), "/ws/", &[]).await;
    assert_eq!(target.response.status, 101);
    lab.shutdown().await;
}

#[tokio::test]
async fn server_configuration_statuses_are_what_the_products_send() {
    /// Scenario, status, a header it must carry, text its body must contain.
    type Case = (
        &'static str,
        u16,
        Option<(&'static str, &'static str)>,
        &'static str,
    );
    let cases: &[Case] = &[
        ("upgrade-required", 426, None, "Upgrade Required"),
        ("bad-request", 400, None, "missing required header"),
        (
            "server-error",
            500,
            Some(("Server", "uvicorn")),
            "Internal Server Error",
        ),
        (
            "socketio-endpoint",
            400,
            Some(("Content-Type", "application/json")),
            "\"message\":\"Transport unknown\"",
        ),
        ("sockjs-endpoint", 200, None, "Welcome to SockJS!\n"),
        (
            "bad-gateway",
            502,
            Some(("Server", "nginx/1.24.0")),
            "<center>nginx/1.24.0</center>",
        ),
        (
            "service-unavailable",
            503,
            Some(("Server", "awselb/2.0")),
            "503 Service Temporarily Unavailable",
        ),
        (
            "gateway-timeout",
            504,
            Some(("Server", "nginx/1.24.0")),
            "504 Gateway Time-out",
        ),
    ];
    let names: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let lab = lab(&names).await;
    for (name, status, header, body) in cases {
        let a = upgrade(addr(&lab, name), path(&lab, name), &[]).await;
        assert_eq!(a.response.version, 1, "{name}");
        assert_eq!(a.response.status, *status, "{name}");
        if let Some((h, v)) = header {
            assert_eq!(a.header(h), Some(*v), "{name}");
        }
        assert!(a.body().contains(body), "{name}: body {:?}", a.body());
        let len: usize = a
            .header("Content-Length")
            .expect("length")
            .parse()
            .expect("number");
        assert_eq!(len, a.buf.len(), "{name}");
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn sockjs_serves_its_info_and_a_raw_websocket_route() {
    let lab = lab(&["sockjs-endpoint"]).await;
    let a = addr(&lab, "sockjs-endpoint");
    let info = upgrade(a, "/echo/info", &[]).await;
    assert_eq!(info.response.status, 200);
    assert!(info.body().contains("\"websocket\":true"));
    let raw = upgrade(a, "/echo/websocket", &[]).await;
    assert_eq!(raw.response.status, 101);
    lab.shutdown().await;
}

#[tokio::test]
async fn http_1_0_server_answers_like_python_simplehttp() {
    let lab = lab(&["http-1-0-server"]).await;
    let a = upgrade(addr(&lab, "http-1-0-server"), "/", &[]).await;
    assert_eq!((a.response.version, a.response.status), (0, 200));
    assert_eq!(a.header("Server"), Some("SimpleHTTP/0.6 Python/3.11.2"));
    assert!(a.body().contains("Directory listing for /"));
    lab.shutdown().await;
}

#[tokio::test]
async fn a_tls_client_hello_on_the_plaintext_port_gets_http_400() {
    let lab = lab(&["wss-to-plain-port"]).await;
    assert!(url(&lab, "wss-to-plain-port").starts_with("wss://"));
    let mut tcp = within(
        "connect",
        tokio::net::TcpStream::connect(addr(&lab, "wss-to-plain-port")),
    )
    .await
    .expect("connect");
    // The first bytes of a TLS 1.2/1.3 ClientHello record.
    tcp.write_all(&[
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ])
    .await
    .expect("write");
    let a = read_response(tcp).await;
    assert_eq!(a.response.status, 400);
    lab.shutdown().await;
}

#[tokio::test]
async fn origin_check_forbids_others_and_admits_the_allowed_origin() {
    let lab = lab(&["origin-forbidden"]).await;
    let scenario = lab.endpoint("origin-forbidden").expect("started").scenario;
    let evil = scenario.plan.origin.expect("the plan sends an Origin");
    let a = addr(&lab, "origin-forbidden");
    assert_eq!(
        upgrade(a, "/ws", &[("Origin", evil)]).await.response.status,
        403
    );
    assert_eq!(upgrade(a, "/ws", &[]).await.response.status, 403);
    assert_eq!(
        upgrade(a, "/ws", &[("Origin", ALLOWED_ORIGIN)])
            .await
            .response
            .status,
        101
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn auth_wants_a_bearer_token_and_accepts_the_lab_token() {
    let lab = lab(&["auth-required"]).await;
    let a = addr(&lab, "auth-required");
    let denied = upgrade(a, "/ws", &[]).await;
    assert_eq!(denied.response.status, 401);
    assert!(
        denied
            .header("WWW-Authenticate")
            .is_some_and(|v| v.starts_with("Bearer "))
    );
    let wrong = upgrade(a, "/ws", &[("Authorization", "Bearer nope")]).await;
    assert_eq!(wrong.response.status, 401);
    let token = format!("Bearer {BEARER_TOKEN}");
    assert_eq!(
        upgrade(a, "/ws", &[("Authorization", &token)])
            .await
            .response
            .status,
        101
    );
    lab.shutdown().await;
}
