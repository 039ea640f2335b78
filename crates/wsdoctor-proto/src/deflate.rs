//! permessage-deflate (RFC 7692): negotiation and per-message compression.
//!
//! Compression is the extension real deployments negotiate most, and its failures are subtle:
//! a proxy that strips `Sec-WebSocket-Extensions` but passes compressed frames, a server that
//! answers with a parameter the client never offered, a peer that ignores
//! `no_context_takeover`. This module gives the probe, the lab and the conformance examples one
//! implementation of the negotiation rules (RFC 7692 §7) with named errors, and a compressor and
//! decompressor that honour the agreed parameters. Decompressed output is always capped by the
//! caller's message limit, so a small "zip bomb" cannot make us allocate gigabytes.
//!
//! flate2's default (pure Rust) backend cannot shrink the LZ77 window below 32 KiB. When the peer
//! limits our window to 2^N bytes, the [`Compressor`] instead compresses in blocks of 2^N bytes
//! with a full flush after each, which forgets the dictionary: no back-reference can then reach
//! further than 2^N bytes, which is all the limit requires. The decompressor always uses a
//! 32 KiB window, which decodes streams made with any smaller one.

use crate::handshake::{Extension, parse_extensions};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The extension token.
pub const NAME: &str = "permessage-deflate";

/// The trailer each compressed message has stripped (RFC 7692 §7.2.1).
const SYNC_TRAILER: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// Agreed (or, for a client, requested) permessage-deflate parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The server resets its compression context after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message.
    pub client_no_context_takeover: bool,
    /// Largest LZ77 window (log2, 8–15) the server may compress with.
    pub server_max_window_bits: u8,
    /// Largest LZ77 window (log2, 8–15) the client may compress with.
    pub client_max_window_bits: u8,
}

impl Default for Params {
    /// No restrictions: context takeover on both sides, 32 KiB windows.
    fn default() -> Self {
        Params {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

/// Why a negotiation offer or response is unacceptable (RFC 7692 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    #[error("extension {0:?} is not permessage-deflate")]
    NotPermessageDeflate(String),
    #[error("unknown permessage-deflate parameter {0:?}")]
    UnknownParameter(String),
    #[error("permessage-deflate parameter {0:?} appears more than once")]
    DuplicateParameter(String),
    #[error("invalid value {value:?} for permessage-deflate parameter {param:?}")]
    InvalidValue { param: String, value: String },
    #[error("the server answered with {0:?}, which the client did not offer")]
    NotOffered(String),
    #[error("the server answered with permessage-deflate more than once")]
    RepeatedInResponse,
}

impl Params {
    /// The client's offer for `Sec-WebSocket-Extensions`. It always advertises
    /// `client_max_window_bits` (we can honour any window) and requests what `self` restricts.
    pub fn offer(&self) -> String {
        let mut s = String::from(NAME);
        if self.client_no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        if self.server_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        match self.client_max_window_bits {
            15 => s.push_str("; client_max_window_bits"),
            bits => s.push_str(&format!("; client_max_window_bits={bits}")),
        }
        if self.server_max_window_bits < 15 {
            s.push_str(&format!(
                "; server_max_window_bits={}",
                self.server_max_window_bits
            ));
        }
        s
    }

    /// The server's answer for `Sec-WebSocket-Extensions` accepting these parameters.
    pub fn response(&self) -> String {
        let mut s = String::from(NAME);
        if self.server_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        if self.server_max_window_bits < 15 {
            s.push_str(&format!(
                "; server_max_window_bits={}",
                self.server_max_window_bits
            ));
        }
        if self.client_max_window_bits < 15 {
            s.push_str(&format!(
                "; client_max_window_bits={}",
                self.client_max_window_bits
            ));
        }
        s
    }
}

/// Server side: picks the first acceptable permessage-deflate offer from the request's
/// `Sec-WebSocket-Extensions` values and returns the agreed parameters and the response value.
/// Offers with unknown or malformed parameters are skipped, as RFC 7692 §5 asks.
pub fn accept_offer<'a>(
    header_values: impl IntoIterator<Item = &'a str>,
) -> Option<(Params, String)> {
    header_values
        .into_iter()
        .flat_map(parse_extensions)
        .filter(|e| e.name.eq_ignore_ascii_case(NAME))
        .find_map(|offer| params_from_offer(&offer).ok())
        .map(|params| (params, params.response()))
}

/// Server side: the parameters agreed for one offer (we accept every restriction requested).
pub fn params_from_offer(offer: &Extension) -> Result<Params, NegotiationError> {
    let mut params = Params::default();
    for (name, value, seen) in checked_params(offer)? {
        match (name, value) {
            ("server_no_context_takeover", None) => params.server_no_context_takeover = true,
            ("client_no_context_takeover", None) => params.client_no_context_takeover = true,
            ("server_max_window_bits", Some(v)) => {
                params.server_max_window_bits = window_bits(name, v)?
            }
            ("client_max_window_bits", None) => {}
            // The client tells us it will use at most this window; repeating it is optional.
            ("client_max_window_bits", Some(v)) => {
                window_bits(name, v)?;
            }
            _ => return Err(invalid(seen, value)),
        }
    }
    Ok(params)
}

/// Client side: checks the server's `Sec-WebSocket-Extensions` values against what we offered.
/// `Ok(None)` means the server declined compression.
pub fn accept_response<'a>(
    offered: &Params,
    header_values: impl IntoIterator<Item = &'a str>,
) -> Result<Option<Params>, NegotiationError> {
    let mut agreed = None;
    for ext in header_values.into_iter().flat_map(parse_extensions) {
        if !ext.name.eq_ignore_ascii_case(NAME) {
            return Err(NegotiationError::NotPermessageDeflate(ext.name));
        }
        if agreed.is_some() {
            return Err(NegotiationError::RepeatedInResponse);
        }
        agreed = Some(params_from_response(offered, &ext)?);
    }
    Ok(agreed)
}

