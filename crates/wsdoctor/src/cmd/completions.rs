//! Shell completions, generated from the same clap definitions as the help text.

use clap::CommandFactory;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    pub shell: clap_complete::Shell,
}

pub fn run(args: CompletionsArgs) -> anyhow::Result<i32> {
    use anyhow::Context;
    use std::io::Write;
    let mut cmd = crate::Cli::command();
    // clap_complete panics when its writer fails (a full disk, /dev/full): generate
    // into memory and write ourselves, so a failed write is an error message.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "wsdoctor", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("writing the completions to stdout")?;
    Ok(0)
}
