//! The container wrappers: each input line inside a Kubernetes CRI line and inside a
//! Docker json-file line (the first byte picks which, and whether the CRI line is a
//! partial `P`), so the unwrapping and the inner format's parser both see it. Never
//! panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdoctor_logs::Scanner;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let mut log = Vec::new();
    for line in rest.split(|&b| b == b'\n') {
        match pick % 3 {
            0 => log.extend_from_slice(b"2026-12-03T14:09:36.123456789Z stdout F "),
            1 => log.extend_from_slice(b"2026-12-03T14:09:36.123456789Z stderr P "),
            _ => log.extend_from_slice(b"{\"log\":\""),
        }
        log.extend_from_slice(line);
        if pick % 3 == 2 {
            log.extend_from_slice(b"\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-03T14:09:36Z\"}");
        }
        log.push(b'\n');
    }
    let mut s = Scanner::default();
    if let Err(e) = s.scan("fuzz.log", &mut &log[..], &mut |_| {}) {
        s.failed("fuzz.log", e.to_string());
    }
    let r = s.finish();
    assert!(r.files.len() == 1 || !r.errors.is_empty());
});
