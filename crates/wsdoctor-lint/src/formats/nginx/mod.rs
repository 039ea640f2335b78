//! nginx: parse the main file, splice in its `include`s (globs, relative to the prefix)
//! so that inheritance works across files as nginx sees it, settle which nginx version
//! the rules assume, and run the rules.

mod parse;
mod routes;
mod rules;

use super::Ctx;
use crate::NginxVersion;
use crate::source::{self, Refusal};
use parse::Directive;
use regex::Regex;
use std::path::PathBuf;

pub(crate) fn lint(ctx: &mut Ctx, main: &str, whole_text: &str) {
    let Some(tree) = read(ctx, main) else {
        return;
    };
    let version = settle_version(ctx, whole_text);
    rules::run(ctx, &tree, version);
}

/// Every directive of `main` and what it includes, blocks flattened in reading order,
/// for commands other than lint (`crate::read`).
pub(crate) fn directives(ctx: &mut Ctx, main: &str) -> Vec<crate::read::Directive> {
    fn flatten(list: Vec<Directive>, out: &mut Vec<crate::read::Directive>) {
        for d in list {
            out.push(crate::read::Directive {
                name: d.name,
                args: d.args,
                file: d.file,
                line: d.line,
            });
            if let Some(children) = d.block {
                flatten(children, out);
            }
        }
    }
    let mut out = Vec::new();
    flatten(read(ctx, main).unwrap_or_default(), &mut out);
    out
}

/// Parses `main` (already in the sources) and splices in its includes; `None` when
/// it does not parse (the error is reported).
fn read(ctx: &mut Ctx, main: &str) -> Option<Vec<Directive>> {
    let text = ctx.sources.text(main)?.to_string();
    let tree = match parse::parse(main, &text) {
        Ok(t) => t,
        Err(e) => {
            ctx.error(main, Some(e.line), e.message);
            return None;
        }
    };
    let prefix = ctx
        .opts
        .prefix
        .clone()
        .unwrap_or_else(|| source::dir_of(main));
    ctx.sources.begin(main);
    Some(splice_includes(ctx, tree, &prefix))
}

/// Replaces every `include` with the directives of the files it names; the sources
/// refuse cycles and runaway expansion.
fn splice_includes(ctx: &mut Ctx, list: Vec<Directive>, prefix: &PathBuf) -> Vec<Directive> {
    let mut out = Vec::with_capacity(list.len());
    for mut d in list {
        if d.name == "include" && d.block.is_none() {
            let Some(pattern) = d.arg(0) else {
                continue;
            };
            let resolved = source::resolve(prefix, pattern);
            let (files, cut) = ctx.sources.expand(&resolved, &d.file, d.line);
            if let Some(e) = cut {
                ctx.report.push_error(e);
            }
            let mut unread = false;
            for file in files {
                match ctx.sources.enter(&file, &d.file, d.line) {
                    Ok(text) => {
                        match parse::parse(&file, &text) {
                            Ok(sub) => out.extend(splice_includes(ctx, sub, prefix)),
                            Err(e) => ctx.error(&file, Some(e.line), e.message),
                        }
                        ctx.sources.leave();
                    }
                    Err(Refusal::Report(e)) => ctx.report.push_error(e),
                    Err(Refusal::Said) => {}
                    // mime.types and friends are routinely absent from what people
                    // paste; only configuration files matter here.
                    Err(Refusal::Unreadable(_)) if file.ends_with("mime.types") => {}
                    Err(Refusal::Unreadable(e)) => {
                        unread = true;
                        let at = format!("include {pattern}: ");
                        ctx.report.push_error(e.at(&d.file, Some(d.line), &at))
                    }
                }
            }
            // An include that could not be read stays in the tree: the rules then
            // know that what it would set is unknown.
            if unread {
                out.push(d);
            }
            continue;
        }
        if let Some(children) = d.block.take() {
            d.block = Some(splice_includes(ctx, children, prefix));
        }
        out.push(d);
    }
    out
}

/// The version the `proxy_http_version` rule assumes, and a note saying where it came
/// from: the flag, an `nginx -V`/`nginx -T` banner in the input, or a safe guess.
fn settle_version(ctx: &mut Ctx, text: &str) -> Option<NginxVersion> {
    if let Some(v) = ctx.opts.nginx_version {
        ctx.report
            .assume(format!("nginx {v} (from --nginx-version)"));
        return Some(v);
    }
    // The banner nginx -V prints (and nginx -T output piped with 2>&1 carries).
    let re = Regex::new(r"nginx version: nginx/(\d+\.\d+(?:\.\d+)?)").expect("literal regex");
    if let Some(v) = re.captures(text).and_then(|c| NginxVersion::parse(&c[1])) {
        ctx.report
            .assume(format!("nginx {v} (from the nginx -V banner in the input)"));
        return Some(v);
    }
    None
}

#[cfg(test)]
mod tests;
