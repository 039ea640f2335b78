//! Man pages, generated from the same clap definitions as `--help` and the
//! completions, so the three cannot drift apart.

use clap::CommandFactory;

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// The subcommand whose page to print (`check`, `lint`, …); without it, the page
    /// of `wsdoctor` itself.
    pub subcommand: Option<String>,
    /// Write every page (`wsdoctor.1`, `wsdoctor-check.1`, …) into this directory
    /// instead of printing one.
    #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
    pub dir: Option<std::path::PathBuf>,
}

pub fn run(args: ManArgs) -> anyhow::Result<i32> {
    use anyhow::Context;
    use std::io::Write;
    if let Some(dir) = &args.dir {
        for (name, page) in pages()? {
            let path = dir.join(format!("{name}.1"));
            std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
        }
        return Ok(0);
    }
    let cmd = crate::Cli::command();
    let cmd = match &args.subcommand {
        None => cmd,
        Some(sub) => cmd.find_subcommand(sub).cloned().ok_or_else(|| {
            let names: Vec<_> = subcommands().collect();
            super::usage(format!(
                "no subcommand {sub:?}; man pages exist for: {}",
                names.join(", ")
            ))
        })?,
    };
    let prefix = args.subcommand.as_ref().map(|_| "wsdoctor-").unwrap_or("");
    let page = render(cmd, prefix)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page)
        .and_then(|()| out.flush())
        .context("writing the man page to stdout")?;
    Ok(0)
}

/// Every page by file stem: `wsdoctor`, then `wsdoctor-SUB` for each subcommand.
pub fn pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let top = crate::Cli::command();
    let mut v = vec![("wsdoctor".to_string(), render(top.clone(), "")?)];
    for sub in top.get_subcommands() {
        v.push((
            format!("wsdoctor-{}", sub.get_name()),
            render(sub.clone(), "wsdoctor-")?,
        ));
    }
    Ok(v)
}

fn subcommands() -> impl Iterator<Item = String> {
    crate::Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect::<Vec<_>>()
        .into_iter()
}

/// One page, rendered into memory (so a failed write is ours to report). A
/// subcommand's page is titled `wsdoctor-NAME`, as `man wsdoctor-check` finds it.
fn render(cmd: clap::Command, prefix: &str) -> anyhow::Result<Vec<u8>> {
    let name = format!("{prefix}{}", cmd.get_name());
    let cmd = cmd
        .name(name.clone())
        .bin_name(name.replacen('-', " ", 1))
        .version(env!("CARGO_PKG_VERSION"));
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut page)?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subcommand has a page, titled as `man` looks it up, that documents each
    /// of its long flags: a flag added to clap reaches the man page by construction,
    /// and this holds the construction.
    #[test]
    fn one_page_per_subcommand_with_every_flag() {
        let pages = pages().expect("rendering into memory cannot fail");
        let top = crate::Cli::command();
        assert_eq!(pages.len(), 1 + top.get_subcommands().count());
        for sub in top.get_subcommands() {
            let stem = format!("wsdoctor-{}", sub.get_name());
            let (_, page) = pages.iter().find(|(n, _)| *n == stem).expect("a page");
            let page = String::from_utf8_lossy(page);
            assert!(
                page.contains(&format!(".TH {stem} 1")),
                "{stem}: no .TH line"
            );
            for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
                if let Some(long) = arg.get_long() {
                    let roff = format!("\\fB\\-\\-{}\\fR", long.replace('-', "\\-"));
                    assert!(page.contains(&roff), "{stem}: --{long} missing");
                }
            }
        }
        let (_, top_page) = &pages[0];
        let top_page = String::from_utf8_lossy(top_page);
        for sub in top.get_subcommands() {
            assert!(
                top_page.contains(sub.get_name()),
                "wsdoctor.1 lacks {}",
                sub.get_name()
            );
        }
    }
}
