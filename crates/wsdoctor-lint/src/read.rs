//! Configuration read for other commands: `logs` needs the `log_format` of an nginx
//! config and the `LogFormat`/`CustomLog` of an Apache one. They get lint's own
//! parsers, include expansion (globs, the prefix, cycles, the caps of [`Limits`]) and
//! error messages, so a configuration is read one way whichever command reads it.
//!
//! [`Limits`]: crate::Limits

use crate::finding::shown_text;
use crate::formats;
use crate::report::{LintError, LintReport};
use crate::{Options, source};
use std::path::Path;

/// One directive, wherever it sits (blocks and sections flattened, in the order nginx
/// or Apache reads them, included files spliced in where they are included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    /// The file it was written in (an included file, or a member of an `nginx -T`
    /// dump), and its line there.
    pub file: String,
    pub line: usize,
}

/// A configuration as read: its directives and what could not be read.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub directives: Vec<Directive>,
    /// Every file read, the main file first.
    pub files: Vec<String>,
    /// Files that could not be read or parsed, missing includes, include cycles
    /// (`kind` `include-cycle`, `chain` naming the files) and limits hit; messages
    /// redacted like lint's own.
    pub errors: Vec<LintError>,
}

/// Reads an nginx configuration (or `nginx -T` output) with its includes, relative
/// ones resolved against `opts.prefix` or else the file's directory, as nginx does
/// for the file given with `-c`.
pub fn read_nginx(path: &Path, opts: &Options) -> Config {
    read(path, opts, formats::nginx_directives)
}

/// Reads an Apache httpd configuration with its `Include`s, relative ones resolved
/// against `opts.prefix`, else `ServerRoot`, else the file's directory.
pub fn read_apache(path: &Path, opts: &Options) -> Config {
    read(path, opts, formats::apache_directives)
}

type Reader = fn(&str, String, &Options, &mut LintReport) -> (Vec<Directive>, Vec<String>);

