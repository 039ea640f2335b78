//! The TLS view of a captured connection: what both hellos say (SNI, ALPN, version,
//! cipher), alerts and who sent them, the certificates (in the clear in TLS 1.2, and
//! in TLS 1.3 when an `SSLKEYLOGFILE` gives the secrets), and — with those secrets —
//! the decrypted application bytes, handed back so the Upgrade and the frames inside
//! `wss://` are judged like any other connection's.
//!
//! Written by hand on purpose: a capture must follow TLS records across TCP segments
//! and across the switch from plaintext to encrypted records, and decrypt records
//! with the key log's secrets; record parser crates (tls-parser) read whole plaintext
//! messages and neither follow the switch nor decrypt, and rustls keeps its record
//! layer private. Every length read is checked against what is left, and what is
//! held is capped (one record, one handshake message, a few certificates).
//! Decryption covers TLS 1.3 (RFC 8446 §5.2, §7.1, §7.3) with the three cipher
//! suites every TLS 1.3 stack offers, and TLS 1.2 with the AEAD suites (AES-GCM,
//! RFC 5288; ChaCha20-Poly1305, RFC 7905) from the key log's master secret (RFC 5246
//! §5, §6.3); TLS 1.2's CBC suites stay encrypted (and say so).

use crate::conn::Side;
use ring::{aead, hkdf, hmac};
use std::collections::HashMap;
use std::path::Path;

/// The largest record TLS allows (2^14 plus 256 of expansion) and its header.
const MAX_RECORD: usize = (1 << 14) + 256;
/// The largest handshake message followed (certificate chains are far smaller).
const MAX_HANDSHAKE: usize = 64 * 1024;
/// Certificates kept of a chain.
const MAX_CERTS: usize = 8;
/// A key log larger than this is not one a browser or client wrote for a capture.
const KEYLOG_CAP: u64 = 64 << 20;
/// The ServerHello random that marks a HelloRetryRequest (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];
pub const TLS12: u16 = 0x0303;
pub const TLS13: u16 = 0x0304;

/// Record content types.
const CHANGE_CIPHER_SPEC: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;

/// The secrets of an NSS key log (`SSLKEYLOGFILE`, as curl, browsers, rustls and
/// OpenSSL write it), by ClientHello random.
#[derive(Debug, Default)]
pub struct KeyLog {
    by_random: HashMap<[u8; 32], Secrets>,
}

#[derive(Debug, Default, Clone)]
struct Secrets {
    /// TLS 1.2: `CLIENT_RANDOM`'s master secret.
    master: Option<Vec<u8>>,
    client_hs: Option<Vec<u8>>,
    server_hs: Option<Vec<u8>>,
    client_app: Option<Vec<u8>>,
    server_app: Option<Vec<u8>>,
}

impl KeyLog {
    /// Reads a key log file; the error names the file and the fix.
    pub fn read(path: &Path) -> Result<KeyLog, String> {
        use std::io::Read;
        let shown = path.display();
        let file = std::fs::File::open(path).map_err(|e| format!("--keylog {shown}: {e}"))?;
        let mut text = String::new();
        file.take(KEYLOG_CAP + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("--keylog {shown}: {e} (a key log is text)"))?;
        if text.len() as u64 > KEYLOG_CAP {
            return Err(format!(
                "--keylog {shown}: over {} MiB, not a key log (SSLKEYLOGFILE lines)",
                KEYLOG_CAP >> 20
            ));
        }
        let log = KeyLog::parse(&text);
        if log.by_random.is_empty() {
            return Err(format!(
                "--keylog {shown}: no TLS secret in it (lines like \"CLIENT_HANDSHAKE_TRAFFIC_SECRET <random> <secret>\" or \"CLIENT_RANDOM <random> <master secret>\", written by a client run with SSLKEYLOGFILE set)"
            ));
        }
        Ok(log)
    }

