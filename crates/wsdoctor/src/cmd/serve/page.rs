//! The status page at `/`: each configured target's last result and the latest
//! `/probe` requests, with the failing layer, the catalog cause and its fix, and a
//! waterfall of the layers' times. Plain HTML and CSS; it refreshes itself with a
//! meta tag, so no script runs.
//!
//! A `Record` keeps only what the page shows, so the history stays small however
//! large the reports were. Every string passes the output redaction and HTML escaping.

use super::config::Target;
use crate::render;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wsdoctor_core::report::PhaseStatus;
use wsdoctor_core::{Layer, Report, Verdict};

/// Findings kept per probe.
const FINDINGS: usize = 6;
/// How often the page reloads itself, in seconds.
const REFRESH_S: u32 = 15;

/// What the page shows of one probe.
#[derive(Debug)]
pub struct Record {
    pub target: String,
    pub module: String,
    /// Unix seconds.
    pub at: i64,
    pub ms: f64,
    pub verdict: Verdict,
    pub exit_code: i32,
    pub failing: Option<Layer>,
    pub phases: Vec<(Layer, PhaseStatus, Option<f64>)>,
    pub findings: Vec<Row>,
}

/// One finding as shown.
#[derive(Debug)]
pub struct Row {
    pub id: &'static str,
    pub severity: &'static str,
    pub title: String,
    pub detail: String,
    pub fix: String,
}

impl Record {
    pub fn new(r: &Report, module: &str, at: f64, took: Duration) -> Record {
        Record::keeping(r, module, at, took, FINDINGS)
    }

    /// A record that keeps up to `findings` findings (the status page keeps a few per
    /// probe; a one-check report keeps them all).
    fn keeping(r: &Report, module: &str, at: f64, took: Duration, findings: usize) -> Record {
        let shown = |s: &str| render::shown::line(s, false, false);
        let target = if r.target.is_empty() {
            &r.evidence.url.input
        } else {
            &r.target
        };
        Record {
            target: shown(target),
            module: module.to_string(),
            at: at as i64,
            ms: took.as_secs_f64() * 1000.0,
            verdict: r.verdict,
            exit_code: r.exit_code(),
            failing: r.failing_layer(),
            phases: r.phases.iter().map(|p| (p.layer, p.status, p.ms)).collect(),
            findings: r
                .findings
                .iter()
                .take(findings)
                .map(|f| Row {
                    id: f.id.as_str(),
                    severity: f.severity.as_str(),
                    title: shown(&f.title),
                    detail: shown(&f.detail),
                    fix: shown(&f.fix),
                })
                .collect(),
        }
    }

    /// The first finding at the worst severity: the one to act on.
    fn headline(&self) -> Option<&Row> {
        ["error", "warning", "info"]
            .iter()
            .find_map(|s| self.findings.iter().find(|f| f.severity == *s))
    }
}

/// Everything the page needs, copied out of the server's state.
pub struct Data {
    pub targets: Vec<(Target, Option<Arc<Record>>)>,
    pub recent: Vec<Arc<Record>>,
    pub config: Option<PathBuf>,
    pub modules: String,
}

pub fn render(d: &Data) -> String {
    let mut h = head(
        "wsdoctor serve",
        &format!("<meta http-equiv=\"refresh\" content=\"{REFRESH_S}\">"),
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">config: {} · modules: {} · \
         <a href=\"/metrics\">/metrics</a> · probe: <code>/probe?target=URL&amp;module=NAME</code></p>",
        d.config
            .as_ref()
            .map_or("none (the default module only)".into(), |p| esc(&p
                .display()
                .to_string())),
        esc(&d.modules),
    );
    h.push_str("<h2>Targets</h2>\n");
    if d.targets.is_empty() {
        h.push_str("<p class=\"none\">No targets in the config file: Prometheus drives the probes through /probe.</p>\n");
    } else {
        table(
            &mut h,
            d.targets
                .iter()
                .map(|(t, r)| (t.url.as_str(), t.module.as_str(), r.as_deref())),
        );
    }
    h.push_str("<h2>Latest /probe requests</h2>\n");
    if d.recent.is_empty() {
        h.push_str("<p class=\"none\">None yet.</p>\n");
    } else {
        table(
            &mut h,
            d.recent
                .iter()
                .map(|r| (r.target.as_str(), r.module.as_str(), Some(&**r))),
        );
    }
    h.push_str("</body></html>\n");
    h
}

