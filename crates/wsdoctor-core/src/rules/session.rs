//! After the 101: framing violations, the echo, ping/pong, the close handshake,
//! and what happens over time (idle cuts, load).

use crate::catalog::CauseId;
use crate::evidence::{
    CloseOutcome, CutHow, Evidence, LoadEvidence, LoadFailure, LoadFailureKind, MessageOutcome,
    PingOutcome, SessionEvidence, Violation,
};
use crate::layer::Severity;
use crate::report::Finding;
use crate::tables::close::CloseCode;

/// A round trip slower than this on a probe is worth a warning.
const SLOW_MS: f64 = 1000.0;

pub fn findings(e: &Evidence, out: &mut Vec<Finding>) {
    let Some(s) = &e.session else { return };
    // The session ended before any reply (a violation made us fail it, or the server
    // closed or dropped it): that end is the root cause of the missing echo and of the
    // ping never tried, so it comes first, fails the session, and stands for both.
    let no_reply = matches!(s.message, MessageOutcome::NoReply { .. });
    let server_ended = matches!(
        s.close,
        CloseOutcome::ByServer { .. } | CloseOutcome::Eof { .. } | CloseOutcome::Reset { .. }
    );
    let cut_short = no_reply && (server_ended || !s.violations.is_empty());
    let mut explained = false;
    for v in &s.violations {
        let f = violation(v, s);
        out.push(if cut_short && !explained {
            f.evidence(CUT_SHORT)
        } else {
            f
        });
        explained = true;
    }
    if cut_short
        && !explained
        && let Some(f) = ended(s)
    {
        out.push(f.severity(Severity::Error).evidence(CUT_SHORT));
        explained = true;
    }
    match &s.message {
        MessageOutcome::NoReply { .. } if explained => {}
        MessageOutcome::NoReply { .. } if cut_short => out.push(
            Finding::new(
                CauseId::SessionNoEcho,
                "The server closed the session normally before it replied to the test message.",
            )
            .severity(Severity::Error)
            .evidence(CUT_SHORT),
        ),
        MessageOutcome::NoReply { waited_ms } if e.request.expect_message => {
            out.push(Finding::new(
                CauseId::SessionNoMessage,
                format!(
                    "No message from the server within {:.1} s.",
                    waited_ms / 1000.0
                ),
            ))
        }
        MessageOutcome::NoReply { waited_ms } => out.push(Finding::new(
            CauseId::SessionNoEcho,
            format!(
                "The test message got no reply within {:.1} s.",
                waited_ms / 1000.0
            ),
        )),
        MessageOutcome::Echoed { ms } | MessageOutcome::Received { ms, .. } if *ms > SLOW_MS => out
            .push(Finding::new(
                CauseId::AsyncSlowResponse,
                format!("The reply took {:.0} ms.", ms),
            )),
        _ => {}
    }
    match &s.ping {
        PingOutcome::NoPong { waited_ms } => out.push(Finding::new(
            CauseId::SessionNoPong,
            format!("No pong within {:.1} s of our ping.", waited_ms / 1000.0),
        )),
        PingOutcome::Pong { ms, .. } if *ms > SLOW_MS => out.push(Finding::new(
            CauseId::AsyncSlowResponse,
            format!("The pong took {ms:.0} ms."),
        )),
        _ => {}
    }
    if !cut_short {
        out.extend(ended(s));
    }
}

/// Evidence on the finding that ended a session before any reply.
const CUT_SHORT: &str =
    "the session ended before any reply: the echo never came back and the ping was not tried";

/// The finding for how the session ended, if that end is one.
fn ended(s: &SessionEvidence) -> Option<Finding> {
    match &s.close {
        CloseOutcome::ByServer {
            code: Some(code),
            reason,
            after_ms,
        } => close_code(*code, reason).map(|f| {
            f.evidence(format!(
                "closed by the server {:.0} ms into the session",
                after_ms
            ))
        }),
        CloseOutcome::Clean {
            code: Some(code),
            reason,
            ..
        } => close_code(*code, reason),
        CloseOutcome::Eof { after_ms } if s.violations.is_empty() => Some(Finding::new(
            CauseId::SessionAbruptEof,
            format!(
                "The TCP connection ended {:.0} ms into the session without a close frame.",
                after_ms
            ),
        )),
        CloseOutcome::Reset { after_ms } => Some(Finding::new(
            CauseId::SessionReset,
            format!("A TCP reset ended the session {:.0} ms in.", after_ms),
        )),
        CloseOutcome::NoAnswer { waited_ms } => Some(Finding::new(
            CauseId::SessionCloseNoAnswer,
            format!(
                "No close frame came back within {:.1} s of ours.",
                waited_ms / 1000.0
            ),
        )),
        _ => None,
    }
}

