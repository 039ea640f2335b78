//! Capture files in, packets out: pcap (micro- and nanosecond, either byte order) and
//! pcapng (every interface with its own link type and clock resolution), streamed
//! through pcap-parser's circular buffer so memory does not grow with the file.
//!
//! A capture that is cut short (copied while tcpdump was still writing, a `-w -` pipe
//! that died) or damaged is read up to the damage: the packets before it count, and
//! the error says at which byte the file went wrong and what to do about it.

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{Linktype, PcapBlockOwned, PcapError};
use std::io::Read;

/// What pcap-parser's buffer starts at; it grows (to [`MAX_BUFFER`]) for larger records.
const BUFFER: usize = 1 << 20;
/// No record is larger than this (pcapng blocks carry at most a 256 KiB snap length in
/// practice); a file that claims more is corrupt.
const MAX_BUFFER: usize = 16 << 20;

/// The link layers wsdoctor can take IP packets out of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    Null,
    /// OpenBSD loopback: the same family in network byte order.
    Loop,
    Ethernet,
    /// Linux "any" device, cooked header v1 (16 bytes).
    LinuxSll,
    /// Linux cooked header v2 (20 bytes), what `tcpdump -i any` writes today.
    LinuxSll2,
    /// Raw IPv4 or IPv6 (linktypes RAW, IPV4, IPV6).
    RawIp,
}

impl Link {
    fn from_linktype(t: Linktype) -> Option<Link> {
        Some(match t {
            Linktype::NULL => Link::Null,
            Linktype::LOOP => Link::Loop,
            Linktype::ETHERNET => Link::Ethernet,
            Linktype::LINUX_SLL => Link::LinuxSll,
            Linktype::LINUX_SLL2 => Link::LinuxSll2,
            Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => Link::RawIp,
            // DLT_RAW is 12 or 14 on some BSDs.
            Linktype(12) | Linktype(14) => Link::RawIp,
            _ => return None,
        })
    }
}

/// One captured packet, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// Capture time, microseconds since the Unix epoch.
    pub ts_us: i64,
    pub link: Link,
    pub data: &'a [u8],
}

/// What reading a capture saw besides its packets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub packets: u64,
    /// Bytes of the file read (the progress bar's unit).
    pub bytes: u64,
    /// Packets on interfaces whose link type is not supported, by link type number.
    pub unsupported_links: Vec<(u16, u64)>,
    /// Packets shorter on disk than on the wire (the capture's snap length cut them).
    pub truncated_packets: u64,
    pub format: Option<Format>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

/// Why a capture could not be read (to the end).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("empty input: no capture file header")]
    Empty,
    #[error(
        "not a pcap or pcapng capture (the first bytes are no capture header): write it with tcpdump -w FILE, or export it from Wireshark as pcap or pcapng"
    )]
    NotCapture,
    #[error(
        "the capture ends inside a record at byte {offset}: it was cut short (copied while tcpdump was still writing, or the pipe died); the packets before it were read — stop tcpdump before copying, or capture with -U so records are written whole"
    )]
    Truncated { offset: u64 },
    #[error(
        "the capture is corrupt at byte {offset} ({what}): the packets before it were read — recapture, or repair the file with `pcapfix` and read it again"
    )]
    Corrupt { offset: u64, what: String },
    #[error("reading the capture failed at byte {offset}: {message}")]
    Io { offset: u64, message: String },
}

