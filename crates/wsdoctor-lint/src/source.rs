//! The configuration text the parsers read: files from disk (with a size cap) or a
//! virtual set of files split out of an `nginx -T` dump. Keeping every file's text lets
//! findings quote the offending lines, and keeping the dump's files apart lets line
//! numbers point into the original files rather than into the dump.

use crate::glob;
use crate::report::{ErrorKind, LintError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Caps that keep a hostile or huge input from eating memory or looping forever.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest file read, in bytes (stdin included).
    pub max_file_bytes: u64,
    /// Most distinct files read through includes from one input, and most files one
    /// include glob may name.
    pub max_files: usize,
    /// Deepest include nesting.
    pub max_include_depth: usize,
    /// Most include expansions for one input, counting a file included twice twice:
    /// without it, files that include each other several times expand exponentially.
    pub max_include_expansions: usize,
    /// Most text spliced in by includes for one input, counting repeats.
    pub max_expanded_bytes: u64,
    /// Most statements (lines, or `;`-terminated directives when denser) in one
    /// input with everything it includes: the parsed form of a statement costs about
    /// a hundred times its bytes, so 8 MiB of `a;` would otherwise need gigabytes.
    pub max_statements: usize,
}

/// The default caps, as constants so the README can quote them.
pub const MAX_FILE_BYTES: u64 = 8 << 20;
pub const MAX_FILES: usize = 1024;
pub const MAX_INCLUDE_DEPTH: usize = 16;
pub const MAX_INCLUDE_EXPANSIONS: usize = 65_536;
pub const MAX_EXPANDED_BYTES: u64 = 2 * MAX_FILE_BYTES;
pub const MAX_STATEMENTS: usize = 500_000;

/// The statements in `text` as the cap counts them: its lines, or its `;` when
/// they are more (nginx puts many directives on a line).
pub fn statements(text: &str) -> usize {
    let (mut lines, mut semis) = (1, 0);
    for b in text.bytes() {
        match b {
            b'\n' => lines += 1,
            b';' => semis += 1,
            _ => {}
        }
    }
    lines.max(semis)
}

/// The error for an input over the statement cap.
pub fn too_many_statements(file: &str, line: Option<usize>, cap: usize) -> LintError {
    LintError {
        file: file.to_string(),
        line,
        message: format!(
            "more than {cap} lines or directives with what it includes: not linted (lint the files one by one)"
        ),
        kind: Some(ErrorKind::TooLarge),
        chain: Vec::new(),
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: MAX_FILE_BYTES,
            max_files: MAX_FILES,
            max_include_depth: MAX_INCLUDE_DEPTH,
            max_include_expansions: MAX_INCLUDE_EXPANSIONS,
            max_expanded_bytes: MAX_EXPANDED_BYTES,
            max_statements: MAX_STATEMENTS,
        }
    }
}

/// Why an include was not followed.
#[derive(Debug)]
pub enum Refusal {
    /// Report this error (a cycle or a limit, said once per input).
    Report(LintError),
    /// Already reported for this input: skip quietly.
    Said,
    /// The file could not be read; the caller places the error (it knows the directive).
    Unreadable(Unreadable),
}

/// Where included files come from.
#[derive(Debug)]
pub enum Origin {
    /// The real file system.
    Disk,
    /// The files of an `nginx -T` dump, by path.
    Dump(BTreeMap<String, String>),
}

/// Every file read for one input, so findings can quote lines, and the include walk
/// in progress, so cycles and runaway expansion are caught whatever the syntax.
#[derive(Debug)]
pub struct Sources {
    pub origin: Origin,
    pub limits: Limits,
    files: BTreeMap<String, String>,
    /// The files being expanded right now, the main file first.
    chain: Vec<String>,
    expansions: usize,
    expanded_bytes: u64,
    statements: usize,
    /// Each cycle reported, as its sorted set of files, so it is said once.
    cycles: Vec<Vec<String>>,
    limit_said: bool,
}

impl Sources {
    pub fn new(origin: Origin, limits: Limits) -> Sources {
        Sources {
            origin,
            limits,
            files: BTreeMap::new(),
            chain: Vec::new(),
            expansions: 0,
            expanded_bytes: 0,
            statements: 0,
            cycles: Vec::new(),
            limit_said: false,
        }
    }

    /// Starts the include walk at the main file (already added).
    pub fn begin(&mut self, main: &str) {
        self.chain = vec![main.to_string()];
        let main_text = self.files.get(main).map_or("", String::as_str);
        self.expanded_bytes = main_text.len() as u64;
        self.statements = statements(main_text);
    }

