//! Category 14: hostile input a server must survive (see `crate::hostile`). Autobahn has
//! no such category; these cases are wsdoctor's own. Every attack is bounded here: the
//! most any case writes is 1.4 MB, the most connections it holds is 128.

use crate::hostile::{Attack, HostileProbe, frame, header, repeat};
use crate::model::{Case, CloseExpect, Expect, Probe};

fn len_2_63_minus_1() -> Vec<u8> {
    let mut b = header(0x2, (1 << 63) - 1);
    b.extend(vec![0u8; 4096]);
    b
}

fn len_2_63() -> Vec<u8> {
    let mut b = header(0x2, 1 << 63);
    b.extend(vec![0u8; 4096]);
    b
}

fn stalled_frame() -> Vec<u8> {
    let mut b = header(0x2, 1 << 30);
    b.extend(vec![0u8; 16]);
    b
}

fn fragment_flood() -> Vec<u8> {
    let mut b = frame(0x1, false, b"a");
    b.extend(repeat(99_999, &frame(0x0, false, b"a")));
    b
}

fn ping_flood() -> Vec<u8> {
    repeat(10_000, &frame(0x9, true, &[0x50; 125]))
}

fn message_flood() -> Vec<u8> {
    repeat(20_000, &frame(0x1, true, b"wsdoctor hostile"))
}

fn close_flood() -> Vec<u8> {
    repeat(1_000, &frame(0x8, true, &[0x03, 0xe8]))
}

fn garbage() -> Vec<u8> {
    (0..65_536).map(|_| rand::random::<u8>()).collect()
}

fn endless_header() -> Vec<u8> {
    let mut b = b"GET / HTTP/1.1\r\nHost: wsdoctor.invalid\r\nX-Wsdoctor: ".to_vec();
    b.extend(vec![b'a'; 1 << 20]);
    b
}

fn many_headers() -> Vec<u8> {
    let mut b = b"GET / HTTP/1.1\r\nHost: wsdoctor.invalid\r\n".to_vec();
    for i in 0..10_000 {
        b.extend(format!("X-Wsdoctor-{i}: v\r\n").bytes());
    }
    b.extend(b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    b
}

pub(crate) fn add(cases: &mut Vec<Case>) {
    let mut add = |id: &str, section: &'static str, d: &str, attack: Attack| {
        let mut c = super::case(
            id,
            section,
            d,
            "The server survives: a fresh connection opens and echoes within 5 s.",
            Vec::new(),
            Expect::nothing(),
            CloseExpect::normal(),
        );
        c.probe = Some(Probe::Hostile(HostileProbe { attack }));
        cases.push(c);
    };
    use Attack::*;
    add(
        "14.1",
        "RFC 6455 §10.4",
        "A binary frame header announcing 2^63 - 1 bytes, then 4 KiB of it.",
        Frames(len_2_63_minus_1),
    );
    add(
        "14.2",
        "RFC 6455 §5.2",
        "A frame length with the most significant bit set (2^63, invalid).",
        Frames(len_2_63),
    );
    add(
        "14.3",
        "RFC 6455 §10.4",
        "A frame header announcing 1 GiB, 16 bytes of it, then the connection held.",
        Frames(stalled_frame),
    );
    add(
        "14.4",
        "RFC 6455 §10.4",
        "A fragment flood: 100 000 one-byte fragments of a message never finished.",
        Frames(fragment_flood),
    );
    add(
        "14.5",
        "RFC 6455 §5.5.2",
        "A ping flood: 10 000 pings of 125 bytes, pongs never read.",
        Frames(ping_flood),
    );
    add(
        "14.6",
        "RFC 6455 §10.4",
        "A message flood: 20 000 text messages, echoes never read.",
        Frames(message_flood),
    );
    add(
        "14.7",
        "RFC 6455 §5.5.1",
        "1 000 Close frames on one connection.",
        Frames(close_flood),
    );
    add(
        "14.8",
        "RFC 6455 §7.1.7",
        "64 KiB of random bytes after the handshake.",
        Frames(garbage),
    );
    add(
        "14.9",
        "RFC 7692 §8",
        "A deflate bomb: one compressed message inflating to 16 MiB of zeros.",
        DeflateBomb(16 << 20),
    );
    add(
        "14.10",
        "RFC 9112 §2.3",
        "A 1 MiB header line that never ends.",
        Raw(endless_header),
    );
    add(
        "14.11",
        "RFC 9112 §5",
        "An opening handshake with 10 000 extra headers.",
        Raw(many_headers),
    );
    add(
        "14.12",
        "RFC 6455 §10.4",
        "Slowloris: 64 connections each holding half a request.",
        Slowloris(64),
    );
    add(
        "14.13",
        "RFC 6455 §10.4",
        "128 connections opened and held.",
        ConnectionFlood(128),
    );
    add(
        "14.14",
        "RFC 6455 §7.1.1",
        "A close storm: 64 connections, each Close then a drop.",
        CloseStorm(64),
    );
}