    /// The secrets of every well-formed line; other lines (comments, TLS 1.2's
    /// `CLIENT_RANDOM`, damage) are skipped.
    pub fn parse(text: &str) -> KeyLog {
        let mut log = KeyLog::default();
        for line in text.lines() {
            let mut words = line.split_ascii_whitespace();
            let (Some(label), Some(random), Some(secret), None) =
                (words.next(), words.next(), words.next(), words.next())
            else {
                continue;
            };
            let (Some(random), Some(secret)) = (hex(random), hex(secret)) else {
                continue;
            };
            let Ok(random) = <[u8; 32]>::try_from(random.as_slice()) else {
                continue;
            };
            if !matches!(secret.len(), 32 | 48) {
                continue;
            }
            if !matches!(
                label,
                "CLIENT_RANDOM"
                    | "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
                    | "SERVER_HANDSHAKE_TRAFFIC_SECRET"
                    | "CLIENT_TRAFFIC_SECRET_0"
                    | "SERVER_TRAFFIC_SECRET_0"
            ) || (label == "CLIENT_RANDOM" && secret.len() != 48)
            {
                continue;
            }
            let entry = log.by_random.entry(random).or_default();
            let slot = match label {
                "CLIENT_RANDOM" => &mut entry.master,
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.client_hs,
                "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.server_hs,
                "CLIENT_TRAFFIC_SECRET_0" => &mut entry.client_app,
                _ => &mut entry.server_app,
            };
            *slot = Some(secret);
        }
        log
    }

    /// Connections the log has secrets for.
    pub fn len(&self) -> usize {
        self.by_random.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_random.is_empty()
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// What one direction's records are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Stage {
    #[default]
    Plain,
    /// Encrypted from here on (TLS 1.2 after ChangeCipherSpec): not followed.
    Opaque,
    /// Not followed any more (not TLS, a broken record, a failed decryption).
    Stopped,
}

/// One direction's record key.
struct Key {
    aead: aead::LessSafeKey,
    iv: [u8; 12],
    seq: u64,
    nonce: Nonce,
}

/// How a record's nonce and additional data are made.
#[derive(Clone, Copy)]
enum Nonce {
    /// TLS 1.3, and TLS 1.2 ChaCha20-Poly1305: the IV XOR the sequence number; the
    /// additional data is the record header (1.3) or the sequence number, type,
    /// version and plaintext length (1.2).
    XorSeq { tls12: bool },
    /// TLS 1.2 AES-GCM: a 4-byte salt and the record's explicit 8 bytes.
    Explicit,
}

/// Everything seen of one connection's TLS.
#[derive(Default)]
pub struct Tls {
    records: [Vec<u8>; 2],
    handshake: [Vec<u8>; 2],
    stage: [Stage; 2],
    keys: [Option<Key>; 2],
    /// TLS 1.2: each direction's key, taken when its ChangeCipherSpec comes.
    keys12: Option<[Option<Key>; 2]>,
    secrets: Option<Secrets>,
    pub hello_us: Option<i64>,
    pub sni: Option<String>,
    pub offered_alpn: Vec<String>,
    random: Option<[u8; 32]>,
    /// The version the ServerHello chose (its supported_versions in TLS 1.3).
    pub version: Option<u16>,
    pub cipher: Option<u16>,
    pub alpn: Option<String>,
    /// The server's certificates, leaf first, DER.
    pub certs: Vec<Vec<u8>>,
    pub cert_request: bool,
    /// The first alert each side sent (decrypted or plaintext), and when.
    pub alert: [Option<(u8, i64)>; 2],
    /// An encrypted alert-sized record whose content cannot be read.
    pub opaque_records: [u64; 2],
    /// Each side's Finished was seen (decrypted), or in TLS 1.2 its ChangeCipherSpec.
    pub finished: [Option<i64>; 2],
    /// The server's first bytes, when they were not a TLS record.
    pub not_tls: Option<Vec<u8>>,
    pub server_first_us: Option<i64>,
    /// Application bytes decrypted per side.
    pub app_bytes: [u64; 2],
    /// The first encrypted record of each side.
    pub first_encrypted_us: [Option<i64>; 2],
    /// Encrypted server records after the client's first encrypted one.
    pub server_encrypted_after_client: u64,
    /// What could not be followed, for the report's notes.
    pub notes: Vec<String>,
    /// Secrets for this connection were in the key log.
    pub decrypting: bool,
}

impl Tls {
    /// Bytes of one direction, as reassembled; decrypted application bytes go to
    /// `plain`.
    pub fn feed(
        &mut self,
        side: Side,
        ts: i64,
        bytes: &[u8],
        keylog: Option<&KeyLog>,
        plain: &mut dyn FnMut(&[u8]),
    ) {
        let s = side as usize;
        if bytes.is_empty() || self.stage[s] == Stage::Stopped {
            return;
        }
        if side == Side::Server && self.server_first_us.is_none() {
            self.server_first_us = Some(ts);
            if !wsdoctor_net::capture::looks_like_tls(bytes) {
                self.not_tls = Some(bytes[..bytes.len().min(256)].to_vec());
                self.stage[s] = Stage::Stopped;
                return;
            }
        }
        if side == Side::Client && self.hello_us.is_none() {
            self.hello_us = Some(ts);
        }
        let mut buf = std::mem::take(&mut self.records[s]);
        buf.extend_from_slice(bytes);
        let mut at = 0;
        while buf.len() - at >= 5 {
            let len = usize::from(u16::from_be_bytes([buf[at + 3], buf[at + 4]]));
            if len > MAX_RECORD || !matches!(buf[at], 20..=24) {
                self.stop(
                    side,
                    format!(
                        "a {} TLS record header is not valid (type {}, {len} bytes): its TLS is not followed further",
                        who(side),
                        buf[at]
                    ),
                );
                return;
            }
            if buf.len() - at < 5 + len {
                break;
            }
            let header: [u8; 5] = buf[at..at + 5].try_into().expect("5 bytes");
            let body = buf[at + 5..at + 5 + len].to_vec();
            at += 5 + len;
            self.record(side, ts, header, body, keylog, plain);
            if self.stage[s] == Stage::Stopped {
                return;
            }
        }
        buf.drain(..at);
        self.records[s] = buf;
    }

