//! Generates a realistic nginx access + error log pair for the `logs` benchmark
//! (bench/logs/run.sh): ordinary page, asset and API requests with a few percent of
//! WebSocket upgrades (101 with `$request_time`, some cut at 60 s), 4xx/5xx, and an
//! error log with upstream timeouts, refusals, premature closes, idle cuts on upgraded
//! connections and the usual info-level noise.
//!
//! `cargo run --release -p wsdoctor-logs --example genlog -- DIR SIZE_MIB`
//! writes DIR/access.log and DIR/error.log, about SIZE_MIB together (9:1).

use std::fs::File;
use std::io::{BufWriter, Write};

/// xorshift64*: deterministic, so every run scans the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len() as u64) as usize]
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const PAGES: &[&str] = &[
    "/",
    "/index.html",
    "/about",
    "/pricing",
    "/blog/2024/05/websockets-at-scale",
    "/docs/getting-started",
    "/login",
    "/account/settings",
    "/search?q=nginx+websocket&page=2",
];
const ASSETS: &[&str] = &[
    "/static/js/main.4f9c2a1b.js",
    "/static/css/main.0a1b2c3d.css",
    "/static/media/logo.8e7f6a5b.svg",
    "/favicon.ico",
    "/static/js/vendor.91ab22cd.js",
    "/fonts/inter-var.woff2",
    "/img/hero@2x.webp",
];
const APIS: &[&str] = &[
    "/api/v1/users/me",
    "/api/v1/rooms?limit=50",
    "/api/v1/messages?room=42&before=1714557600",
    "/api/v1/notifications",
    "/api/v1/health",
    "/graphql",
];
const WS_PATHS: &[&str] = &[
    "/ws",
    "/ws/chat",
    "/socket.io/?EIO=4&transport=websocket",
    "/cable",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "okhttp/4.12.0",
    "python-requests/2.31.0",
];
const REFERERS: &[&str] = &[
    "-",
    "https://app.example.com/",
    "https://app.example.com/rooms/42",
    "https://www.google.com/",
];

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("/tmp/wsdoctor-bench");
    let mib: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1024);
    std::fs::create_dir_all(dir)?;
    let mut access = BufWriter::with_capacity(1 << 20, File::create(format!("{dir}/access.log"))?);
    let mut error = BufWriter::with_capacity(1 << 20, File::create(format!("{dir}/error.log"))?);
    let target = mib << 20;
    let (mut written_a, mut written_e) = (0u64, 0u64);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut t: u64 = 1_714_521_600; // 2024-05-01T00:00:00Z
    let mut line = String::with_capacity(512);
    while written_a + written_e < target {
        t += rng.below(3);
        line.clear();
        access_line(&mut rng, t, &mut line);
        access.write_all(line.as_bytes())?;
        written_a += line.len() as u64;
        // About one error-log line for every nine access lines, by bytes.
        if written_e * 9 < written_a {
            line.clear();
            error_line(&mut rng, t, &mut line);
            error.write_all(line.as_bytes())?;
            written_e += line.len() as u64;
        }
    }
    access.flush()?;
    error.flush()?;
    println!("{dir}/access.log {written_a} bytes\n{dir}/error.log {written_e} bytes");
    Ok(())
}

fn clf_time(t: u64) -> String {
    let (y, m, d, hh, mm, ss) = civil(t);
    format!(
        "{d:02}/{}/{y}:{hh:02}:{mm:02}:{ss:02} +0000",
        MONTHS[m as usize - 1]
    )
}

fn nginx_time(t: u64) -> String {
    let (y, m, d, hh, mm, ss) = civil(t);
    format!("{y}/{m:02}/{d:02} {hh:02}:{mm:02}:{ss:02}")
}

fn civil(t: u64) -> (u64, u64, u64, u64, u64, u64) {
    let days = t / 86_400;
    let secs = t % 86_400;
    // Days from 2024-05-01 within May–December 2024 are enough for a benchmark.
    let mut d = days - 19_844;
    let lens = [31, 30, 31, 31, 30, 31, 30, 31];
    let mut m = 5;
    for l in lens {
        if d < l {
            break;
        }
        d -= l;
        m += 1;
    }
    (
        2024,
        m.min(12),
        d + 1,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
    )
}