    /// Follows an include of `file` written at `at_file:at_line`: refuses a file that
    /// is already being expanded (a cycle), a walk too deep, or one past the budget;
    /// otherwise loads the file and enters it. Every `Ok` must be paired with
    /// [`Sources::leave`] once the file's directives are read.
    pub fn enter(&mut self, file: &str, at_file: &str, at_line: usize) -> Result<String, Refusal> {
        if let Some(start) = self.chain.iter().position(|f| f == file) {
            let mut set: Vec<String> = self.chain[start..].to_vec();
            set.sort();
            if self.cycles.contains(&set) {
                return Err(Refusal::Said);
            }
            self.cycles.push(set);
            let mut chain = self.chain.clone();
            chain.push(file.to_string());
            let message = format!(
                "include cycle: {} (each file followed once, not again)",
                chain.join(" → ")
            );
            return Err(Refusal::Report(LintError {
                file: at_file.to_string(),
                line: Some(at_line),
                message,
                kind: Some(ErrorKind::IncludeCycle),
                chain,
            }));
        }
        // The main file and up to max_files included ones.
        let new_file = !self.files.contains_key(file);
        let limit = if new_file && self.files.len() > self.limits.max_files {
            Some(format!(
                "more than {} files included: {file} and the rest not read",
                self.limits.max_files
            ))
        } else if self.chain.len() > self.limits.max_include_depth {
            Some(format!(
                "includes nested more than {} deep: {file} and deeper not followed",
                self.limits.max_include_depth
            ))
        } else if self.expansions >= self.limits.max_include_expansions {
            Some(format!(
                "includes expand more than {} times (files included repeatedly by files included repeatedly): stopped following includes",
                self.limits.max_include_expansions
            ))
        } else {
            None
        };
        if let Some(message) = limit {
            return Err(self.limit(at_file, at_line, message));
        }
        let text = self.load(file).map_err(Refusal::Unreadable)?;
        self.expanded_bytes += text.len() as u64;
        if self.expanded_bytes > self.limits.max_expanded_bytes {
            let message = format!(
                "includes expand to more than {} bytes of configuration (files included repeatedly): stopped following includes",
                self.limits.max_expanded_bytes
            );
            return Err(self.limit(at_file, at_line, message));
        }
        self.statements += statements(&text);
        if self.statements > self.limits.max_statements {
            if std::mem::replace(&mut self.limit_said, true) {
                return Err(Refusal::Said);
            }
            let mut e = too_many_statements(at_file, Some(at_line), self.limits.max_statements);
            e.message = format!(
                "include {file}: {}",
                e.message
                    .replace(": not linted", ": stopped following includes")
            );
            e.chain = self.chain.clone();
            return Err(Refusal::Report(e));
        }
        self.expansions += 1;
        self.chain.push(file.to_string());
        Ok(text)
    }

    /// Leaves the file entered last.
    pub fn leave(&mut self) {
        self.chain.pop();
    }

    /// An include limit, said once per input; the chain shows where it was hit.
    fn limit(&mut self, at_file: &str, at_line: usize, message: String) -> Refusal {
        if std::mem::replace(&mut self.limit_said, true) {
            return Refusal::Said;
        }
        Refusal::Report(LintError {
            file: at_file.to_string(),
            line: Some(at_line),
            message,
            kind: Some(ErrorKind::IncludeLimit),
            chain: self.chain.clone(),
        })
    }

    /// Remember a file's text (the main input, or a dump member).
    pub fn add(&mut self, name: &str, text: String) {
        self.files.insert(name.to_string(), text);
    }

    /// Every file read so far (the main file, dump members, included files).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }

