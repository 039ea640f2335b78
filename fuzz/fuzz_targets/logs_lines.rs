//! Every log parser on arbitrary lines: the first byte forces a format (or none: judged
//! by content — JSON formats, nginx, HAProxy, ALB, Envoy…), the rest is the log, read
//! in 64-byte blocks so lines are cut at every offset. Never panics; the file is
//! reported or its error is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdoctor_logs::{Options, Scanner, format_names};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, log)) = data.split_first() else {
        return;
    };
    let names: Vec<&str> = format_names().filter(|n| *n != "log-format").collect();
    let format = names.get(pick as usize % (names.len() + 1)).map(|n| n.to_string());
    let mut s = Scanner::new(Options {
        format,
        chunk: 64,
        ..Options::default()
    });
    if let Err(e) = s.scan("fuzz.log", &mut &log[..], &mut |_| {}) {
        s.failed("fuzz.log", e.to_string());
    }
    let r = s.finish();
    assert!(r.files.len() == 1 || !r.errors.is_empty());
});
