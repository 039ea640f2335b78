//! The `--config` file (YAML, like blackbox_exporter's): named modules, each a set of
//! `check` options; targets probed on an interval; an allow-list for `/probe`.
//!
//! A module is turned into `CheckArgs` and resolved by `check::options`, the one place
//! that interprets check's flags, so a module accepts exactly what `check` accepts
//! and fails with the same message. Every module is resolved once at load time, so a
//! bad header or a missing CA file stops `serve` (or a reload) instead of every probe.

use crate::cmd::check::{self, CheckArgs, ConnectArgs, TlsArgs};
use std::path::{Path, PathBuf};
use std::time::Duration;
use yaml_rust2::{Yaml, YamlLoader};

/// The name of the module used when a request names none; a config may redefine it.
pub const DEFAULT_MODULE: &str = "default";
/// Cap on the config file: a config of thousands of targets is far below it.
const MAX_FILE: u64 = 4 * 1024 * 1024;
/// Cap on scheduled targets, so one config cannot make the exporter probe without end.
pub const MAX_TARGETS: usize = 10_000;
/// The shortest interval a scheduled target may have.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// A loaded, validated config.
#[derive(Clone, Debug)]
pub struct Config {
    pub modules: Vec<Module>,
    pub targets: Vec<Target>,
    /// Host patterns `/probe` may target; empty allows every target.
    pub allow: Vec<String>,
    pub source: Option<PathBuf>,
}

/// A named set of check options.
#[derive(Clone, Debug)]
pub struct Module {
    pub name: String,
    /// The probe deadline in seconds; `None`: the scrape's (or `--timeout`).
    pub timeout: Option<f64>,
    /// Everything else, as check would take it from flags (`url` left empty).
    pub args: CheckArgs,
}

/// A target of the config file, probed every `interval`.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: String,
    pub module: String,
    pub interval: Duration,
}

impl Config {
    /// No file: the default module (check's defaults) and no targets.
    pub fn builtin() -> Config {
        Config {
            modules: vec![Module {
                name: DEFAULT_MODULE.into(),
                timeout: None,
                args: check::defaults(),
            }],
            targets: Vec::new(),
            allow: Vec::new(),
            source: None,
        }
    }