/// Client side: the parameters one permessage-deflate response element imposes.
pub fn params_from_response(offered: &Params, ext: &Extension) -> Result<Params, NegotiationError> {
    let mut params = Params {
        client_no_context_takeover: offered.client_no_context_takeover,
        client_max_window_bits: offered.client_max_window_bits,
        ..Params::default()
    };
    for (name, value, seen) in checked_params(ext)? {
        match (name, value) {
            ("server_no_context_takeover", None) => params.server_no_context_takeover = true,
            ("client_no_context_takeover", None) => params.client_no_context_takeover = true,
            ("server_max_window_bits", Some(v)) => {
                let bits = window_bits(name, v)?;
                if bits > offered.server_max_window_bits {
                    return Err(invalid(seen, value));
                }
                params.server_max_window_bits = bits;
            }
            ("client_max_window_bits", Some(v)) => {
                let bits = window_bits(name, v)?;
                if bits > offered.client_max_window_bits {
                    return Err(invalid(seen, value));
                }
                params.client_max_window_bits = bits;
            }
            _ => return Err(invalid(seen, value)),
        }
    }
    if offered.server_no_context_takeover && !params.server_no_context_takeover {
        return Err(NegotiationError::NotOffered(
            "no server_no_context_takeover although requested".into(),
        ));
    }
    Ok(params)
}

/// Why compressed data could not be processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeflateError {
    /// The peer's compressed data is not valid DEFLATE.
    #[error("invalid compressed data: {0}")]
    Corrupt(String),
    /// Decompressing would exceed the caller's limit (a message too big, or a zip bomb).
    #[error("decompressed message exceeds {limit} bytes")]
    TooLarge { limit: usize },
    /// Our own compressor failed (a bug, not the peer's fault).
    #[error("compression failed: {0}")]
    Compress(String),
}

/// Compresses messages we send, honouring our side's window and context parameters.
pub struct Compressor {
    inner: Compress,
    window_bits: u8,
    no_context_takeover: bool,
}

impl Compressor {
    /// `window_bits` is the peer-imposed maximum for our side (8–15).
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Compressor {
            inner: Compress::new(Compression::default(), false),
            window_bits: window_bits.clamp(8, 15),
            no_context_takeover,
        }
    }

    /// Appends the compressed form of one message (trailer stripped) to `out`.
    pub fn compress(&mut self, message: &[u8], out: &mut Vec<u8>) -> Result<(), DeflateError> {
        let start = out.len();
        if self.window_bits >= 15 {
            self.run(message, FlushCompress::Sync, out)?;
        } else {
            // See the module docs: a full flush every 2^N bytes keeps references within 2^N.
            for block in message.chunks(1 << self.window_bits) {
                self.run(block, FlushCompress::Full, out)?;
            }
            if message.is_empty() {
                self.run(&[], FlushCompress::Full, out)?;
            }
        }
        if out[start..].ends_with(&SYNC_TRAILER) {
            out.truncate(out.len() - SYNC_TRAILER.len());
        }
        if self.no_context_takeover {
            self.inner.reset();
        }
        Ok(())
    }

    fn run(
        &mut self,
        input: &[u8],
        flush: FlushCompress,
        out: &mut Vec<u8>,
    ) -> Result<(), DeflateError> {
        let mut pos = 0;
        loop {
            out.reserve(input.len() - pos + 64);
            let (in_before, out_before) = (self.inner.total_in(), out.len());
            self.inner
                .compress_vec(&input[pos..], out, flush)
                .map_err(|e| DeflateError::Compress(e.to_string()))?;
            pos += (self.inner.total_in() - in_before) as usize;
            // Done once all input is taken and the flush fit in the space we offered.
            let stalled = out.len() == out_before && pos == input.len();
            if (pos == input.len() && out.len() < out.capacity()) || stalled {
                return Ok(());
            }
        }
    }
}

