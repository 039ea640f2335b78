//! The stable stand-in for `fuzz/`'s pcap targets (cargo-fuzz needs nightly): the reader
//! and the reassembly behind it on arbitrary bytes, on a real capture with bytes
//! overwritten, and on arbitrary segments of one connection. Never a panic, never more
//! read than given, an error's offset inside the input, a capture read to the end when
//! its records are whole.

use proptest::prelude::*;
use wsdoctor_pcap::synth::{ACK, Conversation, FIN, PSH, RST, SYN, Side, pcap};
use wsdoctor_pcap::{Analyzer, Options, ReadError};

fn read(input: &[u8]) -> (u64, Option<ReadError>, u64) {
    let mut n = 0u64;
    let mut a = Analyzer::new(Options::default(), |_| n += 1);
    let (stats, err) = a.read(input, |_| {});
    a.finish();
    (stats.bytes, err, n)
}

fn offset_inside(err: &Option<ReadError>, len: usize) -> bool {
    match err {
        Some(ReadError::Truncated { offset } | ReadError::Corrupt { offset, .. }) => {
            *offset <= len as u64
        }
        _ => true,
    }
}

/// A healthy WebSocket connection as a pcap file.
fn healthy() -> Vec<u8> {
    let mut c = Conversation::new(
        "127.0.0.1:40000".parse().unwrap(),
        "127.0.0.1:80".parse().unwrap(),
        1_700_000_000_000_000,
    );
    c.open()
        .send(Side::Client, CLIENT)
        .send(Side::Server, SERVER)
        .fin(Side::Server)
        .fin(Side::Client);
    pcap(&c.take())
}

const CLIENT: &[u8] = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x85\x01\x02\x03\x04iguhn\x89\x80\x01\x02\x03\x04\x88\x82\x01\x02\x03\x04\x02\xea";
const SERVER: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x05hello\x8a\x00\x88\x02\x03\xe8";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_after_a_header_never_panic(rest in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut input = pcap(&[]);
        input.extend_from_slice(&rest);
        let (bytes, err, _) = read(&input);
        prop_assert!(bytes <= input.len() as u64);
        prop_assert!(offset_inside(&err, input.len()));
        let (bytes, err, _) = read(&rest);
        prop_assert!(bytes <= rest.len() as u64);
        prop_assert!(offset_inside(&err, rest.len()));
    }

    #[test]
    fn a_real_capture_with_bytes_overwritten_never_panics(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let mut input = healthy();
        for (at, b) in edits {
            let i = at % input.len();
            input[i] = b;
        }
        let input = &input[..input.len() - cut % 32];
        let (bytes, err, n) = read(input);
        prop_assert!(bytes <= input.len() as u64);
        prop_assert!(offset_inside(&err, input.len()));
        prop_assert!(n <= 2);
    }

    #[test]
    fn arbitrary_segments_of_one_connection_never_panic(records in proptest::collection::vec(any::<[u8; 4]>(), 0..80)) {
        let mut c = Conversation::new(
            "127.0.0.1:40000".parse().unwrap(),
            "127.0.0.1:80".parse().unwrap(),
            1_700_000_000_000_000,
        );
        let base = [c.seq(Side::Client), c.seq(Side::Server)];
        for r in records {
            let side = if r[0] & 1 == 0 { Side::Client } else { Side::Server };
            let flags = match r[0] >> 5 {
                0 => SYN,
                1 => SYN | ACK,
                2 => FIN | ACK,
                3 => RST | ACK,
                _ => ACK | PSH,
            };
            let stream = if side == Side::Client { CLIENT } else { SERVER };
            let start = usize::from(r[1]) % stream.len();
            let len = usize::from(r[2]) % 64;
            let payload = &stream[start..(start + len).min(stream.len())];
            let seq = base[side as usize]
                .wrapping_add(start as u32)
                .wrapping_add(u32::from(r[3]) << 10);
            c.at_seq(side, seq.wrapping_add(1), flags, payload);
        }
        let file = pcap(&c.take());
        let (bytes, err, _) = read(&file);
        prop_assert_eq!(err, None);
        prop_assert_eq!(bytes, file.len() as u64);
    }
}

#[test]
fn the_healthy_capture_reads_whole() {
    let input = healthy();
    let (bytes, err, n) = read(&input);
    assert_eq!((bytes, err, n), (input.len() as u64, None, 1));
}