    pub fn load(path: &Path) -> Result<Config, String> {
        let meta =
            std::fs::metadata(path).map_err(|e| format!("--config {}: {e}", path.display()))?;
        if meta.len() > MAX_FILE {
            return Err(format!(
                "--config {}: {} bytes is over the {MAX_FILE}-byte cap for a config file",
                path.display(),
                meta.len()
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--config {}: {e}", path.display()))?;
        let mut c = parse(&text).map_err(|e| format!("--config {}: {e}", path.display()))?;
        c.source = Some(path.to_path_buf());
        Ok(c)
    }

    pub fn module(&self, name: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.name == name)
    }

    pub fn module_names(&self) -> String {
        self.modules
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether `/probe` may target this host and port.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        self.allow.is_empty() || self.allow.iter().any(|p| host_matches(p, host, port))
    }
}

impl Module {
    /// The check arguments for one probe of `url` with this deadline.
    pub fn check_args(&self, url: &str, timeout: f64) -> CheckArgs {
        CheckArgs {
            url: url.to_string(),
            timeout,
            ..self.args.clone()
        }
    }
}

/// Parse a config text (the file's contents).
pub fn parse(text: &str) -> Result<Config, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let root = match docs.as_slice() {
        [] => return Ok(Config::builtin()),
        [Yaml::Null] => return Ok(Config::builtin()),
        [root] => root,
        _ => return Err("holds several YAML documents; put everything in one".into()),
    };
    let top = hash(root, "the top level")?;
    known_keys(
        top,
        "the top level",
        &["modules", "targets", "allow_targets", "interval"],
    )?;
    let mut config = Config::builtin();
    if let Some(modules) = top.get(&key("modules")) {
        for (name, body) in hash(modules, "modules")? {
            let name = scalar(name, "a module name")?;
            let module = module(&name, body)?;
            config.modules.retain(|m| m.name != name);
            config.modules.push(module);
        }
    }
    let interval = match top.get(&key("interval")) {
        Some(v) => duration(v, "interval")?,
        None => DEFAULT_INTERVAL,
    };
    if let Some(targets) = top.get(&key("targets")) {
        let list = array(targets, "targets")?;
        if list.len() > MAX_TARGETS {
            return Err(format!(
                "targets: {} targets is over the cap of {MAX_TARGETS}; run several exporters",
                list.len()
            ));
        }
        for (i, t) in list.iter().enumerate() {
            let at = format!("targets[{i}]");
            config
                .targets
                .push(target(&at, t, Some(interval), &config)?);
        }
    }
    if let Some(allow) = top.get(&key("allow_targets")) {
        for p in array(allow, "allow_targets")? {
            let p = scalar(p, "an allow_targets entry")?;
            if p.is_empty() || p.contains(['/', ' ']) {
                return Err(format!(
                    "allow_targets: {p:?} is not a host pattern; use a host, *.domain, host:port or *"
                ));
            }
            config.allow.push(p.to_ascii_lowercase());
        }
    }
    Ok(config)
}

const MODULE_KEYS: &[&str] = &[
    "timeout",
    "headers",
    "subprotocols",
    "extensions",
    "origin",
    "proxy",
    "noproxy",
    "ca_file",
    "ca_store",
    "client_cert",
    "client_key",
    "insecure",
    "message",
    "expect",
    "max_message",
    "ip_protocol",
    "resolve",
    "connect_to",
    "no_pong",
];

fn module(name: &str, body: &Yaml) -> Result<Module, String> {
    let at = format!("modules.{name}");
    if name.is_empty() || name.len() > 64 || name.contains(char::is_control) {
        return Err(format!(
            "modules: {name:?} is not a usable module name (1 to 64 printable characters)"
        ));
    }
    let empty = yaml_rust2::yaml::Hash::new();
    let h = match body {
        Yaml::Null => &empty,
        b => hash(b, &at)?,
    };
    known_keys(h, &at, MODULE_KEYS)?;
    let get = |k: &str| h.get(&key(k));
    let text = |k: &str| -> Result<Option<String>, String> {
        get(k).map(|v| scalar(v, &format!("{at}.{k}"))).transpose()
    };
    let list = |k: &str| -> Result<Vec<String>, String> {
        match get(k) {
            None => Ok(Vec::new()),
            Some(v) => array(v, &format!("{at}.{k}"))?
                .iter()
                .map(|s| scalar(s, &format!("{at}.{k}")))
                .collect(),
        }
    };
    let flag = |k: &str| -> Result<bool, String> {
        match get(k) {
            None => Ok(false),
            Some(Yaml::Boolean(b)) => Ok(*b),
            Some(_) => Err(format!("{at}.{k}: expected true or false")),
        }
    };
    let mut headers = Vec::new();
    if let Some(hs) = get("headers") {
        for (n, v) in hash(hs, &format!("{at}.headers"))? {
            let n = scalar(n, &format!("{at}.headers"))?;
            // The value may be a credential: errors name the header, never the value.
            let v = scalar(v, &format!("{at}.headers.{n}"))?;
            headers.push(format!("{n}: {v}"));
        }
    }
    let timeout = get("timeout")
        .map(|v| duration(v, &format!("{at}.timeout")).map(|d| d.as_secs_f64()))
        .transpose()?;
    let (ipv4, ipv6) = match text("ip_protocol")?.as_deref() {
        None => (false, false),
        Some("ip4") => (true, false),
        Some("ip6") => (false, true),
        Some(other) => {
            return Err(format!(
                "{at}.ip_protocol: {other:?} is not ip4 or ip6 (leave it out for both, happy eyeballs)"
            ));
        }
    };
    let base = check::defaults();
    let max_message = match get("max_message") {
        None => base.connect.max_message,
        Some(Yaml::Integer(n)) if *n > 0 => *n as usize,
        Some(_) => return Err(format!("{at}.max_message: expected a number of bytes")),
    };
    let args = CheckArgs {
        connect: ConnectArgs {
            headers,
            subprotocols: list("subprotocols")?,
            origin: text("origin")?,
            proxy: text("proxy")?,
            noproxy: text("noproxy")?,
            tls: TlsArgs {
                cacert: text("ca_file")?.map(PathBuf::from),
                ca_store: text("ca_store")?.unwrap_or_else(|| base.connect.tls.ca_store.clone()),
                cert: text("client_cert")?.map(PathBuf::from),
                key: text("client_key")?.map(PathBuf::from),
                insecure: flag("insecure")?,
            },
            max_message,
            ipv4,
            ipv6,
            resolve: list("resolve")?,
            connect_to: list("connect_to")?,
            ..base.connect.clone()
        },
        extensions: list("extensions")?,
        message: text("message")?,
        expect: flag("expect")?,
        no_pong: flag("no_pong")?,
        ..base.clone()
    };
    if !matches!(args.connect.tls.ca_store.as_str(), "webpki" | "system") {
        return Err(format!("{at}.ca_store: expected webpki or system"));
    }
    if args.connect.tls.cert.is_some() != args.connect.tls.key.is_some() {
        return Err(format!(
            "{at}: client_cert and client_key go together; give both or neither"
        ));
    }
    let module = Module {
        name: name.to_string(),
        timeout,
        args,
    };
    // Resolve once now, on a placeholder URL, so a bad option fails the load.
    check::options(&module.check_args("ws://127.0.0.1/", timeout.unwrap_or(10.0)))
        .map_err(|e| format!("{at}: {e}"))?;
    Ok(module)
}

/// One line of `check --targets FILE`, read as an entry of `targets:` is: a URL, or a
/// flow mapping `{url: URL, module: NAME}` naming a module of `config`. `None` for a
/// blank line or a `#` comment. Errors start with `line N`.
pub fn line_target(n: u64, line: &str, config: &Config) -> Result<Option<Target>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let at = format!("line {n}");
    // A bare URL is taken as it is, not as YAML: `#`, `: ` or `[` may sit in a URL.
    let yaml = if line.starts_with('{') {
        match YamlLoader::load_from_str(line).as_deref() {
            Ok([y @ Yaml::Hash(_)]) => y.clone(),
            Ok(_) => {
                return Err(format!(
                    "{at}: expected one mapping such as {{url: wss://host/path, module: NAME}}"
                ));
            }
            Err(e) => return Err(format!("{at}: not a YAML flow mapping ({e})")),
        }
    } else {
        Yaml::String(line.to_string())
    };
    target(&at, &yaml, None, config).map(Some)
}

