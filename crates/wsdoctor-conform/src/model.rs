//! What a conformance case is, as data: what the fuzzer sends and when, which received
//! events count as which verdict, and how the connection must end.
//!
//! The model follows Autobahn|Testsuite's own (so that its case ids, expectations and
//! verdicts carry over unchanged): a case is a short script played on one connection,
//! the fuzzer records what the server sent (messages, pongs, and markers for waits that
//! passed with the connection still open), and the verdict compares that record with
//! one or more expected records. The way the connection ended is judged separately.
//! Nothing here does IO; the runner (`crate::run`) plays the script.

use serde::Serialize;

/// The verdict on what the server sent, as Autobahn names it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
pub enum Verdict {
    /// The server did what RFC 6455 requires.
    #[serde(rename = "OK")]
    Ok,
    /// Conformant, but not what the RFC recommends (a SHOULD) or the canonical behaviour,
    /// e.g. failing a connection without first echoing the valid frame before the bad one.
    #[serde(rename = "NON-STRICT")]
    NonStrict,
    /// RFC 6455 leaves the behaviour open; recorded, never a failure.
    #[serde(rename = "INFORMATIONAL")]
    Informational,
    /// The feature the case tests (permessage-deflate) was not negotiated.
    #[serde(rename = "UNIMPLEMENTED")]
    Unimplemented,
    /// The server broke a MUST of RFC 6455 / RFC 7692.
    #[serde(rename = "FAILED")]
    Failed,
}

impl Verdict {
    /// Autobahn's spelling, used in reports and `--expect` files.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::NonStrict => "NON-STRICT",
            Verdict::Informational => "INFORMATIONAL",
            Verdict::Unimplemented => "UNIMPLEMENTED",
            Verdict::Failed => "FAILED",
        }
    }

    pub const ALL: [Verdict; 5] = [
        Verdict::Ok,
        Verdict::NonStrict,
        Verdict::Informational,
        Verdict::Unimplemented,
        Verdict::Failed,
    ];

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The verdict on how the connection ended (Autobahn's `behaviorClose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
pub enum CloseVerdict {
    #[serde(rename = "OK")]
    Ok,
    /// The server's close code is not one the case allows.
    #[serde(rename = "WRONG CODE")]
    WrongCode,
    /// The case requires a closing handshake and a TCP close by the server; it did not happen.
    #[serde(rename = "UNCLEAN")]
    Unclean,
    /// The fuzzer had to drop the TCP connection itself (the server should close it first,
    /// RFC 6455 §7.1.1).
    #[serde(rename = "FAILED BY CLIENT")]
    FailedByClient,
    /// The wrong endpoint started the close, or the connection never opened.
    #[serde(rename = "FAILED")]
    Failed,
    #[serde(rename = "INFORMATIONAL")]
    Informational,
}

impl CloseVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseVerdict::Ok => "OK",
            CloseVerdict::WrongCode => "WRONG CODE",
            CloseVerdict::Unclean => "UNCLEAN",
            CloseVerdict::FailedByClient => "FAILED BY CLIENT",
            CloseVerdict::Failed => "FAILED",
            CloseVerdict::Informational => "INFORMATIONAL",
        }
    }
}

/// One conformance case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Autobahn's id, e.g. `6.4.3`.
    pub id: String,
    /// What the fuzzer does, in our words.
    pub description: String,
    /// What a conformant server does in reply.
    pub expectation: String,
    /// The RFC section the case holds the server to, e.g. `RFC 6455 §5.5.2`.
    pub section: &'static str,
    pub script: Vec<Step>,
    pub expect: Expect,
    pub close: CloseExpect,
    /// Do not send our Close when the expected events are complete (the script closes).
    pub suppress_close: bool,
    /// A close code outside `close.codes` fails the case, not only its close verdict
    /// (Autobahn's close-handling cases, 7.*).
    pub wrong_code_fails: bool,
    /// RFC 6455 leaves the outcome open: the verdict is always INFORMATIONAL.
    pub informational: bool,
    /// permessage-deflate offers (12.*, 13.*); without agreement the case is UNIMPLEMENTED.
    pub deflate: Option<Deflate>,
    /// Played as raw bytes instead of `script` (category 0); `script`, `expect` and
    /// `close` are then unused.
    pub probe: Option<Probe>,
}

