//! Autobahn's verdict rules, as pure functions of a case and what the runner observed.
//!
//! Two verdicts per case, as in Autobahn: [`Verdict`] on what the server sent (its
//! `behavior`) and [`CloseVerdict`] on how the connection ended (`behaviorClose`). The
//! rules are Autobahn's, so that a verdict here and one from Autobahn for the same server
//! mean the same thing; each result also says, in words and with a catalog id, what a
//! failure is and what a user meets live because of it.

use crate::model::{Case, CloseVerdict, Expect, Received, Verdict};
use wsdoctor_core::CauseId;
use wsdoctor_proto::session::ProtocolViolation;

/// What happened on one case's connection, as the runner saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    /// The opening handshake completed (a correct 101).
    pub opened: bool,
    /// Why the opening handshake did not complete.
    pub handshake_error: Option<String>,
    /// Messages, pongs and wait markers, in order (empty for echo-counting cases).
    pub received: Vec<Received>,
    /// Echo-counting cases (9.*): the rounds echoed correctly, and the first mismatch.
    pub echoed: u32,
    pub echo_mismatch: Option<String>,
    /// The fuzzer sent the first Close (or failed the connection while open).
    pub closed_by_fuzzer: bool,
    /// The closing handshake completed and the server closed TCP in time.
    pub clean: bool,
    /// The fuzzer had to drop TCP itself.
    pub dropped_by_fuzzer: bool,
    /// The server's Close frame, if one came: its code (None for an empty payload).
    pub server_close: Option<Option<u16>>,
    pub server_close_reason: String,
    /// permessage-deflate was agreed in the opening handshake.
    pub deflate: bool,
    /// The server broke RFC 6455 in what it sent (the fuzzer failed the connection).
    pub violation: Option<ProtocolViolation>,
    /// The case's overall deadline cut it short.
    pub deadline_hit: bool,
    /// Raw-byte cases (category 0): what the server answered.
    pub answer: Option<crate::probe::Answer>,
    /// Hostile cases (category 14): what the attack did and whether the server survived.
    pub hostile: Option<crate::hostile::Outcome>,
}

/// Both verdicts, with what was expected, what happened, and what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub close_verdict: CloseVerdict,
    pub expected: String,
    pub observed: String,
    /// Why the verdict is not OK (empty when it is).
    pub explanation: String,
    /// The catalog cause a user would meet live because of a failure.
    pub cause: Option<CauseId>,
}

impl Judgement {
    /// Counts as a failure: FAILED, or a connection that ended wrongly (the server did
    /// not fail the connection, or the handshake was unclean); with `strict`, NON-STRICT too.
    pub fn is_failure(&self, strict: bool) -> bool {
        self.verdict == Verdict::Failed || (strict && self.verdict == Verdict::NonStrict)
    }
}

/// Judges one case.
pub fn judge(case: &Case, obs: &Observation) -> Judgement {
    if let Some(crate::model::Probe::Handshake(p)) = &case.probe {
        return judge_handshake(p, obs);
    }
    if let Some(crate::model::Probe::Hostile(_)) = &case.probe {
        let o = obs.hostile.clone().unwrap_or_default();
        let (verdict, explanation, cause) = crate::hostile::judge(&o);
        return Judgement {
            verdict,
            close_verdict: CloseVerdict::Ok,
            expected: crate::hostile::expected_text(),
            observed: crate::hostile::observed_text(&o),
            explanation,
            cause,
        };
    }
    let expected = expected_text(case);
    let observed = observed_text(obs);
    if !obs.opened {
        return Judgement {
            verdict: Verdict::Failed,
            close_verdict: CloseVerdict::Failed,
            expected,
            observed,
            explanation: format!(
                "The opening handshake did not complete: {}.",
                obs.handshake_error.as_deref().unwrap_or("no 101 response")
            ),
            cause: None,
        };
    }
    let (mut verdict, mut explanation) = events_verdict(case, obs);
    let (close_verdict, close_why) = close_verdict(case, obs);
    if case.close.wrong_end_fails && case.close.by_fuzzer != obs.closed_by_fuzzer {
        verdict = Verdict::Failed;
        explanation = close_why.clone();
    }
    if case.wrong_code_fails && close_verdict == CloseVerdict::WrongCode {
        verdict = Verdict::Failed;
        explanation = close_why.clone();
    }
    let close_verdict = if case.informational {
        verdict = Verdict::Informational;
        explanation = "RFC 6455 does not define the outcome; recorded only.".into();
        CloseVerdict::Informational
    } else {
        close_verdict
    };
    if verdict == Verdict::Ok && close_verdict != CloseVerdict::Ok && !case.informational {
        explanation = close_why;
    }
    let cause = (verdict == Verdict::Failed)
        .then(|| cause(case, obs))
        .flatten();
    Judgement {
        verdict,
        close_verdict,
        expected,
        observed,
        explanation,
        cause,
    }
}

