//! `wsdoctor lab`: serve the fault lab on 127.0.0.1 so any client can be tried against
//! every failure, and list what each scenario must make `check` report.
//!
//! The scenarios, their servers and their declarations live in `wsdoctor-lab`; this
//! module only turns flags into `LabOptions`, writes the lab CA (and the client
//! certificate for the mutual-TLS scenario) where the user can pass them on, prints the
//! table or JSON, and serves until interrupted.

use crate::output::{Paint, Style};
use crate::render::shown;
use std::io::Write;
use std::path::{Path, PathBuf};
use wsdoctor_core::CauseId;
use wsdoctor_lab::{Endpoint, Group, Lab, LabError, LabOptions, SCENARIOS, Scenario};

#[derive(clap::Args, Debug)]
pub struct LabArgs {
    /// Print the scenario table and exit without starting any server.
    #[arg(long)]
    pub list: bool,
    /// Serve only these scenarios (space- or comma-separated names; see --list).
    #[arg(long, value_name = "NAME", num_args = 1.., value_delimiter = ',')]
    pub only: Vec<String>,
    /// Listen on N + the scenario's index in the table instead of ephemeral ports, so URLs
    /// stay the same between runs.
    #[arg(long, value_name = "N")]
    pub port_base: Option<u16>,
    /// Write the lab CA certificate (PEM) here instead of a temporary directory (a new
    /// file: an existing file or a symbolic link is refused unless --force).
    #[arg(long, value_name = "PATH")]
    pub ca_out: Option<PathBuf>,
    /// With --ca-out: replace an existing regular file (a symbolic link is still refused).
    #[arg(long, requires = "ca_out")]
    pub force: bool,
    /// Print one JSON object on one line (with serving: once every server is ready).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: LabArgs, style: Style) -> anyhow::Result<i32> {
    check_names(&args.only)?;
    if args.list {
        let selected: Vec<&Scenario> = SCENARIOS
            .iter()
            .filter(|s| args.only.is_empty() || args.only.iter().any(|n| n == s.name))
            .collect();
        let mut out = std::io::stdout().lock();
        if args.json {
            shown::json_line(&listing(&selected, None), false, &mut out)?;
        } else {
            let mut out = shown::Shown::new(&mut out, false, style.color);
            write!(out, "{}", table(&selected, None, style))?;
            out.flush()?;
        }
        return Ok(0);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(args, style))
}

/// Starts the lab, writes its files, prints, and serves until Ctrl-C or SIGTERM.
async fn serve(args: LabArgs, style: Style) -> anyhow::Result<i32> {
    let opts = LabOptions {
        only: args.only.clone(),
        port_base: args.port_base,
    };
    // The CA file is claimed before anything starts, so a refused --ca-out leaves
    // nothing behind (no servers, no temporary directory).
    let ca_out = match &args.ca_out {
        Some(path) => Some((open_ca_out(path, args.force)?, path.clone())),
        None => None,
    };
    let lab = match Lab::start(opts).await {
        Ok(lab) => lab,
        Err(e) => {
            if let Some((_, path)) = &ca_out {
                let _ = std::fs::remove_file(path);
            }
            return Err(start_error(e, args.port_base));
        }
    };
    // Listen for signals before saying "ready", so a script that stops the lab as soon
    // as it has read the URLs still gets the clean-up.
    // Any of the signals ends the lab (SIGHUP too: a closed terminal), with its clean-up.
    let mut stop = crate::signals::Signals::listen()?;
    let files = LabFiles::write(&lab, ca_out)?;
    let printed = print_ready(&lab, &files, args.json, style);
    if printed.is_ok() {
        let _ = stop.next().await;
    }
    lab.shutdown().await;
    files.remove();
    printed.map(|()| 0)
}

fn print_ready(lab: &Lab, files: &LabFiles, json: bool, style: Style) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let scenarios: Vec<&Scenario> = lab.endpoints().iter().map(|e| e.scenario).collect();
    // Through the one last pass like every output (paths and names may come from flags).
    if json {
        shown::json_line(&listing(&scenarios, Some((lab, files))), false, &mut out)?;
    } else {
        let mut out = shown::Shown::new(&mut out, false, style.color);
        write!(out, "{}", table(&scenarios, Some(lab), style))?;
        write!(out, "{}", footer(lab, files, style))?;
        out.flush()?;
    }
    out.flush()?;
    Ok(())
}

fn check_names(only: &[String]) -> anyhow::Result<()> {
    match only.iter().find(|n| Scenario::named(n).is_none()) {
        Some(unknown) => Err(super::usage(format!(
            "unknown scenario '{unknown}' for --only; valid names: {} (wsdoctor lab --list shows them all)",
            valid_names()
        ))),
        None => Ok(()),
    }
}

