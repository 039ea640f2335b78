//! Writing captures: a pcap writer and a TCP conversation builder that numbers its
//! segments itself. The unit tests build their packets with it, the benchmark makes
//! its 1,000-connection capture with it, and the fuzz targets their seeds — real pcap
//! bytes through the real reader, never a mock of it.

use etherparse::PacketBuilder;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

/// LINKTYPE_ETHERNET: what every tool reads.
const ETHERNET: u32 = 1;
/// Segments are cut at this many payload bytes, like a 1500-byte MTU.
pub const MSS: usize = 1448;

/// A classic pcap file (microsecond timestamps, Ethernet) written as packets come.
pub struct PcapWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&262_144u32.to_le_bytes());
        h.extend_from_slice(&ETHERNET.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter {
            out,
            buf: Vec::new(),
        })
    }

    /// One Ethernet frame carrying `ip` (an IPv4 or IPv6 packet).
    pub fn packet(&mut self, ts_us: i64, ip: &[u8]) -> io::Result<()> {
        let ether_type: [u8; 2] = if ip.first().is_some_and(|b| b >> 4 == 6) {
            [0x86, 0xdd]
        } else {
            [0x08, 0x00]
        };
        let len = (14 + ip.len()) as u32;
        self.buf.clear();
        self.buf
            .extend_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(&[0u8; 12]);
        self.buf.extend_from_slice(&ether_type);
        self.buf.extend_from_slice(ip);
        self.out.write_all(&self.buf)
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// TCP flags for [`ip_tcp`].
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// An IP packet carrying one TCP segment (checksums computed).
pub fn ip_tcp(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let b = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), 64),
        // A conversation is one family: mixing them is a bug in the test.
        _ => panic!("mixed address families"),
    };
    let mut b = b.tcp(src.port(), dst.port(), seq, 65535);
    if flags & ACK != 0 {
        b = b.ack(ack);
    }
    if flags & SYN != 0 {
        b = b.syn();
    }
    if flags & FIN != 0 {
        b = b.fin();
    }
    if flags & RST != 0 {
        b = b.rst();
    }
    if flags & PSH != 0 {
        b = b.psh();
    }
    let mut out = Vec::with_capacity(b.size(payload.len()));
    // Writing into a Vec cannot fail, and the payload fits an IP packet (callers cut at MSS).
    b.write(&mut out, payload).expect("a segment fits");
    out
}

/// Which end sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// One TCP connection written packet by packet, sequence numbers kept for both ends.
pub struct Conversation {
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Next sequence number of each end.
    seq: [u32; 2],
    /// Time of the next packet, microseconds.
    pub now_us: i64,
    /// Microseconds between packets.
    pub step_us: i64,
    packets: Vec<(i64, Vec<u8>)>,
}

impl Conversation {
    pub fn new(client: SocketAddr, server: SocketAddr, start_us: i64) -> Conversation {
        Conversation {
            client,
            server,
            seq: [1_000, 900_000],
            now_us: start_us,
            step_us: 100,
            packets: Vec::new(),
        }
    }

    /// SYN, SYN-ACK, ACK.
    pub fn open(&mut self) -> &mut Self {
        self.raw(Side::Client, SYN, b"");
        self.seq[0] = self.seq[0].wrapping_add(1);
        self.raw(Side::Server, SYN | ACK, b"");
        self.seq[1] = self.seq[1].wrapping_add(1);
        self.raw(Side::Client, ACK, b"")
    }

    /// `bytes` from `side`, cut into MSS-sized segments.
    pub fn send(&mut self, side: Side, bytes: &[u8]) -> &mut Self {
        for chunk in bytes.chunks(MSS) {
            self.raw(side, ACK | PSH, chunk);
            let i = side as usize;
            self.seq[i] = self.seq[i].wrapping_add(chunk.len() as u32);
        }
        self
    }

    pub fn fin(&mut self, side: Side) -> &mut Self {
        self.raw(side, FIN | ACK, b"");
        let i = side as usize;
        self.seq[i] = self.seq[i].wrapping_add(1);
        self
    }

    pub fn rst(&mut self, side: Side) -> &mut Self {
        self.raw(side, RST | ACK, b"")
    }

    /// Lets time pass.
    pub fn wait_ms(&mut self, ms: i64) -> &mut Self {
        self.now_us += ms * 1000;
        self
    }

    /// A segment with these flags and payload at the current sequence number, which is
    /// not advanced (for retransmissions and hand-made oddities).
    pub fn raw(&mut self, side: Side, flags: u8, payload: &[u8]) -> &mut Self {
        let seq = self.seq[side as usize];
        self.at_seq(side, seq, flags, payload)
    }