/// The finding for a close code the server sent, or `None` for a normal close. The
/// cause comes from the shared close-code table ([`CloseCode::frame_cause`]).
pub fn close_code(code: u16, reason: &str) -> Option<Finding> {
    let id = match CloseCode::from_u16(code).frame_cause() {
        CauseId::SessionCloseNormal => return None,
        id => id,
    };
    let reason = if reason.is_empty() {
        String::new()
    } else {
        format!(", reason \"{reason}\"")
    };
    Some(Finding::new(
        id,
        format!("The server closed with code {code}{reason}."),
    ))
}

fn violation(v: &Violation, s: &SessionEvidence) -> Finding {
    let (id, detail) = match v {
        Violation::MaskedFrame => (
            CauseId::SessionMaskedFrame,
            "A server frame had the MASK bit set.".to_string(),
        ),
        Violation::ReservedBits { rsv1, rsv2, rsv3 } => (
            CauseId::SessionReservedBits,
            format!(
                "A frame had RSV1={} RSV2={} RSV3={} with no extension negotiated.",
                *rsv1 as u8, *rsv2 as u8, *rsv3 as u8
            ),
        ),
        Violation::UnknownOpcode { opcode } => (
            CauseId::SessionUnknownOpcode,
            format!("A frame used the reserved opcode 0x{opcode:X}."),
        ),
        Violation::ControlFrameTooLong { len } => (
            CauseId::SessionControlFrameTooLong,
            format!("A control frame carried {len} bytes (limit 125)."),
        ),
        Violation::FragmentedControl => (
            CauseId::SessionFragmentedControl,
            "A control frame arrived without FIN.".to_string(),
        ),
        Violation::BadFragmentation { detail } => {
            (CauseId::SessionBadFragmentation, format!("{detail}."))
        }
        Violation::InvalidUtf8 => (
            CauseId::SessionInvalidUtf8,
            "A text message was not valid UTF-8.".to_string(),
        ),
        Violation::BadClosePayload { detail } => {
            (CauseId::SessionBadClosePayload, format!("{detail}."))
        }
        Violation::MessageTooLarge {
            limit,
            announced: Some(len),
        } => (
            CauseId::SessionMessageTooLarge,
            format!(
                "The server announced a frame of {len} bytes, over the {limit}-byte cap: wsdoctor failed the connection (1009) before reading it."
            ),
        ),
        Violation::MessageTooLarge {
            limit,
            announced: None,
        } => {
            // Data frames without FIN: the message was still growing in fragments.
            let fragments = s.frames.iter().any(|f| !f.fin && f.opcode <= 2);
            let how = if fragments {
                " in fragments, none of them final"
            } else {
                ""
            };
            (
                CauseId::SessionMessageTooLarge,
                format!(
                    "A message grew past the {limit}-byte cap{how}: wsdoctor failed the connection (1009)."
                ),
            )
        }
        Violation::Other { detail } => (CauseId::SessionProtocolViolation, format!("{detail}.")),
    };
    Finding::new(id, detail)
}

