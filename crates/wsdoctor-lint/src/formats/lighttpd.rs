//! lighttpd: `key = value` settings (values are strings, numbers and `( … )` lists)
//! inside nested conditionals (`$HTTP["url"] =~ "^/ws" { … }`). mod_proxy passes a
//! WebSocket on only when told: `proxy.header = ( "upgrade" => "enable" )` (lighttpd
//! wiki, Docs_ModProxy: "upgrade" — "enable HTTP/1.1 Upgrade, e.g. websockets",
//! default disabled; since 1.4.46). A conditional inherits the settings of the blocks
//! around it, and its own `proxy.header` replaces theirs. `wstunnel.server`
//! (mod_wstunnel) terminates WebSockets itself and is not a proxy route.

use super::Ctx;
use crate::finding::{LintFinding, RuleId};
use wsdoctor_core::Severity;

/// One setting: its key, operator, value text, line, and the blocks around it
/// (outermost first, as indexes into the list of blocks).
struct Setting {
    key: String,
    value: String,
    line: usize,
    scope: Vec<usize>,
}

pub(crate) fn lint(ctx: &mut Ctx, name: &str, text: &str) {
    let settings = match parse(text) {
        Ok(s) => s,
        Err((line, msg)) => {
            ctx.error(name, Some(line), msg);
            return;
        }
    };
    for s in settings.iter().filter(|s| s.key == "proxy.server") {
        // The nearest proxy.header (or wstunnel.server) in this block or around it.
        let around = |k: &str| {
            settings
                .iter()
                .filter(|x| x.key == k && s.scope.starts_with(&x.scope))
                .max_by_key(|x| x.scope.len())
        };
        if around("wstunnel.server").is_some() {
            continue;
        }
        let header = around("proxy.header");
        if header.is_some_and(|h| enables_upgrade(&h.value)) {
            continue;
        }
        let detail = match header {
            Some(h) => format!(
                "proxy.header on line {} does not enable \"upgrade\", so mod_proxy drops the Upgrade and the backend gets a plain request (every proxied route is judged: a WebSocket needs it wherever it is proxied)",
                h.line
            ),
            None => "proxy.server without proxy.header = ( \"upgrade\" => \"enable\" ): mod_proxy does not pass HTTP Upgrade on by default, so the backend gets a plain request and the WebSocket handshake fails (every proxied route is judged: a WebSocket needs it wherever it is proxied)".to_string(),
        };
        let mut f = LintFinding::new(RuleId::LighttpdUpgradeNotEnabled, name, s.line, detail)
            .severity(Severity::Warning)
            .fix("Enable Upgrade for the proxied route (lighttpd 1.4.46+).")
            .replace_with(["proxy.header = ( \"upgrade\" => \"enable\" )"]);
        if let Some(h) = header {
            f = f.quote(name, h.line);
        }
        ctx.push(f);
    }
}

/// `"upgrade" => "enable"` in a `proxy.header` list (spaces and case ignored).
fn enables_upgrade(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    v.contains("\"upgrade\"=>\"enable\"")
}

type ParseError = (usize, String);

