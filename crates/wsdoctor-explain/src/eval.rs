//! How well the matcher generalises, measured on `data/error-messages.jsonl` (real
//! messages with their layer and cause prose) against `data/gold.tsv` (the catalog ids
//! that prose names, labelled by hand).
//!
//! The matcher was developed on four lines of every five; every fifth line
//! ([`held_out`]) was kept out, so the score on those estimates how it copes with
//! wording it has not seen. Tests assert floors on both parts; the figures go in the
//! closing note.

use crate::explain::explain;
use serde::Deserialize;
use wsdoctor_core::{CauseId, Layer, Mistake};

/// One labelled message.
#[derive(Clone, Debug)]
pub struct Sample {
    /// 0-based line in the JSONL file.
    pub line: usize,
    pub source: String,
    pub message: String,
    /// The data's own layer word (url, dns, tcp, firewall, proxy, tls, handshake,
    /// server-config, app-protocol, session, close, async).
    pub layer: String,
    pub gold: Vec<CauseId>,
}

#[derive(Deserialize)]
struct Row {
    source: String,
    message: String,
    layer: String,
}

/// Reads the JSONL data and the gold labels.
pub fn load(jsonl: &str, gold_tsv: &str) -> Result<Vec<Sample>, String> {
    let mut gold: Vec<Option<Vec<CauseId>>> = Vec::new();
    for l in gold_tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (n, ids) = l
            .split_once('\t')
            .ok_or_else(|| format!("bad gold line {l:?}"))?;
        let n: usize = n
            .parse()
            .map_err(|_| format!("bad gold line number {n:?}"))?;
        let ids = ids
            .split(',')
            .map(|s| {
                CauseId::parse(s.trim()).ok_or_else(|| format!("unknown id {s:?} on gold line {n}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if gold.len() <= n {
            gold.resize(n + 1, None);
        }
        gold[n] = Some(ids);
    }
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let row: Row = serde_json::from_str(l).map_err(|e| format!("line {i}: {e}"))?;
            let gold = gold
                .get(i)
                .cloned()
                .flatten()
                .ok_or_else(|| format!("line {i} has no gold label"))?;
            Ok(Sample {
                line: i,
                source: row.source,
                message: concretise(&row.message),
                layer: row.layer,
                gold,
            })
        })
        .collect()
}

/// Reads `data/unseen.tsv`: `layer<TAB>ids<TAB>message`, messages from outside the
/// JSONL file (other versions' and libraries' wordings). `line` numbers them from 0.
pub fn load_unseen(tsv: &str) -> Result<Vec<Sample>, String> {
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            let mut parts = l.splitn(3, '\t');
            let (Some(layer), Some(ids), Some(message)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(format!("bad unseen line {l:?}"));
            };
            let gold = ids
                .split(',')
                .map(|s| {
                    CauseId::parse(s.trim())
                        .ok_or_else(|| format!("unknown id {s:?} in unseen line {i}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Sample {
                line: i,
                source: "unseen".into(),
                message: message.to_string(),
                layer: layer.into(),
                gold,
            })
        })
        .collect()
}

/// Every fifth line is held out of development.
pub fn held_out(line: usize) -> bool {
    line % 5 == 4
}

/// Placeholders that stand for a definite value are filled in with realistic ones, as
/// a user's paste would have them; those that stand for "anything" (`<status>`,
/// `<value>`, `<reason>`) stay, and the matcher must cope with them.
pub fn concretise(message: &str) -> String {
    const FILL: &[(&str, &str)] = &[
        ("<url>", "wss://chat.example.com/socket"),
        ("<uri>", "https://chat.example.com/socket"),
        ("<host>", "chat.example.com"),
        ("<ip>", "10.0.0.12"),
        ("<port>", "8443"),
        ("<path>", "/socket"),
        ("<origin>", "https://app.example.com"),
        ("<n>", "3"),
        ("<k>", "4"),
        ("<file>", "../deps/openssl/openssl/ssl/record/ssl3_record.c"),
        ("<line>", "332"),
        ("<size>", "2097152"),
        ("<max_size>", "1048576"),
        ("<t>", "1732100000"),
        ("<names>", "[DnsName(\"api.example.com\")]"),
        ("<altnames>", "DNS:api.example.com"),
        ("<scheme>", "http"),
        ("<SCHEME>", "HTTP"),
        ("<protocol>", "Bearer eyJhbGciOi"),
    ];
    let mut s = message.to_string();
    for (k, v) in FILL {
        s = s.replace(k, v);
    }
    s
}

