//! The HAR reader on arbitrary entries: the bytes follow a HAR header, so the content
//! is read as a HAR export (streamed, strings capped). Never panics; a broken export is
//! an error in the report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdoctor_logs::Scanner;

fuzz_target!(|data: &[u8]| {
    let har = [&br#"{"log":{"version":"1.2","entries":["#[..], data].concat();
    let mut s = Scanner::default();
    if let Err(e) = s.scan("fuzz.har", &mut &har[..], &mut |_| {}) {
        s.failed("fuzz.har", e.to_string());
    }
    let r = s.finish();
    assert!(r.files.len() == 1 || !r.errors.is_empty());
});