/// A `targets:` entry (`interval` given) or a `check --targets` line (`None`: a line is
/// checked once, so it takes no interval).
fn target(
    at: &str,
    t: &Yaml,
    interval: Option<Duration>,
    config: &Config,
) -> Result<Target, String> {
    let keys: &[&str] = match interval {
        Some(_) => &["url", "module", "interval"],
        None => &["url", "module"],
    };
    let interval = interval.unwrap_or(DEFAULT_INTERVAL);
    let (url, module, every) = match t {
        Yaml::String(s) => (s.clone(), DEFAULT_MODULE.to_string(), interval),
        Yaml::Hash(h) => {
            known_keys(h, at, keys)?;
            let url = h
                .get(&key("url"))
                .ok_or_else(|| format!("{at}: has no url"))
                .and_then(|v| scalar(v, &format!("{at}.url")))?;
            let module = match h.get(&key("module")) {
                Some(m) => scalar(m, &format!("{at}.module"))?,
                None => DEFAULT_MODULE.to_string(),
            };
            let every = match h.get(&key("interval")) {
                Some(v) => duration(v, &format!("{at}.interval"))?,
                None => interval,
            };
            (url, module, every)
        }
        _ => {
            return Err(format!("{at}: expected a URL or {{{}}}", keys.join(", ")));
        }
    };
    if config.module(&module).is_none() {
        return Err(format!(
            "{at}: module {module:?} is not defined; defined: {}",
            config.module_names()
        ));
    }
    if let Some(reason) = super::unusable_target(&url) {
        return Err(format!("{at}: {reason}"));
    }
    if every < MIN_INTERVAL {
        return Err(format!(
            "{at}: an interval below 1 s would probe without pause"
        ));
    }
    Ok(Target {
        url,
        module,
        interval: every,
    })
}

