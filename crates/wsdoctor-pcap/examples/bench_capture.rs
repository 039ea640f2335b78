//! Writes the benchmark capture (`synth::bench_capture`): `bench_capture FILE [N]`,
//! N connections (default 1000). Used by `bench/pcap/run.sh`.

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: bench_capture FILE [CONNECTIONS]");
        std::process::exit(2);
    };
    let n = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let bytes = wsdoctor_pcap::synth::bench_capture(out, n)?;
    println!("{path}: {n} connections, {bytes} bytes");
    Ok(())
}
