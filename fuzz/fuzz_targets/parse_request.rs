//! HTTP request head parsing (the lab's servers): never panics and never claims more bytes
//! than it was given or than the head limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdoctor_proto::handshake::parse_request;

fuzz_target!(|data: &[u8]| {
    let limit = 8192;
    if let Ok(Some(req)) = parse_request(data, limit) {
        assert!(req.head_len <= data.len().min(limit));
        let _ = req.is_websocket_upgrade();
    }
});