/// `host`, `*.domain`, `host:port`, `*:port` or `*`.
fn host_matches(pattern: &str, host: &str, port: u16) -> bool {
    let host = host.to_ascii_lowercase();
    let (p_host, p_port) = match pattern.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => (h, Some(p)),
        _ => (pattern, None),
    };
    let p_host = p_host.trim_start_matches('[').trim_end_matches(']');
    let port_ok = p_port.is_none_or(|p| p == port.to_string());
    let host_ok = p_host == "*"
        || p_host == host
        || p_host
            .strip_prefix("*.")
            .is_some_and(|d| host.ends_with(&format!(".{d}")));
    port_ok && host_ok
}

/// Seconds as a number, or a Prometheus duration: `500ms`, `5s`, `1m`, `1h`.
fn duration(v: &Yaml, at: &str) -> Result<Duration, String> {
    let bad = || format!("{at}: expected seconds (5, 2.5) or a duration (500ms, 5s, 1m)");
    let secs = match v {
        Yaml::Integer(n) => *n as f64,
        Yaml::Real(r) => r.parse::<f64>().map_err(|_| bad())?,
        Yaml::String(s) => {
            let s = s.trim();
            let (num, unit) = s
                .find(|c: char| c.is_ascii_alphabetic())
                .map(|i| s.split_at(i))
                .unwrap_or((s, "s"));
            let n: f64 = num.trim().parse().map_err(|_| bad())?;
            n * match unit {
                "ms" => 0.001,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                _ => return Err(bad()),
            }
        }
        _ => return Err(bad()),
    };
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(format!("{at}: must be above 0 and at most a day"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn key(k: &str) -> Yaml {
    Yaml::String(k.into())
}

fn hash<'a>(v: &'a Yaml, at: &str) -> Result<&'a yaml_rust2::yaml::Hash, String> {
    match v {
        Yaml::Hash(h) => Ok(h),
        _ => Err(format!("{at}: expected a mapping (key: value lines)")),
    }
}

fn array<'a>(v: &'a Yaml, at: &str) -> Result<&'a [Yaml], String> {
    match v {
        Yaml::Array(a) => Ok(a),
        _ => Err(format!("{at}: expected a list (- item lines, or [a, b])")),
    }
}

fn scalar(v: &Yaml, at: &str) -> Result<String, String> {
    match v {
        Yaml::String(s) | Yaml::Real(s) => Ok(s.clone()),
        Yaml::Integer(n) => Ok(n.to_string()),
        Yaml::Boolean(b) => Ok(b.to_string()),
        _ => Err(format!("{at}: expected a single value")),
    }
}