/// A case that is not a frame script.
#[derive(Clone, Debug)]
pub enum Probe {
    /// An opening-handshake request, sent byte for byte.
    Handshake(crate::probe::HandshakeProbe),
    /// An attack the server must survive (category 14).
    Hostile(crate::hostile::HostileProbe),
}

/// What the fuzzer offers for permessage-deflate (RFC 7692), and what it accepts back.
#[derive(Clone, Debug)]
pub struct Deflate {
    /// `Sec-WebSocket-Extensions` offers, in order of preference.
    pub offers: Vec<String>,
    /// The most the offers let the server answer with (its response is checked against it).
    pub allowed: wsdoctor_proto::deflate::Params,
}

impl Case {
    /// The id as numbers, for sorting (`9.10` after `9.9`).
    pub fn sort_key(&self) -> Vec<u32> {
        sort_key(&self.id)
    }

    /// The category, e.g. `6` for `6.4.3`.
    pub fn category(&self) -> &str {
        self.id.split('.').next().unwrap_or("")
    }

    /// Whether the case sends more than 1 MiB (the runner runs few of these at once).
    pub fn is_heavy(&self) -> bool {
        // An attack runs alone: it must not slow the cases beside it, nor they it.
        matches!(self.probe, Some(Probe::Hostile(_)))
            || self.script.iter().map(Step::bytes).sum::<usize>() > 1 << 20
    }

    /// How long the script's own timers run, at most (waits plus the last timer).
    pub fn scripted_ms(&self) -> u64 {
        self.script
            .iter()
            .map(|s| match s {
                Step::Wait { ms, .. } | Step::KillAfter(ms) | Step::CloseAfter(ms) => *ms,
                _ => 0,
            })
            .sum()
    }
}

