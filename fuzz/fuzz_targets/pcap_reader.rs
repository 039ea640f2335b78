//! The capture reader and everything behind it on arbitrary bytes: after a valid pcap
//! header when the first byte is even (so the records and packets are what is fuzzed),
//! as the whole file otherwise (the format detection, pcapng blocks). Never panics;
//! never claims to have read more than it was given; an error names an offset inside.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdoctor_pcap::{Analyzer, Options, ReadError};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let input = if mode % 2 == 0 {
        let mut f = wsdoctor_pcap::synth::pcap(&[]);
        f.extend_from_slice(rest);
        f
    } else {
        rest.to_vec()
    };
    let mut a = Analyzer::new(Options::default(), |c| {
        assert!(!c.client.is_empty() && !c.server.is_empty());
    });
    let (stats, err) = a.read(&input[..], |_| {});
    assert!(stats.bytes <= input.len() as u64);
    match err {
        Some(ReadError::Truncated { offset } | ReadError::Corrupt { offset, .. }) => {
            assert!(offset <= input.len() as u64)
        }
        _ => {}
    }
    a.finish();
});
