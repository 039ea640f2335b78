//! Bounded excerpts of untrusted input. A report quotes what it read (a configuration
//! line, a log line, a pasted message) so the user sees the evidence; a multi-megabyte
//! line or token copied into every finding would make the report huge and unreadable.
//! Every command cuts what it quotes with these functions, after redaction (so a cut
//! never hides the `@` that marks a URL's userinfo from the redactor).

use std::borrow::Cow;

/// Most characters of one input line a finding quotes.
pub const MAX_LINE_CHARS: usize = 240;
/// Most characters of one run without whitespace (a URL, a token, an argument) shown
/// inside a finding's text.
pub const MAX_WORD_CHARS: usize = 160;

/// `s` cut to `max` characters, saying how long it was.
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((i, _)) => Cow::Owned(format!("{}… ({} bytes)", &s[..i], s.len())),
        None => Cow::Borrowed(s),
    }
}

/// `s` with every run of non-whitespace longer than `max` characters cut (the text
/// around it kept), so the sentence a long argument sits in stays whole.
pub fn words(s: &str, max: usize) -> Cow<'_, str> {
    let long = |w: &str| w.chars().nth(max).is_some();
    if !s.split_whitespace().any(long) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(4 * max));
    let mut rest = s;
    while !rest.is_empty() {
        let start = rest
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push_str(&cut(&rest[..end], max));
        rest = &rest[end..];
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_and_words_are_cut_and_say_their_size() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "abc… (4 bytes)");
        assert_eq!(cut("ééé", 2), "éé… (6 bytes)");
        let long = "x".repeat(1000);
        let s = format!("proxies to http://{long} because\tit is /ws");
        let w = words(&s, 10);
        assert_eq!(w, "proxies to http://xxx… (1007 bytes) because\tit is /ws");
        assert!(matches!(words("short words only", 10), Cow::Borrowed(_)));
    }
}
