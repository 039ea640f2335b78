//! Shell completions, generated from the same clap definitions as the help text.

use clap::CommandFactory;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    pub shell: clap_complete::Shell,
}

pub fn run(args: CompletionsArgs) -> anyhow::Result<i32> {
    let mut cmd = crate::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "wsdoctor", &mut std::io::stdout());
    Ok(0)
}
