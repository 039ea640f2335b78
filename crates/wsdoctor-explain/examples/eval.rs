//! Prints the matcher's scores on the labelled messages: development part, held-out
//! part and whole file, then each held-out miss. `cargo run -p wsdoctor-explain --example eval`
//!
//! Field corpus: `--field` (the training material: `train.jsonl`, `fresh.jsonl`,
//! `fresh2.jsonl` and `fresh3.jsonl`, each and together; `--only NAME` one of them; `-v` lists their misses, `--whole` with the whole message), `--held-out` (the held-out part, figures only) and `--score-file PATH` (any JSONL file in the field
//! format, figures only: total and by layer, never a message).

use wsdoctor_explain::eval::{Sample, held_out, load, score};

/// The field corpus: the training part with its misses, or with `--held-out` /
/// `--score-file` the figures by layer and nothing else (no message is shown, so nobody
/// tunes a rule to it).
fn field(part: &str, text: &str, figures_only: bool) {
    use wsdoctor_explain::eval::{FieldScore, load_field, pct};
    let held_out_part = figures_only;
    let samples = load_field(text).unwrap_or_else(|e| {
        eprintln!("eval: {e}");
        std::process::exit(2);
    });
    let mut total = FieldScore::default();
    let mut by_layer: std::collections::BTreeMap<&str, FieldScore> = Default::default();
    for s in &samples {
        let ok = total.add(s);
        by_layer.entry(s.layer.as_str()).or_default().add(s);
        let e = wsdoctor_explain::explain(&s.message);
        // A high-confidence answer whose first cause is not one the thread established.
        let wrong_high = e.recognised
            && e.confidence == Some(wsdoctor_explain::explain::Confidence::High)
            && e.causes.first().is_none_or(|c| !s.gold.contains(&c.id));
        if (!ok || wrong_high) && !held_out_part && std::env::args().any(|a| a == "-v") {
            println!(
                "  {} [{}] {}\n      got {:?} conf {:?} by {:?}\n      gold {:?}",
                if wrong_high { "WRONG-HIGH" } else { "miss" },
                s.layer,
                s.message
                    .chars()
                    .take(if std::env::args().any(|a| a == "--whole") {
                        2000
                    } else {
                        140
                    })
                    .collect::<String>()
                    .replace('\n', " "),
                e.causes
                    .iter()
                    .take(3)
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>(),
                e.confidence,
                e.matched
                    .iter()
                    .map(|m| (m.tier, m.rule))
                    .collect::<Vec<_>>(),
                s.gold.iter().map(|c| c.as_str()).collect::<Vec<_>>()
            );
        }
    }
    let line = |name: &str, f: &FieldScore| {
        println!(
            "{name:16} msgs {:3}  layer right {:5.1}%  cause in top 3 {:5.1}%  junk {:3} refused {:5.1}%  high-confidence {:3} right {:5.1}%",
            f.messages,
            pct(f.layer_right, f.messages),
            pct(f.top3_right, f.messages),
            f.junk,
            pct(f.junk_refused, f.junk),
            f.high,
            pct(f.high_right, f.high)
        );
    };
    line(part, &total);
    for (layer, f) in &by_layer {
        line(&format!("  {layer}"), f);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--score-file") {
        let Some(path) = args.get(i + 1) else {
            eprintln!("eval: --score-file needs a path to a JSONL file in the field format");
            std::process::exit(2);
        };
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
            eprintln!("eval: cannot read {path}: {e}");
            std::process::exit(2);
        });
        field("scored file", &text, true);
        return;
    }
    if args.iter().any(|a| a == "--held-out") {
        field(
            "field held-out",
            include_str!("../data/field/heldout.jsonl"),
            true,
        );
        return;
    }
    if args.iter().any(|a| a == "--field") {
        // `fresh.jsonl` was scored once as a held-out set and is training material since.
        // So was `fresh2.jsonl`, twice (figures only), before it became training material,
        // and `fresh3.jsonl`, blind before and after a round.
        let train = include_str!("../data/field/train.jsonl");
        let fresh = include_str!("../data/field/fresh.jsonl");
        let fresh2 = include_str!("../data/field/fresh2.jsonl");
        let fresh3 = include_str!("../data/field/fresh3.jsonl");
        let only = args
            .iter()
            .position(|a| a == "--only")
            .and_then(|i| args.get(i + 1));
        for (name, text) in [
            ("train", train),
            ("fresh", fresh),
            ("fresh2", fresh2),
            ("fresh3", fresh3),
        ] {
            if only.is_none_or(|o| o == name) {
                field(&format!("field {name}"), text, false);
            }
        }
        if only.is_none() {
            field("train + fresh", &format!("{train}\n{fresh}"), true);
            field("all three", &format!("{train}\n{fresh}\n{fresh2}"), true);
            field(
                "all four",
                &format!("{train}\n{fresh}\n{fresh2}\n{fresh3}"),
                true,
            );
        }
        return;
    }
    let data = include_str!("../data/error-messages.jsonl");
    let gold = include_str!("../data/gold.tsv");
    let all = match load(data, gold) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("eval: {e}");
            std::process::exit(2);
        }
    };
    let unseen = match wsdoctor_explain::eval::load_unseen(include_str!("../data/unseen.tsv")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("eval: {e}");
            std::process::exit(2);
        }
    };
    let unseen2 = match wsdoctor_explain::eval::load_unseen(include_str!("../data/unseen2.tsv")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("eval: {e}");
            std::process::exit(2);
        }
    };
    let parts: [(&str, Vec<&Sample>); 5] = [
        (
            "development (4 of 5)",
            all.iter().filter(|s| !held_out(s.line)).collect(),
        ),
        (
            "held out (every 5th)",
            all.iter().filter(|s| held_out(s.line)).collect(),
        ),
        ("whole file", all.iter().collect()),
        ("unseen wordings", unseen.iter().collect()),
        ("unseen, second batch", unseen2.iter().collect()),
    ];
    for (name, part) in &parts {
        let s = score(part.iter().copied());
        println!(
            "{name:22} n={:3}  recognised {:5.1}%  layer top-1 {:5.1}%  top-1 in gold {:5.1}%  top-3 hit {:5.1}%  top-3 cover {:5.1}%",
            s.n,
            s.pct(s.recognised),
            s.pct(s.layer_top1),
            s.pct(s.top1_in_gold),
            s.pct(s.top3_hit),
            s.pct(s.top3_cover)
        );
    }
    let verbose = std::env::args().any(|a| a == "-v");
    for s in all.iter().chain(&unseen).chain(&unseen2) {
        let e = wsdoctor_explain::explain(&s.message);
        let top: Vec<_> = e.causes.iter().take(3).map(|c| c.id).collect();
        let hit = top.iter().any(|id| s.gold.contains(id));
        let layer_ok = top
            .first()
            .is_some_and(|id| wsdoctor_explain::eval::layer_agrees(&s.layer, *id));
        if verbose || !hit || !layer_ok {
            println!(
                "{}{:3} [{}] {}\n      layer={} got {:?}\n      gold {:?}",
                if s.source == "unseen" {
                    "U"
                } else if held_out(s.line) {
                    "H"
                } else {
                    " "
                },
                s.line,
                s.source,
                s.message.chars().take(110).collect::<String>(),
                s.layer,
                top.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                s.gold.iter().map(|c| c.as_str()).collect::<Vec<_>>()
            );
        }
    }
}
