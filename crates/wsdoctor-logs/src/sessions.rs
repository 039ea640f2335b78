//! Patterns over time: WebSocket session durations that pile up at one value (an idle
//! timeout somewhere in the path) and bursts of 502/504 on the Upgrade path (the
//! backend). Fixed memory whatever the log size: a 0.1 s histogram up to one hour,
//! one example line per second of duration, and per-minute counters.

use serde::Serialize;
use std::collections::BTreeMap;
use wsdoctor_core::tables::timeouts;

/// Histogram resolution and range.
const BUCKETS_PER_SEC: f64 = 10.0;
const MAX_SECS: usize = 3600;
const NBUCKETS: usize = MAX_SECS * 10 + 1;
/// Half-width of a cluster window, relative to its centre.
const WINDOW: f64 = 0.02;
/// Fewest sessions that make a cluster.
pub const MIN_CLUSTER: u64 = 5;
/// Durations shorter than this are ordinary short sessions, never a timeout.
const MIN_TIMEOUT_SECS: f64 = 5.0;
/// Minutes of 502/504 counters kept (about ten weeks).
const MAX_MINUTES: usize = 100_000;
/// Events per minute that make a burst.
pub const BURST_PER_MINUTE: u64 = 5;

/// Where a session line was found, to show an example of a cluster.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file: u32,
    pub line: u64,
    /// The line, redacted.
    pub text: String,
    /// The vendor whose log format the line is in (`tables::timeouts` id), when the
    /// format says (ingress-nginx's default, HAProxy, ALB, Envoy…).
    pub vendor: Option<&'static str>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Cluster {
    /// The centre of the cluster, seconds.
    pub seconds: f64,
    pub sessions: u64,
    /// The components whose default timeout this is, when it is a known one (from
    /// the shared vendor table, wsdoctor-core `tables::timeouts`).
    pub component: Option<String>,
    /// Their ids in that table (`nginx`, `aws-alb`, …).
    pub vendors: Vec<&'static str>,
    /// Of those, the one whose log recorded the sessions (known from the log's format):
    /// the likeliest, as the cut is at its own default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writer: Option<&'static str>,
    /// Of `sessions`, those already counted as an idle cut by their own line (HAProxy
    /// `cD`/`sD`, Envoy `SI`): the cluster adds only the others to the finding.
    #[serde(skip)]
    #[schemars(skip)]
    pub counted: u64,
}

/// Durations of upgraded sessions.
pub struct Durations {
    hist: Vec<u32>,
    /// Per bucket, the sessions whose line already said they were cut idle.
    counted: Vec<u32>,
    /// One example per whole second of duration.
    examples: Vec<Option<Origin>>,
    pub count: u64,
    pub beyond: u64,
}

impl Default for Durations {
    fn default() -> Durations {
        Durations {
            hist: vec![0; NBUCKETS],
            counted: vec![0; NBUCKETS],
            examples: vec![None; MAX_SECS + 1],
            count: 0,
            beyond: 0,
        }
    }
}

impl Durations {
    /// Records one duration; `origin` is only called for the first session of each
    /// whole second, so example lines cost nothing on the common path. `idle`: the
    /// line itself already counted the session as an idle cut.
    pub fn add(&mut self, secs: f64, idle: bool, origin: impl FnOnce() -> Origin) {
        if !secs.is_finite() || secs < 0.0 {
            return;
        }
        self.count += 1;
        let b = (secs * BUCKETS_PER_SEC).round() as usize;
        if b >= NBUCKETS {
            self.beyond += 1;
            return;
        }
        self.hist[b] = self.hist[b].saturating_add(1);
        if idle {
            self.counted[b] = self.counted[b].saturating_add(1);
        }
        let s = secs as usize;
        if self.examples[s].is_none() {
            self.examples[s] = Some(origin());
        }
    }

    fn window(&self, centre: f64) -> (usize, usize) {
        let lo = ((centre * (1.0 - WINDOW)) * BUCKETS_PER_SEC)
            .floor()
            .max(0.0) as usize;
        let hi = (((centre * (1.0 + WINDOW)) * BUCKETS_PER_SEC).ceil() as usize).min(NBUCKETS - 1);
        (lo, hi)
    }

    fn sum(&self, lo: usize, hi: usize) -> u64 {
        self.hist[lo..=hi].iter().map(|&n| u64::from(n)).sum()
    }