fn valid_names() -> String {
    SCENARIOS
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Usage errors (exit 2) for what the user can fix with a flag; the rest is internal.
fn start_error(e: LabError, port_base: Option<u16>) -> anyhow::Error {
    match e {
        LabError::UnknownScenario { .. } | LabError::PortRange { .. } => {
            super::usage(e.to_string())
        }
        LabError::Bind { .. } if port_base.is_some() => super::usage(format!(
            "{e}; choose another --port-base, or leave it out for free ports"
        )),
        other => other.into(),
    }
}

/// The files `lab` hands to users; the temporary directory goes away on exit.
struct LabFiles {
    ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    /// Created by mkdtemp: fresh, mode 0700, a random name, never an existing path
    /// or a link another local user planted, so nobody else can read the client key.
    temp_dir: tempfile::TempDir,
}

impl LabFiles {
    fn write(lab: &Lab, ca_out: Option<(std::fs::File, PathBuf)>) -> anyhow::Result<LabFiles> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("wsdoctor-lab-");
        // tempfile leaves the mode to the umask (often 0755); the client key's
        // directory is for its owner only.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let temp_dir = builder
            .tempdir()
            .map_err(|e| anyhow::anyhow!("cannot create the lab's temporary directory: {e}"))?;
        let ca = match ca_out {
            Some((mut file, path)) => {
                file.write_all(lab.ca_pem().as_bytes())
                    .map_err(|e| super::usage(format!("--ca-out {}: {e}", path.display())))?;
                path
            }
            None => {
                let path = temp_dir.path().join("lab-ca.pem");
                create_new(&path, 0o644)?.write_all(lab.ca_pem().as_bytes())?;
                path
            }
        };
        let client_cert = temp_dir.path().join("lab-client.pem");
        create_new(&client_cert, 0o644)?.write_all(lab.client_cert_pem().as_bytes())?;
        let client_key = temp_dir.path().join("lab-client.key");
        create_new(&client_key, 0o600)?.write_all(lab.client_key_pem().as_bytes())?;
        Ok(LabFiles {
            ca,
            client_cert,
            client_key,
            temp_dir,
        })
    }

    fn remove(self) {
        let _ = self.temp_dir.close();
    }
}

/// Opens `--ca-out` for writing: a new file, or with `--force` an existing regular
/// file; never through a symbolic link (O_NOFOLLOW), so a planted link cannot
/// redirect the write.
fn open_ca_out(path: &Path, force: bool) -> anyhow::Result<std::fs::File> {
    let refuse = |why: String| super::usage(format!("--ca-out {}: {why}", path.display()));
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(refuse(
                "is a symbolic link; give the real path of a new file".into(),
            ));
        }
        if !force {
            return Err(refuse(
                "already exists; choose a new file, or add --force to replace it".into(),
            ));
        }
        if !meta.is_file() {
            return Err(refuse("exists and is not a regular file".into()));
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW).mode(0o644);
    }
    options.open(path).map_err(|e| refuse(e.to_string()))
}

/// A new file in the lab's private directory.
fn create_new(path: &Path, mode: u32) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

/// `lab --json` (schema `wsdoctor.lab/1`): the scenarios, and once served, where
/// each listens and the files `check` needs.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct LabListing {
    pub schema: &'static str,
    pub ca_file: Option<String>,
    pub client_cert_file: Option<String>,
    pub client_key_file: Option<String>,
    pub scenarios: Vec<LabRow>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct LabRow {
    pub name: &'static str,
    pub group: &'static str,
    /// Where the scenario listens (null before it is served).
    pub url: Option<String>,
    /// The forward proxy to go through, for the proxy scenarios.
    pub proxy: Option<String>,
    pub what: &'static str,
    /// The causes `check` must report against it (empty: healthy).
    pub expect: Vec<CauseId>,
    /// The arguments of the `wsdoctor check` that diagnoses it.
    pub check: Option<Vec<String>>,
}

