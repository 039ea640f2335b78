//! The scale proof: a synthetic capture of 1,000 WebSocket connections (about
//! 220 MB, written to a temporary file and deleted after) yields exactly 1,000
//! connections, each diagnosed as built: every tenth closed by its server with 1011,
//! the rest healthy. Speed is measured in `bench/pcap/run.sh`, not here.

use wsdoctor_core::CauseId;
use wsdoctor_pcap::{Analyzer, Options, synth};

#[test]
fn a_thousand_connection_capture_yields_a_thousand_connections() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.pcap");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let written = synth::bench_capture(file, 1000).expect("write the capture");
    assert!(written > 200_000_000, "{written} bytes");
    let mut seen = 0u32;
    let mut healthy = 0u32;
    let mut closed_1011 = 0u32;
    let mut frames = 0u64;
    let mut analyzer = Analyzer::new(Options::default(), |c| {
        seen += 1;
        frames += c.frames;
        match c.ids().as_slice() {
            [] => healthy += 1,
            [CauseId::SessionCloseServerError] => closed_1011 += 1,
            other => panic!("{} → {}: {other:?} {:?}", c.client, c.server, c.notes),
        }
    });
    let input = std::io::BufReader::new(std::fs::File::open(&path).expect("open"));
    let (stats, err) = analyzer.read(input, |_| {});
    let totals = analyzer.finish();
    assert_eq!(err, None);
    assert_eq!(stats.bytes, written);
    assert_eq!(seen, 1000);
    assert_eq!((healthy, closed_1011), (900, 100));
    assert_eq!(totals.connections, 1000);
    assert_eq!(totals.evicted + totals.shed, 0);
    // Each: 50 messages each way, a ping, a pong and two closes.
    assert_eq!(frames, 1000 * (2 * synth::BENCH_MESSAGES as u64 + 4));
}
