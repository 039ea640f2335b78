//! nginx's block syntax: directives end with `;` or open a `{ … }` block; arguments may
//! be quoted with `"` or `'` and use backslash escapes; `#` starts a comment; `${var}`
//! may appear inside a word; `*_by_lua_block` bodies are Lua, not nginx syntax. Every
//! directive remembers its file and line so findings point at what the user wrote.

/// One directive, with its block when it has one.
#[derive(Clone, Debug, PartialEq)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    pub file: String,
    pub line: usize,
    pub block: Option<Vec<Directive>>,
}

impl Directive {
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }

    pub fn children(&self) -> &[Directive] {
        self.block.as_deref().unwrap_or(&[])
    }
}

/// A syntax error with the line it was found on.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
}

/// Blocks nested deeper than this are refused: no real configuration comes close, and
/// the parser recurses per block.
const MAX_DEPTH: usize = 64;

pub fn parse(file: &str, text: &str) -> Result<Vec<Directive>, SyntaxError> {
    let mut lx = Lexer {
        s: text.as_bytes(),
        i: 0,
        line: 1,
    };
    let list = block(&mut lx, file, 0, 0)?;
    match lx.next()? {
        None => Ok(list),
        Some(t) => Err(SyntaxError {
            line: t.line,
            message: "unexpected \"}\": a block was closed that was never opened".into(),
        }),
    }
}

