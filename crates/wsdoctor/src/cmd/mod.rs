//! One module per subcommand. Each exposes `XArgs` (clap) and `run(args, style)`,
//! returning the exit code; usage problems are returned as `UsageError` (exit 2).

pub mod bench;
pub mod check;
pub mod completions;
pub mod conform;
pub mod explain;
pub mod lab;
pub mod lint;
pub mod logs;
pub mod man;
pub mod pcap;
pub mod schema;
pub mod serve;
pub mod tour;

/// A problem with what the user asked for: exits 2 with this message, which names
/// the problem and the fix.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Shorthand: `return Err(usage("…"))`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}
