//! What one thread's connections measured: HDR histograms (microseconds) and error
//! counts, merged over threads at the end.

use crate::result::{ConnectMs, Latency};
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use wsdoctor_core::CauseId;
use wsdoctor_net::ConnectTimes;

/// Longest value a histogram holds, µs (larger ones are recorded as this): an hour.
const HIGHEST_US: u64 = 3_600_000_000;
/// Three significant digits: 0.1 % resolution at every magnitude.
const SIGFIG: u8 = 3;

pub(crate) fn histogram() -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts (1 ≤ low, high ≥ 2·low, sigfig ≤ 5).
    Histogram::new_with_bounds(1, HIGHEST_US, SIGFIG).expect("valid histogram bounds")
}

pub(crate) struct Stats {
    /// From the write.
    pub raw: Histogram<u64>,
    /// From the schedule's intended send time (open loop).
    pub corrected: Histogram<u64>,
    pub connect: ConnectHists,
    /// Ping to pong, from the ping's write.
    pub ping: Histogram<u64>,
    pub pings_sent: u64,
    pub errors: BTreeMap<CauseId, u64>,
    pub sent: u64,
    pub received: u64,
    pub opened: usize,
    pub held_opened: usize,
    /// Held connections still open when the window ended.
    pub held_open_at_end: usize,
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            raw: histogram(),
            corrected: histogram(),
            connect: ConnectHists::new(),
            ping: histogram(),
            pings_sent: 0,
            errors: BTreeMap::new(),
            sent: 0,
            received: 0,
            opened: 0,
            held_opened: 0,
            held_open_at_end: 0,
        }
    }

    pub fn error(&mut self, id: CauseId) {
        *self.errors.entry(id).or_default() += 1;
    }

    pub fn merge(&mut self, other: Stats) {
        // Same bounds everywhere (`histogram()`), so adding cannot fail.
        let _ = self.raw.add(&other.raw);
        let _ = self.corrected.add(&other.corrected);
        self.connect.merge(&other.connect);
        let _ = self.ping.add(&other.ping);
        self.pings_sent += other.pings_sent;
        for (id, n) in other.errors {
            *self.errors.entry(id).or_default() += n;
        }
        self.sent += other.sent;
        self.received += other.received;
        self.opened += other.opened;
        self.held_opened += other.held_opened;
        self.held_open_at_end += other.held_open_at_end;
    }
}

pub(crate) struct ConnectHists {
    pub dns: Histogram<u64>,
    pub tcp: Histogram<u64>,
    pub proxy: Histogram<u64>,
    pub tls: Histogram<u64>,
    pub upgrade: Histogram<u64>,
    pub total: Histogram<u64>,
}

impl ConnectHists {
    fn new() -> ConnectHists {
        ConnectHists {
            dns: histogram(),
            tcp: histogram(),
            proxy: histogram(),
            tls: histogram(),
            upgrade: histogram(),
            total: histogram(),
        }
    }

    pub fn record(&mut self, t: &ConnectTimes) {
        let us = |ms: f64| (ms * 1000.0).round().max(1.0) as u64;
        let mut total = us(t.upgrade);
        for (h, ms) in [
            (&mut self.dns, t.dns),
            (&mut self.tcp, t.tcp),
            (&mut self.proxy, t.proxy),
            (&mut self.tls, t.tls),
        ] {
            if let Some(ms) = ms {
                h.saturating_record(us(ms));
                total += us(ms);
            }
        }
        self.upgrade.saturating_record(us(t.upgrade));
        self.total.saturating_record(total);
    }

    fn merge(&mut self, o: &ConnectHists) {
        for (a, b) in [
            (&mut self.dns, &o.dns),
            (&mut self.tcp, &o.tcp),
            (&mut self.proxy, &o.proxy),
            (&mut self.tls, &o.tls),
            (&mut self.upgrade, &o.upgrade),
            (&mut self.total, &o.total),
        ] {
            let _ = a.add(b);
        }
    }

    pub fn summary(&self) -> ConnectMs {
        let ms = |h: &Histogram<u64>| latency(h, 1000.0);
        let some = |h: &Histogram<u64>| (!h.is_empty()).then(|| ms(h));
        ConnectMs {
            dns: some(&self.dns),
            tcp: some(&self.tcp),
            proxy: some(&self.proxy),
            tls: some(&self.tls),
            upgrade: ms(&self.upgrade),
            total: ms(&self.total),
        }
    }
}

/// Percentiles of `h` divided by `unit` (1 for µs, 1000 for ms).
pub(crate) fn latency(h: &Histogram<u64>, unit: f64) -> Latency {
    if h.is_empty() {
        return Latency::default();
    }
    let at = |q: f64| h.value_at_quantile(q) as f64 / unit;
    Latency {
        count: h.len(),
        min: h.min() as f64 / unit,
        mean: h.mean() / unit,
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        p999: at(0.999),
        max: h.max() as f64 / unit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_histogram() {
        let mut h = histogram();
        for v in 1..=1000u64 {
            h.record(v).expect("in range");
        }
        let l = latency(&h, 1.0);
        assert_eq!((l.count, l.min, l.max), (1000, 1.0, 1000.0));
        assert_eq!((l.p50, l.p90, l.p99), (500.0, 900.0, 990.0));
        assert_eq!(latency(&histogram(), 1.0), Latency::default());
    }

    #[test]
    fn connect_phases_that_did_not_happen_are_absent() {
        let mut c = ConnectHists::new();
        c.record(&ConnectTimes {
            tcp: Some(0.5),
            upgrade: 1.5,
            ..ConnectTimes::default()
        });
        let s = c.summary();
        assert!(s.dns.is_none() && s.tls.is_none() && s.tcp.is_some());
        assert_eq!(s.total.max, 2.0);
    }

    #[test]
    fn merging_adds_counts_and_errors() {
        let mut a = Stats::new();
        let mut b = Stats::new();
        a.raw.saturating_record(10);
        b.raw.saturating_record(20);
        b.error(CauseId::TcpRefused);
        b.error(CauseId::TcpRefused);
        a.merge(b);
        assert_eq!(a.raw.len(), 2);
        assert_eq!(a.errors[&CauseId::TcpRefused], 2);
    }
}