/// Category 0: the answer to a raw request (the close verdict is not part of these cases).
fn judge_handshake(p: &crate::probe::HandshakeProbe, obs: &Observation) -> Judgement {
    let answer = obs.answer.clone().unwrap_or(crate::probe::Answer::Silent {
        why: obs
            .handshake_error
            .clone()
            .unwrap_or_else(|| "the request could not be sent".into()),
        timed_out: false,
    });
    let (verdict, explanation, cause) = crate::probe::judge(p, &answer);
    Judgement {
        verdict,
        close_verdict: CloseVerdict::Ok,
        expected: crate::probe::expected_text(p),
        observed: crate::probe::observed_text(&answer),
        explanation,
        cause: cause.filter(|_| verdict == Verdict::Failed),
    }
}

/// The fuzzer's rule for closing: once the record equals every expected record (so, in
/// practice, when there is one and it is complete), the fuzzer starts the closing
/// handshake with the first allowed code, unless the case closes by itself.
pub fn close_now(case: &Case, received: &[Received]) -> Option<u16> {
    let Expect::Events(alternatives) = &case.expect else {
        return None;
    };
    let all_match = alternatives.iter().all(|(_, e)| e.as_slice() == received);
    (all_match && case.close.by_fuzzer && !case.suppress_close)
        .then(|| case.close.codes.first().copied().unwrap_or(1000))
}

fn events_verdict(case: &Case, obs: &Observation) -> (Verdict, String) {
    match &case.expect {
        Expect::Events(alternatives) => {
            match alternatives.iter().find(|(_, e)| *e == obs.received) {
                Some((v, _)) if *v == Verdict::Ok => (*v, String::new()),
                Some((v, _)) => (
                    *v,
                    "Conformant, but the server did not first answer the valid frames sent before the invalid one (or did not fail fast)."
                        .into(),
                ),
                None => (Verdict::Failed, mismatch(case, obs)),
            }
        }
        Expect::Deflated { .. } if !obs.deflate => (
            Verdict::Unimplemented,
            "The server did not agree to permessage-deflate (RFC 7692), so the case cannot run."
                .into(),
        ),
        Expect::Deflated {
            corpus,
            len,
            rounds,
        } => echo_verdict(obs, corpus.binary, *len, *rounds),
        Expect::Echo {
            binary,
            len,
            rounds,
        } => echo_verdict(obs, *binary, *len, *rounds),
    }
}

/// Echo-counting cases: every round echoed, or the first mismatch, or how far it got.
fn echo_verdict(obs: &Observation, binary: bool, len: usize, rounds: u32) -> (Verdict, String) {
    if let Some(m) = &obs.echo_mismatch {
        return (Verdict::Failed, m.clone());
    }
    if obs.echoed >= rounds {
        return (Verdict::Ok, String::new());
    }
    let kind = if binary { "binary" } else { "text" };
    let deadline = if obs.deadline_hit {
        " (the case deadline passed)"
    } else {
        ""
    };
    (
        Verdict::Failed,
        format!(
            "Only {} of {rounds} echoes of the {len}-byte {kind} message came back before the connection ended{deadline}.",
            obs.echoed
        ),
    )
}

fn mismatch(case: &Case, obs: &Observation) -> String {
    if let Some(v) = &obs.violation {
        return format!("The server broke RFC 6455: {v}.");
    }
    let Expect::Events(alternatives) = &case.expect else {
        return String::new();
    };
    let want = &alternatives[0].1;
    let got = &obs.received;
    let same = want.iter().zip(got).take_while(|(a, b)| a == b).count();
    match (want.get(same), got.get(same)) {
        (Some(w), None) => format!(
            "Expected {} but the connection ended without it.",
            describe(w)
        ),
        (None, Some(g)) => format!(
            "Received {}, which a conformant server does not send here.",
            describe(g)
        ),
        (Some(w), Some(g)) => format!("Expected {}, received {}.", describe(w), describe(g)),
        (None, None) => "The events differ from every expected outcome.".into(),
    }
}