/// Reads every packet of `input` in file order into `each`, and `progress` with the
/// bytes read so far. Returns what was read; on damage, what was read before it and
/// the error.
pub fn read_packets<R: Read + Send>(
    input: R,
    mut each: impl FnMut(Packet<'_>),
    mut progress: impl FnMut(u64),
) -> (ReadStats, Option<ReadError>) {
    let mut stats = ReadStats::default();
    let input = match with_whole_header(input) {
        Ok(i) => i,
        Err(e) => return (stats, Some(e)),
    };
    let mut reader = match pcap_parser::create_reader(BUFFER, input) {
        Ok(r) => r,
        Err(PcapError::Eof) => return (stats, Some(ReadError::Empty)),
        Err(PcapError::ReadError) => {
            let message = "the input could not be read".to_string();
            return (stats, Some(ReadError::Io { offset: 0, message }));
        }
        Err(_) => return (stats, Some(ReadError::NotCapture)),
    };
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut legacy: Option<Interface> = None;
    // The byte order of the current pcapng section, for `short_pcapng_block`.
    let mut big_endian = false;
    let mut last_progress = 0u64;
    loop {
        let offset = reader.consumed() as u64;
        if offset - last_progress >= 1 << 20 {
            progress(offset - last_progress);
            last_progress = offset;
        }
        if let Some(what) = short_pcapng_block(stats.format, big_endian, reader.data()) {
            stats.bytes = offset;
            return (stats, Some(ReadError::Corrupt { offset, what }));
        }
        match reader.next() {
            Ok((len, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        stats.format = Some(Format::Pcap);
                        let per_second = if h.is_nanosecond_precision() {
                            1_000_000_000
                        } else {
                            1_000_000
                        };
                        legacy = Some(Interface::new(h.network, per_second, 0));
                    }
                    PcapBlockOwned::Legacy(b) => {
                        if let Some(i) = &legacy {
                            let frac = i64::from(b.ts_usec);
                            let ts_us = i64::from(b.ts_sec) * 1_000_000 + to_us(frac, i.per_second);
                            if b.caplen < b.origlen {
                                stats.truncated_packets += 1;
                            }
                            deliver(i, ts_us, b.data, &mut stats, &mut each);
                        }
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                        stats.format = Some(Format::PcapNg);
                        big_endian = shb.big_endian();
                        // Interface ids are per section.
                        interfaces.clear();
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let per_second = idb.ts_resolution().unwrap_or(1_000_000);
                        interfaces.push(Interface::new(idb.linktype, per_second, idb.ts_offset()));
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        if let Some(i) = interfaces.get(epb.if_id as usize) {
                            let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                            let ts_us = (i.offset_s * 1_000_000)
                                .saturating_add(ticks_to_us(ticks, i.per_second));
                            if epb.truncated() || epb.caplen < epb.origlen {
                                stats.truncated_packets += 1;
                            }
                            deliver(i, ts_us, epb.packet_data(), &mut stats, &mut each);
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        // No timestamp in a simple packet block: it takes 0.
                        if let Some(i) = interfaces.first() {
                            let data = &spb.data[..spb.data.len().min(spb.origlen as usize)];
                            deliver(i, 0, data, &mut stats, &mut each);
                        }
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(len);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if let Err(e) = reader.refill() {
                    stats.bytes = offset;
                    return (stats, Some(io_error(offset, &e)));
                }
            }
            Err(PcapError::BufferTooSmall) => {
                let size = reader.data().len().max(BUFFER) * 2;
                if size > MAX_BUFFER || !reader.grow(size) {
                    stats.bytes = offset;
                    let what = format!("a record larger than {} MiB", MAX_BUFFER >> 20);
                    return (stats, Some(ReadError::Corrupt { offset, what }));
                }
                if let Err(e) = reader.refill() {
                    stats.bytes = offset;
                    return (stats, Some(io_error(offset, &e)));
                }
            }
            Err(PcapError::UnexpectedEof) => {
                stats.bytes = offset;
                return (stats, Some(ReadError::Truncated { offset }));
            }
            Err(PcapError::ReadError) => {
                stats.bytes = offset;
                let message = "the input could not be read".to_string();
                return (stats, Some(ReadError::Io { offset, message }));
            }
            Err(e) => {
                stats.bytes = offset;
                let what = match e {
                    PcapError::HeaderNotRecognized => "a section header that is not pcapng",
                    _ => "a record that does not parse",
                };
                let what = what.to_string();
                return (stats, Some(ReadError::Corrupt { offset, what }));
            }
        }
    }
    stats.bytes = reader.consumed() as u64;
    progress(stats.bytes - last_progress);
    (stats, None)
}

/// pcap-parser 0.17 checks a pcapng block's length only against the block type's own
/// header size, which is under 12 for some types (Apple's process information block:
/// 4), and then subtracts 12 (`pcapng/block.rs:162`): a length field of 4..11 is an
/// arithmetic overflow — a panic wherever overflow checks are on. Found by the
/// `pcap_reader` fuzz target; we read the length field before the parser does.
/// A section header block (its own byte order, header size 28) is left to the parser.
fn short_pcapng_block(format: Option<Format>, big_endian: bool, data: &[u8]) -> Option<String> {
    const SECTION_HEADER: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
    if format != Some(Format::PcapNg) || data.len() < 8 || data[..4] == SECTION_HEADER {
        return None;
    }
    let field: [u8; 4] = data[4..8].try_into().ok()?;
    let len = if big_endian {
        u32::from_be_bytes(field)
    } else {
        u32::from_le_bytes(field)
    };
    (len < 12)
        .then(|| format!("a pcapng block whose length field says {len} bytes (the least is 12)"))
}

struct Interface {
    link: Result<Link, u16>,
    /// Timestamp units per second.
    per_second: u64,
    offset_s: i64,
}

impl Interface {
    fn new(t: Linktype, per_second: u64, offset_s: i64) -> Interface {
        Interface {
            link: Link::from_linktype(t).ok_or(t.0 as u16),
            per_second: per_second.max(1),
            offset_s,
        }
    }
}

fn deliver(
    i: &Interface,
    ts_us: i64,
    data: &[u8],
    stats: &mut ReadStats,
    each: &mut impl FnMut(Packet<'_>),
) {
    stats.packets += 1;
    match i.link {
        Ok(link) => each(Packet { ts_us, link, data }),
        Err(t) => match stats.unsupported_links.iter_mut().find(|(l, _)| *l == t) {
            Some((_, n)) => *n += 1,
            None => stats.unsupported_links.push((t, 1)),
        },
    }
}

fn to_us(frac: i64, per_second: u64) -> i64 {
    if per_second == 1_000_000_000 {
        frac / 1000
    } else {
        frac
    }
}

fn ticks_to_us(ticks: u64, per_second: u64) -> i64 {
    let us = u128::from(ticks) * 1_000_000 / u128::from(per_second);
    i64::try_from(us).unwrap_or(i64::MAX)
}

fn io_error(offset: u64, e: &PcapError<&[u8]>) -> ReadError {
    ReadError::Io {
        offset,
        message: format!("{e:?}"),
    }
}

/// pcap-parser recognises the format from its first read alone; a pipe may deliver
/// less than the file header (or pcapng's first block) in that read, so that much is
/// read whole first — and no more, so a quiet live pipe is not waited on.
fn with_whole_header<R: Read>(
    mut input: R,
) -> Result<std::io::Chain<std::io::Cursor<Vec<u8>>, R>, ReadError> {
    let mut head = Vec::with_capacity(256);
    let mut need = 12;
    while head.len() < need {
        let mut chunk = [0u8; 256];
        let want = (need - head.len()).min(chunk.len());
        match input.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(ReadError::Io {
                    offset: head.len() as u64,
                    message: e.to_string(),
                });
            }
        }
        if head.len() >= 12 {
            need = first_block_len(&head).max(12);
        }
    }
    if head.is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(std::io::Cursor::new(head).chain(input))
}

/// How many bytes pcap-parser needs to recognise the format: a pcap file header, or
/// pcapng's whole section header block (its length is in bytes 4..8, in the byte
/// order its magic at 8..12 gives). Capped: a larger claim is left to the parser.
fn first_block_len(head: &[u8]) -> usize {
    const PCAP_HEADER: usize = 24;
    if head[..4] != [0x0a, 0x0d, 0x0d, 0x0a] {
        return PCAP_HEADER;
    }
    let len = [head[4], head[5], head[6], head[7]];
    let len = if head[8..12] == [0x4d, 0x3c, 0x2b, 0x1a] {
        u32::from_le_bytes(len)
    } else {
        u32::from_be_bytes(len)
    };
    (len as usize).min(64 * 1024)
}
