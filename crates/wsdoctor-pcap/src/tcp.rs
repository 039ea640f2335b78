//! TCP reassembly, one direction at a time. Written here rather than taken from a
//! library because a diagnosis needs what reassemblers hide: how many segments were
//! sent again, where a gap left the stream unreadable, and exactly which bytes came
//! in which packet (so a frame's time is the time of its last byte). Bounded: out-of-
//! order data is held up to [`MAX_PENDING`] bytes, then the gap is declared and the
//! stream is no longer followed.

use std::collections::BTreeMap;

/// Out-of-order bytes held per direction while a missing segment is awaited.
pub const MAX_PENDING: usize = 64 * 1024;

/// One direction's byte stream.
#[derive(Debug, Default)]
pub struct Stream {
    /// Offset (from the first byte) that comes next, with the sequence number it has.
    next: Option<(u64, u32)>,
    /// Segments that arrived ahead of `next`, by stream offset.
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Segments that carried only bytes already delivered.
    pub retransmissions: u32,
    /// The stream could not be followed past this offset (bytes never captured).
    pub gap_at: Option<u64>,
}

impl Stream {
    /// The SYN's sequence number: data starts one after it.
    pub fn syn(&mut self, isn: u32) {
        if self.next.is_none() {
            self.next = Some((0, isn.wrapping_add(1)));
        }
    }

    /// A segment's payload at `seq`; in-order bytes go to `out` (possibly several
    /// pieces when it fills a hole).
    pub fn push(&mut self, seq: u32, payload: &[u8], out: &mut impl FnMut(&[u8])) {
        if payload.is_empty() || self.gap_at.is_some() {
            return;
        }
        let (next_off, next_seq) = *self.next.get_or_insert((0, seq));
        // Signed distance in sequence space (RFC 1982 arithmetic).
        let ahead = seq.wrapping_sub(next_seq) as i32 as i64;
        let off = next_off as i64 + ahead;
        let end = off + payload.len() as i64;
        if end <= next_off as i64 {
            self.retransmissions += 1;
            return;
        }
        if off <= next_off as i64 {
            let skip = (next_off as i64 - off) as usize;
            self.deliver(&payload[skip..], out);
            self.drain(out);
        } else if self.pending_bytes + payload.len() <= MAX_PENDING {
            let off = off as u64;
            if !self.pending.contains_key(&off) {
                self.pending_bytes += payload.len();
                self.pending.insert(off, payload.to_vec());
            } else {
                self.retransmissions += 1;
            }
        } else {
            self.give_up();
        }
    }

    /// The connection ended: anything still waiting behind a hole is a gap.
    pub fn finish(&mut self) {
        if !self.pending.is_empty() {
            self.give_up();
        }
    }

    /// Bytes held out of order.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    fn deliver(&mut self, bytes: &[u8], out: &mut impl FnMut(&[u8])) {
        if let Some((off, seq)) = self.next.as_mut() {
            *off += bytes.len() as u64;
            *seq = seq.wrapping_add(bytes.len() as u32);
        }
        self.delivered += bytes.len() as u64;
        out(bytes);
    }

    fn drain(&mut self, out: &mut impl FnMut(&[u8])) {
        while let Some((&off, _)) = self.pending.first_key_value() {
            let next_off = self.delivered;
            if off > next_off {
                return;
            }
            // The key was just read: the entry is there.
            let data = self.pending.remove(&off).expect("first key");
            self.pending_bytes -= data.len();
            let skip = (next_off - off) as usize;
            if skip < data.len() {
                self.deliver(&data[skip..], out);
            } else {
                self.retransmissions += 1;
            }
        }
    }

    fn give_up(&mut self) {
        self.gap_at = Some(self.delivered);
        self.pending.clear();
        self.pending_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(s: &mut Stream, segs: &[(u32, &[u8])]) -> Vec<u8> {
        let mut got = Vec::new();
        for (seq, p) in segs {
            s.push(*seq, p, &mut |b| got.extend_from_slice(b));
        }
        got
    }

    #[test]
    fn in_order_out_of_order_and_retransmitted_bytes_come_out_once_in_order() {
        let mut s = Stream::default();
        s.syn(99);
        let got = collect(
            &mut s,
            &[
                (100, b"hel"),
                (106, b"wor"),
                (103, b"lo "),
                (103, b"lo "),
                (109, b"ld"),
                (101, b"elxx"),
            ],
        );
        assert_eq!(got, b"hello world");
        assert_eq!(s.retransmissions, 2);
        assert_eq!(s.gap_at, None);
        assert_eq!(s.pending_bytes(), 0);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut s = Stream::default();
        s.syn(u32::MAX - 1);
        let got = collect(&mut s, &[(u32::MAX, b"ab"), (1, b"cd")]);
        assert_eq!(got, b"abcd");
    }

    #[test]
    fn a_hole_that_never_fills_is_a_gap_and_memory_stays_capped() {
        let mut s = Stream::default();
        s.syn(0);
        let chunk = vec![b'x'; 1000];
        let mut got = collect(&mut s, &[(1, b"a")]);
        for i in 0..200u32 {
            s.push(10 + i * 1000, &chunk, &mut |b| got.extend_from_slice(b));
            assert!(s.pending_bytes() <= MAX_PENDING);
        }
        assert_eq!(got, b"a");
        assert_eq!(s.gap_at, Some(1));
        let mut s = Stream::default();
        s.syn(0);
        collect(&mut s, &[(5, b"late")]);
        s.finish();
        assert_eq!(s.gap_at, Some(0));
    }

    #[test]
    fn a_stream_seen_from_the_middle_starts_at_its_first_segment() {
        let mut s = Stream::default();
        let got = collect(&mut s, &[(5000, b"GET"), (5003, b" /")]);
        assert_eq!(got, b"GET /");
    }
}