/// The document's start: title, style, the heading; `extra` goes in the head.
fn head(title: &str, extra: &str) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{extra}\
         <title>{t}</title><style>{CSS}</style></head><body>\n<h1>{t}</h1>\n",
        t = esc(title)
    );
    h
}

/// `wsdoctor check --report FILE`: one check in the status page's layout (the same
/// row, waterfall and headline), then every finding with its detail and fix. No
/// refresh, no script: a file to attach to a ticket.
pub fn single(r: &Report, at: f64, took: Duration) -> String {
    let record = Record::keeping(r, "check", at, took, usize::MAX);
    let mut h = head("wsdoctor check", "");
    let _ = writeln!(
        h,
        "<p class=\"meta\">checked {} · wsdoctor {}</p>",
        esc(&wsdoctor_core::dates::utc(record.at)),
        env!("CARGO_PKG_VERSION")
    );
    h.push_str("<h2>Result</h2>\n");
    table(
        &mut h,
        std::iter::once((
            record.target.as_str(),
            record.module.as_str(),
            Some(&record),
        )),
    );
    h.push_str("<h2>Findings</h2>\n");
    if record.findings.is_empty() {
        h.push_str("<p class=\"none\">No findings: every layer passed.</p>\n");
    } else {
        h.push_str("<ol class=\"findings\">\n");
        for f in &record.findings {
            let _ = writeln!(
                h,
                "<li class=\"{sev}\" id=\"finding-{id}\"><b>{title}</b> <code>{id}</code> \
                 <small>{sev}</small><br>{detail}<br><span class=\"fix\">fix: {fix}</span></li>",
                sev = esc(f.severity),
                id = esc(f.id),
                title = esc(&f.title),
                detail = esc(&f.detail),
                fix = esc(&f.fix),
            );
        }
        h.push_str("</ol>\n");
    }
    h.push_str("</body></html>\n");
    h
}

fn table<'a>(h: &mut String, rows: impl Iterator<Item = (&'a str, &'a str, Option<&'a Record>)>) {
    h.push_str(
        "<table><thead><tr><th>target</th><th>module</th><th>result</th><th>layers</th>\
         <th>cause and fix</th><th>when</th></tr></thead><tbody>\n",
    );
    for (url, module, record) in rows {
        let _ = write!(
            h,
            "<tr><td class=\"url\">{}</td><td>{}</td>",
            esc(&render::shown::line(url, false, false)),
            esc(module)
        );
        match record {
            None => {
                h.push_str("<td class=\"pending\">pending</td><td></td><td></td><td></td></tr>\n")
            }
            Some(r) => row(h, r),
        }
    }
    h.push_str("</tbody></table>\n");
}

fn row(h: &mut String, r: &Record) {
    let (class, word) = match r.verdict {
        Verdict::Ok => ("ok", "ok".to_string()),
        Verdict::Warning => ("warning", "warning".to_string()),
        Verdict::Failed => (
            "failed",
            match r.failing {
                Some(l) => format!("failed at {l}"),
                None => "failed".to_string(),
            },
        ),
    };
    let _ = write!(
        h,
        "<td class=\"{class}\">{word}<br><small>exit {} · {}</small></td><td>",
        r.exit_code,
        esc(&render::human::duration(r.ms))
    );
    waterfall(h, r);
    h.push_str("</td><td>");
    match r.headline() {
        Some(f) => {
            let _ = write!(
                h,
                "<b>{}</b> <code>{}</code><br>{}<br><span class=\"fix\">fix: {}</span>",
                esc(&f.title),
                esc(f.id),
                esc(&f.detail),
                esc(&f.fix)
            );
            let more: Vec<&str> = r
                .findings
                .iter()
                .filter(|o| !std::ptr::eq(*o, f))
                .map(|o| o.id)
                .collect();
            if !more.is_empty() {
                let _ = write!(h, "<br><small>also: {}</small>", esc(&more.join(", ")));
            }
        }
        None => h.push_str("no finding"),
    }
    let _ = writeln!(
        h,
        "</td><td><small>{}</small></td></tr>",
        esc(&wsdoctor_core::dates::utc(r.at))
    );
}