/// Decompresses messages we receive, one piece at a time, within a size limit.
pub struct Decompressor {
    inner: Decompress,
    no_context_takeover: bool,
    /// The peer ended the DEFLATE stream (BFINAL) inside this message: reset after it.
    stream_ended: bool,
}

impl Decompressor {
    /// `no_context_takeover`: the peer resets its context per message, so we may too.
    pub fn new(no_context_takeover: bool) -> Self {
        Decompressor {
            inner: Decompress::new(false),
            no_context_takeover,
            stream_ended: false,
        }
    }

    /// Decompresses the next piece of a message's payload, appending to `out`; fails once `out`
    /// would grow past `limit`.
    pub fn push(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), DeflateError> {
        let mut pos = 0;
        while !self.stream_ended {
            let room = limit.saturating_sub(out.len()).saturating_add(1);
            out.reserve(
                (input.len() - pos)
                    .saturating_mul(4)
                    .clamp(1024, 64 * 1024)
                    .min(room),
            );
            let (in_before, out_before) = (self.inner.total_in(), out.len());
            let status = self
                .inner
                .decompress_vec(&input[pos..], out, FlushDecompress::Sync)
                .map_err(|e| DeflateError::Corrupt(e.to_string()))?;
            pos += (self.inner.total_in() - in_before) as usize;
            if out.len() > limit {
                return Err(DeflateError::TooLarge { limit });
            }
            if status == Status::StreamEnd {
                self.stream_ended = true;
            }
            let progressed = out.len() > out_before || self.inner.total_in() > in_before;
            if (pos == input.len() && out.len() < out.capacity()) || !progressed {
                break;
            }
        }
        Ok(())
    }

    /// Ends a message: feeds the stripped trailer and resets the context when required.
    pub fn finish(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<(), DeflateError> {
        self.push(&SYNC_TRAILER, out, limit)?;
        if self.no_context_takeover || self.stream_ended {
            self.inner.reset(false);
            self.stream_ended = false;
        }
        Ok(())
    }
}

/// One-shot helper: decompresses a whole message payload with a fresh context.
pub fn decompress_message(payload: &[u8], limit: usize) -> Result<Vec<u8>, DeflateError> {
    let mut d = Decompressor::new(true);
    let mut out = Vec::new();
    d.push(payload, &mut out, limit)?;
    d.finish(&mut out, limit)?;
    Ok(out)
}

/// One-shot helper: compresses a whole message with a fresh context and a 32 KiB window.
pub fn compress_message(message: &[u8]) -> Result<Vec<u8>, DeflateError> {
    let mut out = Vec::new();
    Compressor::new(15, true).compress(message, &mut out)?;
    Ok(out)
}

/// A known parameter: canonical name, value, the name as the peer spelled it.
type CheckedParam<'a> = (&'static str, Option<&'a str>, &'a str);

/// Parameter names lowercased, rejecting unknown and repeated ones; yields (name, value, as sent).
fn checked_params(ext: &Extension) -> Result<Vec<CheckedParam<'_>>, NegotiationError> {
    if !ext.name.eq_ignore_ascii_case(NAME) {
        return Err(NegotiationError::NotPermessageDeflate(ext.name.clone()));
    }
    const KNOWN: [&str; 4] = [
        "server_no_context_takeover",
        "client_no_context_takeover",
        "server_max_window_bits",
        "client_max_window_bits",
    ];
    let mut seen: Vec<&'static str> = Vec::new();
    let mut out = Vec::new();
    for (name, value) in &ext.params {
        let Some(known) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)) else {
            return Err(NegotiationError::UnknownParameter(name.clone()));
        };
        if seen.contains(known) {
            return Err(NegotiationError::DuplicateParameter(name.clone()));
        }
        seen.push(known);
        out.push((*known, value.as_deref(), name.as_str()));
    }
    Ok(out)
}

/// A window size value: decimal 8–15 without leading zeros (RFC 7692 §7.1.2).
fn window_bits(param: &str, value: &str) -> Result<u8, NegotiationError> {
    match value.parse::<u8>() {
        Ok(bits @ 8..=15) if !value.starts_with('0') => Ok(bits),
        _ => Err(NegotiationError::InvalidValue {
            param: param.into(),
            value: value.into(),
        }),
    }
}