/// Scores of the matcher on a set of samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Score {
    pub n: usize,
    pub recognised: usize,
    /// The top cause's layer agrees with the data's layer word ([`layer_agrees`]).
    pub layer_top1: usize,
    /// The top cause is one of the gold causes.
    pub top1_in_gold: usize,
    /// At least one gold cause is among the top three.
    pub top3_hit: usize,
    /// The top three hold every gold cause (all three are gold when there are more).
    pub top3_cover: usize,
    /// Lines that missed (for the report and for debugging).
    pub misses: Vec<usize>,
}

impl Score {
    pub fn pct(&self, k: usize) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            100.0 * k as f64 / self.n as f64
        }
    }
}

pub fn score<'a>(samples: impl IntoIterator<Item = &'a Sample>) -> Score {
    let mut s = Score::default();
    for sample in samples {
        s.n += 1;
        let e = explain(&sample.message);
        let top: Vec<CauseId> = e.causes.iter().take(3).map(|c| c.id).collect();
        if e.recognised {
            s.recognised += 1;
        }
        if top
            .first()
            .is_some_and(|id| layer_agrees(&sample.layer, *id))
        {
            s.layer_top1 += 1;
        }
        if top.first().is_some_and(|id| sample.gold.contains(id)) {
            s.top1_in_gold += 1;
        }
        let hits = top.iter().filter(|id| sample.gold.contains(id)).count();
        if hits > 0 {
            s.top3_hit += 1;
        } else {
            s.misses.push(sample.line);
        }
        if hits == sample.gold.len().min(3) {
            s.top3_cover += 1;
        }
    }
    s
}

/// The data labels layers with its own words, a mix of wsdoctor's layers and its six
/// mistakes; a cause agrees when its layer or its mistake is the one named.
pub fn layer_agrees(data_layer: &str, id: CauseId) -> bool {
    let c = id.cause();
    let (l, m) = (c.layer, c.mistake);
    match data_layer {
        "url" => l == Layer::Url || m == Mistake::Url,
        "dns" => l == Layer::Dns,
        "tcp" => l == Layer::Tcp,
        "firewall" => l == Layer::Tcp || m == Mistake::ProxyFirewall,
        "proxy" => l == Layer::Proxy || m == Mistake::ProxyFirewall,
        "tls" => l == Layer::Tls || m == Mistake::Tls,
        // The data's "handshake" includes non-101 statuses, wsdoctor's `http` layer.
        "handshake" => matches!(l, Layer::Handshake | Layer::Http) || m == Mistake::Handshake,
        "server-config" => m == Mistake::ServerConfig || l == Layer::Http,
        "app-protocol" => matches!(l, Layer::Session | Layer::Handshake) || m == Mistake::Handshake,
        "close" => l == Layer::Session,
        "session" => matches!(l, Layer::Session | Layer::Async),
        "async" => l == Layer::Async || m == Mistake::Async,
        _ => false,
    }
}

/// One message of the field corpus (`data/field/*.jsonl`): real text from public issue
/// threads, labelled with what the thread established. `layer` is one of wsdoctor's
/// layers, or `none` for text that is not about a WebSocket failure (junk).
#[derive(Clone, Debug)]
pub struct FieldSample {
    pub message: String,
    pub source_url: String,
    pub layer: String,
    pub gold: Vec<CauseId>,
}