fn block(
    lx: &mut Lexer,
    file: &str,
    depth: usize,
    opened: usize,
) -> Result<Vec<Directive>, SyntaxError> {
    if depth > MAX_DEPTH {
        return Err(SyntaxError {
            line: lx.line,
            message: format!("blocks nested more than {MAX_DEPTH} deep"),
        });
    }
    let mut out = Vec::new();
    loop {
        let Some(first) = lx.peek()? else {
            if depth > 0 {
                return Err(SyntaxError {
                    line: opened,
                    message: format!(
                        "unexpected end of file: the block opened on line {opened} is never closed"
                    ),
                });
            }
            return Ok(out);
        };
        if first.kind == Kind::Close {
            if depth == 0 {
                return Ok(out);
            }
            lx.next()?;
            return Ok(out);
        }
        let first = lx.next()?.expect("peeked a token");
        let (name, line) = match first.kind {
            Kind::Word(w) => (w, first.line),
            Kind::Semi => {
                return Err(SyntaxError {
                    line: first.line,
                    message: "unexpected \";\"".into(),
                });
            }
            _ => {
                return Err(SyntaxError {
                    line: first.line,
                    message: "unexpected \"{\"".into(),
                });
            }
        };
        let mut args = Vec::new();
        loop {
            let Some(t) = lx.next()? else {
                return Err(SyntaxError {
                    line,
                    message: format!("unexpected end of file: \"{name}\" is missing its \";\""),
                });
            };
            match t.kind {
                Kind::Word(w) => args.push(w),
                Kind::Semi => {
                    out.push(Directive {
                        name,
                        args,
                        file: file.to_string(),
                        line,
                        block: None,
                    });
                    break;
                }
                Kind::Open => {
                    let children = if name.ends_with("_by_lua_block") {
                        lx.skip_raw_block()?;
                        Vec::new()
                    } else {
                        block(lx, file, depth + 1, line)?
                    };
                    out.push(Directive {
                        name,
                        args,
                        file: file.to_string(),
                        line,
                        block: Some(children),
                    });
                    break;
                }
                Kind::Close => {
                    return Err(SyntaxError {
                        line: t.line,
                        message: format!(
                            "unexpected \"}}\": \"{name}\" on line {line} is missing its \";\""
                        ),
                    });
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Word(String),
    Semi,
    Open,
    Close,
}

#[derive(Clone, Debug, PartialEq)]
struct Token {
    kind: Kind,
    line: usize,
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    line: usize,
}

impl Lexer<'_> {
    fn peek(&mut self) -> Result<Option<Token>, SyntaxError> {
        let (i, line) = (self.i, self.line);
        let t = self.next();
        self.i = i;
        self.line = line;
        t
    }

    fn skip_space_and_comments(&mut self) {
        while let Some(&c) = self.s.get(self.i) {
            match c {
                b'\n' => {
                    self.line += 1;
                    self.i += 1;
                }
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'#' => {
                    while self.s.get(self.i).is_some_and(|&c| c != b'\n') {
                        self.i += 1;
                    }
                }
                // `...` or `…` standing alone marks lines left out of a pasted
                // snippet; nginx would refuse it, lint reads on around it.
                b'.' | 0xE2 if self.elision() > 0 => self.i += self.elision(),
                _ => break,
            }
        }
    }

    /// The length of an elision (three or more dots, or `…`) at the cursor that
    /// stands alone: followed by space, `;`, `}` or the end.
    fn elision(&self) -> usize {
        let rest = &self.s[self.i..];
        let n = if rest.starts_with("…".as_bytes()) {
            "…".len()
        } else {
            rest.iter().take_while(|&&c| c == b'.').count()
        };
        let alone = rest
            .get(n)
            .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'}'));
        if (n >= 3 || rest.starts_with("…".as_bytes())) && alone {
            n
        } else {
            0
        }
    }

    fn next(&mut self) -> Result<Option<Token>, SyntaxError> {
        self.skip_space_and_comments();
        let line = self.line;
        let Some(&c) = self.s.get(self.i) else {
            return Ok(None);
        };
        let kind = match c {
            b';' => {
                self.i += 1;
                Kind::Semi
            }
            b'{' => {
                self.i += 1;
                Kind::Open
            }
            b'}' => {
                self.i += 1;
                Kind::Close
            }
            b'"' | b'\'' => Kind::Word(self.quoted(c)?),
            _ => Kind::Word(self.bare()),
        };
        Ok(Some(Token { kind, line }))
    }

    fn quoted(&mut self, q: u8) -> Result<String, SyntaxError> {
        let start_line = self.line;
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(SyntaxError {
                    line: start_line,
                    message: format!("unterminated {} string", q as char),
                });
            };
            self.i += 1;
            match c {
                _ if c == q => break,
                b'\\' => match self.s.get(self.i) {
                    Some(&e) if e == q || e == b'\\' => {
                        out.push(e);
                        self.i += 1;
                    }
                    Some(b'n') => {
                        out.push(b'\n');
                        self.i += 1;
                    }
                    Some(b't') => {
                        out.push(b'\t');
                        self.i += 1;
                    }
                    Some(b'r') => {
                        out.push(b'\r');
                        self.i += 1;
                    }
                    _ => out.push(b'\\'),
                },
                b'\n' => {
                    self.line += 1;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn bare(&mut self) -> String {
        let mut out = Vec::new();
        while let Some(&c) = self.s.get(self.i) {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}' => break,
                b'$' if self.s.get(self.i + 1) == Some(&b'{') => {
                    // ${var}: the braces belong to the word, not to a block.
                    while let Some(&d) = self.s.get(self.i) {
                        out.push(d);
                        self.i += 1;
                        if d == b'}' || d == b'\n' {
                            break;
                        }
                    }
                }
                b'\\' => {
                    out.push(c);
                    self.i += 1;
                    if let Some(&d) = self.s.get(self.i) {
                        if d == b'\n' {
                            self.line += 1;
                        }
                        out.push(d);
                        self.i += 1;
                    }
                }
                _ => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Skips a Lua block body up to its matching `}`, minding Lua strings and comments
    /// well enough for braces inside them not to count.
    fn skip_raw_block(&mut self) -> Result<(), SyntaxError> {
        let start = self.line;
        let mut depth = 1usize;
        while let Some(&c) = self.s.get(self.i) {
            self.i += 1;
            match c {
                b'\n' => self.line += 1,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                b'"' | b'\'' => {
                    while let Some(&d) = self.s.get(self.i) {
                        self.i += 1;
                        match d {
                            b'\\' => self.i += 1,
                            b'\n' => {
                                self.line += 1;
                                break;
                            }
                            _ if d == c => break,
                            _ => {}
                        }
                    }
                }
                b'-' if self.s.get(self.i) == Some(&b'-') => {
                    while self.s.get(self.i).is_some_and(|&d| d != b'\n') {
                        self.i += 1;
                    }
                }
                _ => {}
            }
        }
        Err(SyntaxError {
            line: start,
            message: "unexpected end of file inside a *_by_lua_block".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks_quotes_comments_and_lines() {
        let text = "http {\n  # comment { not a block\n  map $http_upgrade $connection_upgrade {\n    default upgrade;\n    '' close;\n  }\n  server {\n    location ~* \"^/ws/(\\d+)\" {\n      proxy_set_header X-A \"a;b\";\n      set $x ${y}z;\n    }\n  }\n}\n";
        let d = parse("a.conf", text).unwrap();
        assert_eq!(d.len(), 1);
        let http = &d[0];
        assert_eq!(http.name, "http");
        let map = &http.children()[0];
        assert_eq!((map.name.as_str(), map.line), ("map", 3));
        assert_eq!(map.children()[1].name, "");
        assert_eq!(map.children()[1].args, ["close"]);
        let loc = &http.children()[1].children()[0];
        assert_eq!(loc.args, ["~*", "^/ws/(\\d+)"]);
        assert_eq!(loc.line, 8);
        assert_eq!(loc.children()[0].args, ["X-A", "a;b"]);
        assert_eq!(loc.children()[1].args, ["$x", "${y}z"]);
        assert_eq!(loc.children()[1].line, 10);
    }

    #[test]
    fn elisions_in_pasted_snippets_are_read_around() {
        let t = parse(
            "a",
            "server {\n    ...\n    location /ws/ { … }\n    …\n    listen 80;\n}\n",
        )
        .unwrap();
        let names: Vec<&str> = t[0].children().iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["location", "listen"]);
        assert_eq!(t[0].children()[1].line, 5);
        // Dots inside a word are the word's.
        let t = parse("a", "server_name a...b;\n").unwrap();
        assert_eq!(t[0].args, ["a...b"]);
    }

    #[test]
    fn lua_blocks_are_skipped() {
        let text = "location / {\n  content_by_lua_block {\n    ngx.say(\"}\") -- }\n    if x then end\n  }\n  proxy_pass http://b;\n}\n";
        let d = parse("a", text).unwrap();
        assert_eq!(d[0].children()[1].name, "proxy_pass");
        assert_eq!(d[0].children()[1].line, 6);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("a", "http {\n  server {\n    listen 80\n  }\n}\n").unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("listen"));
        assert_eq!(parse("a", "http {\n").unwrap_err().line, 1);
        assert_eq!(parse("a", "}\n").unwrap_err().line, 1);
        assert_eq!(parse("a", "a \"b;\n\n").unwrap_err().line, 1);
        assert_eq!(parse("a", "a;\n;").unwrap_err().line, 2);
        let deep = "a {".repeat(100);
        assert!(parse("a", &deep).is_err());
    }
}