/// One bar per layer, placed where it started and as long as it took.
fn waterfall(h: &mut String, r: &Record) {
    let total: f64 = r.phases.iter().filter_map(|p| p.2).sum::<f64>().max(0.001);
    let mut at = 0.0;
    h.push_str("<div class=\"wf\">");
    for (layer, status, ms) in &r.phases {
        let ms_v = ms.unwrap_or(0.0);
        let left = at / total * 100.0;
        let width = (ms_v / total * 100.0).max(0.5);
        let time = ms.map(render::human::duration).unwrap_or_default();
        let _ = write!(
            h,
            "<div class=\"ph\"><span class=\"ln\">{layer}</span><span class=\"track\">\
             <span class=\"bar {}\" style=\"left:{left:.1}%;width:{width:.1}%\"></span></span>\
             <span class=\"t\">{} {}</span></div>",
            status.as_str(),
            status.as_str(),
            esc(&time)
        );
        at += ms_v;
    }
    h.push_str("</div>");
}

/// HTML text and attribute escaping.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.4em;margin:0}h2{font-size:1.1em;margin-top:1.5em}.meta{color:#555}\
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.4em;\
vertical-align:top;text-align:left}.url{font-family:monospace;word-break:break-all;max-width:22em}\
td.ok{color:#176f2c;font-weight:bold}td.warning{color:#8a6100;font-weight:bold}\
td.failed{color:#b00020;font-weight:bold}td.pending,.none{color:#777}.fix{color:#0b4f8a}\
.wf{min-width:16em}.ph{display:flex;align-items:center;gap:.4em;font-size:12px}\
.ln{width:5.5em}.track{position:relative;flex:1;height:.8em;background:#f2f2f2}\
.bar{position:absolute;top:0;bottom:0}.bar.ok{background:#3a9d5d}.bar.warning{background:#e0a800}\
.bar.failed{background:#d23}.bar.skipped{background:transparent}.t{width:8em;color:#555}";

#[cfg(test)]
mod tests {
    use super::*;
    use wsdoctor_core::CauseId;
    use wsdoctor_core::evidence::Evidence;

    #[test]
    fn a_failed_target_shows_its_layer_cause_and_fix_escaped() {
        let mut ev = Evidence::default();
        ev.url.effective = "ws://127.0.0.1:1/<x>?token=hunter2".into();
        let report = Report::new(
            ev,
            vec![wsdoctor_core::Finding::new(
                CauseId::TcpRefused,
                "refused <here>",
            )],
        );
        let record = Record::new(
            &report,
            "default",
            1_700_000_000.0,
            Duration::from_millis(3),
        );
        let page = render(&Data {
            targets: Vec::new(),
            recent: vec![Arc::new(record)],
            config: None,
            modules: "default".into(),
        });
        assert!(page.contains("failed at tcp"), "{page}");
        assert!(page.contains("<code>tcp-refused</code>"));
        assert!(page.contains(&esc(CauseId::TcpRefused.cause().fix)));
        assert!(page.contains("refused &lt;here&gt;"));
        assert!(!page.contains("<here>") && !page.contains("<x>"));
        assert!(
            !page.contains("hunter2"),
            "secrets are redacted on the page"
        );
        assert!(!page.contains("<script"));
    }
}