fn close_verdict(case: &Case, obs: &Observation) -> (CloseVerdict, String) {
    let c = &case.close;
    let code = obs.server_close.flatten();
    if c.by_fuzzer != obs.closed_by_fuzzer {
        let why = if c.by_fuzzer {
            "The server started the close; the fuzzer was to close this connection (RFC 6455 §7.1.2)."
        } else {
            "The server did not fail the connection: the fuzzer had to close it (RFC 6455 §7.1.7 requires the server to fail it)."
        };
        (CloseVerdict::Failed, why.into())
    } else if c.require_clean && !obs.clean {
        (
            CloseVerdict::Unclean,
            "The closing handshake did not complete cleanly: a Close in each direction, then the server closes TCP (RFC 6455 §7.1.1)."
                .into(),
        )
    } else if let Some(code) = code.filter(|code| !c.codes.contains(code)) {
        (
            CloseVerdict::WrongCode,
            format!(
                "The server closed with {code}; the case allows {} or no code (RFC 6455 §7.4.1).",
                join_codes(&c.codes)
            ),
        )
    } else if obs.dropped_by_fuzzer {
        (
            CloseVerdict::FailedByClient,
            "The fuzzer had to drop the TCP connection; the server should close it first (RFC 6455 §7.1.1)."
                .into(),
        )
    } else {
        (CloseVerdict::Ok, String::new())
    }
}

/// The catalog cause a user would meet live because of this failure.
fn cause(case: &Case, obs: &Observation) -> Option<CauseId> {
    if let Some(v) = &obs.violation {
        return Some(violation_cause(v));
    }
    if let Some(code) = obs.server_close.flatten()
        && !case.close.codes.contains(&code)
    {
        return Some(wsdoctor_core::tables::close::CloseCode::from_u16(code).frame_cause());
    }
    let wanted_message = match &case.expect {
        Expect::Echo { .. } | Expect::Deflated { .. } => true,
        Expect::Events(alts) => alts[0]
            .1
            .iter()
            .any(|r| matches!(r, Received::Message { .. })),
    };
    let wanted_pong = matches!(&case.expect, Expect::Events(alts)
        if alts[0].1.iter().any(|r| matches!(r, Received::Pong(_))));
    let ended_without_close = obs.server_close.is_none() && !obs.closed_by_fuzzer;
    if ended_without_close {
        Some(CauseId::SessionAbruptEof)
    } else if wanted_pong && !obs.received.iter().any(|r| matches!(r, Received::Pong(_))) {
        Some(CauseId::SessionNoPong)
    } else if wanted_message {
        Some(CauseId::SessionNoEcho)
    } else {
        None
    }
}

/// The catalog cause of a violation in what the server sent.
pub fn violation_cause(v: &ProtocolViolation) -> CauseId {
    use ProtocolViolation as V;
    match v {
        V::MaskedFrameFromServer => CauseId::SessionMaskedFrame,
        V::ReservedBitsSet { .. } => CauseId::SessionReservedBits,
        V::UnknownOpcode(_) => CauseId::SessionUnknownOpcode,
        V::ControlFrameTooLong(_) => CauseId::SessionControlFrameTooLong,
        V::FragmentedControlFrame => CauseId::SessionFragmentedControl,
        V::UnexpectedContinuation | V::ExpectedContinuation => CauseId::SessionBadFragmentation,
        V::InvalidUtf8Text => CauseId::SessionInvalidUtf8,
        V::InvalidUtf8CloseReason | V::CloseFrameTooShort => CauseId::SessionBadClosePayload,
        V::InvalidCloseCode(_) => CauseId::SessionCloseInvalidCode,
        V::MessageTooLarge { .. } | V::FrameTooLarge { .. } => CauseId::SessionMessageTooLarge,
        _ => CauseId::SessionProtocolViolation,
    }
}