fn listing(scenarios: &[&Scenario], served: Option<(&Lab, &LabFiles)>) -> LabListing {
    let ca_file = served.map(|(_, f)| f.ca.display().to_string());
    let rows = scenarios
        .iter()
        .map(|s| {
            let ep = served.and_then(|(lab, _)| lab.endpoint(s.name));
            LabRow {
                name: s.name,
                group: s.group.as_str(),
                url: ep.map(|e| e.url.clone()),
                proxy: ep.and_then(|e| e.proxy.clone()),
                what: s.what,
                expect: s.expect.to_vec(),
                check: ep.map(|e| e.check_args(ca_file.as_deref())),
            }
        })
        .collect();
    LabListing {
        schema: "wsdoctor.lab/1",
        client_cert_file: served.map(|(_, f)| f.client_cert.display().to_string()),
        client_key_file: served.map(|(_, f)| f.client_key.display().to_string()),
        ca_file,
        scenarios: rows,
    }
}

/// One line per scenario, grouped; the URL column carries the flags `check` needs.
fn table(scenarios: &[&Scenario], lab: Option<&Lab>, style: Style) -> String {
    let rows: Vec<(&Scenario, String, String)> = scenarios
        .iter()
        .map(|s| {
            let target = match lab.and_then(|l| l.endpoint(s.name)) {
                Some(ep) => target_column(ep),
                None => "(not started)".to_string(),
            };
            let expect = match s.expect {
                [] => "(none: healthy)".to_string(),
                ids => ids
                    .iter()
                    .map(|id| id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            (*s, target, expect)
        })
        .collect();
    let w_name = rows
        .iter()
        .map(|r| r.0.name.len())
        .max()
        .unwrap_or(0)
        .max("SCENARIO".len());
    let w_target = rows
        .iter()
        .map(|r| r.1.len())
        .max()
        .unwrap_or(0)
        .max("URL".len());
    let w_expect = rows
        .iter()
        .map(|r| r.2.len())
        .max()
        .unwrap_or(0)
        .max("EXPECTED CAUSES".len());
    let mut out = String::new();
    let head = format!(
        "  {:w_name$}  {:w_target$}  {:w_expect$}  WHAT",
        "SCENARIO", "URL", "EXPECTED CAUSES"
    );
    out.push_str(&style.paint(&head, Paint::Bold));
    out.push('\n');
    let mut group: Option<Group> = None;
    for (s, target, expect) in &rows {
        if group != Some(s.group) {
            group = Some(s.group);
            out.push_str(&style.paint(group_title(s.group), Paint::Bold));
            out.push('\n');
        }
        let paint = if s.is_healthy() {
            Paint::Ok
        } else {
            Paint::Warn
        };
        out.push_str(&format!(
            "  {:w_name$}  {}  {}  {}\n",
            s.name,
            style.paint(&format!("{target:w_target$}"), Paint::Info),
            style.paint(&format!("{expect:w_expect$}"), paint),
            s.what
        ));
    }
    out
}

/// The URL, then the flags that make `check` reproduce the scenario (except `--cacert`,
/// which the footer explains once).
fn target_column(ep: &Endpoint) -> String {
    let flags = ep.scenario.plan.check_flags(None, ep.proxy.as_deref());
    std::iter::once(ep.url.clone())
        .chain(flags.iter().map(|f| shell_word(f)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_word(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn group_title(g: Group) -> &'static str {
    match g {
        Group::Url => "URL and port",
        Group::ServerConfig => "Server configuration",
        Group::Tls => "TLS",
        Group::ProxyFirewall => "Proxies and firewalls",
        Group::Handshake => "Opening handshake",
        Group::Session => "Session and event loop",
        Group::Healthy => "Healthy (no finding expected)",
    }
}

fn footer(lab: &Lab, files: &LabFiles, style: Style) -> String {
    let ca = files.ca.display().to_string();
    let mut out = format!(
        "\nLab CA: {}  (TLS scenarios expect --cacert with it)\n",
        style.paint(&ca, Paint::Bold)
    );
    if lab.endpoint("tls-client-cert-required").is_some() {
        out.push_str(&format!(
            "Client certificate for tls-client-cert-required: --cert {} --key {}\n",
            files.client_cert.display(),
            files.client_key.display()
        ));
    }
    let example = lab
        .endpoint("healthy-tls-echo")
        .or_else(|| lab.endpoints().iter().find(|e| e.scenario.plan.use_lab_ca))
        .or_else(|| lab.endpoints().first());
    if let Some(ep) = example {
        let args: Vec<String> = ep
            .check_args(Some(&ca))
            .iter()
            .map(|a| shell_word(a))
            .collect();
        out.push_str(&format!(
            "Try:    wsdoctor check {}    ({})\n",
            args.join(" "),
            ep.scenario.name
        ));
    }
    out.push_str(&format!(
        "Serving {} scenario{} on 127.0.0.1 until Ctrl-C.\n",
        lab.endpoints().len(),
        if lab.endpoints().len() == 1 { "" } else { "s" }
    ));
    out
}
