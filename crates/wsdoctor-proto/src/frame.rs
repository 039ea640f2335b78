//! The frame codec (RFC 6455 §5.2), deliberately without judgement.
//!
//! Decoding reports what is on the wire — reserved bits, unknown opcodes, the mask, which length
//! encoding was used — and leaves deciding what is a violation to [`crate::session`], so the
//! probe can show the exact frame that broke a connection. Encoding writes exactly what the
//! [`Frame`] says, including things a correct peer never sends (masked server frames, reserved
//! bits, 200-byte pings, fragmented control frames, opcode 0xB, lengths in a longer form than
//! needed): that is how the fault lab produces misbehaving servers.

/// The 4-bit opcode of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: first frame of a UTF-8 text message.
    Text,
    /// 0x2: first frame of a binary message.
    Binary,
    /// 0x8: close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
    /// 0x3–0x7 (data) and 0xB–0xF (control): reserved, no meaning defined.
    Reserved(u8),
}

impl OpCode {
    /// Reads the low 4 bits of `bits` (higher bits are ignored).
    pub fn from_u8(bits: u8) -> OpCode {
        match bits & 0x0F {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            other => OpCode::Reserved(other),
        }
    }

    /// The 4-bit wire value (a `Reserved` value is written as given, masked to 4 bits).
    pub fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
            OpCode::Reserved(bits) => bits & 0x0F,
        }
    }

    /// Control frames have the high opcode bit set (0x8–0xF), including reserved ones.
    pub fn is_control(self) -> bool {
        self.as_u8() & 0x08 != 0
    }

    /// True for opcodes RFC 6455 leaves undefined.
    pub fn is_reserved(self) -> bool {
        matches!(self, OpCode::Reserved(_))
    }
}

/// Everything in a frame header, as read from or to be written to the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    pub fin: bool,
    pub rsv1: bool,
    pub rsv2: bool,
    pub rsv3: bool,
    pub opcode: OpCode,
    /// The masking key, if the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length field, as written (not checked against anything).
    pub payload_len: u64,
}

/// Which of the three payload length encodings a header uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthForm {
    /// Lengths 0–125 in the 7-bit field.
    Short,
    /// 126 followed by a 16-bit length.
    Extended16,
    /// 127 followed by a 64-bit length.
    Extended64,
}

impl LengthForm {
    /// The shortest form able to carry `len` — the only one RFC 6455 §5.2 allows.
    pub fn minimal(len: u64) -> LengthForm {
        match len {
            0..=125 => LengthForm::Short,
            126..=0xFFFF => LengthForm::Extended16,
            _ => LengthForm::Extended64,
        }
    }

    /// Bytes the length takes after the first header byte pair.
    fn extra_bytes(self) -> usize {
        match self {
            LengthForm::Short => 0,
            LengthForm::Extended16 => 2,
            LengthForm::Extended64 => 8,
        }
    }
}

impl FrameHeader {
    /// The length of this header on the wire with the minimal length form.
    pub fn encoded_len(&self) -> usize {
        2 + LengthForm::minimal(self.payload_len).extra_bytes() + self.mask.map_or(0, |_| 4)
    }

    /// Which length form a decoded header of `header_len` bytes used (as returned by
    /// [`decode_header`]).
    pub fn length_form(&self, header_len: usize) -> LengthForm {
        match header_len.saturating_sub(self.mask.map_or(0, |_| 4)) {
            2 => LengthForm::Short,
            4 => LengthForm::Extended16,
            _ => LengthForm::Extended64,
        }
    }

    /// Writes the header with the minimal length form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.encode_with(LengthForm::minimal(self.payload_len), out);
    }

    /// Writes the header with the given length form, even a longer one than needed (a lab fault).
    /// A form too short for the length gets the low bits of the length.
    pub fn encode_with(&self, form: LengthForm, out: &mut Vec<u8>) {
        let b0 = (self.fin as u8) << 7
            | (self.rsv1 as u8) << 6
            | (self.rsv2 as u8) << 5
            | (self.rsv3 as u8) << 4
            | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        out.push(b0);
        match form {
            LengthForm::Short => out.push(mask_bit | (self.payload_len as u8 & 0x7F)),
            LengthForm::Extended16 => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(self.payload_len as u16).to_be_bytes());
            }
            LengthForm::Extended64 => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&self.payload_len.to_be_bytes());
            }
        }
        if let Some(key) = self.mask {
            out.extend_from_slice(&key);
        }
    }
}