fn invalid(param: &str, value: Option<&str>) -> NegotiationError {
    NegotiationError::InvalidValue {
        param: param.into(),
        value: value.unwrap_or("").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc_7692_hello_example() {
        // §7.2.3.1: "Hello" compressed with no context takeover.
        let wire = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        assert_eq!(decompress_message(&wire, 100).unwrap(), b"Hello");
        // §7.2.3.3: the same with a BFINAL block; still a valid message.
        let wire = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        assert_eq!(decompress_message(&wire, 100).unwrap(), b"Hello");
    }

    #[test]
    fn rfc_7692_context_takeover_example() {
        // §7.2.3.2: the second "Hello" refers back into the first message.
        let mut d = Decompressor::new(false);
        let mut out = Vec::new();
        d.push(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 100)
            .unwrap();
        d.finish(&mut out, 100).unwrap();
        d.push(&[0xf2, 0x00, 0x11, 0x00, 0x00], &mut out, 100)
            .unwrap();
        d.finish(&mut out, 100).unwrap();
        assert_eq!(out, b"HelloHello");
    }

    #[test]
    fn zip_bomb_is_capped() {
        let bomb = compress_message(&vec![0u8; 10 << 20]).unwrap();
        assert!(bomb.len() < 20_000);
        assert_eq!(
            decompress_message(&bomb, 1 << 20),
            Err(DeflateError::TooLarge { limit: 1 << 20 })
        );
    }

    #[test]
    fn garbage_is_corrupt() {
        assert!(matches!(
            decompress_message(&[0xff; 16], 1000),
            Err(DeflateError::Corrupt(_))
        ));
    }

    #[test]
    fn small_windows_and_context_takeover_round_trip() {
        let text: Vec<u8> = b"the quick brown fox jumps over the lazy dog ".repeat(200);
        for bits in [8, 9, 12, 15] {
            for nct in [false, true] {
                let mut c = Compressor::new(bits, nct);
                let mut d = Decompressor::new(nct);
                for _ in 0..3 {
                    let mut wire = Vec::new();
                    c.compress(&text, &mut wire).unwrap();
                    assert!(wire.len() < text.len(), "bits {bits}: {} bytes", wire.len());
                    let mut out = Vec::new();
                    d.push(&wire, &mut out, usize::MAX).unwrap();
                    d.finish(&mut out, usize::MAX).unwrap();
                    assert_eq!(out, text);
                }
            }
        }
    }

    #[test]
    fn negotiation_default_offer_and_response() {
        let offer = Params::default().offer();
        assert_eq!(offer, "permessage-deflate; client_max_window_bits");
        let (params, response) = accept_offer([offer.as_str()]).unwrap();
        assert_eq!(params, Params::default());
        assert_eq!(response, "permessage-deflate");
        assert_eq!(
            accept_response(&Params::default(), [response.as_str()]),
            Ok(Some(params))
        );
        assert_eq!(accept_response(&Params::default(), []), Ok(None));
    }

    #[test]
    fn server_honours_requested_restrictions_and_skips_bad_offers() {
        let (params, response) = accept_offer([
            "permessage-deflate; foo=1, permessage-deflate; server_max_window_bits=09",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits",
        ])
        .unwrap();
        assert!(params.server_no_context_takeover);
        assert_eq!(params.server_max_window_bits, 9);
        assert_eq!(
            response,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9"
        );
        assert_eq!(accept_offer(["x-webkit-deflate-frame"]), None);
    }

    #[test]
    fn client_rejects_what_it_did_not_offer() {
        let offered = Params {
            client_max_window_bits: 10,
            ..Params::default()
        };
        assert!(matches!(
            accept_response(&offered, ["permessage-deflate; client_max_window_bits=12"]),
            Err(NegotiationError::InvalidValue { .. })
        ));
        assert_eq!(
            accept_response(&offered, ["permessage-deflate; client_max_window_bits=9"])
                .unwrap()
                .unwrap()
                .client_max_window_bits,
            9
        );
        assert_eq!(
            accept_response(&offered, ["permessage-deflate; mystery"]),
            Err(NegotiationError::UnknownParameter("mystery".into()))
        );
        assert_eq!(
            accept_response(&offered, ["permessage-deflate, permessage-deflate"]),
            Err(NegotiationError::RepeatedInResponse)
        );
        assert_eq!(
            accept_response(
                &offered,
                ["permessage-deflate; server_no_context_takeover; server_no_context_takeover"]
            ),
            Err(NegotiationError::DuplicateParameter(
                "server_no_context_takeover".into()
            ))
        );
    }

    proptest! {
        #[test]
        fn compress_decompress_round_trip(data in proptest::collection::vec(any::<u8>(), 0..5000), bits in 8u8..=15) {
            let mut wire = Vec::new();
            Compressor::new(bits, false).compress(&data, &mut wire).unwrap();
            prop_assert_eq!(decompress_message(&wire, data.len()).unwrap(), data);
        }

        #[test]
        fn decompress_never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decompress_message(&data, 4096);
        }
    }
}
