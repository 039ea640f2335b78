//! Categories 12 and 13: permessage-deflate (RFC 7692). 1000 compressed messages per case,
//! each sent after the previous echo, of sizes from 16 bytes to 128 KiB, unfragmented or
//! cut into frames of 256 bytes to 32 KiB. 12.* varies the payload (five corpora), 13.*
//! the negotiated parameters (context takeover, window bits) on the JSON corpus. A server
//! that does not agree to permessage-deflate gets UNIMPLEMENTED, as in Autobahn.

use super::corpus::{CORPORA, Corpus};
use super::{SECOND, case};
use crate::model::{Case, CloseExpect, Deflate, Expect, Step};
use wsdoctor_proto::deflate::Params;

/// (message length, fragment size or 0, Autobahn's time limit in seconds).
const SIZES: [(usize, usize, u64); 18] = [
    (16, 0, 60),
    (64, 0, 60),
    (256, 0, 120),
    (1024, 0, 240),
    (4096, 0, 480),
    (8192, 0, 480),
    (16384, 0, 480),
    (32768, 0, 480),
    (65536, 0, 480),
    (131072, 0, 480),
    (8192, 256, 480),
    (16384, 256, 480),
    (32768, 256, 480),
    (65536, 256, 480),
    (131072, 256, 480),
    (131072, 1024, 480),
    (131072, 4096, 480),
    (131072, 32768, 480),
];

const ROUNDS: u32 = 1000;

/// Autobahn's default offer: the client accepts no context takeover and any window.
const DEFAULT_OFFER: &str =
    "permessage-deflate; client_no_context_takeover; client_max_window_bits";

/// 13.1–13.7: (what the client asks of the server: no context takeover, window bits (0:
/// none)), one or more offers in order.
const PARAMETERS: [&[(bool, u8)]; 7] = [
    &[(false, 0)],
    &[(true, 0)],
    &[(false, 9)],
    &[(false, 15)],
    &[(true, 9)],
    &[(true, 15)],
    &[(true, 9), (true, 0), (false, 0)],
];

fn offer(no_context: bool, bits: u8) -> String {
    let mut s = DEFAULT_OFFER.to_string();
    if no_context {
        s.push_str("; server_no_context_takeover");
    }
    if bits != 0 {
        s.push_str(&format!("; server_max_window_bits={bits}"));
    }
    s
}

/// What the offers allow in the response: the loosest of them.
fn allowed(offers: &[(bool, u8)]) -> Params {
    Params {
        server_no_context_takeover: offers.iter().all(|o| o.0),
        client_no_context_takeover: true,
        server_max_window_bits: offers
            .iter()
            .map(|o| if o.1 == 0 { 15 } else { o.1 })
            .max()
            .unwrap_or(15),
        client_max_window_bits: 15,
    }
}

fn compression_case(
    id: String,
    corpus: &'static Corpus,
    size: (usize, usize, u64),
    offers: &[(bool, u8)],
) -> Case {
    let (len, fragment, wait) = size;
    let cut = if fragment == 0 {
        "each in one frame".to_string()
    } else {
        format!("cut into frames of {fragment} bytes")
    };
    let offered: Vec<String> = offers.iter().map(|o| offer(o.0, o.1)).collect();
    let mut c = case(
        id,
        "RFC 7692 §7",
        format!(
            "Send {ROUNDS} compressed messages of {len} bytes from {}, {cut}, each after the previous echo; offer {}.",
            corpus.description,
            offered.join(", ")
        ),
        "Every message echoed unchanged; then a clean close with 1000. UNIMPLEMENTED when the server does not agree to permessage-deflate.",
        vec![Step::Deflated { fragment }, Step::CloseAfter(wait * SECOND)],
        Expect::Deflated {
            corpus,
            len,
            rounds: ROUNDS,
        },
        CloseExpect::normal(),
    );
    c.deflate = Some(Deflate {
        offers: offered,
        allowed: allowed(offers),
    });
    c
}

pub(super) fn add(cases: &mut Vec<Case>) {
    for (j, corpus) in CORPORA.iter().enumerate() {
        for (i, size) in SIZES.into_iter().enumerate() {
            cases.push(compression_case(
                format!("12.{}.{}", j + 1, i + 1),
                corpus,
                size,
                &[(false, 0)],
            ));
        }
    }
    for (j, offers) in PARAMETERS.into_iter().enumerate() {
        for (i, size) in SIZES.into_iter().enumerate() {
            cases.push(compression_case(
                format!("13.{}.{}", j + 1, i + 1),
                &CORPORA[0],
                size,
                offers,
            ));
        }
    }
}