#[derive(Deserialize)]
struct FieldRow {
    message: String,
    source_url: String,
    layer: String,
    causes: Vec<String>,
}

/// Reads one field-corpus file. A cause id the catalog does not know is an error.
pub fn load_field(jsonl: &str) -> Result<Vec<FieldSample>, String> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let row: FieldRow =
                serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1))?;
            let gold = row
                .causes
                .iter()
                .map(|s| {
                    CauseId::parse(s).ok_or_else(|| format!("line {}: unknown id {s:?}", i + 1))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(FieldSample {
                message: row.message,
                source_url: row.source_url,
                layer: row.layer,
                gold,
            })
        })
        .collect()
}

/// The split of the field corpus, fixed by the message itself: FNV-1a (64 bit) of its
/// bytes, one quarter held out. Rules are written only from the other three quarters;
/// `data/field/heldout.jsonl` holds exactly the messages for which this is true, and
/// a test keeps it that way (no message can be moved between the parts).
pub fn field_held_out(message: &str) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in message.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h.is_multiple_of(4)
}

/// Scores on the field corpus, per the goals: layer right and a right cause in
/// the top three (on WebSocket messages), junk refused, and high-confidence answers
/// right (top cause in the gold list; any high-confidence answer to junk is wrong).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldScore {
    pub messages: usize,
    pub layer_right: usize,
    pub top3_right: usize,
    pub junk: usize,
    pub junk_refused: usize,
    pub high: usize,
    pub high_right: usize,
}

impl FieldScore {
    pub fn add(&mut self, sample: &FieldSample) -> bool {
        let e = explain(&sample.message);
        let top: Vec<CauseId> = e.causes.iter().take(3).map(|c| c.id).collect();
        let high = e.recognised && e.confidence == Some(crate::explain::Confidence::High);
        if sample.layer == "none" {
            self.junk += 1;
            let refused = !e.recognised;
            self.junk_refused += usize::from(refused);
            self.high += usize::from(high);
            return refused;
        }
        self.messages += 1;
        let layer_ok = top
            .first()
            .is_some_and(|id| id.layer().as_str() == sample.layer);
        let cause_ok = top.iter().any(|id| sample.gold.contains(id));
        self.layer_right += usize::from(layer_ok);
        self.top3_right += usize::from(cause_ok);
        if high {
            self.high += 1;
            self.high_right += usize::from(top.first().is_some_and(|id| sample.gold.contains(id)));
        }
        layer_ok && cause_ok
    }
}