fn known_keys(h: &yaml_rust2::yaml::Hash, at: &str, known: &[&str]) -> Result<(), String> {
    for k in h.keys() {
        let k = scalar(k, at)?;
        if !known.contains(&k.as_str()) {
            return Err(format!(
                "{at}: unknown key {k:?}; known keys: {}",
                known.join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_become_check_options_and_targets_get_intervals() {
        let c = parse(
            r#"
interval: 1m
modules:
  chat:
    timeout: 2.5s
    headers: {X-Team: blue}
    subprotocols: [chat.v2]
    origin: https://app.example
    ip_protocol: ip4
targets:
  - ws://127.0.0.1:9/a
  - {url: "wss://127.0.0.1:9/b", module: chat, interval: 10}
allow_targets: ["127.0.0.1", "*.example.com:443"]
"#,
        )
        .unwrap();
        let chat = c.module("chat").unwrap();
        assert_eq!(chat.timeout, Some(2.5));
        assert_eq!(chat.args.connect.headers, ["X-Team: blue"]);
        assert_eq!(chat.args.connect.subprotocols, ["chat.v2"]);
        assert!(chat.args.connect.ipv4);
        assert!(c.module(DEFAULT_MODULE).is_some(), "the default stays");
        assert_eq!(c.targets[0].interval, Duration::from_secs(60));
        assert_eq!(c.targets[0].module, DEFAULT_MODULE);
        assert_eq!(c.targets[1].interval, Duration::from_secs(10));
        assert!(c.allows("127.0.0.1", 80));
        assert!(c.allows("api.example.com", 443));
        assert!(!c.allows("api.example.com", 80));
        assert!(!c.allows("10.0.0.1", 80));
    }

    #[test]
    fn mistakes_name_the_key_and_the_fix() {
        let err = |text: &str| parse(text).unwrap_err();
        assert!(err("modules: {a: {hedaers: {}}}").contains("unknown key \"hedaers\""));
        assert!(err("modules: {a: {ip_protocol: ip5}}").contains("ip4 or ip6"));
        assert!(err("modules: {a: {headers: {'Bad Name': x}}}").contains("header name"));
        assert!(err("modules: {a: {ca_file: /no/such.pem}}").contains("/no/such.pem"));
        assert!(err("targets: [{url: ws://x/, module: nope}]").contains("not defined"));
        assert!(err("targets: ['ftp://x/']").contains("targets[0]"));
        assert!(err("targets: [{url: ws://x/, interval: 0.1}]").contains("below 1 s"));
        assert!(err("interval: soon").contains("duration"));
        assert!(err("modules: [").contains("YAML"));
        let secret = err("modules: {a: {headers: {'Bad Name': hunter2}}}");
        assert!(!secret.contains("hunter2"), "{secret}");
    }

    #[test]
    fn defaults_are_checks_defaults() {
        let d = check::defaults();
        assert_eq!(d.timeout, 10.0);
        assert_eq!(d.connect.tls.ca_store, "webpki");
        assert_eq!(
            d.connect.max_message,
            wsdoctor_net::ProbeOptions::default().max_message
        );
        let m = parse("modules: {a: {}}").unwrap();
        assert_eq!(
            m.module("a").unwrap().args.connect.max_message,
            d.connect.max_message
        );
    }

    #[test]
    fn a_targets_line_is_a_url_or_a_targets_entry_without_interval() {
        let c = parse("modules: {chat: {subprotocols: [v2]}}").unwrap();
        let t = |l: &str| line_target(7, l, &c);
        assert!(t("").unwrap().is_none());
        assert!(t("  # a comment").unwrap().is_none());
        let plain = t(" ws://127.0.0.1:9/a?x=1#frag ").unwrap().unwrap();
        assert_eq!(
            (plain.url.as_str(), plain.module.as_str()),
            ("ws://127.0.0.1:9/a?x=1#frag", DEFAULT_MODULE)
        );
        let mapped = t("{url: 'wss://127.0.0.1:9/b', module: chat}")
            .unwrap()
            .unwrap();
        assert_eq!(
            (mapped.url.as_str(), mapped.module.as_str()),
            ("wss://127.0.0.1:9/b", "chat")
        );
        let err = |l: &str| t(l).unwrap_err();
        assert!(
            err("ftp://x/").starts_with("line 7: "),
            "{}",
            err("ftp://x/")
        );
        assert!(err("{url: ws://x/, interval: 5s}").contains("unknown key \"interval\""));
        assert!(err("{url: ws://x/, module: nope}").contains("defined: default, chat"));
        assert!(err("{url: [").contains("line 7: not a YAML flow mapping"));
        assert!(err("{module: chat}").contains("has no url"));
    }

    #[test]
    fn an_empty_file_is_the_builtin_config() {
        let c = parse("").unwrap();
        assert_eq!(c.module_names(), DEFAULT_MODULE);
        assert!(c.targets.is_empty() && c.allows("anything", 1));
    }
}
