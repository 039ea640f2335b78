//! HTTP response head parsing: never panics and never claims more bytes than it was given
//! or than the head limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdoctor_proto::handshake::parse_response;

fuzz_target!(|data: &[u8]| {
    let limit = 8192;
    if let Ok(Some(resp)) = parse_response(data, limit) {
        assert!(resp.head_len <= data.len().min(limit));
        let _ = resp.has_token("Connection", "upgrade");
    }
});