fn expected_text(case: &Case) -> String {
    let events = match &case.expect {
        Expect::Events(alts) => alts
            .iter()
            .map(|(v, e)| format!("{}: {}", v.as_str(), describe_all(e)))
            .collect::<Vec<_>>()
            .join("; "),
        Expect::Echo {
            binary,
            len,
            rounds,
        } => format!(
            "OK: {rounds} echo(es) of a {len}-byte {} message",
            if *binary { "binary" } else { "text" }
        ),
        Expect::Deflated {
            corpus,
            len,
            rounds,
        } => format!(
            "OK: {rounds} compressed {len}-byte {} messages from the {} corpus echoed unchanged (UNIMPLEMENTED without permessage-deflate)",
            if corpus.binary { "binary" } else { "text" },
            corpus.name
        ),
    };
    let c = &case.close;
    let who = if c.by_fuzzer {
        "the fuzzer closes"
    } else {
        "the server fails the connection"
    };
    format!(
        "{events}; then {who} (code {} or none{})",
        join_codes(&c.codes),
        if c.require_clean { ", clean" } else { "" }
    )
}

fn observed_text(obs: &Observation) -> String {
    if !obs.opened {
        return format!(
            "no WebSocket connection: {}",
            obs.handshake_error.as_deref().unwrap_or("handshake failed")
        );
    }
    let mut s = if obs.received.is_empty() && obs.echoed > 0 {
        format!("{} echo(es)", obs.echoed)
    } else {
        describe_all(&obs.received)
    };
    if let Some(v) = &obs.violation {
        s.push_str(&format!("; the server broke RFC 6455: {v}"));
    }
    let who = if obs.closed_by_fuzzer {
        "the fuzzer closed"
    } else {
        "the server closed"
    };
    let code = match obs.server_close {
        Some(Some(code)) => format!("server Close {code}"),
        Some(None) => "server Close without code".into(),
        None => "no server Close".into(),
    };
    s.push_str(&format!(
        "; {who}, {code}, {}{}",
        if obs.clean { "clean" } else { "not clean" },
        if obs.dropped_by_fuzzer {
            ", TCP dropped by the fuzzer"
        } else {
            ""
        }
    ));
    if obs.deadline_hit {
        s.push_str(", case deadline passed");
    }
    s
}

fn describe_all(events: &[Received]) -> String {
    if events.is_empty() {
        return "nothing".into();
    }
    events.iter().map(describe).collect::<Vec<_>>().join(", ")
}

/// A short description of one event (payloads over 32 bytes are summarised).
pub fn describe(r: &Received) -> String {
    match r {
        Received::Message { binary, data } => format!(
            "{} message {}",
            if *binary { "binary" } else { "text" },
            preview(data)
        ),
        Received::Pong(data) => format!("pong {}", preview(data)),
        Received::Timeout(tag) => format!("wait {tag} passed"),
    }
}

/// Up to 32 bytes, as text when printable, as hex otherwise, with the length.
pub fn preview(data: &[u8]) -> String {
    let head = &data[..data.len().min(32)];
    let more = if data.len() > 32 { "…" } else { "" };
    match std::str::from_utf8(head) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => {
            format!("({} bytes) {:?}{more}", data.len(), s)
        }
        _ => {
            let hex: String = head.iter().map(|b| format!("{b:02x}")).collect();
            format!("({} bytes) 0x{hex}{more}", data.len())
        }
    }
}