/// A whole frame; `payload` is always kept unmasked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub header: FrameHeader,
    pub payload: Vec<u8>,
}

impl Frame {
    /// A final, unmasked frame with no reserved bits; `payload_len` follows `payload`.
    pub fn new(opcode: OpCode, payload: Vec<u8>) -> Frame {
        Frame {
            header: FrameHeader {
                fin: true,
                rsv1: false,
                rsv2: false,
                rsv3: false,
                opcode,
                mask: None,
                payload_len: payload.len() as u64,
            },
            payload,
        }
    }

    pub fn text(s: &str) -> Frame {
        Frame::new(OpCode::Text, s.as_bytes().to_vec())
    }

    pub fn binary(data: &[u8]) -> Frame {
        Frame::new(OpCode::Binary, data.to_vec())
    }

    pub fn ping(data: &[u8]) -> Frame {
        Frame::new(OpCode::Ping, data.to_vec())
    }

    pub fn pong(data: &[u8]) -> Frame {
        Frame::new(OpCode::Pong, data.to_vec())
    }

    pub fn continuation(data: &[u8]) -> Frame {
        Frame::new(OpCode::Continuation, data.to_vec())
    }

    /// A close frame: no payload without a code, else the code in network order then the reason.
    pub fn close(code: Option<u16>, reason: &str) -> Frame {
        let mut payload = Vec::with_capacity(2 + reason.len());
        if let Some(code) = code {
            payload.extend_from_slice(&code.to_be_bytes());
            payload.extend_from_slice(reason.as_bytes());
        }
        Frame::new(OpCode::Close, payload)
    }

    pub fn with_fin(mut self, fin: bool) -> Frame {
        self.header.fin = fin;
        self
    }

    pub fn with_rsv(mut self, rsv1: bool, rsv2: bool, rsv3: bool) -> Frame {
        self.header.rsv1 = rsv1;
        self.header.rsv2 = rsv2;
        self.header.rsv3 = rsv3;
        self
    }

    pub fn with_mask(mut self, mask: Option<[u8; 4]>) -> Frame {
        self.header.mask = mask;
        self
    }

    pub fn with_opcode(mut self, opcode: OpCode) -> Frame {
        self.header.opcode = opcode;
        self
    }

    /// Replaces the payload and sets `payload_len` to match.
    pub fn with_payload(mut self, payload: Vec<u8>) -> Frame {
        self.header.payload_len = payload.len() as u64;
        self.payload = payload;
        self
    }

    /// Writes the frame exactly as set: the header's `payload_len` (even if it disagrees with
    /// the payload — a lab fault), then the payload, masked when a key is set.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.encode_with(LengthForm::minimal(self.header.payload_len), out);
    }

    /// Like [`Frame::encode`] with a chosen length encoding (e.g. a non-minimal one).
    pub fn encode_with(&self, form: LengthForm, out: &mut Vec<u8>) {
        self.header.encode_with(form, out);
        let start = out.len();
        out.extend_from_slice(&self.payload);
        if let Some(key) = self.header.mask {
            apply_mask(&mut out[start..], key, 0);
        }
    }
}

/// XORs `buf` with the masking key, starting at byte `offset` of the payload (so a payload can
/// be unmasked in pieces). Masking and unmasking are the same operation.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: u64) {
    let shift = (offset % 4) as usize;
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(i + shift) % 4];
    }
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The peer announced a payload larger than the caller's limit; nothing was buffered.
    #[error("frame payload of {len} bytes exceeds the limit of {limit} bytes")]
    PayloadTooLarge { len: u64, limit: usize },
}