/// Settings with their scopes. Comments (`#` outside strings) are dropped; a value
/// runs until its parentheses close; `{` opens a conditional, `}` closes it.
fn parse(text: &str) -> Result<Vec<Setting>, ParseError> {
    let mut out = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut blocks = 0usize;
    let mut pending: Option<Setting> = None;
    let mut depth = 0i32;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw);
        let t = line.trim();
        if let Some(p) = pending.as_mut() {
            p.value.push(' ');
            p.value.push_str(t);
            depth += parens(t);
            if depth <= 0 {
                out.extend(pending.take());
            }
            continue;
        }
        if t.is_empty() {
            continue;
        }
        if t.starts_with('}') {
            if stack.pop().is_none() {
                return Err((i + 1, "\"}\" closes a block that was never opened".into()));
            }
            // `} else $HTTP[…] {` or `} else {`
            if t.ends_with('{') {
                blocks += 1;
                stack.push(blocks);
            }
            continue;
        }
        if t.ends_with('{') {
            if stack.len() >= 64 {
                return Err((i + 1, "conditionals nested more than 64 deep".into()));
            }
            blocks += 1;
            stack.push(blocks);
            continue;
        }
        let Some((key, value)) = t
            .split_once("+=")
            .or_else(|| t.split_once(":="))
            .or_else(|| t.split_once('='))
        else {
            continue;
        };
        let s = Setting {
            key: key.trim().to_ascii_lowercase(),
            value: value.trim().to_string(),
            line: i + 1,
            scope: stack.clone(),
        };
        depth = parens(value);
        if depth > 0 {
            pending = Some(s);
        } else {
            out.push(s);
        }
    }
    if let Some(p) = pending {
        return Err((
            p.line,
            format!("the value of {} is never closed with \")\"", p.key),
        ));
    }
    if !stack.is_empty() {
        return Err((
            text.lines().count(),
            "a conditional block is never closed".into(),
        ));
    }
    Ok(out)
}

/// The text before a `#` that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Open minus closed parentheses outside strings.
fn parens(text: &str) -> i32 {
    let mut quoted = false;
    let mut n = 0;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => n += 1,
            ')' if !quoted => n -= 1,
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use crate::{Options, RuleId, lint_text};

    /// Each variant checked against lighttpd's documented syntax (not run: lighttpd
    /// is not installed here).
    #[test]
    fn proxy_routes_need_upgrade_enabled() {
        let conf = "server.modules += ( \"mod_proxy\" )\n$HTTP[\"url\"] =~ \"^/ws\" {\n  proxy.server = ( \"\" => ((\n    \"host\" => \"127.0.0.1\",\n    \"port\" => 8080\n  )))\n}\n";
        let r = lint_text("lighttpd.conf", conf, &Options::default());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.rules(), [RuleId::LighttpdUpgradeNotEnabled]);
        assert_eq!(
            (r.findings[0].line, r.findings[0].id().as_str()),
            (3, "proxy-upgrade-not-forwarded")
        );
        // Enabled in the block, or globally (inherited by the conditional).
        let inside = conf.replace(
            "  proxy.server",
            "  proxy.header = ( \"upgrade\" => \"enable\" )\n  proxy.server",
        );
        assert!(
            lint_text("lighttpd.conf", &inside, &Options::default())
                .findings
                .is_empty()
        );
        let global = format!("proxy.header = (\"upgrade\"=>\"enable\") # for websockets\n{conf}");
        assert!(
            lint_text("lighttpd.conf", &global, &Options::default())
                .findings
                .is_empty()
        );
        // A proxy.header of its own replaces the outer one.
        let replaced = format!(
            "proxy.header = ( \"upgrade\" => \"enable\" )\n{}",
            conf.replace(
                "  proxy.server",
                "  proxy.header = ( \"map-urlpath\" => ( \"/ws\" => \"/\" ) )\n  proxy.server"
            )
        );
        let r = lint_text("lighttpd.conf", &replaced, &Options::default());
        assert_eq!(r.rules(), [RuleId::LighttpdUpgradeNotEnabled]);
        assert!(r.findings[0].finding.detail.contains("does not enable"));
        // No proxy route: nothing to judge.
        let none = "$HTTP[\"host\"] == \"a.example\" {\n  proxy.header = ( \"upgrade\" => \"enable\" )\n}\n";
        assert!(
            lint_text("lighttpd.conf", none, &Options::default())
                .findings
                .is_empty()
        );
        // Unbalanced input gets a line and a reason.
        let r = lint_text(
            "lighttpd.conf",
            "$HTTP[\"url\"] =~ \"^/\" {\n",
            &Options::default(),
        );
        assert_eq!(r.errors.len(), 1);
    }
}