/// Idle cuts and load (`--idle`, `--concurrency`), and server pings.
pub fn over_time(e: &Evidence, out: &mut Vec<Finding>) {
    // A cut the server made because its pings went unanswered is not an idle timeout.
    let ping_timeout = server_ping_timeout(e, out);
    if let Some(idle) = &e.idle {
        if let Some(cut) = idle.cut.as_ref().filter(|_| !ping_timeout) {
            let secs = cut.after_ms / 1000.0;
            let how = match (cut.how, cut.close_code) {
                (CutHow::CloseFrame, Some(c)) => format!("a close frame with code {c}"),
                (CutHow::CloseFrame, None) => "a close frame".to_string(),
                (CutHow::Reset, _) => "a TCP reset, no close frame (1006 in browsers)".to_string(),
                (CutHow::ProtocolViolation, _) => {
                    "our close after a protocol violation from the server".to_string()
                }
                (CutHow::Fin, _) => "a TCP FIN, no close frame (1006 in browsers)".to_string(),
            };
            let ping = recommended_ping(secs);
            out.push(
                Finding::new(
                    CauseId::ProxyIdleTimeout,
                    format!("The idle connection was cut after {secs:.1} s by {how}. {}", suspects(secs)),
                )
                .also(format!(
                    "Ping every {ping} s or less (below the {secs:.0} s cut), or raise the idle timeout of the hop named above (nginx proxy_read_timeout, HAProxy timeout tunnel, ALB idle_timeout.timeout_seconds)."
                )),
            );
        }
        if let Some(k) = idle.keepalive.as_ref().filter(|k| k.survived) {
            {
                out.push(Finding::new(
                    CauseId::AsyncKeepaliveHolds,
                    format!(
                        "With a ping every {:.1} s the connection stayed open for {:.1} s, past the cut.",
                        k.interval_s,
                        k.held_ms / 1000.0
                    ),
                ));
            }
        }
    }
    if let Some(l) = &e.load {
        let ratio = if l.idle_rtt_p50_ms > 0.0 {
            l.loaded_rtt_p50_ms / l.idle_rtt_p50_ms
        } else {
            0.0
        };
        if event_loop_blocked(l.idle_rtt_p50_ms, l.loaded_rtt_p50_ms) {
            out.push(Finding::new(
                CauseId::AsyncEventLoopBlocked,
                format!(
                    "With {} other connections busy, the probe's round trip went from {:.1} ms to {:.1} ms (median, {:.1}× slower; p99 {:.1} → {:.1} ms).",
                    l.connections, l.idle_rtt_p50_ms, l.loaded_rtt_p50_ms, ratio, l.idle_rtt_p99_ms, l.loaded_rtt_p99_ms
                ),
            ));
        }
        if l.writes_stalled {
            out.push(Finding::new(
                CauseId::AsyncBackpressure,
                "Our writes stalled under load: the server stopped reading.",
            ));
        }
        load_failures(l, out);
    }
}

/// Load connections that failed: the server's refusals and our own shortfall, each a
/// warning, so a load that was not applied in full never reads as healthy.
fn load_failures(l: &LoadEvidence, out: &mut Vec<Finding>) {
    let (local, server): (Vec<&LoadFailure>, Vec<&LoadFailure>) =
        l.failed.iter().partition(|f| f.kind.is_local());
    let describe = |group: &[&LoadFailure]| {
        group
            .iter()
            .map(|f| format!("{} {}: {}", f.count, kind_words(f.kind), f.detail))
            .collect::<Vec<_>>()
    };
    let count = |group: &[&LoadFailure]| group.iter().map(|f| f.count).sum::<usize>();
    for (group, id, what) in [
        (
            &server,
            CauseId::AsyncConnectionLimit,
            "the server did not keep",
        ),
        (
            &local,
            CauseId::AsyncLoadIncomplete,
            "wsdoctor could not open",
        ),
    ] {
        if group.is_empty() {
            continue;
        }
        let f = Finding::new(
            id,
            format!(
                "Of {} load connections asked for, {what} {}; {} stayed open for the measurement.",
                l.requested,
                count(group),
                l.connections
            ),
        );
        out.push(
            describe(group)
                .into_iter()
                .fold(f, |f, line| f.evidence(line)),
        );
    }
}

fn kind_words(k: LoadFailureKind) -> &'static str {
    match k {
        LoadFailureKind::NoUpgrade => "answered without 101",
        LoadFailureKind::Refused => "refused or reset",
        LoadFailureKind::NoAnswer => "closed or silent before the upgrade",
        LoadFailureKind::Tls => "failed the TLS handshake",
        LoadFailureKind::Proxy => "not tunnelled by the proxy",
        LoadFailureKind::EndedEarly => "ended by the server during the load",
        LoadFailureKind::LocalLimit => "out of local file descriptors",
        LoadFailureKind::NotTried => "not tried before the deadline",
        _ => "failed",
    }
}

/// Round trips this many times slower under load (at the median) …
const BLOCKED_RATIO: f64 = 3.0;
/// … and at least this much slower, so sub-millisecond noise never counts.
const BLOCKED_EXTRA_MS: f64 = 50.0;

