//! Traefik static configuration (YAML or TOML): entry points proxy WebSockets by
//! default, and their `respondingTimeouts` are what cut them. The idle timeout (180 s
//! by default) is re-armed by traffic; users report WebSockets cut at exactly these
//! values, so a value at or below the ping interval is a warning. Defaults are not
//! reported: Traefik's behaviour there is not established well enough to accuse it.

use super::tree::{self, Node};
use super::{Ctx, Idle, duration_ms, human_ms};
use crate::finding::LintFinding;
use wsdoctor_core::Severity;

pub(crate) fn lint(ctx: &mut Ctx, name: &str, text: &str) {
    let toml = name.to_ascii_lowercase().ends_with(".toml") || text.trim_start().starts_with('[');
    let docs = if toml {
        tree::parse_toml(text).map(|d| vec![d])
    } else {
        tree::parse_yaml(text)
    };
    let docs = match docs {
        Ok(d) => d,
        Err(e) => {
            ctx.tree_error(name, if toml { "TOML" } else { "YAML" }, e);
            return;
        }
    };
    for doc in &docs {
        // Keys are case-insensitive in Traefik's static configuration.
        let Some(eps) = get_ci(doc, "entryPoints") else {
            continue;
        };
        for (ep, _, node) in eps.entries() {
            let Some(rt) = get_ci(node, "transport").and_then(|t| get_ci(t, "respondingTimeouts"))
            else {
                continue;
            };
            for key in ["readTimeout", "writeTimeout", "idleTimeout"] {
                check(ctx, name, ep, rt, key);
            }
        }
    }
}

fn get_ci<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    n.entries()
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, _, v)| v)
}

fn check(ctx: &mut Ctx, file: &str, ep: &str, rt: &Node, key: &str) {
    let Some((_, line, v)) = rt
        .entries()
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
    else {
        return;
    };
    let Some(text) = v.str() else {
        return;
    };
    // A bare number is seconds in Traefik.
    let Some(ms) = duration_ms(text, 1000) else {
        return;
    };
    if matches!(ctx.idle(ms), Idle::Fine) {
        return;
    }
    // Traefik 3.7 was run with readTimeout, writeTimeout and idleTimeout of 3 s in
    // front of a WebSocket held idle for 8 s: none cut it (an upgraded connection is
    // hijacked from the HTTP server that enforces them). Older versions were
    // reported to, so it is a note.
    let f = LintFinding::new(
        "traefik/responding-timeout",
        file,
        *line,
        format!(
            "entry point {ep} {key} {text} ({}) is short; Traefik 3 does not apply it to upgraded WebSocket connections (checked on 3.7), but Traefik 2 users reported WebSockets cut at this value",
            human_ms(ms)
        ),
    )
    .severity(Severity::Info)
    .fix("Raise the entry point's respondingTimeouts above the application's ping interval (0 disables read/write timeouts).")
    .replace_with([format!("{key}: 3600s")]);
    ctx.push(f);
}

#[cfg(test)]
mod tests {
    use crate::{Format, Options, lint_text};
    use wsdoctor_core::Severity;

    fn opts() -> Options {
        Options {
            input_format: Some(Format::Traefik),
            ..Options::default()
        }
    }

    #[test]
    fn yaml_and_toml_timeouts() {
        let yaml = "entryPoints:\n  web:\n    address: \":80\"\n    transport:\n      respondingTimeouts:\n        readTimeout: 10s\n        idleTimeout: 180\n";
        let r = lint_text("traefik.yml", yaml, &opts());
        assert_eq!(r.rules(), ["traefik/responding-timeout"; 2]);
        assert_eq!(r.findings[0].line, 6);
        // Traefik 3 does not apply them to upgraded connections: notes only.
        assert!(
            r.findings
                .iter()
                .all(|f| f.finding.severity == Severity::Info)
        );
        let toml = "[entryPoints.web]\n  address = \":80\"\n  [entryPoints.web.transport.respondingTimeouts]\n    readTimeout = \"0s\"\n    idleTimeout = 20\n";
        let r = lint_text("traefik.toml", toml, &opts());
        assert_eq!(r.rules(), ["traefik/responding-timeout"]);
        assert_eq!(r.findings[0].line, 5);
        let fixed = "entryPoints:\n  web:\n    transport:\n      respondingTimeouts:\n        readTimeout: 0\n        idleTimeout: 3600s\n";
        assert!(lint_text("traefik.yml", fixed, &opts()).findings.is_empty());
        let r = lint_text("traefik.toml", "[entryPoints\n", &opts());
        assert_eq!(r.errors[0].line, Some(1));
    }
}
