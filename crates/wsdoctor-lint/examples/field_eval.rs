//! Scores `lint` on the field corpus of real configurations (`data/field/`): each case
//! is a folder with the configuration file(s) and a `meta.json` saying whether the
//! thread found it broken and with which catalog causes.
//!
//! `cargo run -p wsdoctor-lint --example field_eval [-- -v]` scores the training part
//! (`data/field/train/`, misses with `-v`); `-- --held-out` scores `data/field/heldout/`
//! and `-- --score-dir DIR` any folder of cases in the same format, both printing only
//! the figures (no case names, no misses); `-- --fresh [-v]` scores `data/field/fresh/`,
//! a second collection scored once blind and training material since; `-- --fresh2 [-v]`
//! the same for `data/field/fresh2/`, the third collection, and `-- --fresh3 [-v]` for
//! `data/field/fresh3/`, the fourth (`-vv` also prints every finding of a missed case).
//! The split is by FNV-1a of the folder name,
//! one quarter held out (the test `field_split_is_the_hash` in this crate's tests
//! keeps it).
//!
//! A `ws_path` in `meta.json` may elide segments with `…` (as the threads do): the
//! elision is scored as one segment named `x`, a concrete path a user would pass.
//!
//! Broken: right when a warning or error finding names one of the causes (its `id`
//! or one of its `also` causes). Correct:
//! right when no finding is a warning or an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wsdoctor_core::{CauseId, Severity};
use wsdoctor_lint::{Input, Options, lint};

#[derive(Default)]
struct Tally {
    broken: usize,
    broken_right: usize,
    correct: usize,
    correct_clean: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let held_out = args.iter().any(|a| a == "--held-out");
    // `--fresh`: the second collection (`data/field/fresh/`), scored once blind and
    // training material since, so its misses may be shown like train's.
    let fresh = args.iter().any(|a| a == "--fresh");
    // `--fresh2`: the third collection (`data/field/fresh2/`), scored twice blind and
    // training material since.
    let fresh2 = args.iter().any(|a| a == "--fresh2");
    // `--fresh3`: the fourth collection (`data/field/fresh3/`), scored once blind and
    // training material since.
    let fresh3 = args.iter().any(|a| a == "--fresh3");
    let score_dir = match args.iter().position(|a| a == "--score-dir") {
        Some(i) => match args.get(i + 1) {
            Some(d) => Some(PathBuf::from(d)),
            None => {
                eprintln!("field_eval: --score-dir needs a folder of cases");
                std::process::exit(2);
            }
        },
        None => None,
    };
    // Figures only for material that is not the training part.
    let figures_only = held_out || score_dir.is_some();
    let verbose = args.iter().any(|a| a == "-v" || a == "-vv") && !figures_only;
    // `-vv`: every finding and error of a missed case, to see why it was missed.
    let very = args.iter().any(|a| a == "-vv") && !figures_only;
    let root = score_dir.clone().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/field")
            .join(if held_out {
                "heldout"
            } else if fresh3 {
                "fresh3"
            } else if fresh2 {
                "fresh2"
            } else if fresh {
                "fresh"
            } else {
                "train"
            })
    });
    let mut cases: Vec<PathBuf> = match std::fs::read_dir(&root) {
        Ok(d) => d
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect(),
        Err(e) => {
            eprintln!("field_eval: {}: {e}", root.display());
            std::process::exit(2);
        }
    };
    cases.sort();
    let mut total = Tally::default();
    let mut by_proxy: BTreeMap<String, Tally> = BTreeMap::new();
    for case in &cases {
        let meta: serde_json::Value = match std::fs::read_to_string(case.join("meta.json"))
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(m) => m,
            Err(e) if figures_only => {
                eprintln!("field_eval: a case's meta.json is unreadable: {e}");
                std::process::exit(2);
            }
            Err(e) => {
                eprintln!("field_eval: {}: meta.json: {e}", case.display());
                std::process::exit(2);
            }
        };
        let broken = meta["broken"].as_bool().unwrap_or(false);
        let gold: Vec<CauseId> = meta["causes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().and_then(CauseId::parse))
            .collect();
        let proxy = meta["proxy"].as_str().unwrap_or("?").to_string();
        let ws_path = meta["ws_path"].as_str().map(|p| p.replace('…', "x"));
        let mut files: Vec<PathBuf> = std::fs::read_dir(case)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.file_name().is_some_and(|n| n != "meta.json"))
            .collect();
        files.sort();
        let opts = Options {
            ws_paths: ws_path.into_iter().collect(),
            ping_interval: meta["app_ping_interval_s"].as_u64(),
            ..Options::default()
        };
        let report = lint(
            &files.into_iter().map(Input::Path).collect::<Vec<_>>(),
            &opts,
        );
        let loud: Vec<CauseId> = report
            .findings
            .iter()
            .filter(|f| f.finding.severity >= Severity::Warning)
            .flat_map(|f| std::iter::once(f.finding.id).chain(f.also.iter().copied()))
            .collect();
        let right = if broken {
            loud.iter().any(|id| gold.contains(id))
        } else {
            loud.is_empty()
        };
        for t in [&mut total, by_proxy.entry(proxy).or_default()] {
            if broken {
                t.broken += 1;
                t.broken_right += usize::from(right);
            } else {
                t.correct += 1;
                t.correct_clean += usize::from(right);
            }
        }
        if verbose && !right {
            println!(
                "  miss {} broken={broken} gold {:?} got {:?}",
                case.file_name().unwrap_or_default().to_string_lossy(),
                gold.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                loud.iter().map(|c| c.as_str()).collect::<Vec<_>>()
            );
            if very {
                for f in &report.findings {
                    println!(
                        "      {:?} {} [{}] {}:{}: {}",
                        f.finding.severity,
                        f.rule.as_str(),
                        f.finding.id.as_str(),
                        f.file.rsplit('/').next().unwrap_or_default(),
                        f.line,
                        f.finding.detail
                    );
                }
                for e in &report.errors {
                    println!("      error {}:{:?}: {}", e.file, e.line, e.message);
                }
                for a in &report.assumptions {
                    println!("      assumed: {a}");
                }
            }
        }
    }
    let pct = |k: usize, n: usize| {
        if n == 0 {
            0.0
        } else {
            100.0 * k as f64 / n as f64
        }
    };
    let line = |name: &str, t: &Tally| {
        println!(
            "{name:14} broken {:3} right cause {:5.1}%   correct {:3} no warning {:5.1}%",
            t.broken,
            pct(t.broken_right, t.broken),
            t.correct,
            pct(t.correct_clean, t.correct)
        );
    };
    let name = match (&score_dir, held_out) {
        (Some(_), _) => "scored",
        (None, true) => "held-out",
        (None, false) if fresh3 => "fresh3",
        (None, false) if fresh2 => "fresh2",
        (None, false) if fresh => "fresh",
        (None, false) => "train",
    };
    line(name, &total);
    for (p, t) in &by_proxy {
        line(&format!("  {p}"), t);
    }
}
