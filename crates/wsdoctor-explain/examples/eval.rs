//! Prints the matcher's scores on the labelled messages: development part, held-out
//! part and whole file, then each held-out miss. `cargo run -p wsdoctor-explain --example eval`

use wsdoctor_explain::eval::{Sample, held_out, load, score};

fn main() {
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