/// Whether round trips that rose from `idle_p50_ms` quiet to `loaded_p50_ms` under load
/// show a blocked event loop. The rule behind `async-event-loop-blocked`; the load
/// probe asks it too, to stop measuring once the answer is yes.
pub fn event_loop_blocked(idle_p50_ms: f64, loaded_p50_ms: f64) -> bool {
    idle_p50_ms > 0.0
        && loaded_p50_ms >= idle_p50_ms * BLOCKED_RATIO
        && loaded_p50_ms - idle_p50_ms >= BLOCKED_EXTRA_MS
}

/// `--no-pong`: the server pinged, got no pong, and closed us with a close frame.
fn server_ping_timeout(e: &Evidence, out: &mut Vec<Finding>) -> bool {
    let Some(s) = &e.session else { return false };
    if !e.request.no_pong || s.server_pings_ms.is_empty() {
        return false;
    }
    let closed_by_server = match (&s.close, e.idle.as_ref().and_then(|i| i.cut.as_ref())) {
        (_, Some(cut)) if cut.how == CutHow::CloseFrame => {
            cut.close_code.map(|c| (c, cut.after_ms))
        }
        (
            CloseOutcome::ByServer {
                code: Some(c),
                after_ms,
                ..
            },
            _,
        ) => Some((*c, *after_ms)),
        _ => None,
    };
    let Some((code, after_ms)) = closed_by_server else {
        return false;
    };
    let pings = &s.server_pings_ms;
    let interval = match pings.as_slice() {
        [.., a, b] => format!("every {:.1} s", (b - a) / 1000.0),
        _ => format!("first at {:.1} s", pings[0] / 1000.0),
    };
    let last = pings.last().copied().unwrap_or(0.0);
    out.push(Finding::new(
        CauseId::AsyncServerPingTimeout,
        format!(
            "The server pinged {interval} and, with no pong, closed with code {code} {:.1} s after its last ping.",
            ((after_ms - last) / 1000.0).max(0.0)
        ),
    ));
    true
}

/// Half the cut, rounded down to a whole second, at least one second.
fn recommended_ping(cut_s: f64) -> u64 {
    ((cut_s / 2.0).floor() as u64).max(1)
}