fn read(path: &Path, opts: &Options, reader: Reader) -> Config {
    let name = path.to_string_lossy().into_owned();
    let mut report = LintReport::new();
    let mut config = Config::default();
    match source::read_capped(path, opts.limits.max_file_bytes) {
        Ok(text) => {
            (config.directives, config.files) = reader(&name, text, opts, &mut report);
        }
        Err(e) => report.push_error(e.at(&name, None, "")),
    }
    config.errors = report.errors;
    for e in &mut config.errors {
        e.message = shown_text(&e.message);
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::fs;

    fn names(c: &Config) -> Vec<(&str, &str)> {
        c.directives
            .iter()
            .map(|d| (d.name.as_str(), d.args.first().map_or("", String::as_str)))
            .collect()
    }

    #[test]
    fn nginx_includes_are_spliced_in_with_their_files_and_lines() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("conf.d")).unwrap();
        fs::write(
            dir.path().join("nginx.conf"),
            "http {\n  include conf.d/*.conf;\n  access_log off;\n}\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("conf.d/b.conf"),
            "log_format b '$status';\n",
        )
        .unwrap();
        fs::write(dir.path().join("conf.d/a.conf"), "\nlog_format a '$uri';\n").unwrap();
        fs::write(dir.path().join("conf.d/skip.txt"), "log_format no '';\n").unwrap();
        let c = read_nginx(&dir.path().join("nginx.conf"), &Options::default());
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(
            names(&c),
            [
                ("http", ""),
                ("log_format", "a"),
                ("log_format", "b"),
                ("access_log", "off")
            ]
        );
        let a = &c.directives[1];
        assert!(a.file.ends_with("conf.d/a.conf") && a.line == 2, "{a:?}");
        assert_eq!(c.files.len(), 3);
        assert!(c.files[0].ends_with("nginx.conf"));
    }

    #[test]
    fn nginx_prefix_and_missing_includes() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        fs::create_dir_all(etc.join("snippets")).unwrap();
        fs::create_dir(dir.path().join("conf")).unwrap();
        fs::write(etc.join("snippets/log.conf"), "log_format p '$uri';\n").unwrap();
        fs::write(
            dir.path().join("conf/main.conf"),
            "include snippets/log.conf;\n",
        )
        .unwrap();
        let main = dir.path().join("conf/main.conf");
        // Relative to the file's directory, the include is missing: an error naming it.
        let c = read_nginx(&main, &Options::default());
        assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
        let e = &c.errors[0];
        assert_eq!(e.line, Some(1));
        assert!(e.file.ends_with("main.conf"));
        assert!(
            e.message.contains("include snippets/log.conf")
                && e.message.contains("conf/snippets/log.conf"),
            "{}",
            e.message
        );
        // Relative to the prefix it is found.
        let opts = Options {
            prefix: Some(etc.clone()),
            ..Options::default()
        };
        let c = read_nginx(&main, &opts);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(names(&c), [("log_format", "p")]);
        // A main file that is not there.
        let c = read_nginx(&dir.path().join("nope.conf"), &Options::default());
        assert_eq!(c.errors.len(), 1);
        assert!(c.errors[0].file.ends_with("nope.conf"));
    }

    #[test]
    fn nginx_include_cycle_names_the_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("a.conf"),
            "include b.conf;\nlog_format a x;\n",
        )
        .unwrap();
        fs::write(dir.path().join("b.conf"), "include a.conf;\n").unwrap();
        let c = read_nginx(&dir.path().join("a.conf"), &Options::default());
        assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
        let e = &c.errors[0];
        assert_eq!(e.kind, Some(ErrorKind::IncludeCycle));
        let chain: Vec<&str> = e
            .chain
            .iter()
            .map(|f| f.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(chain, ["a.conf", "b.conf", "a.conf"]);
        assert!(e.file.ends_with("b.conf") && e.line == Some(1));
        // Each file is still read once.
        assert_eq!(names(&c), [("log_format", "a")]);
    }

    #[test]
    fn nginx_include_depth_and_file_caps() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            let next = format!("include d{}.conf;\n", i + 1);
            fs::write(dir.path().join(format!("d{i}.conf")), next).unwrap();
        }
        fs::write(dir.path().join("d5.conf"), "log_format deep x;\n").unwrap();
        let mut opts = Options::default();
        opts.limits.max_include_depth = 3;
        let c = read_nginx(&dir.path().join("d0.conf"), &opts);
        assert_eq!(c.errors.len(), 1);
        assert_eq!(c.errors[0].kind, Some(ErrorKind::IncludeLimit));
        assert!(c.errors[0].message.contains("nested more than 3 deep"));
        assert!(names(&c).is_empty());
        // A glob naming more files than the cap reads the first ones, and says so.
        let many = tempfile::tempdir().unwrap();
        fs::create_dir(many.path().join("d")).unwrap();
        for i in 0..4 {
            fs::write(many.path().join(format!("d/{i}.conf")), "log_format x y;\n").unwrap();
        }
        fs::write(many.path().join("main.conf"), "include d/*.conf;\n").unwrap();
        let mut opts = Options::default();
        opts.limits.max_files = 2;
        let c = read_nginx(&many.path().join("main.conf"), &opts);
        assert_eq!(names(&c).len(), 2);
        assert_eq!(c.errors[0].kind, Some(ErrorKind::IncludeLimit));
        assert!(c.errors[0].message.contains("more than 2 files"));
    }

    #[test]
    fn nginx_dump_members_are_read_from_the_dump() {
        let dir = tempfile::tempdir().unwrap();
        let dump = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n# configuration file /etc/nginx/nginx.conf:\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n}\n\n# configuration file /etc/nginx/conf.d/log.conf:\nlog_format d '$uri';\n\n";
        fs::write(dir.path().join("dump.txt"), dump).unwrap();
        let c = read_nginx(&dir.path().join("dump.txt"), &Options::default());
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(names(&c), [("http", ""), ("log_format", "d")]);
        assert_eq!(c.directives[1].file, "/etc/nginx/conf.d/log.conf");
    }

    #[test]
    fn apache_includes_and_sections_are_flattened() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sites")).unwrap();
        fs::write(
            dir.path().join("httpd.conf"),
            "LogFormat \"%h \\\"%r\\\" %>s %D\" timed\nIncludeOptional sites/*.conf\nInclude missing.conf\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("sites/app.conf"),
            "<VirtualHost *:80>\n  CustomLog logs/app.log timed\n</VirtualHost>\n",
        )
        .unwrap();
        let c = read_apache(&dir.path().join("httpd.conf"), &Options::default());
        assert_eq!(
            names(&c),
            [
                ("LogFormat", "%h \"%r\" %>s %D"),
                ("CustomLog", "logs/app.log")
            ]
        );
        assert_eq!(c.directives[1].line, 2);
        assert_eq!(c.errors.len(), 1);
        assert!(c.errors[0].message.contains("missing.conf does not exist"));
    }
}
