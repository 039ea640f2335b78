//! The last step before bytes leave the process: every output of every command goes
//! through here, so a secret or a terminal escape that reached a report by a path
//! nobody redacted at collection time is still caught. Redaction uses the one table
//! in `wsdoctor_core::redact` (off with `--show-secrets`); terminal escaping is never
//! off for text meant for people, and JSON escapes control characters by itself.

use std::io::{self, Write};
use wsdoctor_core::redact;

/// A writer for human output: complete lines are redacted and escaped, then passed
/// on. Our own colour (SGR `ESC[…m`) survives when colour is on; every other escape
/// sequence is shown as text.
pub struct Shown<W: Write> {
    inner: W,
    line: Vec<u8>,
    show_secrets: bool,
    color: bool,
}

impl<W: Write> Shown<W> {
    pub fn new(inner: W, show_secrets: bool, color: bool) -> Shown<W> {
        Shown {
            inner,
            line: Vec::new(),
            show_secrets,
            color,
        }
    }

    fn emit(&mut self) -> io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let raw = String::from_utf8_lossy(&self.line);
        let text = line(&raw, self.show_secrets, self.color);
        self.inner.write_all(text.as_bytes())?;
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for Shown<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for chunk in buf.split_inclusive(|&b| b == b'\n') {
            self.line.extend_from_slice(chunk);
            if chunk.ends_with(b"\n") {
                self.emit()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }
}

/// One line of human text as it may be shown.
pub fn line(text: &str, show_secrets: bool, color: bool) -> String {
    let text = if show_secrets {
        std::borrow::Cow::Borrowed(text)
    } else {
        redact::text(text)
    };
    if color {
        escape_keeping_sgr(&text)
    } else {
        redact::terminal(&text).into_owned()
    }
}

/// A JSON document as it may be printed: every string in it through the redaction
/// table (object keys too: a header name is never a secret, but a query may be).
pub fn json<T: serde::Serialize>(
    value: &T,
    show_secrets: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &shown_value(value, show_secrets)?)?;
    writeln!(out)
}

/// [`json`] on one line (the lab's ready line, which scripts read line by line).
pub fn json_line<T: serde::Serialize>(
    value: &T,
    show_secrets: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &shown_value(value, show_secrets)?)?;
    writeln!(out)
}

/// A message for stderr (usage and internal errors, a file that could not be read):
/// it may quote the input, so it is redacted and escaped like any other output.
pub fn message(text: &str) -> String {
    line(text, false, false)
}

fn shown_value<T: serde::Serialize>(
    value: &T,
    show_secrets: bool,
) -> io::Result<serde_json::Value> {
    let mut v = serde_json::to_value(value)?;
    if !show_secrets {
        redact_value(&mut v);
    }
    Ok(v)
}

fn redact_value(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(r) = redact::text(s) {
                *s = r;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_value),
        Value::Object(o) => o.values_mut().for_each(redact_value),
        _ => {}
    }
}

/// `redact::terminal`, except that SGR sequences (`ESC [ digits ; … m`: colour and
/// weight, which cannot move the cursor or retitle the window) are kept.
fn escape_keeping_sgr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\x1b') {
        out.push_str(&redact::terminal(&rest[..i]));
        let seq = &rest[i..];
        let sgr_len = seq
            .strip_prefix("\x1b[")
            .and_then(|p| {
                p.find(|c: char| !(c.is_ascii_digit() || c == ';'))
                    .map(|n| (p, n))
            })
            .filter(|(p, n)| p[*n..].starts_with('m'))
            .map(|(_, n)| 2 + n + 1);
        match sgr_len {
            Some(n) => {
                out.push_str(&seq[..n]);
                rest = &seq[n..];
            }
            None => {
                out.push_str("\\u{1b}");
                rest = &seq[1..];
            }
        }
    }
    out.push_str(&redact::terminal(rest));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_redacted_and_escaped() {
        let mut out = Vec::new();
        {
            let mut w = Shown::new(&mut out, false, false);
            write!(w, "a ws://u:p4ss@h/ \x1b]0;x\x07").unwrap();
            writeln!(w, " end").unwrap();
            write!(w, "partial ?token=t0k").unwrap();
            w.flush().unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("p4ss") && !text.contains("t0k"), "{text}");
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text}");
        assert!(text.ends_with("token=[redacted]"), "{text}");
    }

    #[test]
    fn colour_survives_other_escapes_do_not() {
        let s = escape_keeping_sgr("\x1b[1mbold\x1b[0m \x1b[2J \x1b]0;t\x07");
        assert_eq!(s, "\x1b[1mbold\x1b[0m \\u{1b}[2J \\u{1b}]0;t\\u{7}");
    }

    #[test]
    fn json_strings_are_redacted() {
        let v = serde_json::json!({"target": "ws://h/?token=abc", "n": 1,
            "list": ["Cookie: a=b"]});
        let mut out = Vec::new();
        json(&v, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("abc") && !text.contains("a=b"), "{text}");
    }
}
