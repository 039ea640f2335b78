//! Incremental UTF-8 validation that fails on the first impossible byte.
//!
//! RFC 6455 §8.1 says an endpoint that receives invalid UTF-8 in a text message must fail the
//! connection. A text message arrives in pieces — fragments, and TCP segments within a
//! fragment — and a good peer fails *as soon as* the bytes seen so far cannot be the start of
//! valid UTF-8, not at the end of the message (Autobahn cases 6.3–6.4 check exactly that).
//! `std::str::from_utf8` works on whole buffers only, so this module keeps the state of one
//! partially received code point between pieces.

/// The bytes seen so far can never become valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8")]
pub struct Utf8Error;

/// Validates a byte stream piece by piece.
///
/// `push` returns an error as soon as the stream so far is not a prefix of valid UTF-8;
/// `finish` additionally rejects a code point cut off at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Utf8Validator {
    /// Continuation bytes still expected for the current code point (0 = between code points).
    remaining: u8,
    /// Allowed range of the next continuation byte (narrower than 80..=BF right after some lead
    /// bytes, which is how overlong forms, surrogates and values above U+10FFFF are rejected).
    lower: u8,
    upper: u8,
}

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next piece of the stream.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<(), Utf8Error> {
        // Finish a code point left open by the previous piece, byte by byte.
        while self.remaining > 0 {
            let Some((&b, rest)) = bytes.split_first() else {
                return Ok(());
            };
            self.step(b)?;
            bytes = rest;
        }
        // Between code points: let the standard library validate the bulk quickly.
        match std::str::from_utf8(bytes) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(Utf8Error),
            Err(e) => {
                // The input ended inside a code point whose bytes so far are a valid prefix:
                // remember where we are in it.
                for &b in &bytes[e.valid_up_to()..] {
                    self.step(b)?;
                }
                Ok(())
            }
        }
    }

    /// Checks that the stream does not end inside a code point.
    pub fn finish(&self) -> Result<(), Utf8Error> {
        if self.remaining == 0 {
            Ok(())
        } else {
            Err(Utf8Error)
        }
    }

    /// True when the stream so far ends on a code point boundary.
    pub fn is_complete(&self) -> bool {
        self.remaining == 0
    }

    /// One byte of the slow path, following Unicode Table 3-7 (well-formed byte sequences).
    fn step(&mut self, b: u8) -> Result<(), Utf8Error> {
        if self.remaining > 0 {
            if b < self.lower || b > self.upper {
                return Err(Utf8Error);
            }
            self.remaining -= 1;
            self.lower = 0x80;
            self.upper = 0xBF;
            return Ok(());
        }
        let (remaining, lower, upper) = match b {
            0x00..=0x7F => (0, 0x80, 0xBF),
            0xC2..=0xDF => (1, 0x80, 0xBF),
            0xE0 => (2, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
            0xED => (2, 0x80, 0x9F),
            0xF0 => (3, 0x90, 0xBF),
            0xF1..=0xF3 => (3, 0x80, 0xBF),
            0xF4 => (3, 0x80, 0x8F),
            _ => return Err(Utf8Error),
        };
        self.remaining = remaining;
        self.lower = lower;
        self.upper = upper;
        Ok(())
    }
}

/// Validates a complete buffer (a close reason, a whole message).
pub fn is_valid(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pieces(chunks: &[&[u8]]) -> Result<(), Utf8Error> {
        let mut v = Utf8Validator::new();
        for c in chunks {
            v.push(c)?;
        }
        v.finish()
    }

    #[test]
    fn accepts_code_points_split_anywhere() {
        // "κόσμε" and U+10FFFF split in the middle of multi-byte sequences.
        let s = "κόσμε\u{10FFFF}".as_bytes();
        for cut in 0..=s.len() {
            assert_eq!(pieces(&[&s[..cut], &s[cut..]]), Ok(()), "cut at {cut}");
        }
        assert_eq!(pieces(&[&[0xF4], &[0x8F], &[0xBF], &[0xBF]]), Ok(()));
    }

    #[test]
    fn fails_on_the_first_impossible_byte() {
        let mut v = Utf8Validator::new();
        v.push("κόσμε".as_bytes()).unwrap();
        // 0xF4 0x90 would encode a value above U+10FFFF: wrong already at the second byte.
        v.push(&[0xF4]).unwrap();
        assert_eq!(v.push(&[0x90]), Err(Utf8Error));
    }

    #[test]
    fn rejects_surrogates_overlongs_and_stray_bytes() {
        for bad in [
            &[0xED, 0xA0, 0x80][..], // U+D800
            &[0xC0, 0xAF],           // overlong '/'
            &[0xE0, 0x80, 0xAF],     // overlong
            &[0x80],                 // lone continuation
            &[0xFE],
            &[0xFF],
        ] {
            assert_eq!(pieces(&[bad]), Err(Utf8Error), "{bad:x?}");
            // byte by byte too
            let singles: Vec<&[u8]> = bad.chunks(1).collect();
            assert_eq!(pieces(&singles), Err(Utf8Error), "{bad:x?}");
        }
    }

    #[test]
    fn truncated_code_point_fails_only_at_finish() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.push(&[0xE2, 0x82]), Ok(()));
        assert!(!v.is_complete());
        assert_eq!(v.finish(), Err(Utf8Error));
    }

    proptest! {
        #[test]
        fn agrees_with_std_for_any_split(bytes in proptest::collection::vec(any::<u8>(), 0..64), cut in 0usize..64) {
            let cut = cut.min(bytes.len());
            let ours = pieces(&[&bytes[..cut], &bytes[cut..]]).is_ok();
            prop_assert_eq!(ours, std::str::from_utf8(&bytes).is_ok());
        }
    }
}