fn access_line(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    let ip = format!(
        "{}.{}.{}.{}",
        1 + rng.below(223),
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    );
    let ua = rng.pick(AGENTS);
    let r = rng.below(1000);
    let (path, status, bytes, rt): (&str, u16, u64, f64) = match r {
        0..=449 => (
            rng.pick(ASSETS),
            if rng.below(10) < 3 { 304 } else { 200 },
            rng.below(400_000),
            rng.below(30) as f64 / 1000.0,
        ),
        450..=699 => (
            rng.pick(PAGES),
            200,
            2_000 + rng.below(60_000),
            rng.below(200) as f64 / 1000.0,
        ),
        700..=939 => (
            rng.pick(APIS),
            if rng.below(50) == 0 { 401 } else { 200 },
            rng.below(8_000),
            rng.below(900) as f64 / 1000.0,
        ),
        940..=969 => {
            // WebSocket sessions: most end on their own, a share is cut at 60 s.
            let secs = if rng.below(4) == 0 {
                60.0 + rng.below(5) as f64 / 1000.0
            } else {
                1.0 + rng.below(900_000) as f64 / 1000.0
            };
            (rng.pick(WS_PATHS), 101, rng.below(100_000), secs)
        }
        970..=984 => (rng.pick(PAGES), 404, 153, 0.001),
        985..=992 => (
            rng.pick(WS_PATHS),
            if rng.below(2) == 0 { 502 } else { 504 },
            157,
            0.002 + rng.below(60) as f64,
        ),
        _ => (rng.pick(APIS), 500, 98, 0.5),
    };
    let _ = writeln!(
        out,
        "{ip} - - [{}] \"GET {path} HTTP/1.1\" {status} {bytes} \"{}\" \"{ua}\" {rt:.3}",
        clf_time(t),
        rng.pick(REFERERS)
    );
}

fn error_line(rng: &mut Rng, t: u64, out: &mut String) {
    use std::fmt::Write;
    let pid = 1000 + rng.below(8);
    let conn = rng.below(10_000_000);
    let client = format!("203.0.113.{}", 1 + rng.below(254));
    let (level, msg, path): (&str, &str, &str) = match rng.below(100) {
        0..=39 => ("info", "client 203.0.113.5 closed keepalive connection", ""),
        40..=54 => (
            "info",
            "upstream timed out (110: Connection timed out) while proxying upgraded connection",
            rng.pick(WS_PATHS),
        ),
        55..=64 => (
            "error",
            "upstream timed out (110: Connection timed out) while reading response header from upstream",
            rng.pick(APIS),
        ),
        65..=72 => (
            "error",
            "connect() failed (111: Connection refused) while connecting to upstream",
            rng.pick(WS_PATHS),
        ),
        73..=78 => (
            "error",
            "upstream prematurely closed connection while reading response header from upstream",
            rng.pick(WS_PATHS),
        ),
        79..=84 => (
            "warn",
            "an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream",
            rng.pick(APIS),
        ),
        85..=89 => (
            "error",
            "recv() failed (104: Connection reset by peer) while proxying upgraded connection",
            rng.pick(WS_PATHS),
        ),
        90..=94 => (
            "info",
            "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking",
            "",
        ),
        _ => (
            "error",
            "open() \"/usr/share/nginx/html/favicon.ico\" failed (2: No such file or directory)",
            "/favicon.ico",
        ),
    };
    let _ = write!(
        out,
        "{} [{level}] {pid}#{pid}: *{conn} {msg}, client: {client}, server: app.example.com",
        nginx_time(t)
    );
    if !path.is_empty() {
        let _ = write!(
            out,
            ", request: \"GET {path} HTTP/1.1\", upstream: \"http://10.0.1.{}:8080{path}\"",
            10 + rng.below(4)
        );
    }
    let _ = writeln!(out, ", host: \"app.example.com\"");
}
