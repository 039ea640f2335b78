//! The access-log formats a proxy configuration defines, so that `logs access.log
//! --nginx-conf nginx.conf` reads the access log in the format nginx wrote it in. The
//! configuration is read by lint's parser (`wsdoctor_lint::read`: blocks, quotes,
//! `include` globs, the prefix, cycles and caps), never by a second one here; this
//! module only knows which directives name a log format.

use std::path::Path;
use wsdoctor_lint::read::{Config, Directive};

/// An access-log format: from `--log-format` or a config's `log_format`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFormat {
    /// What the report calls files in this format (`nginx:upstreaminfo`).
    pub name: String,
    /// The template: an nginx `log_format` string, an Apache `LogFormat` or an Envoy
    /// format string.
    pub template: String,
    /// Names of the files an `access_log` directive writes in this format.
    pub files: Vec<String>,
}

/// Every `log_format` of an nginx configuration (with what it includes), with the
/// files `access_log` writes in it. Relative includes resolve against `prefix`, else
/// the file's directory (as nginx does for `-c FILE`). Any file that cannot be read,
/// a missing include, an include cycle or a cap hit is an error naming the file and
/// line; so is a configuration without `log_format` (the predefined `combined` needs
/// none: it is read by content anyway).
pub fn nginx_log_formats(path: &Path, prefix: Option<&Path>) -> Result<Vec<LogFormat>, String> {
    let opts = wsdoctor_lint::Options {
        prefix: prefix.map(Path::to_path_buf),
        ..wsdoctor_lint::Options::default()
    };
    let config = wsdoctor_lint::read::read_nginx(path, &opts);
    refuse_errors(&config)?;
    let formats = log_formats(&config.directives);
    if formats.is_empty() {
        return Err(format!(
            "no log_format directive in it or the {} file(s) it includes (the default combined format needs no config; pass the file that defines the log_format, or give --log-format)",
            config.files.len().saturating_sub(1)
        ));
    }
    Ok(formats)
}

/// The `log_format`s among nginx directives, with the files `access_log` writes in
/// each.
fn log_formats(directives: &[Directive]) -> Vec<LogFormat> {
    let mut formats: Vec<LogFormat> = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for d in directives {
        match d.name.as_str() {
            "log_format" if d.args.len() >= 2 => {
                // `escape=json|default|none` may stand between the name and the strings.
                let strings = d.args[1..].iter().filter(|a| !a.starts_with("escape="));
                formats.push(LogFormat {
                    name: format!("nginx:{}", d.args[0]),
                    template: strings.cloned().collect(),
                    files: Vec::new(),
                });
            }
            "access_log" if d.args.len() >= 2 => {
                let base = d.args[0].rsplit('/').next().unwrap_or(&d.args[0]);
                files.push((base.to_string(), d.args[1].clone()));
            }
            _ => {}
        }
    }
    for (file, format) in files {
        if let Some(f) = formats
            .iter_mut()
            .find(|f| f.name.strip_prefix("nginx:") == Some(format.as_str()))
        {
            f.files.push(file);
        }
    }
    formats
}