/// Decodes a frame header from the start of `buf`: `None` until enough bytes are there.
///
/// Raw: reserved bits, reserved opcodes, the mask and the length (even with its top bit set)
/// are reported as they are; nothing is judged.
pub fn decode_header(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, FrameError> {
    let (b0, b1) = match buf {
        [b0, b1, ..] => (*b0, *b1),
        _ => return Ok(None),
    };
    let masked = b1 & 0x80 != 0;
    let (payload_len, mut pos) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(&[a, b]) => (u16::from_be_bytes([a, b]) as u64, 4),
            _ => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(bytes) => {
                let mut be = [0u8; 8];
                be.copy_from_slice(bytes);
                (u64::from_be_bytes(be), 10)
            }
            None => return Ok(None),
        },
        short => (short as u64, 2),
    };
    let mask = if masked {
        match buf.get(pos..pos + 4) {
            Some(&[a, b, c, d]) => {
                pos += 4;
                Some([a, b, c, d])
            }
            _ => return Ok(None),
        }
    } else {
        None
    };
    let header = FrameHeader {
        fin: b0 & 0x80 != 0,
        rsv1: b0 & 0x40 != 0,
        rsv2: b0 & 0x20 != 0,
        rsv3: b0 & 0x10 != 0,
        opcode: OpCode::from_u8(b0),
        mask,
        payload_len,
    };
    Ok(Some((header, pos)))
}

/// Decodes whole frames out of a caller-owned buffer, refusing payloads above a cap.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    max_frame_payload: usize,
}

impl FrameDecoder {
    pub fn new(max_frame_payload: usize) -> Self {
        FrameDecoder { max_frame_payload }
    }

    pub fn max_frame_payload(&self) -> usize {
        self.max_frame_payload
    }