fn join_codes(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases;

    fn case(id: &str) -> Case {
        cases::all()
            .into_iter()
            .find(|c| c.id == id)
            .expect("case exists")
    }

    fn clean_fuzzer_close() -> Observation {
        Observation {
            opened: true,
            closed_by_fuzzer: true,
            clean: true,
            server_close: Some(Some(1000)),
            ..Observation::default()
        }
    }

    #[test]
    fn echo_then_clean_close_is_ok() {
        let c = case("1.1.2");
        let obs = Observation {
            received: vec![Received::Message {
                binary: false,
                data: vec![b'*'; 125],
            }],
            ..clean_fuzzer_close()
        };
        let j = judge(&c, &obs);
        assert_eq!(
            (j.verdict, j.close_verdict),
            (Verdict::Ok, CloseVerdict::Ok)
        );
        assert_eq!(j.cause, None);
    }

    #[test]
    fn missing_echo_fails_with_no_echo_cause() {
        let c = case("1.1.2");
        let j = judge(&c, &clean_fuzzer_close());
        assert_eq!(j.verdict, Verdict::Failed);
        assert_eq!(j.cause, Some(CauseId::SessionNoEcho));
    }

    #[test]
    fn ignoring_a_violation_keeps_events_ok_but_fails_the_close() {
        // Autobahn's rule: the events (none) match, the close was started by the wrong end.
        let c = case("2.5");
        let j = judge(&c, &clean_fuzzer_close());
        assert_eq!(j.verdict, Verdict::Ok);
        assert_eq!(j.close_verdict, CloseVerdict::Failed);
    }

    #[test]
    fn server_failing_with_1002_is_ok() {
        let c = case("2.5");
        let obs = Observation {
            opened: true,
            server_close: Some(Some(1002)),
            clean: true,
            ..Observation::default()
        };
        let j = judge(&c, &obs);
        assert_eq!(
            (j.verdict, j.close_verdict),
            (Verdict::Ok, CloseVerdict::Ok)
        );
    }

    #[test]
    fn failing_before_echoing_the_valid_frame_is_non_strict() {
        let c = case("3.2");
        let obs = Observation {
            opened: true,
            server_close: Some(Some(1002)),
            ..Observation::default()
        };
        assert_eq!(judge(&c, &obs).verdict, Verdict::NonStrict);
        assert!(judge(&c, &obs).is_failure(true));
        assert!(!judge(&c, &obs).is_failure(false));
    }

    #[test]
    fn utf8_case_closed_by_the_fuzzer_fails() {
        let c = case("6.3.1");
        let j = judge(&c, &clean_fuzzer_close());
        assert_eq!(j.verdict, Verdict::Failed);
    }

    #[test]
    fn wrong_close_code_fails_close_handling_cases() {
        let c = case("7.9.1");
        let obs = Observation {
            server_close: Some(Some(1000)),
            ..clean_fuzzer_close()
        };
        let j = judge(&c, &obs);
        assert_eq!(j.close_verdict, CloseVerdict::WrongCode);
        assert_eq!(j.verdict, Verdict::Failed);
        assert_eq!(j.cause, Some(CauseId::SessionCloseNormal));
    }

    #[test]
    fn undefined_outcomes_are_informational() {
        let c = case("7.13.1");
        let j = judge(&c, &clean_fuzzer_close());
        assert_eq!(
            (j.verdict, j.close_verdict),
            (Verdict::Informational, CloseVerdict::Informational)
        );
    }

    #[test]
    fn a_violation_names_its_catalog_cause() {
        let c = case("1.1.1");
        let obs = Observation {
            violation: Some(ProtocolViolation::MaskedFrameFromServer),
            ..clean_fuzzer_close()
        };
        let j = judge(&c, &obs);
        assert_eq!(j.verdict, Verdict::Failed);
        assert_eq!(j.cause, Some(CauseId::SessionMaskedFrame));
    }

    #[test]
    fn close_now_waits_for_the_whole_record() {
        let c = case("5.6");
        assert_eq!(
            close_now(&c, &[Received::Pong(b"ping payload".to_vec())]),
            None
        );
        let all = vec![
            Received::Pong(b"ping payload".to_vec()),
            Received::Message {
                binary: false,
                data: b"fragment1fragment2".to_vec(),
            },
        ];
        assert_eq!(close_now(&c, &all), Some(1000));
        // Two alternatives can never both match: the fuzzer never closes early.
        assert_eq!(close_now(&case("3.2"), &[]), None);
    }

    #[test]
    fn compression_without_agreement_is_unimplemented() {
        let c = case("12.1.1");
        let j = judge(&c, &clean_fuzzer_close());
        assert_eq!(j.verdict, Verdict::Unimplemented);
        let agreed = Observation {
            deflate: true,
            echoed: 1000,
            ..clean_fuzzer_close()
        };
        assert_eq!(judge(&c, &agreed).verdict, Verdict::Ok);
        let short = Observation {
            deflate: true,
            echoed: 999,
            ..clean_fuzzer_close()
        };
        assert_eq!(judge(&c, &short).verdict, Verdict::Failed);
    }

    #[test]
    fn unopened_connection_fails_both() {
        let c = case("1.1.1");
        let obs = Observation {
            handshake_error: Some("HTTP 404".into()),
            ..Observation::default()
        };
        let j = judge(&c, &obs);
        assert_eq!(
            (j.verdict, j.close_verdict),
            (Verdict::Failed, CloseVerdict::Failed)
        );
        assert!(j.explanation.contains("HTTP 404"));
    }
}