/// The id as numbers (non-numeric parts sort first).
pub fn sort_key(id: &str) -> Vec<u32> {
    id.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// One thing the fuzzer does, in order.
#[derive(Clone, Debug)]
pub enum Step {
    /// Send one frame exactly as specified (masked with a fresh key).
    Frame(FrameSpec, Chop),
    /// Send a whole message: one frame, or frames of `fragment` bytes each.
    Message {
        binary: bool,
        payload: Payload,
        fragment: Option<usize>,
        chop: Chop,
    },
    /// Send the header of a frame announcing `len` payload bytes and the first `data` of it;
    /// [`Step::FrameData`] steps send the rest (fail-fast tests cut a frame in time).
    FrameStart { opcode: u8, len: u64, data: Vec<u8> },
    /// More payload of the frame opened by [`Step::FrameStart`].
    FrameData(Vec<u8>),
    /// Start the closing handshake: a Close frame with this payload, the fuzzer now closing.
    Close { code: Option<u16>, reason: Vec<u8> },
    /// Wait; then, if `tag` is set and the connection is still open, record
    /// [`Received::Timeout`] and go on (otherwise the script stops there).
    Wait { ms: u64, tag: Option<&'static str> },
    /// Send the next message of a compression case ([`Expect::Deflated`]): compressed,
    /// then cut into frames of `fragment` bytes (0: one frame), as Autobahn's
    /// `autoFragmentSize` does.
    Deflated { fragment: usize },
    /// After `ms`, fail the connection if it is still up (Close 1001, then drop).
    KillAfter(u64),
    /// After `ms`, start the closing handshake if it is still up.
    CloseAfter(u64),
}

impl Step {
    /// Payload bytes this step sends.
    pub fn bytes(&self) -> usize {
        match self {
            Step::Frame(f, _) => f.payload.len(),
            Step::Message { payload, .. } => payload.len(),
            Step::FrameStart { data, .. } | Step::FrameData(data) => data.len(),
            Step::Close { reason, .. } => reason.len() + 2,
            _ => 0,
        }
    }
}

/// How the bytes of a frame go onto the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chop {
    /// One write for the frame, possibly coalesced with neighbours.
    Whole,
    /// One write for the frame, flushed before the next one (its own TCP segment).
    Sync,
    /// Writes of at most this many bytes, each flushed (a server must be "TCP clean").
    Bytes(usize),
}

/// A frame as the fuzzer sends it: any opcode, any reserved bits, FIN as given.
#[derive(Clone, Debug)]
pub struct FrameSpec {
    pub opcode: u8,
    pub fin: bool,
    /// RSV1..3 as a 3-bit number (RSV1 = 4).
    pub rsv: u8,
    pub payload: Payload,
}

impl FrameSpec {
    pub fn new(opcode: u8, payload: impl Into<Payload>) -> FrameSpec {
        FrameSpec {
            opcode,
            fin: true,
            rsv: 0,
            payload: payload.into(),
        }
    }

    pub fn fin(mut self, fin: bool) -> FrameSpec {
        self.fin = fin;
        self
    }

    pub fn rsv(mut self, rsv: u8) -> FrameSpec {
        self.rsv = rsv;
        self
    }
}

/// Payload bytes; big ones are a pattern repeated to a length, built only when sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    Bytes(Vec<u8>),
    Repeat { pattern: &'static [u8], len: usize },
}

impl Payload {
    pub fn len(&self) -> usize {
        match self {
            Payload::Bytes(b) => b.len(),
            Payload::Repeat { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes (a repeated pattern is built here).
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Payload::Bytes(b) => b.clone(),
            Payload::Repeat { pattern, len } => {
                pattern.iter().copied().cycle().take(*len).collect()
            }
        }
    }
}

impl From<&str> for Payload {
    fn from(s: &str) -> Payload {
        Payload::Bytes(s.as_bytes().to_vec())
    }
}

impl From<&[u8]> for Payload {
    fn from(b: &[u8]) -> Payload {
        Payload::Bytes(b.to_vec())
    }
}

impl From<Vec<u8>> for Payload {
    fn from(b: Vec<u8>) -> Payload {
        Payload::Bytes(b)
    }
}

/// What the fuzzer records from the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    Message {
        binary: bool,
        data: Vec<u8>,
    },
    Pong(Vec<u8>),
    /// A [`Step::Wait`] with this tag passed with the connection still open.
    Timeout(&'static str),
}

/// How received events are judged.
#[derive(Clone, Debug)]
pub enum Expect {
    /// The record must equal one of these, which gives the verdict (first match wins);
    /// anything else is FAILED.
    Events(Vec<(Verdict, Vec<Received>)>),
    /// Limits and performance (9.*): the server echoes a message of this type and length
    /// `rounds` times (the message steps are sent again after each echo); then the fuzzer
    /// closes. Contents are not compared, only type and length (as Autobahn does).
    Echo {
        binary: bool,
        len: usize,
        rounds: u32,
    },
    /// Compression (12.*, 13.*): `rounds` messages of `len` bytes taken one after another
    /// from `corpus` (wrapping around), each sent after the previous echo; each echo must
    /// equal what was sent.
    Deflated {
        corpus: &'static crate::cases::corpus::Corpus,
        len: usize,
        rounds: u32,
    },
}

impl Expect {
    /// Only an OK record, the common case.
    pub fn ok(events: Vec<Received>) -> Expect {
        Expect::Events(vec![(Verdict::Ok, events)])
    }

    /// The echo of one message as sent, and nothing else.
    pub fn echo(binary: bool, data: impl Into<Vec<u8>>) -> Expect {
        Expect::ok(vec![Received::Message {
            binary,
            data: data.into(),
        }])
    }

    /// Nothing received.
    pub fn nothing() -> Expect {
        Expect::ok(vec![])
    }
}

/// How the connection must end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseExpect {
    /// True: the fuzzer starts the closing handshake; false: the server must fail the
    /// connection (it sends the first Close or drops TCP).
    pub by_fuzzer: bool,
    /// Close codes the server may send (its absence is always accepted).
    pub codes: Vec<u16>,
    /// The closing handshake must complete and the server must close TCP.
    pub require_clean: bool,
    /// The close started by the wrong end fails the case (UTF-8 cases: the server did not
    /// notice the invalid text at all).
    pub wrong_end_fails: bool,
}

impl CloseExpect {
    /// The fuzzer closes with 1000 and expects a clean closing handshake.
    pub fn normal() -> CloseExpect {
        CloseExpect {
            by_fuzzer: true,
            codes: vec![1000],
            require_clean: true,
            wrong_end_fails: false,
        }
    }

    /// The server must fail the connection, with this code if it sends one.
    pub fn server_fails(code: u16) -> CloseExpect {
        CloseExpect {
            by_fuzzer: false,
            codes: vec![code],
            require_clean: false,
            wrong_end_fails: false,
        }
    }
}
