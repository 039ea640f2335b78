//! Caddy (Caddyfile): `reverse_proxy` proxies WebSockets by default and has no idle
//! cut after the upgrade; what cuts them is `stream_timeout`, which closes streams a
//! fixed time after they opened, busy or not.

use super::{Ctx, duration_ms, human_ms};
use crate::finding::LintFinding;

/// A Caddyfile line split into tokens, with its block when it opens one.
#[derive(Debug)]
struct Entry {
    tokens: Vec<String>,
    line: usize,
    block: Vec<Entry>,
}

pub(crate) fn lint(ctx: &mut Ctx, name: &str, text: &str) {
    let entries = match parse(text) {
        Ok(e) => e,
        Err((line, msg)) => {
            ctx.error(name, Some(line), msg);
            return;
        }
    };
    let mut proxies = Vec::new();
    collect(&entries, &mut proxies);
    for p in proxies {
        let Some(st) = p.block.iter().find(|e| e.tokens[0] == "stream_timeout") else {
            continue;
        };
        let Some(ms) = st.tokens.get(1).and_then(|v| duration_ms(v, 1000)) else {
            continue;
        };
        // Long limits are a deliberate cap on session length, not a mistake.
        if ms == 0 || ms >= 3_600_000 {
            continue;
        }
        let f = LintFinding::new(
            "caddy/stream-timeout",
            name,
            st.line,
            format!(
                "stream_timeout {} closes every WebSocket through this reverse_proxy {} after it opened, even busy ones",
                st.tokens[1],
                human_ms(ms)
            ),
        )
        .quote(name, p.line)
        .fix("Remove stream_timeout (Caddy has no idle cut on WebSockets) or raise it well above your session length; set stream_close_delay so config reloads do not cut streams at once.")
        .replace_with(["stream_close_delay 5m"]);
        ctx.push(f);
    }
}

fn collect<'a>(entries: &'a [Entry], out: &mut Vec<&'a Entry>) {
    for e in entries {
        if e.tokens[0] == "reverse_proxy" {
            out.push(e);
        }
        collect(&e.block, out);
    }
}

type ParseError = (usize, String);

fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let lines: Vec<(usize, Vec<String>)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| tokens(l).map(|t| (i + 1, t)).map_err(|m| (i + 1, m)))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|(_, t)| !t.is_empty())
        .collect();
    let mut pos = 0;
    let out = block(&lines, &mut pos, 0, 0)?;
    Ok(out)
}

fn block(
    lines: &[(usize, Vec<String>)],
    pos: &mut usize,
    depth: usize,
    opened: usize,
) -> Result<Vec<Entry>, ParseError> {
    if depth > 64 {
        return Err((opened, "blocks nested more than 64 deep".into()));
    }
    let mut out = Vec::new();
    while let Some((line, toks)) = lines.get(*pos) {
        *pos += 1;
        if toks.len() == 1 && toks[0] == "}" {
            if depth == 0 {
                return Err((*line, "\"}\" closes a block that was never opened".into()));
            }
            return Ok(out);
        }
        let mut tokens = toks.clone();
        let opens = tokens.last().is_some_and(|t| t == "{");
        if opens {
            tokens.pop();
        }
        if tokens.is_empty() {
            // A lone `{` on its own line after a site address.
            tokens.push(String::new());
        }
        let block_entries = if opens {
            block(lines, pos, depth + 1, *line)?
        } else {
            Vec::new()
        };
        out.push(Entry {
            tokens,
            line: *line,
            block: block_entries,
        });
    }
    if depth > 0 {
        return Err((
            opened,
            format!("the block opened on line {opened} is never closed"),
        ));
    }
    Ok(out)
}

/// Tokens of one line: whitespace separated, `"…"` and backtick quoting, `#` comments
/// (only at the start of a token, as in Caddy).
fn tokens(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_tok = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '`') => {
                quote = Some(c);
                in_tok = true;
            }
            (None, '#') if !in_tok => break,
            (None, c) if c.is_whitespace() => {
                if in_tok {
                    out.push(std::mem::take(&mut cur));
                    in_tok = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_tok = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unterminated quote".into());
    }
    if in_tok {
        out.push(cur);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, Options, lint_text};

    fn opts() -> Options {
        Options {
            input_format: Some(Format::Caddy),
            ..Options::default()
        }
    }

    #[test]
    fn stream_timeout_is_found_in_nested_blocks() {
        let conf = "{\n\temail ops@example.com\n}\n\nexample.com {\n\t# the chat\n\thandle /ws* {\n\t\treverse_proxy localhost:8080 {\n\t\t\tstream_timeout 30s\n\t\t}\n\t}\n\treverse_proxy localhost:9000\n}\n";
        let r = lint_text("Caddyfile", conf, &opts());
        assert_eq!(r.rules(), ["caddy/stream-timeout"]);
        assert_eq!(r.findings[0].line, 9);
        assert_eq!(r.findings[0].id().as_str(), "proxy-stream-lifetime");
        let fixed = conf.replace("stream_timeout 30s", "stream_close_delay 5m");
        assert!(lint_text("Caddyfile", &fixed, &opts()).findings.is_empty());
        let long = conf.replace("stream_timeout 30s", "stream_timeout 24h");
        assert!(lint_text("Caddyfile", &long, &opts()).findings.is_empty());
    }

    #[test]
    fn syntax_errors_have_lines() {
        assert_eq!(parse("a {\n b\n").unwrap_err().0, 1);
        assert_eq!(parse("a\n}\n").unwrap_err().0, 2);
        assert_eq!(parse("a \"b\n").unwrap_err().0, 1);
        assert_eq!(
            tokens("respond \"a # b\" # c").unwrap(),
            ["respond", "a # b"]
        );
    }
}
