//! Scans log files with the library alone and prints the finding counts; used to
//! profile the scanner without the binary. `cargo run --release -p wsdoctor-logs --example scan -- FILE…`

use wsdoctor_logs::Scanner;

fn main() {
    let mut scanner = Scanner::default();
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