    /// Peaks: windows of ±2 % holding at least [`MIN_CLUSTER`] sessions and at least
    /// three times the mean of the equally wide windows on either side, so that a
    /// spread of ordinary durations never reads as a timeout. Strongest first, at
    /// most three.
    pub fn clusters(&self) -> Vec<(Cluster, Vec<Origin>)> {
        let mut taken = vec![false; NBUCKETS];
        let mut out = Vec::new();
        // A few rounds: each takes its window out, and a peak that shrinks below the
        // minimum once centred on its mode is dropped.
        for _ in 0..10 {
            if out.len() == 3 {
                break;
            }
            let Some((centre, _)) = self.best_peak(&taken) else {
                break;
            };
            // Report the value most sessions sit at, with the window centred on it.
            let (lo0, hi0) = self.window(centre);
            let mode = (lo0..=hi0)
                .max_by_key(|&b| (self.hist[b], std::cmp::Reverse(b)))
                .unwrap_or(lo0);
            let seconds = mode as f64 / BUCKETS_PER_SEC;
            let (lo, hi) = self.window(seconds);
            let n = self.sum(lo, hi);
            taken[lo0..=hi0].iter_mut().for_each(|t| *t = true);
            taken[lo..=hi].iter_mut().for_each(|t| *t = true);
            if n < MIN_CLUSTER {
                continue;
            }
            let component = timeouts::suspects(seconds);
            let vendors: Vec<&'static str> = timeouts::near(seconds).map(|v| v.id).collect();
            let origins = (seconds * (1.0 - WINDOW)) as usize
                ..=((seconds * (1.0 + WINDOW)) as usize).min(MAX_SECS);
            let examples: Vec<Origin> = origins
                .filter_map(|s| self.examples[s].clone())
                .take(3)
                .collect();
            let writer = examples
                .iter()
                .filter_map(|o| o.vendor)
                .find(|v| vendors.contains(v));
            out.push((
                Cluster {
                    seconds,
                    sessions: n,
                    component,
                    vendors,
                    writer,
                    counted: self.counted[lo..=hi].iter().map(|&n| u64::from(n)).sum(),
                },
                examples,
            ));
        }
        out
    }

    fn best_peak(&self, taken: &[bool]) -> Option<(f64, u64)> {
        let first = (MIN_TIMEOUT_SECS * BUCKETS_PER_SEC) as usize;
        let mut best: Option<(f64, u64)> = None;
        for b in first..NBUCKETS {
            if self.hist[b] == 0 || taken[b] {
                continue;
            }
            let centre = b as f64 / BUCKETS_PER_SEC;
            let (lo, hi) = self.window(centre);
            if taken[lo..=hi].iter().any(|t| *t) {
                continue;
            }
            let n = self.sum(lo, hi);
            if n < MIN_CLUSTER || best.is_some_and(|(_, m)| m >= n) {
                continue;
            }
            let width = hi - lo + 1;
            let left = if lo > width {
                self.sum(lo - width, lo - 1)
            } else {
                0
            };
            let right = if hi + width < NBUCKETS {
                self.sum(hi + 1, hi + width)
            } else {
                0
            };
            let around = (left + right) as f64 / 2.0;
            if n as f64 >= 3.0 * around + 3.0 {
                best = Some((centre, n));
            }
        }
        best
    }

    /// Median and maximum, for the summary.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total: u64 = self.hist.iter().map(|&n| u64::from(n)).sum();
        if total == 0 {
            return None;
        }
        let want = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (b, &n) in self.hist.iter().enumerate() {
            acc += u64::from(n);
            if acc >= want {
                return Some(b as f64 / BUCKETS_PER_SEC);
            }
        }
        None
    }
}

/// A run of minutes with many 502/504 answers on WebSocket paths.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Burst {
    pub start: String,
    pub end: String,
    pub count: u64,
}

/// 502/504 (and equivalents) per minute, per cause.
#[derive(Default)]
pub struct Bursts {
    minutes: BTreeMap<i64, u64>,
    pub dropped: u64,
}

impl Bursts {
    pub fn add(&mut self, epoch: i64) {
        let m = epoch.div_euclid(60);
        if let Some(n) = self.minutes.get_mut(&m) {
            *n += 1;
        } else if self.minutes.len() < MAX_MINUTES {
            self.minutes.insert(m, 1);
        } else {
            self.dropped += 1;
        }
    }

