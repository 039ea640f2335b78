//! A client session fed arbitrary server bytes (split at arbitrary points, with and without
//! permessage-deflate): never panics, stays within its limits, reports at most one violation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdoctor_proto::session::{Config, Event, Role, Session};

fuzz_target!(|data: &[u8]| {
    let Some((&control, bytes)) = data.split_first() else { return };
    let cfg = Config {
        max_message: 1 << 16,
        max_frame: 1 << 14,
        deflate: (control & 1 == 1).then(Default::default),
        ..Config::new(Role::Client)
    };
    let mut session = Session::new(cfg);
    let split = (control >> 1) as usize + 1;
    let mut violations = 0;
    for chunk in bytes.chunks(split) {
        session.feed(chunk);
        while let Some(event) = session.poll_event() {
            match event {
                Event::Violation(_) => violations += 1,
                Event::Text(s) => assert!(s.len() <= 1 << 16),
                Event::Binary(b) => assert!(b.len() <= 1 << 16),
                _ => {}
            }
        }
    }
    assert!(violations <= 1);
});
