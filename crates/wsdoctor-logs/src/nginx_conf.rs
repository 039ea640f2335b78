//! The `log_format` and `access_log` directives of an nginx configuration, so that
//! `logs access.log --nginx-conf nginx.conf` reads the access log in the format nginx
//! wrote it in. Only these two directives are read (the full parser, with blocks and
//! includes, is `lint`'s); an `include`d file must be passed itself.

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

/// Configs larger than this are refused.
pub const MAX_CONF_BYTES: usize = 4 << 20;

/// Every `log_format` of a config, with the files `access_log` writes in it; the
/// predefined `combined` needs none (it is read by content anyway).
pub fn log_formats(conf: &str) -> Vec<LogFormat> {
    let mut formats: Vec<LogFormat> = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for d in directives(conf) {
        match d.first().map(String::as_str) {
            Some("log_format") if d.len() >= 3 => {
                let strings = d[2..].iter().filter(|a| !a.starts_with("escape="));
                formats.push(LogFormat {
                    name: format!("nginx:{}", d[1]),
                    template: strings.cloned().collect(),
                    files: Vec::new(),
                });
            }
            Some("access_log") if d.len() >= 3 => {
                let base = d[1].rsplit('/').next().unwrap_or(&d[1]).to_string();
                files.push((base, d[2].clone()));
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

/// The directives of a config as word lists, blocks flattened.
fn directives(conf: &str) -> Vec<Vec<String>> {
    let b = conf.as_bytes();
    let mut out = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            c if c.is_ascii_whitespace() => i += 1,
            b';' | b'{' | b'}' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                i += 1;
            }
            q @ (b'"' | b'\'') => {
                let mut word = Vec::new();
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    word.push(b[i]);
                    i += 1;
                }
                i += 1;
                cur.push(String::from_utf8_lossy(&word).into_owned());
            }
            _ => {
                let start = i;
                while i < b.len()
                    && !b[i].is_ascii_whitespace()
                    && !matches!(b[i], b';' | b'{' | b'}')
                {
                    i += 1;
                }
                cur.push(String::from_utf8_lossy(&b[start..i]).into_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let f = log_formats(conf);
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
}
