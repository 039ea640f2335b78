//! The result of a scan, as data: what `wsdoctor logs` prints and its JSON contract
//! (schema `wsdoctor.logs/1`; fields are only ever added).

use super::Scanner;
use super::aggregate::{Capped, CauseStats, Example, Mark, Seen};
use super::sessions::{Burst, Cluster};
use super::timestamp::Ts;
use serde::Serialize;
use std::collections::BTreeMap;
use wsdoctor_core::{Blame, CauseId, Layer, Severity};

pub const SCHEMA: &str = "wsdoctor.logs/1";

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct LogReport {
    pub schema: &'static str,
    pub files: Vec<FileSummary>,
    /// Causes found, worst and most frequent first.
    pub findings: Vec<LogFinding>,
    pub sessions: SessionSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub har: Option<HarSummary>,
    /// Lines with generic wording (an errno, a 502) on request paths not known to carry
    /// WebSockets (by name, `--ws-path`, or a 101 anywhere in the logs).
    pub ignored_lines: u64,
    /// Lines longer than the read buffer, looked at only in part.
    pub long_lines: u64,
    /// Files that could not be read, or were read only in part (a truncated gzip, a
    /// UTF-16 log): the rest of the report stands on the others.
    pub errors: Vec<FileError>,
}

/// A file that cost only itself: what went wrong, in words that say what to do.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct FileError {
    pub path: String,
    pub message: String,
}

impl LogReport {
    /// Findings that need attention (warnings and errors, not informational ones).
    pub fn has_problems(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity >= Severity::Warning)
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct FileSummary {
    pub path: String,
    /// The format judged from the content (or forced with `--format`): nginx-error,
    /// access (combined, Apache, Traefik CLF), ingress-nginx, envoy, nginx:NAME (a
    /// `log_format` of `--nginx-conf`), log-format (`--log-format`), haproxy, aws-alb,
    /// caddy, traefik-json, cloudflare, json-access, json (application logs),
    /// apache-error, har, text, mixed or empty.
    pub format: String,
    /// The container wrapper taken off each line: cri (Kubernetes) or docker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrapper: Option<&'static str>,
    pub compressed: bool,
    /// Bytes read from the file (compressed size for gzip).
    pub bytes: u64,
    pub lines: u64,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct LogFinding {
    pub id: CauseId,
    pub layer: Layer,
    pub severity: Severity,
    /// Who has to change something (the catalog's blame: client, server or path).
    pub blame: Blame,
    pub title: &'static str,
    pub fix: &'static str,
    /// Occurrences: matching lines, HAR entries, sessions in a duration cluster.
    pub count: u64,
    pub first_seen: Option<Seen>,
    pub last_seen: Option<Seen>,
    /// Request paths and URLs affected (secrets redacted).
    pub urls: Capped,
    /// Backends named by the proxy (nginx upstream, HAProxy backend/server, Apache).
    pub upstreams: Capped,
    pub examples: Vec<Example>,
    /// How the occurrences were recognised: rule names, `access-502`, `haproxy-cD`,
    /// `duration-cluster`, `har-status`.
    pub signatures: BTreeMap<&'static str, u64>,
    /// Other causes the same wording can have, most common first.
    pub alternatives: Vec<CauseId>,
    /// Idle timeouts read from session durations (proxy-idle-timeout only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeouts: Vec<Cluster>,
    /// Minutes with many of these on WebSocket paths (502/504 only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bursts: Vec<Burst>,
}

#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct SessionSummary {
    /// Upgraded connections seen (101 in access or HAProxy logs, HAR entries).
    pub upgraded: u64,
    /// Of those, how many carried a duration.
    pub with_duration: u64,
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
    /// Durations at which sessions pile up.
    pub timeouts: Vec<Cluster>,
}

#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct HarSummary {
    pub entries: u64,
    pub websockets: u64,
    pub upgraded: u64,
    pub failed: u64,
    pub messages_sent: u64,
    pub messages_received: u64,
    /// Upgraded sessions whose export holds a close frame; the others' end is not
    /// recorded by the browser.
    pub closed_with_frame: u64,
}

pub(super) fn build(mut s: Scanner) -> LogReport {
    let names: Vec<String> = s.files.iter().map(|f| f.path.clone()).collect();
    let max_examples = s.opts.max_examples;
    let clusters = s.durations.clusters();
    let mut timeouts = Vec::new();
    for (cluster, origins) in &clusters {
        let st = s.stats(CauseId::ProxyIdleTimeout);
        // Sessions whose own line said idle cut (HAProxy cD) are counted once, there.
        let fresh = cluster.sessions.saturating_sub(cluster.counted);
        if fresh > 0 {
            st.count += fresh;
            *st.signatures.entry("duration-cluster").or_insert(0) += fresh;
        }
        for o in origins {
            if st.first.is_none() {
                st.first = Some(Mark {
                    file: o.file,
                    line: o.line,
                    time: None,
                });
            }
            if st.examples.len() < max_examples {
                st.examples.push(Example {
                    file_index: o.file,
                    file: String::new(),
                    line: o.line,
                    text: o.text.clone(),
                });
            }
        }
        timeouts.push(cluster.clone());
    }
    let bursts: BTreeMap<CauseId, Vec<Burst>> = s
        .bursts
        .iter()
        .map(|(id, b)| {
            (
                *id,
                b.bursts(|epoch| {
                    Ts {
                        epoch,
                        millis: 0,
                        offset_min: None,
                    }
                    .to_string()
                }),
            )
        })
        .collect();
    let seen = |m: Option<Mark>| {
        m.map(|m| Seen {
            file: names.get(m.file as usize).cloned().unwrap_or_default(),
            line: m.line,
            time: m.time,
        })
    };
    let findings_map = std::mem::take(&mut s.findings);
    let mut findings: Vec<LogFinding> = findings_map
        .into_iter()
        .map(|(id, st): (CauseId, CauseStats)| {
            let c = id.cause();
            let mut examples = st.examples;
            for e in &mut examples {
                e.file = names
                    .get(e.file_index as usize)
                    .cloned()
                    .unwrap_or_default();
            }
            LogFinding {
                id,
                layer: c.layer,
                severity: c.severity,
                blame: c.blame,
                title: c.title,
                fix: c.fix,
                count: st.count,
                first_seen: seen(st.first),
                last_seen: seen(st.last),
                urls: st.urls,
                upstreams: st.upstreams,
                examples,
                signatures: st.signatures,
                alternatives: s.alternatives.get(&id).cloned().unwrap_or_default(),
                timeouts: if id == CauseId::ProxyIdleTimeout {
                    timeouts.clone()
                } else {
                    Vec::new()
                },
                bursts: bursts.get(&id).cloned().unwrap_or_default(),
            }
        })
        .collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.count.cmp(&a.count))
            .then(a.id.cmp(&b.id))
    });
    let has_har = s.files.iter().any(|f| f.format == "har");
    LogReport {
        schema: SCHEMA,
        sessions: SessionSummary {
            upgraded: s.upgraded,
            with_duration: s.durations.count,
            median_seconds: s.durations.quantile(0.5),
            p90_seconds: s.durations.quantile(0.9),
            timeouts,
        },
        files: s.files,
        findings,
        har: has_har.then_some(s.har),
        ignored_lines: s.ignored,
        long_lines: s.long_lines,
        errors: s.errors,
    }
}
