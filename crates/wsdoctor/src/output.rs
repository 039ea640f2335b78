//! Output decisions made in one place: colour (flag, tty, NO_COLOR, TERM=dumb) and
//! quiet exit on a broken pipe. Renderers take a `Style` and never look at the
//! environment themselves.

use std::io::IsTerminal;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// How to decorate text. `Copy`, passed by value to renderers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    /// Progress bars and other tty-only output.
    pub tty: bool,
}

impl Style {
    pub fn resolve(choice: ColorChoice) -> Style {
        let tty = std::io::stdout().is_terminal();
        let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !env_off,
        };
        Style {
            color,
            tty: tty && std::io::stderr().is_terminal(),
        }
    }

    /// No colour, no tty: what tests get.
    #[cfg(test)]
    pub fn plain() -> Style {
        Style {
            color: false,
            tty: false,
        }
    }

    pub fn paint(&self, text: &str, code: Paint) -> String {
        if !self.color {
            return text.to_string();
        }
        format!("\x1b[{}m{text}\x1b[0m", code.sgr())
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Paint {
    Ok,
    Warn,
    Error,
    Dim,
    Bold,
    Info,
}

impl Paint {
    fn sgr(self) -> &'static str {
        match self {
            Paint::Ok => "32",
            Paint::Warn => "33",
            Paint::Error => "31",
            Paint::Dim => "2",
            Paint::Bold => "1",
            Paint::Info => "36",
        }
    }
}

/// True when the error chain holds an EPIPE: the reader went away, exit quietly.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A counting progress bar on a terminal (`{spinner} WHAT pos/len`), none when the
/// output is not a TTY. `tour` and `conform` share it.
pub fn progress_bar(what: &str, total: usize, style: Style) -> Option<indicatif::ProgressBar> {
    if !style.tty {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {what} {{pos}}/{{len}} {{wide_msg}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    Some(bar)
}

/// A byte-counting progress bar on stderr (`logs` and `pcap` read large files).
pub fn bytes_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(s) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(s);
    }
    bar
}

/// Writes a report file through a temporary file in the same folder renamed into place,
/// so a failed or interrupted write never leaves half a file where the old one was.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