    /// Every line of `name` (empty when unknown), line endings trimmed.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.files
            .get(name)
            .map(|t| {
                t.lines()
                    .map(|l| l.trim_end_matches('\r').to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Loads a file by path (from disk or from the dump), remembering its text.
    fn load(&mut self, path: &str) -> Result<String, Unreadable> {
        if let Some(t) = self.files.get(path) {
            return Ok(t.clone());
        }
        let text = match &self.origin {
            Origin::Dump(files) => files.get(path).cloned().ok_or_else(|| Unreadable {
                kind: None,
                message: format!("{path} is not in the nginx -T dump"),
            })?,
            Origin::Disk => read_capped(Path::new(path), self.limits.max_file_bytes)?,
        };
        self.files.insert(path.to_string(), text.clone());
        Ok(text)
    }

    /// The files an include pattern names, sorted (as nginx and Apache do). A pattern
    /// without wildcards names one file whether or not it exists. A glob naming more
    /// than `max_files` files is cut there, with an error to report.
    pub fn expand(
        &self,
        pattern: &str,
        at_file: &str,
        at_line: usize,
    ) -> (Vec<String>, Option<LintError>) {
        if !glob::has_wildcard(pattern) {
            return (vec![pattern.to_string()], None);
        }
        let cap = self.limits.max_files;
        let (mut out, cut) = match &self.origin {
            Origin::Dump(files) => {
                let mut all: Vec<String> = files
                    .keys()
                    .filter(|p| glob::matches(pattern, p))
                    .take(cap + 1)
                    .cloned()
                    .collect();
                let cut = all.len() > cap;
                all.truncate(cap);
                (all, cut)
            }
            Origin::Disk => glob::expand_on_disk(pattern, cap),
        };
        out.sort();
        let err = cut.then(|| LintError {
            file: at_file.to_string(),
            line: Some(at_line),
            message: format!(
                "include {pattern} names more than {cap} files: only the first {cap} were read"
            ),
            kind: Some(ErrorKind::IncludeLimit),
            chain: Vec::new(),
        });
        (out, err)
    }
}

/// Why a file was not read: the kind (when it is a refusal rather than an IO error)
/// and the message, which names the file.
#[derive(Debug)]
pub struct Unreadable {
    pub kind: Option<ErrorKind>,
    pub message: String,
}

impl Unreadable {
    /// As an error at `file` (`line` when an include directive asked for it).
    pub fn at(self, file: &str, line: Option<usize>, prefix: &str) -> LintError {
        LintError {
            file: file.to_string(),
            line,
            message: format!("{prefix}{}", self.message),
            kind: self.kind,
            chain: Vec::new(),
        }
    }
}

/// Reads a file as text, refusing what is not a regular file (a FIFO or a device
/// would be read forever; the type is checked before opening, since opening a FIFO
/// already blocks) and files over the cap (also counted while reading, in case the
/// file grows). Invalid UTF-8 is replaced rather than refused, since configuration
/// comments often hold Latin-1.
pub fn read_capped(path: &Path, cap: u64) -> Result<String, Unreadable> {
    use std::io::Read;
    let io = |e: std::io::Error| Unreadable {
        kind: None,
        message: format!("{}: {e}", path.display()),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    not_a_file(path, &meta)?;
    let too_large = || Unreadable {
        kind: Some(ErrorKind::TooLarge),
        message: format!("{} is larger than {cap} bytes: not read", path.display()),
    };
    if meta.len() > cap {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // The path may have been swapped for something else between the two looks.
    not_a_file(path, &file.metadata().map_err(io)?)?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(too_large());
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Refuses anything but a regular file, naming what it is.
fn not_a_file(path: &Path, meta: &std::fs::Metadata) -> Result<(), Unreadable> {
    if meta.is_file() {
        return Ok(());
    }
    let what = file_type_name(meta);
    Err(Unreadable {
        kind: Some(ErrorKind::NotAFile),
        message: format!(
            "{} is {what}, not a configuration file: not read (pipe it on stdin instead: … | wsdoctor lint -)",
            path.display()
        ),
    })
}

fn file_type_name(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Joins a relative include path onto the prefix directory.
pub fn resolve(prefix: &Path, path: &str) -> String {
    if Path::new(path).is_absolute() {
        return path.to_string();
    }
    let joined: PathBuf = prefix
        .join(path)
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    joined.to_string_lossy().into_owned()
}

/// The directory of a file path, `.` when it has none.
pub fn dir_of(path: &str) -> PathBuf {
    match Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

const NGINX_MESSAGES: &[&str] = &[
    "nginx: ",
    "nginx version: ",
    "built by ",
    "built with ",
    "TLS SNI support",
    "configure arguments: ",
];

/// Splits `nginx -T` output into its files. Returns `None` when the text has no
/// `# configuration file PATH:` markers. Lines before the first marker (the
/// `nginx -V` banner, "syntax is ok") are not configuration.
pub fn split_nginx_dump(text: &str) -> Option<Vec<(String, String)>> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if let Some(path) = bare
            .strip_prefix("# configuration file ")
            .and_then(|p| p.strip_suffix(':'))
        {
            files.push((path.to_string(), String::new()));
            continue;
        }
        if let Some((_, body)) = files.last_mut() {
            // With 2>&1, nginx's own messages ("nginx: … syntax is ok", the -V banner)
            // can land after the dump: they are not configuration.
            if NGINX_MESSAGES.iter().any(|p| bare.starts_with(p)) {
                body.push('\n');
            } else {
                body.push_str(line);
            }
        }
    }
    if files.is_empty() {
        return None;
    }
    // nginx -T separates files with one blank line it added itself.
    for (_, body) in files.iter_mut() {
        if body.ends_with("\n\n") {
            body.pop();
        }
    }
    Some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_splits_into_files_with_original_line_numbers() {
        let dump = "nginx version: nginx/1.22.1\nnginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n# configuration file /etc/nginx/nginx.conf:\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n}\n\n# configuration file /etc/nginx/conf.d/a.conf:\nserver {\n  listen 80;\n}\n\n";
        let files = split_nginx_dump(dump).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].0, "/etc/nginx/nginx.conf");
        assert_eq!(files[1].1.lines().nth(1), Some("  listen 80;"));
        assert!(split_nginx_dump("http {}\n").is_none());
        // stderr interleaved after the dump is not configuration.
        let late = "# configuration file /a.conf:\nevents {}\n\nnginx: the configuration file /a.conf syntax is ok\nnginx: configuration file /a.conf test is successful\n";
        let files = split_nginx_dump(late).unwrap();
        assert_eq!(files[0].1.trim(), "events {}");
    }

    #[test]
    fn lines_drop_their_endings() {
        let mut s = Sources::new(Origin::Disk, Limits::default());
        s.add("x", "a\r\nb\nc".into());
        assert_eq!(s.lines("x"), ["a", "b", "c"]);
        assert!(s.lines("y").is_empty());
    }
}