/// The usual suspects for an idle cut of about `secs` seconds, from the shared
/// vendor table.
pub fn suspects(secs: f64) -> String {
    match crate::tables::timeouts::suspects(secs) {
        Some(names) => format!("At {secs:.0} s the usual suspects are {names}."),
        None => format!(
            "A cut at a round {secs:.0} s points to a configured idle timeout in a proxy or load balancer on the path."
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::CauseId;
    use crate::evidence::*;
    use crate::rules::test_support::*;

    fn session(f: impl FnOnce(&mut SessionEvidence)) -> Vec<CauseId> {
        let mut e = healthy();
        f(e.session.as_mut().unwrap());
        ids(&e)
    }

    #[test]
    fn violations_map_to_causes() {
        let cases = [
            (Violation::MaskedFrame, CauseId::SessionMaskedFrame),
            (
                Violation::ReservedBits {
                    rsv1: true,
                    rsv2: false,
                    rsv3: false,
                },
                CauseId::SessionReservedBits,
            ),
            (
                Violation::UnknownOpcode { opcode: 3 },
                CauseId::SessionUnknownOpcode,
            ),
            (
                Violation::ControlFrameTooLong { len: 126 },
                CauseId::SessionControlFrameTooLong,
            ),
            (
                Violation::FragmentedControl,
                CauseId::SessionFragmentedControl,
            ),
            (Violation::InvalidUtf8, CauseId::SessionInvalidUtf8),
            (
                Violation::BadFragmentation { detail: "x".into() },
                CauseId::SessionBadFragmentation,
            ),
            (
                Violation::BadClosePayload { detail: "x".into() },
                CauseId::SessionBadClosePayload,
            ),
        ];
        for (v, id) in cases {
            assert_eq!(session(|s| s.violations.push(v.clone())), [id], "{v:?}");
        }
    }

    #[test]
    fn missing_echo_pong_and_close() {
        assert_eq!(
            session(|s| s.message = MessageOutcome::NoReply { waited_ms: 3000.0 }),
            [CauseId::SessionNoEcho]
        );
        assert_eq!(
            session(|s| s.ping = PingOutcome::NoPong { waited_ms: 3000.0 }),
            [CauseId::SessionNoPong]
        );
        assert_eq!(
            session(|s| s.close = CloseOutcome::Eof { after_ms: 5.0 }),
            [CauseId::SessionAbruptEof]
        );
        assert_eq!(
            session(|s| s.close = CloseOutcome::Reset { after_ms: 5.0 }),
            [CauseId::SessionReset]
        );
        assert_eq!(
            session(|s| s.close = CloseOutcome::NoAnswer { waited_ms: 3000.0 }),
            [CauseId::SessionCloseNoAnswer]
        );
    }

    /// What the net driver records when it fails the connection on a violation before
    /// the echo: no reply, the ping never tried, the close ours.
    fn failed_before_the_echo(v: Violation) -> Evidence {
        let mut e = healthy();
        let s = e.session.as_mut().unwrap();
        s.violations.push(v);
        s.message = MessageOutcome::NoReply { waited_ms: 2.0 };
        s.ping = PingOutcome::NotTried;
        s.close = CloseOutcome::FailedByUs { code: 1009 };
        e
    }

    #[test]
    fn a_message_over_the_cap_fails_the_session() {
        // A frame announcing 2^63 bytes, and endless fragments of one message.
        for announced in [Some(1u64 << 63), None] {
            let e = failed_before_the_echo(Violation::MessageTooLarge {
                limit: 16 << 20,
                announced,
            });
            let r = crate::rules::report(e);
            assert_eq!(r.ids(), [CauseId::SessionMessageTooLarge]);
            assert_eq!(r.failing_layer(), Some(crate::Layer::Session));
            assert_eq!(r.exit_code(), crate::Layer::Session.exit_code());
        }
    }

    #[test]
    fn a_close_before_the_echo_is_the_root_cause() {
        let ended = |close: CloseOutcome| {
            let mut e = healthy();
            let s = e.session.as_mut().unwrap();
            s.message = MessageOutcome::NoReply { waited_ms: 0.0 };
            s.ping = PingOutcome::NotTried;
            s.close = close;
            crate::rules::report(e)
        };
        let r = ended(CloseOutcome::ByServer {
            code: Some(1001),
            reason: String::new(),
            after_ms: 1.0,
        });
        assert_eq!(r.ids(), [CauseId::SessionCloseGoingAway]);
        assert_eq!(
            r.exit_code(),
            crate::Layer::Session.exit_code(),
            "no echo, no ping: the session failed"
        );
        let r = ended(CloseOutcome::Eof { after_ms: 1.0 });
        assert_eq!(r.ids(), [CauseId::SessionAbruptEof]);
        // A normal close is no cause of its own: the missing reply is the finding, and
        // it failed the session too.
        let r = ended(CloseOutcome::ByServer {
            code: Some(1000),
            reason: String::new(),
            after_ms: 1.0,
        });
        assert_eq!(r.ids(), [CauseId::SessionNoEcho]);
        assert_eq!(r.exit_code(), crate::Layer::Session.exit_code());
        // After the echo, a 1001 stays what the catalog says: a warning.
        let mut e = healthy();
        e.session.as_mut().unwrap().close = CloseOutcome::ByServer {
            code: Some(1001),
            reason: String::new(),
            after_ms: 1.0,
        };
        assert_eq!(crate::rules::report(e).exit_code(), 1);
    }

    #[test]
    fn expect_turns_no_reply_into_an_error() {
        let mut e = healthy();
        e.request.expect_message = true;
        e.session.as_mut().unwrap().message = MessageOutcome::NoReply { waited_ms: 3000.0 };
        assert_eq!(ids(&e), [CauseId::SessionNoMessage]);
    }

    #[test]
    fn close_codes_are_explained() {
        let by = |code| {
            session(|s| {
                s.close = CloseOutcome::ByServer {
                    code: Some(code),
                    reason: String::new(),
                    after_ms: 1.0,
                }
            })
        };
        assert!(by(1000).is_empty());
        assert_eq!(by(1001), [CauseId::SessionCloseGoingAway]);
        assert_eq!(by(1008), [CauseId::SessionClosePolicy]);
        assert_eq!(by(1009), [CauseId::SessionCloseMessageTooBig]);
        assert_eq!(by(1011), [CauseId::SessionCloseServerError]);
        assert_eq!(by(1013), [CauseId::SessionCloseTryLater]);
        assert_eq!(by(4001), [CauseId::SessionCloseApplication]);
        assert_eq!(by(1006), [CauseId::SessionCloseInvalidCode]);
    }

    #[test]
    fn idle_cut_names_suspects_and_keepalive_proves_the_fix() {
        let mut e = healthy();
        e.idle = Some(IdleEvidence {
            requested_s: 90.0,
            cut: Some(IdleCut {
                after_ms: 60_010.0,
                how: CutHow::Fin,
                close_code: None,
            }),
            keepalive: Some(KeepaliveTrial {
                interval_s: 30.0,
                held_ms: 90_000.0,
                survived: true,
            }),
            messages: 0,
        });
        let f = super::super::diagnose(&e);
        assert_eq!(
            f.iter().map(|f| f.id).collect::<Vec<_>>(),
            [CauseId::ProxyIdleTimeout, CauseId::AsyncKeepaliveHolds]
        );
        assert!(f[0].detail.contains("nginx proxy_read_timeout"));
        assert!(f[0].detail.contains("Ping every 30 s"));
        assert_eq!(f[0].fix, CauseId::ProxyIdleTimeout.cause().fix);
    }

    #[test]
    fn unanswered_server_pings_close_the_connection() {
        let mut e = healthy();
        e.request.no_pong = true;
        let s = e.session.as_mut().unwrap();
        s.server_pings_ms = vec![1000.0, 2000.0];
        s.close = CloseOutcome::ByServer {
            code: Some(1011),
            reason: "keepalive ping timeout".into(),
            after_ms: 3000.0,
        };
        let f = super::super::diagnose(&e);
        let ids: Vec<_> = f.iter().map(|f| f.id).collect();
        assert_eq!(
            ids,
            [
                CauseId::SessionCloseServerError,
                CauseId::AsyncServerPingTimeout
            ]
        );
        assert!(f[1].detail.contains("every 1.0 s"), "{}", f[1].detail);
    }

    #[test]
    fn failed_load_connections_are_never_healthy() {
        let mut e = healthy();
        let failure = |kind, count| LoadFailure {
            kind,
            count,
            status: None,
            detail: "x".into(),
        };
        let mut load = LoadEvidence {
            connections: 6,
            idle_rtt_p50_ms: 0.2,
            idle_rtt_p99_ms: 0.3,
            loaded_rtt_p50_ms: 0.2,
            loaded_rtt_p99_ms: 0.3,
            writes_stalled: false,
            requested: 10,
            failed: vec![
                LoadFailure {
                    status: Some(503),
                    ..failure(LoadFailureKind::NoUpgrade, 3)
                },
                failure(LoadFailureKind::LocalLimit, 1),
            ],
        };
        e.load = Some(load.clone());
        assert_eq!(
            ids(&e),
            [CauseId::AsyncConnectionLimit, CauseId::AsyncLoadIncomplete]
        );
        let f = crate::diagnose(&e);
        assert!(
            f.iter()
                .all(|f| f.severity == crate::layer::Severity::Warning)
        );
        assert!(
            f[0].detail.contains("10") && f[0].detail.contains(" 3;"),
            "{}",
            f[0].detail
        );
        load.failed.clear();
        e.load = Some(load);
        assert!(ids(&e).is_empty());
    }

    #[test]
    fn load_separates_a_blocked_loop() {
        let mut e = healthy();
        let load = |idle: f64, loaded: f64| LoadEvidence {
            connections: 8,
            idle_rtt_p50_ms: idle,
            idle_rtt_p99_ms: idle,
            loaded_rtt_p50_ms: loaded,
            loaded_rtt_p99_ms: loaded,
            writes_stalled: false,
            requested: 8,
            failed: Vec::new(),
        };
        e.load = Some(load(300.0, 2400.0));
        assert!(ids(&e).contains(&CauseId::AsyncEventLoopBlocked));
        e.load = Some(load(0.2, 0.9));
        assert!(
            ids(&e).is_empty(),
            "a 4.5x rise of under a millisecond is noise"
        );
    }
}