    /// A segment at an explicit sequence number.
    pub fn at_seq(&mut self, side: Side, seq: u32, flags: u8, payload: &[u8]) -> &mut Self {
        let (src, dst, ack) = match side {
            Side::Client => (self.client, self.server, self.seq[1]),
            Side::Server => (self.server, self.client, self.seq[0]),
        };
        self.packets
            .push((self.now_us, ip_tcp(src, dst, seq, ack, flags, payload)));
        self.now_us += self.step_us;
        self
    }

    /// The next sequence number of `side`.
    pub fn seq(&self, side: Side) -> u32 {
        self.seq[side as usize]
    }

    /// Moves the sequence number on without sending (to leave a gap).
    pub fn skip(&mut self, side: Side, n: u32) -> &mut Self {
        let i = side as usize;
        self.seq[i] = self.seq[i].wrapping_add(n);
        self
    }

    /// The packets so far, with their times.
    pub fn take(&mut self) -> Vec<(i64, Vec<u8>)> {
        std::mem::take(&mut self.packets)
    }
}

/// The packets as one pcap file in memory.
pub fn pcap(packets: &[(i64, Vec<u8>)]) -> Vec<u8> {
    // Writing into a Vec cannot fail.
    let mut w = PcapWriter::new(Vec::new()).expect("in memory");
    for (ts, p) in packets {
        w.packet(*ts, p).expect("in memory");
    }
    w.into_inner()
}

/// The benchmark's capture: `connections` WebSocket connections to port 80 (so tshark
/// dissects them as WebSocket too), eight at a time interleaved by time, each an
/// upgrade, [`BENCH_MESSAGES`] masked 2 KiB messages echoed, a ping and a close. Every
/// tenth server closes with 1011 instead of answering the close (`session-close-server-error`);
/// the others are healthy. About 220 KB per connection. Returns bytes written.
pub fn bench_capture<W: Write>(out: W, connections: u32) -> io::Result<u64> {
    let mut w = PcapWriter::new(CountingWriter { inner: out, n: 0 })?;
    let server: SocketAddr = "10.0.0.1:80".parse().expect("literal");
    let message = vec![b'x'; 2048];
    let mut i = 0;
    while i < connections {
        let batch = (connections - i).min(8);
        let mut packets = Vec::new();
        for j in 0..batch {
            let n = i + j;
            let client = SocketAddr::new(
                IpAddr::V4(std::net::Ipv4Addr::new(
                    10,
                    1,
                    (n / 250) as u8,
                    (n % 250) as u8 + 1,
                )),
                20_000 + (n % 40_000) as u16,
            );
            let start = 1_700_000_000_000_000 + i64::from(i) * 50_000 + i64::from(j) * 37;
            packets.extend(bench_connection(
                client,
                server,
                start,
                &message,
                n % 10 == 9,
            ));
        }
        packets.sort_by_key(|(ts, _)| *ts);
        for (ts, p) in &packets {
            w.packet(*ts, p)?;
        }
        i += batch;
    }
    Ok(w.into_inner().n)
}

/// Messages each way per benchmark connection.
pub const BENCH_MESSAGES: usize = 50;

fn bench_connection(
    client: SocketAddr,
    server: SocketAddr,
    start_us: i64,
    message: &[u8],
    fails: bool,
) -> Vec<(i64, Vec<u8>)> {
    use wsdoctor_proto::frame::Frame;
    use wsdoctor_proto::handshake::{ClientRequest, ServerResponse};
    let key = "dGhlIHNhbXBsZSBub25jZQ==";
    let frame = |f: Frame| {
        let mut v = Vec::new();
        f.encode(&mut v);
        v
    };
    let mask = Some([0x37, 0xfa, 0x21, 0x3d]);
    let mut c = Conversation::new(client, server, start_us);
    c.step_us = 20;
    let request = ClientRequest {
        path: "/chat".into(),
        host: "example.test".into(),
        key: key.into(),
        ..ClientRequest::default()
    };
    c.open().send(Side::Client, &request.to_bytes()).send(
        Side::Server,
        &ServerResponse::switching_protocols(key).to_bytes(),
    );
    let text = Frame::new(wsdoctor_proto::frame::OpCode::Text, message.to_vec());
    for _ in 0..BENCH_MESSAGES {
        c.send(Side::Client, &frame(text.clone().with_mask(mask)))
            .send(Side::Server, &frame(text.clone()));
    }
    c.send(Side::Client, &frame(Frame::ping(b"bench").with_mask(mask)))
        .send(Side::Server, &frame(Frame::pong(b"bench")));
    if fails {
        c.send(
            Side::Server,
            &frame(Frame::close(Some(1011), "internal error")),
        )
        .send(
            Side::Client,
            &frame(Frame::close(Some(1011), "").with_mask(mask)),
        );
    } else {
        c.send(
            Side::Client,
            &frame(Frame::close(Some(1000), "").with_mask(mask)),
        )
        .send(Side::Server, &frame(Frame::close(Some(1000), "")));
    }
    c.fin(Side::Server).fin(Side::Client);
    c.take()
}

struct CountingWriter<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