    /// Decodes one frame from the start of `buf`, returning it and the bytes it took; `None`
    /// until the whole frame is there. A payload length over the cap fails as soon as the
    /// header is readable, so the caller never buffers it.
    pub fn decode(&mut self, buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
        let Some((header, header_len)) = decode_header(buf)? else {
            return Ok(None);
        };
        let end = match usize::try_from(header.payload_len) {
            Ok(len) if len <= self.max_frame_payload => header_len.checked_add(len),
            _ => None,
        };
        let end = match end {
            Some(end) => end,
            None => {
                return Err(FrameError::PayloadTooLarge {
                    len: header.payload_len,
                    limit: self.max_frame_payload,
                });
            }
        };
        let Some(body) = buf.get(header_len..end) else {
            return Ok(None);
        };
        let mut payload = body.to_vec();
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        Ok(Some((Frame { header, payload }, end)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    fn encoded(frame: &Frame) -> Vec<u8> {
        let mut out = Vec::new();
        frame.encode(&mut out);
        out
    }

    // RFC 6455 §5.7 examples.
    #[test]
    fn rfc_unmasked_hello() {
        let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        assert_eq!(encoded(&Frame::text("Hello")), wire);
        let (frame, used) = FrameDecoder::new(125).decode(&wire).unwrap().unwrap();
        assert_eq!((frame, used), (Frame::text("Hello"), 7));
    }

    #[test]
    fn rfc_masked_hello() {
        let wire = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let frame = Frame::text("Hello").with_mask(Some(MASK));
        assert_eq!(encoded(&frame), wire);
        let (decoded, used) = FrameDecoder::new(125).decode(&wire).unwrap().unwrap();
        assert_eq!(used, wire.len());
        assert_eq!(decoded.payload, b"Hello");
        assert_eq!(decoded.header.mask, Some(MASK));
    }

    #[test]
    fn rfc_fragmented_unmasked_text() {
        let first = [0x01, 0x03, 0x48, 0x65, 0x6c];
        let last = [0x80, 0x02, 0x6c, 0x6f];
        assert_eq!(
            encoded(&Frame::new(OpCode::Text, b"Hel".to_vec()).with_fin(false)),
            first
        );
        assert_eq!(encoded(&Frame::continuation(b"lo")), last);
    }

    #[test]
    fn rfc_ping_and_masked_pong() {
        assert_eq!(
            encoded(&Frame::ping(b"Hello")),
            [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        );
        let pong = Frame::pong(b"Hello").with_mask(Some(MASK));
        assert_eq!(
            encoded(&pong),
            [
                0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
    }

    #[test]
    fn rfc_extended_lengths() {
        let frame = Frame::binary(&[0u8; 256]);
        assert_eq!(encoded(&frame)[..4], [0x82, 0x7E, 0x01, 0x00]);
        let frame = Frame::binary(&vec![0u8; 65536]);
        assert_eq!(
            encoded(&frame)[..10],
            [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
        );
    }

    #[test]
    fn writes_broken_frames_exactly() {
        // rsv bits, reserved opcode, a masked "server" frame, a long fragmented ping
        let f = Frame::ping(&[1; 200])
            .with_fin(false)
            .with_rsv(true, false, true);
        let wire = encoded(&f);
        assert_eq!(wire[0], 0x09 | 0x40 | 0x10);
        assert_eq!(wire[1..4], [0x7E, 0x00, 0xC8]);
        let f = Frame::binary(b"").with_opcode(OpCode::Reserved(0xB));
        assert_eq!(encoded(&f), [0x8B, 0x00]);
        let f = Frame::text("a").with_mask(Some([0; 4]));
        assert_eq!(encoded(&f), [0x81, 0x81, 0, 0, 0, 0, b'a']);
        let mut out = Vec::new();
        Frame::text("a").encode_with(LengthForm::Extended64, &mut out);
        assert_eq!(out, [0x81, 0x7F, 0, 0, 0, 0, 0, 0, 0, 1, b'a']);
    }

    #[test]
    fn decode_header_reports_raw_bits_and_length_form() {
        let (h, n) = decode_header(&[0xF3, 0x7E, 0x00, 0x05]).unwrap().unwrap();
        assert!(h.fin && h.rsv1 && h.rsv2 && h.rsv3);
        assert_eq!(h.opcode, OpCode::Reserved(3));
        assert_eq!((h.payload_len, n), (5, 4));
        assert_eq!(h.length_form(n), LengthForm::Extended16);
        assert_ne!(LengthForm::minimal(h.payload_len), h.length_form(n));
    }

    #[test]
    fn incomplete_input_asks_for_more() {
        let wire = encoded(&Frame::text("Hello").with_mask(Some(MASK)));
        for cut in 0..wire.len() {
            assert_eq!(
                FrameDecoder::new(125).decode(&wire[..cut]),
                Ok(None),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn oversized_payload_fails_before_it_arrives() {
        let header = [0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(
            FrameDecoder::new(1 << 20).decode(&header),
            Err(FrameError::PayloadTooLarge {
                len: 0x7FFF_FFFF_FFFF_FFFF,
                limit: 1 << 20
            })
        );
    }

    #[test]
    fn opcode_round_trip() {
        for bits in 0..16u8 {
            let op = OpCode::from_u8(bits);
            assert_eq!(op.as_u8(), bits);
            assert_eq!(op.is_control(), bits >= 8);
        }
        assert!(OpCode::from_u8(0x3).is_reserved());
    }

    #[test]
    fn masking_in_pieces_equals_masking_at_once() {
        let mut whole = b"abcdefghij".to_vec();
        apply_mask(&mut whole, MASK, 0);
        let mut pieces = b"abcdefghij".to_vec();
        let (a, b) = pieces.split_at_mut(3);
        apply_mask(a, MASK, 0);
        apply_mask(b, MASK, 3);
        assert_eq!(whole, pieces);
    }

    fn arb_frame() -> impl Strategy<Value = Frame> {
        (
            any::<[bool; 4]>(),
            0u8..16,
            proptest::option::of(any::<[u8; 4]>()),
            proptest::collection::vec(any::<u8>(), 0..300),
        )
            .prop_map(|([fin, r1, r2, r3], op, mask, payload)| {
                Frame::new(OpCode::from_u8(op), payload)
                    .with_fin(fin)
                    .with_rsv(r1, r2, r3)
                    .with_mask(mask)
            })
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(frame in arb_frame(), trailing in proptest::collection::vec(any::<u8>(), 0..8)) {
            let mut wire = encoded(&frame);
            let len = wire.len();
            prop_assert_eq!(len, frame.header.encoded_len() + frame.payload.len());
            wire.extend_from_slice(&trailing);
            let (decoded, used) = FrameDecoder::new(1024).decode(&wire).unwrap().unwrap();
            prop_assert_eq!(used, len);
            prop_assert_eq!(decoded, frame);
        }

        #[test]
        fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = FrameDecoder::new(16).decode(&bytes);
            let _ = decode_header(&bytes);
        }
    }
}
