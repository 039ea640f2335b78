//! Reading on past a header violation, as Autobahn's fuzzer does.
//!
//! The session (`wsdoctor_proto::session`) stops at the first violation, which is right
//! for a client. Autobahn's fuzzer, whose verdicts we reproduce, does not: when a server
//! frame is masked or has reserved bits set, it starts failing the connection and still
//! processes that frame and the ones after it (a masked pong still counts as the pong).
//! This filter sits in front of the session: it removes the mask and clears the reserved
//! bits of every frame header, and reports that it did, so the runner can record the
//! violation and fail the connection while the session sees a clean stream. Pure: bytes
//! in, bytes and findings out.

use wsdoctor_proto::frame::{apply_mask, decode_header};
use wsdoctor_proto::session::ProtocolViolation;

/// The filter's state between calls.
#[derive(Debug, Default)]
pub struct Lenient {
    /// permessage-deflate was agreed: RSV1 marks compressed messages and is left alone.
    rsv1_allowed: bool,
    /// Bytes of an incomplete header (at most 14).
    pending: Vec<u8>,
    /// Payload still to pass through for the current frame, its mask and offset.
    payload_left: u64,
    mask: Option<[u8; 4]>,
    offset: u64,
}

impl Lenient {
    pub fn new(rsv1_allowed: bool) -> Self {
        Lenient {
            rsv1_allowed,
            ..Lenient::default()
        }
    }

    /// Passes `input` on with masks removed and reserved bits cleared; returns the
    /// violations seen in the headers completed by this input, each with the length `out`
    /// had when its frame began (so the frames before it can be handled first).
    pub fn filter(&mut self, input: &[u8], out: &mut Vec<u8>) -> Vec<(usize, ProtocolViolation)> {
        let mut found = Vec::new();
        let mut pos = 0;
        while pos < input.len() {
            if self.payload_left > 0 {
                let n = (self.payload_left.min((input.len() - pos) as u64)) as usize;
                let start = out.len();
                out.extend_from_slice(&input[pos..pos + n]);
                if let Some(key) = self.mask {
                    apply_mask(&mut out[start..], key, self.offset);
                }
                self.offset += n as u64;
                self.payload_left -= n as u64;
                pos += n;
                continue;
            }
            // A header: gather up to its maximum size, then decode.
            let want = 14 - self.pending.len();
            let take = want.min(input.len() - pos);
            let before = self.pending.len();
            self.pending.extend_from_slice(&input[pos..pos + take]);
            // decode_header has no error for headers (only for payload caps, not used here).
            let Ok(Some((header, header_len))) = decode_header(&self.pending) else {
                pos += take;
                continue;
            };
            // Bytes of this input that belong to the header.
            pos += header_len - before;
            let mut head = self.pending[..header_len].to_vec();
            self.pending.clear();
            let at = out.len();
            let rsv1 = header.rsv1 && !self.rsv1_allowed;
            if rsv1 || header.rsv2 || header.rsv3 {
                found.push((
                    at,
                    ProtocolViolation::ReservedBitsSet {
                        rsv1,
                        rsv2: header.rsv2,
                        rsv3: header.rsv3,
                    },
                ));
                head[0] &= if self.rsv1_allowed { 0xCF } else { 0x8F };
            }
            if header.mask.is_some() {
                found.push((at, ProtocolViolation::MaskedFrameFromServer));
                head[1] &= 0x7F;
                head.truncate(header_len - 4);
            }
            out.extend_from_slice(&head);
            self.payload_left = header.payload_len;
            self.mask = header.mask;
            self.offset = 0;
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsdoctor_proto::frame::Frame;

    fn wire(frames: &[Frame]) -> Vec<u8> {
        let mut out = Vec::new();
        for f in frames {
            f.encode(&mut out);
        }
        out
    }

    #[test]
    fn masks_and_reserved_bits_are_removed_and_reported_in_any_split() {
        let bad = [
            Frame::text("hello").with_mask(Some([1, 2, 3, 4])),
            Frame::pong(b"p").with_rsv(false, true, false),
            Frame::binary(&[7; 300]),
        ];
        let clean = wire(&[
            Frame::text("hello"),
            Frame::pong(b"p"),
            Frame::binary(&[7; 300]),
        ]);
        let input = wire(&bad);
        for chunk in [1, 2, 3, 7, 64, input.len()] {
            let mut l = Lenient::new(false);
            let mut out = Vec::new();
            let mut found = Vec::new();
            for piece in input.chunks(chunk) {
                found.extend(l.filter(piece, &mut out).into_iter().map(|(_, v)| v));
            }
            assert_eq!(out, clean, "chunk {chunk}");
            let mut l = Lenient::new(false);
            let at: Vec<usize> = l
                .filter(&input, &mut Vec::new())
                .into_iter()
                .map(|(at, _)| at)
                .collect();
            // The pong's header starts after the 7-byte unmasked text frame.
            assert_eq!(at, vec![0, 7]);
            assert_eq!(
                found,
                vec![
                    ProtocolViolation::MaskedFrameFromServer,
                    ProtocolViolation::ReservedBitsSet {
                        rsv1: false,
                        rsv2: true,
                        rsv3: false
                    }
                ]
            );
        }
    }
}