pub fn pct(k: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        100.0 * k as f64 / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = include_str!("../data/error-messages.jsonl");
    const GOLD: &str = include_str!("../data/gold.tsv");

    fn samples() -> Vec<Sample> {
        load(DATA, GOLD).expect("data and gold labels load")
    }

    #[test]
    fn every_line_has_a_gold_label() {
        assert_eq!(samples().len(), 214);
    }

    #[test]
    fn whole_file_floor() {
        let all = samples();
        let s = score(&all);
        assert!(
            s.pct(s.top3_hit) >= 95.0,
            "top-3 hit {:.1}% misses {:?}",
            s.pct(s.top3_hit),
            s.misses
        );
        assert!(
            s.pct(s.layer_top1) >= 90.0,
            "layer {:.1}%",
            s.pct(s.layer_top1)
        );
        assert!(
            s.pct(s.top3_cover) >= 80.0,
            "cover {:.1}%",
            s.pct(s.top3_cover)
        );
    }

    #[test]
    fn held_out_floor() {
        let all = samples();
        let s = score(all.iter().filter(|x| held_out(x.line)));
        assert!(
            s.pct(s.top3_hit) >= 85.0,
            "held-out top-3 hit {:.1}% misses {:?}",
            s.pct(s.top3_hit),
            s.misses
        );
        assert!(
            s.pct(s.layer_top1) >= 80.0,
            "held-out layer {:.1}%",
            s.pct(s.layer_top1)
        );
    }

    #[test]
    fn unseen_wordings_floor() {
        let unseen = load_unseen(include_str!("../data/unseen.tsv")).expect("unseen set loads");
        let s = score(&unseen);
        assert!(
            s.pct(s.top3_hit) >= 85.0,
            "unseen top-3 hit {:.1}% misses {:?}",
            s.pct(s.top3_hit),
            s.misses
        );
        assert!(
            s.pct(s.layer_top1) >= 80.0,
            "unseen layer {:.1}%",
            s.pct(s.layer_top1)
        );
    }

    #[test]
    fn second_unseen_batch_floor() {
        let unseen =
            load_unseen(include_str!("../data/unseen2.tsv")).expect("second unseen set loads");
        let s = score(&unseen);
        assert!(
            s.pct(s.top3_hit) >= 90.0,
            "unseen2 top-3 hit {:.1}% misses {:?}",
            s.pct(s.top3_hit),
            s.misses
        );
    }

    const FIELD_TRAIN: &str = include_str!("../data/field/train.jsonl");
    const FIELD_HELDOUT: &str = include_str!("../data/field/heldout.jsonl");

    /// The split is the hash's: a message moved from one part to the other fails here,
    /// and so does one lost.
    #[test]
    fn field_split_is_the_hash() {
        let train = load_field(FIELD_TRAIN).expect("train part loads");
        let held = load_field(FIELD_HELDOUT).expect("held-out part loads");
        assert!(train.iter().all(|s| !field_held_out(&s.message)));
        assert!(held.iter().all(|s| field_held_out(&s.message)));
        assert_eq!((train.len(), held.len()), (597, 196));
        assert!(
            train
                .iter()
                .chain(&held)
                .all(|s| s.source_url.starts_with("http"))
        );
    }

    /// The second fresh set (collected 2026-12-04 by someone who wrote no rule, from
    /// threads no other part used), scored once as held out: it loads, names only
    /// catalog causes, and keeps its size (a lost or added line fails here).
    #[test]
    fn fresh2_loads_with_catalog_causes_only() {
        let fresh2 = load_field(include_str!("../data/field/fresh2.jsonl")).expect("fresh2 loads");
        assert_eq!(fresh2.len(), 205);
        assert_eq!(fresh2.iter().filter(|s| s.layer == "none").count(), 30);
        assert!(fresh2.iter().all(|s| s.source_url.starts_with("https://")));
    }

    /// The third fresh set (collected 2026-12-04 by someone who wrote no rule, from
    /// threads no other part used), scored once blind before and once after that
    /// day's rules (README): it loads, names only catalog causes, and keeps its size.
    #[test]
    fn fresh3_loads_with_catalog_causes_only() {
        let fresh3 = load_field(include_str!("../data/field/fresh3.jsonl")).expect("fresh3 loads");
        assert_eq!(fresh3.len(), 213);
        assert_eq!(fresh3.iter().filter(|s| s.layer == "none").count(), 29);
        assert!(fresh3.iter().all(|s| s.source_url.starts_with("https://")));
    }

    /// The fourth fresh set (collected 2026-12-04 by someone who read no rule, from
    /// threads no other part used), held out: scored blind, figures only (README). It
    /// loads, names only catalog causes, and keeps its size.
    #[test]
    fn fresh4_loads_with_catalog_causes_only() {
        let fresh4 = load_field(include_str!("../data/field/fresh4.jsonl")).expect("fresh4 loads");
        assert_eq!(fresh4.len(), 201);
        assert_eq!(fresh4.iter().filter(|s| s.layer == "none").count(), 30);
        assert!(fresh4.iter().all(|s| s.source_url.starts_with("https://")));
    }

    #[test]
    fn layer_words_are_all_known() {
        for s in samples() {
            let any = wsdoctor_core::CATALOG
                .iter()
                .any(|c| layer_agrees(&s.layer, c.id));
            assert!(any, "layer word {:?} on line {}", s.layer, s.line);
        }
    }
}
