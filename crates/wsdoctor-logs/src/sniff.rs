//! Which format a log is in, judged from the content of its first lines (never from
//! its name): it decides how its lines are read — parsed one by one with the format's
//! field extractor, or searched for anchors — and what the report calls the file.

use super::container::Wrapper;
use super::fields;
use super::json;
use super::template::Template;

/// A line format `logs` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    NginxError,
    /// The combined format and its extensions (nginx, Apache `%D`, Traefik CLF).
    Access,
    /// A template: ingress-nginx's default, Envoy's default, or the operator's own
    /// (`--log-format`, `--nginx-conf`), by index into the scanner's templates.
    Template(usize),
    Haproxy,
    AwsAlb,
    Json,
    ApacheError,
    Text,
}

/// Names `--format` accepts, each with the format it forces.
pub const NAMES: &[(&str, Forced)] = &[
    ("access", Forced::Access),
    ("combined", Forced::Access),
    ("apache", Forced::Access),
    ("traefik", Forced::Access),
    ("ingress-nginx", Forced::Builtin(INGRESS)),
    ("envoy", Forced::Builtin(ENVOY)),
    ("log-format", Forced::User),
    ("nginx-error", Forced::Other(Format::NginxError)),
    ("haproxy", Forced::Other(Format::Haproxy)),
    ("aws-alb", Forced::Other(Format::AwsAlb)),
    ("json", Forced::Other(Format::Json)),
    ("caddy", Forced::Other(Format::Json)),
    ("traefik-json", Forced::Other(Format::Json)),
    ("cloudflare", Forced::Other(Format::Json)),
    ("apache-error", Forced::Other(Format::ApacheError)),
    ("text", Forced::Other(Format::Text)),
];

/// What a `--format` name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forced {
    Access,
    Builtin(usize),
    /// The first template the user gave.
    User,
    Other(Format),
}

/// Indexes of the built-in templates among the scanner's templates.
pub const INGRESS: usize = 0;
pub const ENVOY: usize = 1;

/// A template with the name the report shows for files in it.
pub struct Named {
    pub name: String,
    pub template: Template,
    /// File names (`access.log`) an nginx config writes in this format: a file of that
    /// name is tried in it first.
    pub files: Vec<String>,
}

/// The first lines of a log, judged.
pub struct Sniff {
    counts: Vec<(Format, u32)>,
    pub wrapper: Option<Wrapper>,
    json_writer: Option<json::Writer>,
    total: u32,
}

impl Sniff {
    /// The first 20 non-empty lines of a log's first buffer; `preferred` is a template
    /// tried before all others (the one an nginx config names for this file).
    pub fn head(head: &[u8], templates: &[Named], preferred: Option<usize>) -> Sniff {
        let mut s = Sniff {
            counts: Vec::new(),
            wrapper: None,
            json_writer: None,
            total: 0,
        };
        let mut lines = head
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .take(21)
            .peekable();
        let mut buf = Vec::new();
        while let Some(l) = lines.next() {
            // The last piece may be cut by the buffer's end: judge only whole lines.
            if lines.peek().is_none() && !head.ends_with(b"\n") {
                break;
            }
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            if s.total == 0 {
                s.wrapper = Wrapper::of(l);
            }
            let inner = match s.wrapper {
                Some(w) => w.unwrap(l, &mut buf),
                None => l,
            };
            let f = s.judge(inner, templates, preferred);
            s.total += 1;
            match s.counts.iter_mut().find(|(g, _)| *g == f) {
                Some((_, c)) => *c += 1,
                None => s.counts.push((f, 1)),
            }
        }
        // No whole line in the first buffer (one huge line, no newline at all) is
        // still text, not an empty file.
        if s.total == 0 && !head.trim_ascii().is_empty() {
            s.counts.push((Format::Text, 1));
            s.total = 1;
        }
        s
    }

    fn judge(&mut self, l: &[u8], templates: &[Named], preferred: Option<usize>) -> Format {
        if let Some(i) = preferred
            && templates[i].template.extract(l).is_some()
        {
            return Format::Template(i);
        }
        if l.len() > 20 && l[4] == b'/' && l[7] == b'/' && l[10] == b' ' {
            return Format::NginxError;
        }
        if memchr::memmem::find(l, b"haproxy[").is_some() || fields::haproxy(l).is_some() {
            return Format::Haproxy;
        }
        if l.first() == Some(&b'{')
            && let Some(j) = json::read(l)
        {
            self.json_writer = self.json_writer.or(j.writer);
            return Format::Json;
        }
        // The operator's templates first, then the built-in ones, then combined: a
        // line in a longer format also reads as combined.
        let order = (templates.len().min(ENVOY + 1)..templates.len()).chain([INGRESS, ENVOY]);
        for i in order {
            if i < templates.len() && templates[i].template.extract(l).is_some() {
                return Format::Template(i);
            }
        }
        if fields::alb(l).is_some() {
            return Format::AwsAlb;
        }
        if fields::access(l).is_some() {
            return Format::Access;
        }
        if l.first() == Some(&b'[') && l.get(4) == Some(&b' ') && l.get(8) == Some(&b' ') {
            return Format::ApacheError;
        }
        Format::Text
    }

    /// The format most of the first lines are in: `None` for a file with no lines
    /// (`empty`) or no majority (`mixed`, read as text).
    pub fn format(&self) -> Option<Format> {
        let (f, c) = self.counts.iter().max_by_key(|(_, c)| *c)?;
        (c * 2 > self.total).then_some(*f)
    }

    /// The vendor (a `tables::timeouts` id) a format is the log of, when it says.
    pub fn vendor(&self, f: Format, templates: &[Named]) -> Option<&'static str> {
        match f {
            Format::Template(INGRESS) => Some("ingress-nginx"),
            Format::Template(ENVOY) => Some("envoy"),
            Format::Template(i) if templates[i].name.starts_with("nginx:") => Some("nginx"),
            Format::Haproxy => Some("haproxy"),
            Format::AwsAlb => Some("aws-alb"),
            Format::Json => match self.json_writer {
                Some(json::Writer::Traefik) => Some("traefik"),
                Some(json::Writer::Cloudflare) => Some("cloudflare"),
                _ => None,
            },
            _ => None,
        }
    }

    /// The name the report shows for a file judged so.
    pub fn name(&self, templates: &[Named]) -> String {
        match self.format() {
            Some(f) => name(f, templates, self.json_writer),
            None if self.total == 0 => "empty".into(),
            None => "mixed".into(),
        }
    }
}

/// The report's name for a format.
pub fn name(f: Format, templates: &[Named], writer: Option<json::Writer>) -> String {
    match f {
        Format::NginxError => "nginx-error".into(),
        Format::Access => "access".into(),
        Format::Template(i) => templates[i].name.clone(),
        Format::Haproxy => "haproxy".into(),
        Format::AwsAlb => "aws-alb".into(),
        Format::Json => writer.map_or("json", json::Writer::name).into(),
        Format::ApacheError => "apache-error".into(),
        Format::Text => "text".into(),
    }
}
