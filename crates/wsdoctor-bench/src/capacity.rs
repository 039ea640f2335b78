//! `--find-capacity 'p99<50ms'`: open-loop runs at rising rates, reporting the highest
//! rate that holds the condition. Pure: the binary runs each step and tells the search
//! what it saw; the search says which rate comes next, so the stepping is unit-tested.
//!
//! A step holds when the corrected latency (from the schedule: a server that falls
//! behind shows it) meets the condition, no error was counted, the echoes kept up with
//! at least 95 % of the rate, and the client was not the limit. The rate doubles until
//! a step fails, then the gap is halved until it is within 10 %, in at most `MAX_STEPS`.

use crate::result::{BenchResult, Latency};
use serde::Serialize;

/// Most runs one search makes.
pub const MAX_STEPS: usize = 12;
/// Echoes must reach this share of the rate asked for.
const KEEP_UP: f64 = 0.95;
/// The search stops when the failing rate is within this factor of the holding one.
const CLOSE_ENOUGH: f64 = 1.1;

/// `p99<50ms`: a percentile of the corrected latency and the bound it must stay under.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Condition {
    /// `p50`, `p90`, `p99`, `p999` or `max`.
    pub percentile: Percentile,
    pub below_us: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Percentile {
    P50,
    P90,
    P99,
    P999,
    Max,
}

impl Percentile {
    fn of(self, l: &Latency) -> f64 {
        match self {
            Percentile::P50 => l.p50,
            Percentile::P90 => l.p90,
            Percentile::P99 => l.p99,
            Percentile::P999 => l.p999,
            Percentile::Max => l.max,
        }
    }
}

impl Condition {
    /// Parses `p99<50ms` (`p50`, `p90`, `p99`, `p99.9`/`p999`, `max`; `us`, `ms`, `s`).
    pub fn parse(s: &str) -> Result<Condition, String> {
        let bad = || {
            format!(
                "--find-capacity {s:?}: expected PERCENTILE<LIMIT, e.g. 'p99<50ms' (p50, p90, p99, p99.9, max; us, ms, s)"
            )
        };
        let (p, limit) = s.split_once('<').ok_or_else(bad)?;
        let percentile = match p.trim().to_ascii_lowercase().as_str() {
            "p50" => Percentile::P50,
            "p90" => Percentile::P90,
            "p99" => Percentile::P99,
            "p99.9" | "p999" => Percentile::P999,
            "max" => Percentile::Max,
            _ => return Err(bad()),
        };
        let limit = limit.trim().to_ascii_lowercase();
        let (number, unit) = limit
            .find(|c: char| c.is_ascii_alphabetic())
            .map_or((limit.as_str(), ""), |i| limit.split_at(i));
        let n: f64 = number.trim().parse().map_err(|_| bad())?;
        let scale = match unit {
            "us" | "µs" => 1.0,
            "ms" => 1e3,
            "s" => 1e6,
            _ => return Err(bad()),
        };
        if !(n.is_finite() && n > 0.0) {
            return Err(bad());
        }
        Ok(Condition {
            percentile,
            below_us: n * scale,
        })
    }

    /// Whether a step's result holds the condition (see the module docs).
    pub fn holds(&self, r: &BenchResult, rate: f64) -> bool {
        let latency = r.latency_corrected_us.as_ref().unwrap_or(&r.latency_us);
        latency.count > 0
            && self.percentile.of(latency) < self.below_us
            && r.error_count() == 0
            && r.messages_per_second >= KEEP_UP * rate
            && !r.client_limited
    }
}

/// One step of the search, as reported.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Step {
    pub rate: f64,
    pub messages_per_second: f64,
    /// The condition's percentile of the corrected latency, µs.
    pub latency_us: f64,
    pub errors: u64,
    pub client_limited: bool,
    pub held: bool,
}

/// What `--find-capacity` found.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Capacity {
    pub condition: Condition,
    /// The highest rate that held, messages per second; `None` if none did.
    pub rate: Option<f64>,
    /// The search stopped on a step where the client was the limit: the server's
    /// capacity is at least `rate`, not known.
    pub client_limited: bool,
    pub steps: Vec<Step>,
}

/// The rising-rate search.
#[derive(Clone, Debug)]
pub struct Search {
    pub condition: Condition,
    holding: Option<f64>,
    failing: Option<f64>,
    next: Option<f64>,
    steps: Vec<Step>,
    client_limited: bool,
}