    fn stop(&mut self, side: Side, note: String) {
        let s = side as usize;
        self.stage[s] = Stage::Stopped;
        self.records[s] = Vec::new();
        self.handshake[s] = Vec::new();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    fn record(
        &mut self,
        side: Side,
        ts: i64,
        header: [u8; 5],
        mut body: Vec<u8>,
        keylog: Option<&KeyLog>,
        plain: &mut dyn FnMut(&[u8]),
    ) {
        let s = side as usize;
        let typ = header[0];
        if typ == CHANGE_CIPHER_SPEC {
            // TLS 1.3 sends it for middleboxes only; in 1.2 encryption starts here.
            if self.version != Some(TLS13) {
                self.stage[s] = Stage::Opaque;
                self.finished[s].get_or_insert(ts);
                self.keys[s] = self.keys12.as_mut().and_then(|k| k[s].take());
            }
            return;
        }
        let encrypted = self.stage[s] == Stage::Opaque || typ == APPLICATION_DATA;
        if !encrypted {
            return self.content(side, ts, typ, &body, keylog, plain);
        }
        self.first_encrypted_us[s].get_or_insert(ts);
        if side == Side::Server && self.first_encrypted_us[0].is_some() {
            self.server_encrypted_after_client += 1;
        }
        let Some(key) = self.keys[s].as_mut() else {
            // An encrypted record of two bytes plus the AEAD tag is an alert.
            if body.len() <= 2 + 16 + 1 {
                self.opaque_records[s] += 1;
            }
            return;
        };
        let seq = key.seq.to_be_bytes();
        key.seq += 1;
        let mut nonce = key.iv;
        let tag = key.aead.algorithm().tag_len();
        let (aad, start) = match key.nonce {
            Nonce::XorSeq { tls12 } => {
                for (n, b) in nonce[4..].iter_mut().zip(seq) {
                    *n ^= b;
                }
                if tls12 {
                    (aad12(seq, header, body.len().saturating_sub(tag)), 0)
                } else {
                    (header.to_vec(), 0)
                }
            }
            Nonce::Explicit => {
                if body.len() < 8 + tag {
                    return self.undecrypted(side);
                }
                nonce[4..].copy_from_slice(&body[..8]);
                (aad12(seq, header, body.len() - 8 - tag), 8)
            }
        };
        let tls12 = !matches!(key.nonce, Nonce::XorSeq { tls12: false });
        let opened = key.aead.open_in_place(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(aad),
            &mut body[start..],
        );
        if tls12 {
            let Ok(content) = opened else {
                return self.undecrypted(side);
            };
            let content = content.to_vec();
            if typ == APPLICATION_DATA {
                self.app_bytes[s] += content.len() as u64;
                plain(&content);
                return;
            }
            return self.content(side, ts, typ, &content, keylog, plain);
        }
        let Ok(inner) = opened else {
            self.keys[s] = None;
            self.note(format!(
                "a {} record did not decrypt with the key log's secrets (a log from another run?): the rest of that direction stays encrypted",
                who(side)
            ));
            return;
        };
        // TLSInnerPlaintext: content, the real type, zero padding.
        let Some(end) = inner.iter().rposition(|b| *b != 0) else {
            return;
        };
        let inner_type = inner[end];
        let content = inner[..end].to_vec();
        if inner_type == APPLICATION_DATA {
            self.app_bytes[s] += content.len() as u64;
            plain(&content);
            return;
        }
        self.content(side, ts, inner_type, &content, keylog, plain);
    }

    fn undecrypted(&mut self, side: Side) {
        self.keys[side as usize] = None;
        self.note(format!(
            "a {} record did not decrypt with the key log's secrets (a log from another run?): the rest of that direction stays encrypted",
            who(side)
        ));
    }

    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// A plaintext (or decrypted) record's content.
    fn content(
        &mut self,
        side: Side,
        ts: i64,
        typ: u8,
        body: &[u8],
        keylog: Option<&KeyLog>,
        plain: &mut dyn FnMut(&[u8]),
    ) {
        let s = side as usize;
        match typ {
            ALERT => {
                if let [_level, desc, ..] = body {
                    self.alert[s].get_or_insert((*desc, ts));
                }
            }
            HANDSHAKE => {
                if self.handshake[s].len() + body.len() > MAX_HANDSHAKE {
                    return self.stop(
                        side,
                        format!(
                            "a {} handshake message over {} KiB: its TLS is not followed further",
                            who(side),
                            MAX_HANDSHAKE >> 10
                        ),
                    );
                }
                self.handshake[s].extend_from_slice(body);
                self.messages(side, ts, keylog);
            }
            APPLICATION_DATA => plain(body),
            _ => {}
        }
    }

    /// Whole handshake messages in `side`'s buffer.
    fn messages(&mut self, side: Side, ts: i64, keylog: Option<&KeyLog>) {
        let s = side as usize;
        loop {
            let buf = &self.handshake[s];
            if buf.len() < 4 {
                return;
            }
            let len = usize::from(buf[1]) << 16 | usize::from(buf[2]) << 8 | usize::from(buf[3]);
            if len > MAX_HANDSHAKE {
                return self.stop(
                    side,
                    format!(
                        "a {} handshake message says it is {len} bytes: its TLS is not followed further",
                        who(side)
                    ),
                );
            }
            if buf.len() < 4 + len {
                return;
            }
            let typ = buf[0];
            let msg: Vec<u8> = buf[4..4 + len].to_vec();
            self.handshake[s].drain(..4 + len);
            self.message(side, ts, typ, &msg, keylog);
            if self.stage[s] == Stage::Stopped {
                return;
            }
        }
    }

    fn message(&mut self, side: Side, ts: i64, typ: u8, msg: &[u8], keylog: Option<&KeyLog>) {
        match (side, typ) {
            (Side::Client, 1) => self.client_hello(msg),
            (Side::Server, 2) => self.server_hello(msg, keylog),
            (Side::Server, 8) => {
                // EncryptedExtensions: the ALPN choice in TLS 1.3.
                let mut r = Reader(msg);
                if let Some(exts) = r.vec16() {
                    self.server_extensions(exts);
                }
            }
            (Side::Server, 11) => self.certificates(msg),
            (Side::Server, 13) => self.cert_request = true,
            (_, 20) => self.finished_by(side, ts),
            (_, 24) => {
                let s = side as usize;
                self.keys[s] = None;
                self.note(format!(
                    "the {} updated its TLS keys (KeyUpdate): what follows in that direction is not decrypted",
                    who(side)
                ));
            }
            _ => {}
        }
    }

    fn client_hello(&mut self, msg: &[u8]) {
        let mut r = Reader(msg);
        let (Some(_version), Some(random)) = (r.take(2), r.take(32)) else {
            return;
        };
        self.random = random.try_into().ok();
        let (Some(_session), Some(_suites), Some(_compression)) = (r.vec8(), r.vec16(), r.vec8())
        else {
            return;
        };
        let Some(exts) = r.vec16() else { return };
        for (typ, data) in extensions(exts) {
            let mut d = Reader(data);
            match typ {
                0 => {
                    // server_name: a list of (type, name); host_name is type 0.
                    let Some(list) = d.vec16() else { continue };
                    let mut l = Reader(list);
                    while let (Some(kind), Some(name)) = (l.take(1), l.vec16()) {
                        if kind == [0] {
                            self.sni = Some(String::from_utf8_lossy(name).into_owned());
                            break;
                        }
                    }
                }
                16 => self.offered_alpn = alpn_list(data),
                _ => {}
            }
        }
    }

    fn server_hello(&mut self, msg: &[u8], keylog: Option<&KeyLog>) {
        let mut r = Reader(msg);
        let (Some(version), Some(random)) = (r.take(2), r.take(32)) else {
            return;
        };
        if random == HRR_RANDOM {
            self.note("the server asked the client to retry its hello (HelloRetryRequest)".into());
            return;
        }
        let (Some(_session), Some(cipher), Some(_compression)) = (r.vec8(), r.take(2), r.take(1))
        else {
            return;
        };
        self.version = Some(u16::from_be_bytes([version[0], version[1]]));
        self.cipher = Some(u16::from_be_bytes([cipher[0], cipher[1]]));
        if let Some(exts) = r.vec16() {
            self.server_extensions(exts);
        }
        let secrets = self
            .random
            .and_then(|rnd| keylog?.by_random.get(&rnd).cloned());
        let Some(secrets) = secrets else { return };
        if self.version == Some(TLS12) {
            let (Some(master), Some(client_random)) = (secrets.master.as_deref(), self.random)
            else {
                return;
            };
            let Some(suite) = self.cipher.and_then(suite12) else {
                self.note(format!(
                    "TLS 1.2 cipher suite 0x{:04x} is not an AEAD suite wsdoctor decrypts (CBC suites are not): the connection stays encrypted",
                    self.cipher.unwrap_or(0)
                ));
                return;
            };
            let server_random: [u8; 32] = random.try_into().unwrap_or([0; 32]);
            self.keys12 = suite.keys(master, &client_random, &server_random);
            self.decrypting = self.keys12.is_some();
            return;
        }
        if self.version != Some(TLS13) {
            return;
        }
        let suite = self.cipher.and_then(suite);
        let Some(suite) = suite else {
            self.note(format!(
                "cipher suite 0x{:04x} is not one wsdoctor decrypts: the connection stays encrypted",
                self.cipher.unwrap_or(0)
            ));
            return;
        };
        self.keys[Side::Client as usize] = secrets.client_hs.as_deref().and_then(|s| suite.key(s));
        self.keys[Side::Server as usize] = secrets.server_hs.as_deref().and_then(|s| suite.key(s));
        self.decrypting = self.keys.iter().any(Option::is_some);
        self.secrets = Some(secrets);
    }

    fn server_extensions(&mut self, exts: &[u8]) {
        for (typ, data) in extensions(exts) {
            match typ {
                // supported_versions in a ServerHello: the version chosen.
                43 if data.len() == 2 => {
                    self.version = Some(u16::from_be_bytes([data[0], data[1]]))
                }
                16 => self.alpn = alpn_list(data).into_iter().next(),
                _ => {}
            }
        }
    }

    fn certificates(&mut self, msg: &[u8]) {
        let mut r = Reader(msg);
        let tls13 = self.version == Some(TLS13);
        if tls13 && r.vec8().is_none() {
            return;
        }
        let Some(list) = r.vec24() else { return };
        let mut l = Reader(list);
        self.certs.clear();
        while let Some(der) = l.vec24() {
            if self.certs.len() < MAX_CERTS {
                self.certs.push(der.to_vec());
            }
            if tls13 && l.vec16().is_none() {
                break;
            }
        }
    }

    /// A Finished: the handshake is over for that side; TLS 1.3 moves to the
    /// application traffic secret.
    fn finished_by(&mut self, side: Side, ts: i64) {
        let s = side as usize;
        self.finished[s].get_or_insert(ts);
        let (Some(secrets), Some(suite)) = (&self.secrets, self.cipher.and_then(suite)) else {
            return;
        };
        let secret = match side {
            Side::Client => secrets.client_app.as_deref(),
            Side::Server => secrets.server_app.as_deref(),
        };
        self.keys[s] = secret.and_then(|sec| suite.key(sec));
    }

    /// Bytes held in partial records and messages (for the memory budget).
    pub fn held(&self) -> usize {
        self.records
            .iter()
            .chain(&self.handshake)
            .map(Vec::len)
            .sum()
    }

    /// Both sides finished the handshake (or, not decrypted, both went on to send
    /// application records).
    pub fn established(&self) -> bool {
        if self.decrypting || self.version != Some(TLS13) {
            return self.finished.iter().all(Option::is_some);
        }
        // TLS 1.3 without keys: the client's Finished is its first encrypted record;
        // the server answering with encrypted records after it means it accepted it.
        self.server_encrypted_after_client > 0
    }
}

fn who(side: Side) -> &'static str {
    match side {
        Side::Client => "client",
        Side::Server => "server",
    }
}

/// A TLS 1.3 cipher suite's AEAD and hash.
struct Suite {
    aead: &'static aead::Algorithm,
    hkdf: hkdf::Algorithm,
}

fn suite(code: u16) -> Option<Suite> {
    let (aead, hkdf) = match code {
        0x1301 => (&aead::AES_128_GCM, hkdf::HKDF_SHA256),
        0x1302 => (&aead::AES_256_GCM, hkdf::HKDF_SHA384),
        0x1303 => (&aead::CHACHA20_POLY1305, hkdf::HKDF_SHA256),
        _ => return None,
    };
    Some(Suite { aead, hkdf })
}

impl Suite {
    /// The record key and IV of a traffic secret (RFC 8446 §7.3).
    fn key(&self, secret: &[u8]) -> Option<Key> {
        if secret.len() != hkdf::KeyType::len(&self.hkdf) {
            return None;
        }
        let prk = hkdf::Prk::new_less_safe(self.hkdf, secret);
        let mut key = vec![0; self.aead.key_len()];
        let mut iv = [0; 12];
        expand_label(&prk, b"key", &mut key)?;
        expand_label(&prk, b"iv", &mut iv)?;
        let unbound = aead::UnboundKey::new(self.aead, &key).ok()?;
        Some(Key {
            aead: aead::LessSafeKey::new(unbound),
            iv,
            seq: 0,
            nonce: Nonce::XorSeq { tls12: false },
        })
    }
}

/// A TLS 1.2 AEAD suite: its AEAD, the PRF's hash, and how its nonce is made.
struct Suite12 {
    aead: &'static aead::Algorithm,
    prf: hmac::Algorithm,
    nonce: Nonce,
}

fn suite12(code: u16) -> Option<Suite12> {
    let (aead, prf, nonce) = match code {
        // ECDHE_RSA / ECDHE_ECDSA / RSA / DHE_RSA with AES-128-GCM-SHA256.
        0xC02F | 0xC02B | 0x009C | 0x009E => {
            (&aead::AES_128_GCM, hmac::HMAC_SHA256, Nonce::Explicit)
        }
        // … with AES-256-GCM-SHA384.
        0xC030 | 0xC02C | 0x009D | 0x009F => {
            (&aead::AES_256_GCM, hmac::HMAC_SHA384, Nonce::Explicit)
        }
        // ECDHE_RSA / ECDHE_ECDSA / DHE_RSA with ChaCha20-Poly1305.
        0xCCA8..=0xCCAA => (
            &aead::CHACHA20_POLY1305,
            hmac::HMAC_SHA256,
            Nonce::XorSeq { tls12: true },
        ),
        _ => return None,
    };
    Some(Suite12 { aead, prf, nonce })
}

impl Suite12 {
    /// Both directions' keys from the master secret (RFC 5246 §6.3: the key block is
    /// client key, server key, client IV, server IV for AEAD suites).
    fn keys(
        &self,
        master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Option<[Option<Key>; 2]> {
        let key_len = self.aead.key_len();
        let iv_len = match self.nonce {
            Nonce::Explicit => 4,
            Nonce::XorSeq { .. } => 12,
        };
        let mut seed = Vec::with_capacity(64);
        seed.extend_from_slice(server_random);
        seed.extend_from_slice(client_random);
        let block = prf(
            self.prf,
            master,
            b"key expansion",
            &seed,
            2 * (key_len + iv_len),
        );
        let (keys, ivs) = block.split_at(2 * key_len);
        let key = |k: &[u8], iv: &[u8]| -> Option<Key> {
            let mut full = [0u8; 12];
            full[..iv.len()].copy_from_slice(iv);
            Some(Key {
                aead: aead::LessSafeKey::new(aead::UnboundKey::new(self.aead, k).ok()?),
                iv: full,
                seq: 0,
                nonce: self.nonce,
            })
        };
        Some([
            key(&keys[..key_len], &ivs[..iv_len]),
            key(&keys[key_len..], &ivs[iv_len..]),
        ])
    }
}

/// TLS 1.2's PRF, P_hash of RFC 5246 §5.
fn prf(alg: hmac::Algorithm, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let key = hmac::Key::new(alg, secret);
    let mut label_seed = label.to_vec();
    label_seed.extend_from_slice(seed);
    let mut a = hmac::sign(&key, &label_seed).as_ref().to_vec();
    let mut out = Vec::with_capacity(len + 64);
    while out.len() < len {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(&a);
        ctx.update(&label_seed);
        out.extend_from_slice(ctx.sign().as_ref());
        a = hmac::sign(&key, &a).as_ref().to_vec();
    }
    out.truncate(len);
    out
}

/// TLS 1.2's additional data: sequence number, type, version, plaintext length.
fn aad12(seq: [u8; 8], header: [u8; 5], plaintext_len: usize) -> Vec<u8> {
    let mut aad = seq.to_vec();
    aad.extend_from_slice(&header[..3]);
    aad.extend_from_slice(&(plaintext_len as u16).to_be_bytes());
    aad
}

/// HKDF-Expand-Label with an empty context (RFC 8446 §7.1).
fn expand_label(prk: &hkdf::Prk, label: &[u8], out: &mut [u8]) -> Option<()> {
    struct Len(usize);
    impl hkdf::KeyType for Len {
        fn len(&self) -> usize {
            self.0
        }
    }
    let len = u16::try_from(out.len()).ok()?.to_be_bytes();
    let label_len = [u8::try_from(6 + label.len()).ok()?];
    let info: [&[u8]; 5] = [&len, &label_len, b"tls13 ", label, &[0]];
    prk.expand(&info, Len(out.len())).ok()?.fill(out).ok()
}

/// Reads length-prefixed fields without ever reading past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(*self.take(1)?.first()?);
        self.take(n)
    }