    /// Consecutive minutes well above the usual rate, largest first, at most five.
    /// A minute counts when it holds at least [`BURST_PER_MINUTE`] events and more
    /// than the mean rate plus five standard deviations (Poisson) plus three, so that
    /// a steady trickle of 502s over weeks does not read as bursts. `fmt` renders a
    /// minute's epoch.
    pub fn bursts(&self, fmt: impl Fn(i64) -> String) -> Vec<Burst> {
        let (Some((&first, _)), Some((&last, _))) = (
            self.minutes.first_key_value(),
            self.minutes.last_key_value(),
        ) else {
            return Vec::new();
        };
        let total: u64 = self.minutes.values().sum();
        // Over an hour at least: a lone burst is its own whole span otherwise.
        let rate = total as f64 / ((last - first + 1).max(60)) as f64;
        let threshold = (BURST_PER_MINUTE as f64).max(rate + 5.0 * rate.sqrt() + 3.0);
        let mut out: Vec<Burst> = Vec::new();
        let mut current: Option<(i64, i64, u64)> = None;
        for (&m, &n) in &self.minutes {
            if (n as f64) < threshold {
                continue;
            }
            current = match current {
                Some((s, e, c)) if m == e + 1 => Some((s, m, c + n)),
                Some((s, e, c)) => {
                    out.push(Burst {
                        start: fmt(s * 60),
                        end: fmt(e * 60 + 59),
                        count: c,
                    });
                    Some((m, m, n))
                }
                None => Some((m, m, n)),
            };
        }
        if let Some((s, e, c)) = current {
            out.push(Burst {
                start: fmt(s * 60),
                end: fmt(e * 60 + 59),
                count: c,
            });
        }
        out.sort_by_key(|b| std::cmp::Reverse(b.count));
        out.truncate(5);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o() -> Origin {
        Origin {
            file: 0,
            line: 1,
            text: String::new(),
            vendor: None,
        }
    }

    #[test]
    fn a_pile_at_sixty_seconds_is_found_among_spread_durations() {
        let mut d = Durations::default();
        // Ordinary sessions spread evenly from 1 s to 600 s.
        for i in 0..600 {
            d.add(1.0 + i as f64, false, o);
        }
        for i in 0..20 {
            d.add(60.0 + (i % 5) as f64 * 0.01, false, o);
        }
        let c = d.clusters();
        assert_eq!(
            c.len(),
            1,
            "{:?}",
            c.iter().map(|c| &c.0).collect::<Vec<_>>()
        );
        assert_eq!(c[0].0.seconds, 60.0);
        assert!(c[0].0.sessions >= 20);
        assert!(c[0].0.vendors.contains(&"nginx"));
    }

    #[test]
    fn spread_durations_make_no_cluster() {
        let mut d = Durations::default();
        for i in 0..5000 {
            d.add((i as f64 * 7.3) % 900.0, false, o);
        }
        let c = d.clusters();
        assert!(
            c.is_empty(),
            "{:?}",
            c.iter().map(|c| &c.0).collect::<Vec<_>>()
        );
    }

    #[test]
    fn two_timeouts_are_told_apart_and_few_sessions_are_not_a_cluster() {
        let mut d = Durations::default();
        for _ in 0..8 {
            d.add(100.2, false, o);
            d.add(55.0, false, o);
        }
        let mut secs: Vec<f64> = d.clusters().iter().map(|c| c.0.seconds).collect();
        secs.sort_by(f64::total_cmp);
        assert_eq!(secs, vec![55.0, 100.2]);
        let mut few = Durations::default();
        for _ in 0..4 {
            few.add(60.0, false, o);
        }
        assert!(few.clusters().is_empty());
    }

    #[test]
    fn a_steady_trickle_is_not_a_burst() {
        let mut b = Bursts::default();
        // One event every 20 s for a week, with a few random-looking doubles.
        for s in (0..7 * 86_400).step_by(20) {
            b.add(s);
            if s % 7_777 == 0 {
                for _ in 0..3 {
                    b.add(s);
                }
            }
        }
        assert!(b.bursts(|e| e.to_string()).is_empty());
        for s in 0..30 {
            b.add(100_000 + s);
        }
        assert_eq!(b.bursts(|e| e.to_string()).len(), 1);
    }

    #[test]
    fn bursts_join_consecutive_minutes() {
        let mut b = Bursts::default();
        for s in 0..10 {
            b.add(600 + s);
            b.add(660 + s);
        }
        b.add(6000);
        let found = b.bursts(|e| e.to_string());
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].start.as_str(), found[0].count), ("600", 20));
    }
}