impl Search {
    pub fn new(condition: Condition, first_rate: f64) -> Search {
        Search {
            condition,
            holding: None,
            failing: None,
            next: Some(first_rate),
            steps: Vec::new(),
            client_limited: false,
        }
    }

    /// The rate to run next, or `None` when the search is over.
    pub fn next_rate(&self) -> Option<f64> {
        self.next
    }

    /// Records the step just run at `rate`.
    pub fn record(&mut self, rate: f64, r: &BenchResult) {
        let held = self.condition.holds(r, rate);
        let latency = r.latency_corrected_us.as_ref().unwrap_or(&r.latency_us);
        self.steps.push(Step {
            rate,
            messages_per_second: r.messages_per_second,
            latency_us: self.condition.percentile.of(latency),
            errors: r.error_count(),
            client_limited: r.client_limited,
            held,
        });
        if held {
            self.holding = Some(self.holding.map_or(rate, |h| h.max(rate)));
        } else {
            self.failing = Some(self.failing.map_or(rate, |f| f.min(rate)));
        }
        self.client_limited = r.client_limited;
        self.next = self.choose();
    }

    fn choose(&self) -> Option<f64> {
        if self.steps.len() >= MAX_STEPS || self.client_limited {
            return None;
        }
        match (self.holding, self.failing) {
            (Some(h), None) => Some(h * 2.0),
            (None, Some(f)) if f > 1.0 => Some(f / 2.0),
            (Some(h), Some(f)) if f / h > CLOSE_ENOUGH => Some((h + f) / 2.0),
            _ => None,
        }
    }

    pub fn finish(self) -> Capacity {
        Capacity {
            condition: self.condition,
            rate: self.holding,
            client_limited: self.client_limited,
            steps: self.steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_with_units() {
        let c = Condition::parse("p99<50ms").expect("valid");
        assert_eq!((c.percentile, c.below_us), (Percentile::P99, 50_000.0));
        assert_eq!(Condition::parse("p99.9 < 2s").expect("valid").below_us, 2e6);
        assert_eq!(
            Condition::parse("max<500us").expect("valid").percentile,
            Percentile::Max
        );
        for bad in ["p99", "p98<1ms", "p99<fast", "p99<-1ms", "p99<1h"] {
            assert!(
                Condition::parse(bad)
                    .unwrap_err()
                    .contains("--find-capacity"),
                "{bad}"
            );
        }
    }

    fn step(search: &mut Search, rate: f64, ok: bool) {
        let mut r = crate::result::tests::result();
        r.messages_per_second = rate;
        let l = Latency {
            count: 10,
            p99: if ok { 1_000.0 } else { 90_000.0 },
            ..Latency::default()
        };
        r.latency_corrected_us = Some(l);
        search.record(rate, &r);
    }

    #[test]
    fn the_rate_doubles_then_bisects_to_within_ten_percent() {
        let c = Condition::parse("p99<50ms").expect("valid");
        let mut s = Search::new(c, 1000.0);
        // Capacity between 5000 and 6000.
        while let Some(rate) = s.next_rate() {
            step(&mut s, rate, rate <= 5500.0);
        }
        let cap = s.finish();
        let rates: Vec<f64> = cap.steps.iter().map(|s| s.rate).collect();
        assert_eq!(&rates[..4], [1000.0, 2000.0, 4000.0, 8000.0]);
        let found = cap.rate.expect("a rate held");
        assert!(
            found <= 5500.0 && found * CLOSE_ENOUGH >= 5500.0 / CLOSE_ENOUGH,
            "{found}"
        );
        assert!(cap.steps.len() <= MAX_STEPS);
    }

    #[test]
    fn errors_or_a_lagging_server_fail_a_step() {
        let c = Condition::parse("p99<50ms").expect("valid");
        let mut r = crate::result::tests::result();
        r.latency_corrected_us = Some(Latency {
            count: 10,
            p99: 10.0,
            ..Latency::default()
        });
        r.messages_per_second = 100.0;
        assert!(c.holds(&r, 100.0));
        assert!(!c.holds(&r, 200.0), "echoes at half the rate");
        r.errors.insert(wsdoctor_core::CauseId::SessionNoEcho, 1);
        assert!(!c.holds(&r, 100.0));
    }
}
