//! Scans log files with the library alone and prints the finding counts; used to
//! profile the scanner without the binary. `cargo run --release -p wsdoctor-logs --example scan -- FILE…`
//! `PARALLEL=1` gates access lines on two threads (`Options::parallel`), to compare
//! with the line-by-line default in the same run; `CHUNK=BYTES` sets the read size.

use wsdoctor_logs::{Options, Scanner};

fn main() {
    let mut scanner = Scanner::new(Options {
        parallel: std::env::var_os("PARALLEL").is_some(),
        chunk: std::env::var("CHUNK")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(Options::default().chunk),
        ..Options::default()
    });
    for path in std::env::args().skip(1) {
        let mut f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("scan: {path}: {e}");
                std::process::exit(2);
            }
        };
        if let Err(e) = scanner.scan(&path, &mut f, &mut |_| {}) {
            eprintln!("scan: {path}: {e}");
            std::process::exit(2);
        }
    }
    let r = scanner.finish();
    for f in &r.findings {
        println!("{:8} {}", f.count, f.id);
    }
}
