//! From a captured frame to a TCP segment: the link header off (by hand for the
//! loopback and cooked-v2 headers, which etherparse does not slice), then etherparse
//! for IPv4/IPv6 and TCP. Anything else (UDP, ARP, IP fragments) is not ours.

use crate::reader::{Link, Packet};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use std::net::{IpAddr, SocketAddr};

/// The TCP header fields the reassembly needs, and the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: u32,
    pub syn: bool,
    pub ack_flag: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// The TCP segment in `p`, if it carries one.
pub fn segment<'a>(p: &Packet<'a>) -> Option<Segment<'a>> {
    let sliced = match p.link {
        Link::Ethernet => SlicedPacket::from_ethernet(p.data).ok()?,
        Link::LinuxSll => SlicedPacket::from_linux_sll(p.data).ok()?,
        Link::LinuxSll2 => {
            // Protocol type (an EtherType) in the first two bytes, 20-byte header.
            if p.data.len() < 20 || !matches!(p.data[..2], [0x08, 0x00] | [0x86, 0xdd]) {
                return None;
            }
            SlicedPacket::from_ip(&p.data[20..]).ok()?
        }
        Link::Null | Link::Loop => SlicedPacket::from_ip(p.data.get(4..)?).ok()?,
        Link::RawIp => SlicedPacket::from_ip(p.data).ok()?,
    };
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match sliced.net? {
        NetSlice::Ipv4(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        NetSlice::Ipv6(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        NetSlice::Arp(_) => return None,
    };
    let TransportSlice::Tcp(tcp) = sliced.transport? else {
        return None;
    };
    Some(Segment {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        syn: tcp.syn(),
        ack_flag: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{ACK, PSH, ip_tcp};

    #[test]
    fn every_supported_link_header_comes_off() {
        let (a, b) = (
            "127.0.0.1:40000".parse().unwrap(),
            "127.0.0.1:8080".parse().unwrap(),
        );
        let ip = ip_tcp(a, b, 7, 1, ACK | PSH, b"GET");
        let mut null = 2u32.to_ne_bytes().to_vec();
        null.extend_from_slice(&ip);
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&ip);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip);
        // Packet type, ARPHRD_ETHER, address length 6, the address padded to 8.
        let mut sll = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        for (link, data) in [
            (Link::RawIp, ip.clone()),
            (Link::Null, null),
            (Link::Ethernet, eth),
            (Link::LinuxSll, sll),
            (Link::LinuxSll2, sll2),
        ] {
            let p = Packet {
                ts_us: 0,
                link,
                data: &data,
            };
            let s = segment(&p).unwrap_or_else(|| panic!("{link:?}"));
            assert_eq!(s.src, "127.0.0.1:40000".parse().unwrap(), "{link:?}");
            assert_eq!(s.dst.port(), 8080);
            assert_eq!(s.seq, 7);
            assert_eq!(s.payload, b"GET");
            assert!(s.ack_flag && !s.syn);
        }
    }

    #[test]
    fn garbage_is_not_a_segment() {
        for data in [&b""[..], b"\x45", b"\x60\x00", &[0xffu8; 64]] {
            let p = Packet {
                ts_us: 0,
                link: Link::RawIp,
                data,
            };
            assert_eq!(segment(&p), None);
        }
    }
}
