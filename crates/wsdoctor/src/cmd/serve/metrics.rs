//! Every metric `wsdoctor serve` exports, in one table, and the Prometheus text
//! exposition (format 0.0.4) they are written in.
//!
//! The table is the only place a metric's name, type and help text exist: the
//! `/probe` and `/metrics` writers name metrics by the `Metric` enum, and the README's
//! metrics table is checked against this one by a test. Names follow blackbox_exporter
//! where it has the same measurement, so its dashboards and alerts keep working; the
//! rest are prefixed `probe_websocket_` (per probe) or `wsdoctor_serve_` (the exporter).

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A metric's type in the exposition format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct MetricDef {
    pub metric: Metric,
    pub name: &'static str,
    pub kind: Kind,
    /// Label names, in the order they are written.
    pub labels: &'static [&'static str],
    pub help: &'static str,
}

macro_rules! metrics {
    ($( $variant:ident = $name:literal, $kind:ident, [$($label:literal),*], $help:literal; )*) => {
        /// A metric of the table; `def()` gives its row.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Metric { $($variant),* }

        /// Every metric, in `Metric` order (indexed by discriminant).
        pub static METRICS: &[MetricDef] = &[
            $(MetricDef {
                metric: Metric::$variant,
                name: $name,
                kind: Kind::$kind,
                labels: &[$($label),*],
                help: $help,
            }),*
        ];
    };
}

metrics! {
    // ── per probe (GET /probe) ──────────────────────────────────────────────
    ProbeSuccess = "probe_success", Gauge, [],
        "1 when the WebSocket check passed every layer (warnings allowed), 0 when a layer failed.";
    ProbeDuration = "probe_duration_seconds", Gauge, [],
        "How long the whole check took, in seconds.";
    DnsLookup = "probe_dns_lookup_time_seconds", Gauge, [],
        "Time spent resolving the target's host name (0 for an IP literal), in seconds.";
    IpProtocol = "probe_ip_protocol", Gauge, [],
        "IP version of the connected address: 4 or 6 (0 when no connection was made).";
    PhaseDuration = "probe_websocket_duration_seconds", Gauge, ["phase"],
        "Duration of each phase, in seconds: resolve (DNS), connect (TCP, and the forward proxy's tunnel), tls, upgrade (the HTTP Upgrade to its response), processing (the probe message to its reply), transfer (the rest of the session: ping, close). 0 for a phase not reached.";
    StatusCode = "probe_websocket_status_code", Gauge, [],
        "HTTP status of the response to the Upgrade request (101 expected; 0 when none came).";
    Upgraded = "probe_websocket_connection_upgraded", Gauge, [],
        "1 when the server answered 101 and the handshake met RFC 6455, else 0.";
    Failed = "probe_websocket_failed", Gauge, ["layer"],
        "One series per check layer: 1 for the first failing layer (the one whose exit code check would return), else 0.";
    CauseInfo = "probe_websocket_cause_info", Gauge, ["cause", "layer", "severity"],
        "One series (value 1) per cause the check reported, by catalog id (wsdoctor explain ID tells the fix).";
    ExitCode = "probe_websocket_exit_code", Gauge, [],
        "The exit code wsdoctor check would return for this target (0 ok, 1 warnings, 10-18 the failing layer).";
    MessageRtt = "probe_websocket_message_rtt_seconds", Gauge, [],
        "Time from sending the probe message to its echo (or to any message with expect), in seconds; absent when none came.";
    PingRtt = "probe_websocket_ping_rtt_seconds", Gauge, [],
        "Ping to pong round trip, in seconds; absent when no pong came.";
    CloseCode = "probe_websocket_close_code", Gauge, [],
        "Close code the session ended with: the server's close code, 1006 when TCP ended without a close frame; absent when the session was not reached.";
    SslEarliestExpiry = "probe_ssl_earliest_cert_expiry", Gauge, [],
        "Unix time at which the first certificate of the chain the server sent expires; exported even when the certificate is invalid.";
    SslLeafExpiry = "probe_websocket_ssl_leaf_cert_expiry", Gauge, [],
        "Unix time at which the server's own (leaf) certificate expires; exported even when it is invalid.";
    SslChainLength = "probe_websocket_ssl_chain_certificates", Gauge, [],
        "Number of certificates the server sent.";
    SslCertValid = "probe_websocket_ssl_cert_valid", Gauge, [],
        "1 when the certificate chain passed every check, 0 when a problem was found (see probe_websocket_ssl_cert_problem).";
    SslCertProblem = "probe_websocket_ssl_cert_problem", Gauge, ["problem"],
        "One series (value 1) per certificate problem found: expired, not-yet-valid, hostname-mismatch, unknown-issuer, self-signed, incomplete-chain, interception-suspected, other.";
    TlsVersion = "probe_tls_version_info", Gauge, ["version"],
        "The negotiated TLS version (value 1).";
    // ── the exporter itself (GET /metrics) ───────────────────────────────────
    BuildInfo = "wsdoctor_serve_build_info", Gauge, ["version"],
        "The wsdoctor version serving (value 1).";
    Probes = "wsdoctor_serve_probes_total", Counter, ["module", "result"],
        "Probes run, by module and result (success or failure).";
    Rejected = "wsdoctor_serve_requests_rejected_total", Counter, ["reason"],
        "Requests answered without a probe: bad-request (400), forbidden (403, allow-list), busy (503, concurrency limit), not-found (404).";
    InFlight = "wsdoctor_serve_probes_in_flight", Gauge, [],
        "Probes running now.";
    ConcurrencyLimit = "wsdoctor_serve_probe_concurrency_limit", Gauge, [],
        "The most probes that run at once (--max-concurrent); more wait up to their deadline, then get 503.";
    TargetSuccess = "wsdoctor_serve_target_success", Gauge, ["target", "module"],
        "Last result of each target in the config file, probed on its interval: 1 passed, 0 failed.";
    TargetLastProbe = "wsdoctor_serve_target_last_probe_timestamp_seconds", Gauge, ["target", "module"],
        "Unix time of the last scheduled probe of each target in the config file.";
    ConfigReloads = "wsdoctor_serve_config_reloads_total", Counter, ["result"],
        "Config reloads (/-/reload or SIGHUP), by result (success or failure; a failed reload keeps the old config).";
    ResidentMemory = "process_resident_memory_bytes", Gauge, [],
        "Resident memory size in bytes.";
    StartTime = "process_start_time_seconds", Gauge, [],
        "Start time of the process since the Unix epoch, in seconds.";
}

