//! TCP reassembly and the connection state behind it, driven by arbitrary segments of
//! one connection: each 4-byte record picks the side, the flags, a sequence offset
//! (around, behind or ahead of the next byte: retransmissions, holes, overlaps) and a
//! length of real WebSocket bytes (an upgrade, then frames). Never panics; out-of-order
//! bytes stay under the cap; the connection is reported once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdoctor_pcap::synth::{ACK, Conversation, FIN, PSH, RST, SYN, Side, pcap};
use wsdoctor_pcap::{Analyzer, Options};

const CLIENT: &[u8] = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x85\x01\x02\x03\x04iguhn\x89\x80\x01\x02\x03\x04\x88\x82\x01\x02\x03\x04\x02\xea";
const SERVER: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x05hello\x8a\x00\x88\x02\x03\xe8";

fuzz_target!(|data: &[u8]| {
    let mut c = Conversation::new(
        "127.0.0.1:40000".parse().unwrap(),
        "127.0.0.1:80".parse().unwrap(),
        1_700_000_000_000_000,
    );
    let base = [c.seq(Side::Client), c.seq(Side::Server)];
    for r in data.chunks_exact(4) {
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
        // Offsets beyond the stream reach into the cap's territory.
        let seq = base[side as usize]
            .wrapping_add(start as u32)
            .wrapping_add(u32::from(r[3]) << 10);
        c.at_seq(side, seq.wrapping_add(1), flags, payload);
    }
    let file = pcap(&c.take());
    let mut reported = 0;
    let mut a = Analyzer::new(Options::default(), |_| reported += 1);
    let (_, err) = a.read(&file[..], |_| {});
    assert_eq!(err, None);
    let totals = a.finish();
    assert!(totals.connections + totals.other_connections >= u64::from(reported > 0));
});
