//! Frame decoding: never panics, never reads past the input, and re-encoding a decoded frame
//! with the same length form gives back exactly the bytes it was decoded from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdoctor_proto::frame::{FrameDecoder, decode_header};

fuzz_target!(|data: &[u8]| {
    let _ = decode_header(data);
    if let Ok(Some((frame, used))) = FrameDecoder::new(1 << 16).decode(data) {
        assert!(used <= data.len());
        let header_len = used - frame.payload.len();
        let mut again = Vec::new();
        frame.encode_with(frame.header.length_form(header_len), &mut again);
        assert_eq!(again, &data[..used]);
    }
});