impl Metric {
    pub fn def(self) -> &'static MetricDef {
        // The table is generated in enum order by the same macro, so the discriminant
        // is the index; `table_is_in_enum_order` pins it.
        let def = &METRICS[self as usize];
        debug_assert_eq!(def.metric, self);
        def
    }
}

/// Samples grouped by metric, written in table order with one HELP and TYPE each.
#[derive(Default)]
pub struct Exposition {
    families: BTreeMap<Metric, Vec<String>>,
}

impl Exposition {
    /// One sample. `labels` are values in the order of the table's label names.
    pub fn sample(&mut self, metric: Metric, labels: &[&str], value: f64) {
        let def = metric.def();
        debug_assert_eq!(def.labels.len(), labels.len(), "{}", def.name);
        let mut line = String::from(def.name);
        if !labels.is_empty() {
            line.push('{');
            for (i, (name, value)) in def.labels.iter().zip(labels).enumerate() {
                if i > 0 {
                    line.push(',');
                }
                let _ = write!(line, "{name}=\"{}\"", escape_label(value));
            }
            line.push('}');
        }
        let _ = write!(line, " {}", number(value));
        self.families.entry(metric).or_default().push(line);
    }

    /// A family announced with no sample yet (counters before their first event).
    pub fn declare(&mut self, metric: Metric) {
        self.families.entry(metric).or_default();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for (metric, lines) in &self.families {
            let def = metric.def();
            let _ = writeln!(out, "# HELP {} {}", def.name, def.help);
            let _ = writeln!(out, "# TYPE {} {}", def.name, def.kind.as_str());
            for l in lines {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }
}

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else if v == 0.0 {
        // An empty f64 sum is -0.0; Prometheus reads both alike, people should not see "-0".
        "0".into()
    } else if v.fract() == 0.0 {
        // Display never uses an exponent and prints integers without a fraction.
        format!("{v}")
    } else {
        // Nanoseconds are the finest any value here is measured in; more digits are
        // the noise of ms / 1000 (0.0006356660000000001).
        let t = format!("{v:.9}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_enum_order_and_names_are_unique() {
        for (i, d) in METRICS.iter().enumerate() {
            assert_eq!(d.metric as usize, i, "{}", d.name);
        }
        let mut names: Vec<_> = METRICS.iter().map(|d| d.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), METRICS.len());
    }

    #[test]
    fn counters_end_in_total_and_names_are_prometheus_names() {
        for d in METRICS {
            assert_eq!(
                d.kind == Kind::Counter,
                d.name.ends_with("_total"),
                "{}",
                d.name
            );
            assert!(
                d.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                d.name
            );
        }
    }

    /// The README's metrics table is this table, row for row: a metric added, renamed
    /// or re-described without the README following fails here (and prints the rows).
    #[test]
    fn readme_metrics_table_is_this_table() {
        let rows: Vec<String> = METRICS
            .iter()
            .map(|d| {
                let labels = d
                    .labels
                    .iter()
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "| `{}` | {} | {labels} | {} |",
                    d.name,
                    d.kind.as_str(),
                    d.help.replace('|', "\\|")
                )
            })
            .collect();
        let readme = include_str!("../../../../../README.md");
        let start = readme
            .find("| metric | type | labels | meaning |")
            .expect("README has the serve metrics table");
        let documented: Vec<&str> = readme[start..]
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        assert_eq!(
            documented,
            rows,
            "README metrics table:\n{}",
            rows.join("\n")
        );
    }

    #[test]
    fn samples_are_grouped_by_family_and_labels_escaped() {
        let mut e = Exposition::default();
        e.sample(Metric::Failed, &["tcp"], 1.0);
        e.sample(Metric::ProbeSuccess, &[], 0.0);
        e.sample(Metric::Failed, &["tls"], 0.0);
        e.sample(Metric::TlsVersion, &["a\"b\\c\nd"], 1.0);
        let text = e.render();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            lines,
            [
                "probe_success 0",
                "probe_websocket_failed{layer=\"tcp\"} 1",
                "probe_websocket_failed{layer=\"tls\"} 0",
                "probe_tls_version_info{version=\"a\\\"b\\\\c\\nd\"} 1",
            ]
        );
        assert_eq!(
            text.matches("# TYPE probe_websocket_failed gauge").count(),
            1
        );
        assert_eq!(number(0.0015), "0.0015");
        assert_eq!(number(1.7e9), "1700000000");
        assert_eq!(number(0.635666 / 1000.0), "0.000635666");
        assert_eq!(number(1_796_308_938.896173), "1796308938.896173");
    }
}
