//! Hostile cases (category 14, wsdoctor's own): input a server must survive. Each case
//! plays one attack — bytes that are bounded here, whatever the server does — and the
//! verdict is whether the server still answers a fresh connection (a valid handshake, then
//! one echoed message) within [`FRESH_WAIT`]. Pure: the runner (`crate::run`) plays the
//! attack and records an [`Outcome`].
//!
//! The attack bytes are built by hand (frame headers with a 2^63 length, unterminated
//! requests, floods written without reading): no WebSocket or HTTP client sends them.

use crate::model::Verdict;
use std::time::Duration;
use wsdoctor_core::CauseId;
use wsdoctor_proto::frame::{Frame, OpCode};

/// How long the attack's writes may take (a server that stops reading is not a failure).
pub const ATTACK_WAIT: Duration = Duration::from_secs(10);
/// How long the fresh connection has to open and echo, while the attack's connections are
/// still held open.
pub const FRESH_WAIT: Duration = Duration::from_secs(5);

/// One attack.
#[derive(Clone, Debug)]
pub enum Attack {
    /// After a valid opening handshake, these bytes (masked frames), written without reading.
    Frames(fn() -> Vec<u8>),
    /// On a bare TCP connection, these bytes (a request the server must cap or refuse).
    Raw(fn() -> Vec<u8>),
    /// With permessage-deflate agreed: one compressed text message inflating to this many
    /// bytes (UNIMPLEMENTED when the server declines permessage-deflate).
    DeflateBomb(usize),
    /// This many connections, each sending the first bytes of a request and holding it.
    Slowloris(usize),
    /// This many connections, each a valid handshake, held open.
    ConnectionFlood(usize),
    /// This many connections, each a valid handshake, a Close, and a drop without waiting.
    CloseStorm(usize),
}

/// A hostile case.
#[derive(Clone, Debug)]
pub struct HostileProbe {
    pub attack: Attack,
}

/// What happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// What the attack did, in words (bytes written, what the server did meanwhile).
    pub attack: String,
    /// The feature the attack needs (permessage-deflate) was not agreed.
    pub unimplemented: bool,
    /// The fresh connection opened (101).
    pub fresh_opened: bool,
    /// The fresh connection echoed within [`FRESH_WAIT`].
    pub fresh_echoed: bool,
    /// Why the fresh connection failed, if it did.
    pub fresh_error: Option<String>,
}

/// The verdict, why it is not OK, and the catalog cause a user meets live.
pub fn judge(o: &Outcome) -> (Verdict, String, Option<CauseId>) {
    if o.unimplemented {
        return (
            Verdict::Unimplemented,
            "The server did not agree to permessage-deflate.".into(),
            None,
        );
    }
    if o.fresh_echoed {
        return (Verdict::Ok, String::new(), None);
    }
    let why = o.fresh_error.clone().unwrap_or_default();
    if o.fresh_opened {
        (
            Verdict::Failed,
            format!(
                "After the attack a fresh connection opened but did not echo within {} s: {why}",
                FRESH_WAIT.as_secs()
            ),
            Some(CauseId::SessionNoEcho),
        )
    } else {
        (
            Verdict::Failed,
            format!(
                "After the attack a fresh connection got no 101 within {} s: {why}",
                FRESH_WAIT.as_secs()
            ),
            Some(CauseId::HttpNoResponse),
        )
    }
}

pub fn expected_text() -> String {
    format!(
        "The server survives: a fresh connection opens and echoes within {} s (the attacking connections may be closed)",
        FRESH_WAIT.as_secs()
    )
}

pub fn observed_text(o: &Outcome) -> String {
    let fresh = if o.unimplemented {
        "not run".to_string()
    } else if o.fresh_echoed {
        "a fresh connection echoed".to_string()
    } else {
        format!(
            "a fresh connection failed: {}",
            o.fresh_error.as_deref().unwrap_or("?")
        )
    };
    format!("{}; {fresh}", o.attack)
}

/// A masked frame.
pub fn frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    Frame::new(OpCode::from_u8(opcode), payload.to_vec())
        .with_fin(fin)
        .with_mask(Some(rand::random()))
        .encode(&mut out);
    out
}

/// A masked frame header announcing `len` payload bytes (none of them sent).
pub fn header(opcode: u8, len: u64) -> Vec<u8> {
    let mut f = Frame::new(OpCode::from_u8(opcode), Vec::new()).with_mask(Some(rand::random()));
    f.header.payload_len = len;
    let mut out = Vec::new();
    f.header.encode(&mut out);
    out
}

/// `n` copies of one frame.
pub fn repeat(n: usize, one: &[u8]) -> Vec<u8> {
    one.repeat(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsdoctor_proto::frame::FrameDecoder;

    #[test]
    fn a_2_pow_63_header_says_so_on_the_wire() {
        let h = header(0x2, 1 << 63);
        assert_eq!(h[1], 0x80 | 127);
        assert_eq!(&h[2..10], &(1u64 << 63).to_be_bytes());
        assert_eq!(h.len(), 14);
    }

    #[test]
    fn frames_decode_as_sent() {
        let f = frame(0x9, true, b"ping");
        let (got, used) = FrameDecoder::new(1 << 10)
            .decode(&f)
            .expect("valid")
            .expect("complete");
        assert_eq!(used, f.len());
        assert_eq!(got.header.opcode, OpCode::Ping);
    }

    #[test]
    fn only_a_fresh_echo_is_ok() {
        let mut o = Outcome::default();
        assert_eq!(judge(&o).0, Verdict::Failed);
        assert_eq!(judge(&o).2, Some(CauseId::HttpNoResponse));
        o.fresh_opened = true;
        assert_eq!(judge(&o).2, Some(CauseId::SessionNoEcho));
        o.fresh_echoed = true;
        assert_eq!(judge(&o).0, Verdict::Ok);
        o.unimplemented = true;
        assert_eq!(judge(&o).0, Verdict::Unimplemented);
    }
}