/// A configuration read only in part would give the wrong format without saying so:
/// every error is fatal, all of them named (`file:line: message`).
fn refuse_errors(config: &Config) -> Result<(), String> {
    if config.errors.is_empty() {
        return Ok(());
    }
    let said: Vec<String> = config
        .errors
        .iter()
        .map(|e| {
            let at = match e.line {
                Some(l) => format!("{}:{l}", e.file),
                None => e.file.clone(),
            };
            let message = match e.kind {
                // lint follows each file once and goes on; here the cycle is the error.
                Some(wsdoctor_lint::ErrorKind::IncludeCycle) => format!(
                    "include cycle: {} (remove the include that loops back)",
                    e.chain.join(" → ")
                ),
                _ => e.message.clone(),
            };
            format!("{at}: {message}")
        })
        .collect();
    Err(said.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn log_formats_and_the_files_written_in_them() {
        let conf = r#"
http {
  # the ingress-nginx default
  log_format upstreaminfo '$remote_addr - $remote_user [$time_local] "$request" '
      '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
      '$request_length $request_time [$proxy_upstream_name]';
  log_format jsonlog escape=json '{"status":$status,"uri":"$request_uri"}';
  access_log /var/log/nginx/access.log upstreaminfo;
  server { access_log /var/log/nginx/api.json jsonlog buffer=32k; }
}"#;
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let f = nginx_log_formats(&dir.path().join("nginx.conf"), None).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "nginx:upstreaminfo");
        assert!(
            f[0].template
                .starts_with(r#"$remote_addr - $remote_user [$time_local] "$request" $status"#)
        );
        assert!(f[0].template.ends_with("[$proxy_upstream_name]"));
        assert_eq!(f[0].files, vec!["access.log".to_string()]);
        assert_eq!(f[1].template, r#"{"status":$status,"uri":"$request_uri"}"#);
        assert_eq!(f[1].files, vec!["api.json".to_string()]);
    }

    /// The layout Debian's nginx package installs: formats in `conf.d/*.conf`,
    /// `access_log` in a site, both included from nginx.conf by relative globs.
    fn debian_layout(dir: &Path) {
        fs::create_dir_all(dir.join("conf.d")).unwrap();
        fs::create_dir_all(dir.join("sites-enabled")).unwrap();
        fs::write(
            dir.join("nginx.conf"),
            "events {}\nhttp {\n  include conf.d/*.conf;\n  include sites-enabled/*;\n}\n",
        )
        .unwrap();
        fs::write(
            dir.join("conf.d/logformat.conf"),
            "log_format timed '$remote_addr [$time_local] \"$request\" $status $request_time';\n",
        )
        .unwrap();
        fs::write(
            dir.join("sites-enabled/app"),
            "server {\n  listen 127.0.0.1:8080;\n  access_log /var/log/nginx/app.log timed;\n}\n",
        )
        .unwrap();
    }

    #[test]
    fn formats_are_found_through_include_globs() {
        let dir = tempfile::tempdir().unwrap();
        debian_layout(dir.path());
        let f = nginx_log_formats(&dir.path().join("nginx.conf"), None).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].name, "nginx:timed");
        assert_eq!(
            f[0].template,
            r#"$remote_addr [$time_local] "$request" $status $request_time"#
        );
        assert_eq!(f[0].files, ["app.log"]);
    }

    #[test]
    fn a_missing_include_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        debian_layout(dir.path());
        fs::write(
            dir.path().join("sites-enabled/app"),
            "include snippets/log.conf;\n",
        )
        .unwrap();
        let e = nginx_log_formats(&dir.path().join("nginx.conf"), None).unwrap_err();
        assert!(
            e.contains("sites-enabled/app:1: include snippets/log.conf"),
            "{e}"
        );
        assert!(e.contains("snippets/log.conf: No such file"), "{e}");
        // Under a prefix (nginx's, /etc/nginx) every relative include resolves there.
        let prefix = tempfile::tempdir().unwrap();
        for d in ["snippets", "sites-enabled"] {
            fs::create_dir(prefix.path().join(d)).unwrap();
        }
        let log = "log_format p '$status';\n";
        fs::write(prefix.path().join("snippets/log.conf"), log).unwrap();
        let site = "include snippets/log.conf;\n";
        fs::write(prefix.path().join("sites-enabled/app"), site).unwrap();
        let f = nginx_log_formats(&dir.path().join("nginx.conf"), Some(prefix.path())).unwrap();
        assert_eq!(f[0].name, "nginx:p");
    }

    #[test]
    fn an_include_cycle_is_an_error_naming_the_files() {
        let dir = tempfile::tempdir().unwrap();
        debian_layout(dir.path());
        fs::write(dir.path().join("conf.d/loop.conf"), "include nginx.conf;\n").unwrap();
        let e = nginx_log_formats(&dir.path().join("nginx.conf"), None).unwrap_err();
        let root = dir.path().display();
        let want = format!(
            "include cycle: {root}/nginx.conf → {root}/conf.d/loop.conf → {root}/nginx.conf"
        );
        assert!(e.contains(&want), "{e}");
        assert!(
            e.starts_with(&format!("{root}/conf.d/loop.conf:1: ")),
            "{e}"
        );
    }

    #[test]
    fn a_config_without_log_format_says_so() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("nginx.conf"), "events {}\nhttp {}\n").unwrap();
        let e = nginx_log_formats(&dir.path().join("nginx.conf"), None).unwrap_err();
        assert!(e.starts_with("no log_format directive"), "{e}");
        let e = nginx_log_formats(&dir.path().join("absent.conf"), None).unwrap_err();
        assert!(e.contains("absent.conf"), "{e}");
    }
}