    fn vec16(&mut self) -> Option<&'a [u8]> {
        let b = self.take(2)?;
        self.take(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn vec24(&mut self) -> Option<&'a [u8]> {
        let b = self.take(3)?;
        self.take(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }
}

/// (type, data) of each extension.
fn extensions(mut exts: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while exts.len() >= 4 {
        let typ = u16::from_be_bytes([exts[0], exts[1]]);
        let mut r = Reader(&exts[2..]);
        let Some(data) = r.vec16() else { break };
        out.push((typ, data));
        exts = r.0;
    }
    out
}

fn alpn_list(data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut r = Reader(data);
    let Some(list) = r.vec16() else { return out };
    let mut l = Reader(list);
    while let Some(p) = l.vec8() {
        out.push(String::from_utf8_lossy(p).into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_log_lines_are_read_by_client_random_and_damage_is_skipped() {
        let r = "ab".repeat(32);
        let s = "01".repeat(32);
        let text = format!(
            "# comment\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {r} {s}\nSERVER_TRAFFIC_SECRET_0 {r} {s}\nCLIENT_RANDOM {r} {}\nCLIENT_TRAFFIC_SECRET_0 zz {s}\nSERVER_HANDSHAKE_TRAFFIC_SECRET {r}\n",
            "02".repeat(48)
        );
        let log = KeyLog::parse(&text);
        assert_eq!(log.len(), 1);
        let got = &log.by_random[&[0xab; 32]];
        assert_eq!(got.client_hs.as_deref(), Some(&[1u8; 32][..]));
        assert_eq!(got.server_app.as_deref(), Some(&[1u8; 32][..]));
        assert!(got.server_hs.is_none() && got.client_app.is_none());
    }

    #[test]
    fn a_client_hello_gives_its_sni_and_alpn() {
        let hello = client_hello("example.com", &["h2", "http/1.1"]);
        let mut t = Tls::default();
        t.feed(Side::Client, 1, &hello, None, &mut |_| {});
        assert_eq!(t.sni.as_deref(), Some("example.com"));
        assert_eq!(t.offered_alpn, ["h2", "http/1.1"]);
        assert_eq!(t.random, Some([7; 32]));
    }

    #[test]
    fn records_split_anywhere_are_reassembled() {
        let hello = client_hello("a.test", &[]);
        let mut t = Tls::default();
        for b in hello.chunks(3) {
            t.feed(Side::Client, 1, b, None, &mut |_| {});
        }
        assert_eq!(t.sni.as_deref(), Some("a.test"));
    }

    #[test]
    fn a_plaintext_answer_is_not_tls_and_a_huge_record_stops_following() {
        let mut t = Tls::default();
        t.feed(
            Side::Server,
            1,
            b"HTTP/1.1 400 Bad Request\r\n",
            None,
            &mut |_| {},
        );
        assert_eq!(
            t.not_tls.as_deref(),
            Some(&b"HTTP/1.1 400 Bad Request\r\n"[..])
        );
        let mut t = Tls::default();
        t.feed(
            Side::Client,
            1,
            &[22, 3, 1, 0xff, 0xff, 0],
            None,
            &mut |_| {},
        );
        assert_eq!(t.stage[0], Stage::Stopped);
        assert_eq!(t.notes.len(), 1);
    }

    #[test]
    fn a_plaintext_alert_is_recorded_with_its_sender() {
        let mut t = Tls::default();
        t.feed(Side::Server, 5, &[21, 3, 3, 0, 2, 2, 40], None, &mut |_| {});
        assert_eq!(t.alert[1], Some((40, 5)));
        assert!(!t.established());
    }

    #[test]
    fn expand_label_matches_rfc_8448() {
        // RFC 8448 §3, the server handshake traffic secret and its write key and IV.
        let secret =
            hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38").expect("hex");
        let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, &secret);
        let mut key = [0; 16];
        let mut iv = [0; 12];
        expand_label(&prk, b"key", &mut key).expect("key");
        expand_label(&prk, b"iv", &mut iv).expect("iv");
        assert_eq!(
            key.to_vec(),
            hex("3fce516009c21727d0f2e4e86ee403bc").expect("hex")
        );
        assert_eq!(iv.to_vec(), hex("5d313eb2671276ee13000b30").expect("hex"));
    }

    proptest::proptest! {
        /// Arbitrary records (valid headers, random bodies, split anywhere, both
        /// directions) never panic, and what is held stays under the caps.
        #[test]
        fn arbitrary_records_never_panic_and_stay_bounded(
            chunks in proptest::collection::vec(
                (proptest::bool::ANY, 0u8..5, proptest::collection::vec(proptest::num::u8::ANY, 0..700)),
                0..40,
            )
        ) {
            let log = KeyLog::parse(&format!(
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET {} {}\n",
                "07".repeat(32),
                "01".repeat(32)
            ));
            let mut t = Tls::default();
            for (server, typ, mut body) in chunks {
                let side = if server { Side::Server } else { Side::Client };
                let len = body.len() as u16;
                let mut rec = vec![20 + typ, 3, 3];
                rec.extend_from_slice(&len.to_be_bytes());
                rec.append(&mut body);
                let cut = rec.len() / 2;
                t.feed(side, 1, &rec[..cut], Some(&log), &mut |_| {});
                t.feed(side, 2, &rec[cut..], Some(&log), &mut |_| {});
            }
            proptest::prop_assert!(t.held() <= 2 * (MAX_RECORD + 5 + MAX_HANDSHAKE));
            proptest::prop_assert!(t.certs.len() <= MAX_CERTS);
        }
    }

    fn client_hello(sni: &str, alpn: &[&str]) -> Vec<u8> {
        let mut exts = Vec::new();
        let name = sni.as_bytes();
        let mut list = vec![0];
        list.extend_from_slice(&(name.len() as u16).to_be_bytes());
        list.extend_from_slice(name);
        let mut sni_ext = (list.len() as u16).to_be_bytes().to_vec();
        sni_ext.extend_from_slice(&list);
        push_ext(&mut exts, 0, &sni_ext);
        if !alpn.is_empty() {
            let mut protos = Vec::new();
            for p in alpn {
                protos.push(p.len() as u8);
                protos.extend_from_slice(p.as_bytes());
            }
            let mut a = (protos.len() as u16).to_be_bytes().to_vec();
            a.extend_from_slice(&protos);
            push_ext(&mut exts, 16, &a);
        }
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.push(0); // session id
        body.extend_from_slice(&[0, 2, 0x13, 0x01]); // one suite
        body.extend_from_slice(&[1, 0]); // null compression
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend_from_slice(&exts);
        let mut msg = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
        msg.extend_from_slice(&body);
        let mut rec = vec![22, 3, 1];
        rec.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        rec.extend_from_slice(&msg);
        rec
    }

    fn push_ext(exts: &mut Vec<u8>, typ: u16, data: &[u8]) {
        exts.extend_from_slice(&typ.to_be_bytes());
        exts.extend_from_slice(&(data.len() as u16).to_be_bytes());
        exts.extend_from_slice(data);
    }
}
