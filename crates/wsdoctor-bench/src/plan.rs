//! What a run is asked to do, resolved from flags by the binary and checked here, so
//! the engine never meets a plan it cannot carry out.

use std::time::Duration;

/// One benchmark run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Connections that send (`--connections`).
    pub connections: usize,
    /// Closed loop: messages in flight per connection (`--depth`).
    pub depth: usize,
    /// Open loop: messages per second over all connections (`--rate`); `None` = closed.
    pub rate: Option<f64>,
    pub payload: Payload,
    /// The measured window (`--duration`), after the warm-up.
    pub duration: Duration,
    /// Sent but not measured, before the window (`--warmup`).
    pub warmup: Duration,
    /// Every phase's deadline: one connection's opening, one echo, one stalled write,
    /// the drain after the window (`--timeout`).
    pub timeout: Duration,
    /// OS threads, each with its own single-threaded runtime (`--threads`).
    pub threads: usize,
    /// Connections being opened at once.
    pub open_at_once: usize,
    /// Idle connections besides the loaded ones (`--hold`): opened, kept open
    /// (answering pings), counted at the end of the window.
    pub hold: usize,
    /// The loaded connections start one after another over this long (`--ramp`); the
    /// warm-up and the window begin after it.
    pub ramp: Duration,
    /// `--shard I/N`: this process runs connections j with j mod N = I (of both the
    /// loaded and the held ones), and so 1/N of `--rate`: N processes together run
    /// the plan, each schedule interleaved with the others'.
    pub shard: Option<(usize, usize)>,
    /// `--ping-interval`: each loaded connection also sends a ping this often (one
    /// at a time) and the pong's round trip is measured; `None`, no pings.
    pub ping_interval: Option<Duration>,
}

/// What each message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    Text(String),
    Binary(Vec<u8>),
}

impl Payload {
    /// `size` bytes of text (`--size`) or of binary (`--size --binary`).
    pub fn sized(size: usize, binary: bool) -> Payload {
        const FILL: &[u8] = b"wsdoctor bench ";
        let bytes: Vec<u8> = FILL.iter().copied().cycle().take(size).collect();
        if binary {
            Payload::Binary(bytes)
        } else {
            // Built from ASCII above, so always valid UTF-8.
            Payload::Text(bytes.into_iter().map(char::from).collect())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Payload::Text(t) => t.len(),
            Payload::Binary(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_binary(&self) -> bool {
        matches!(self, Payload::Binary(_))
    }
}

/// A plan that cannot run, said as the flag that fixes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    NoConnections,
    ZeroDepth,
    DepthTooLarge(usize),
    BadRate,
    ZeroDuration,
    ZeroTimeout,
    ZeroThreads,
    TooLarge(usize),
    BadShard,
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::NoConnections => {
                write!(f, "--connections (or --hold) must be at least 1")
            }
            PlanError::BadShard => write!(
                f,
                "--shard I/N needs N ≥ 1 and I from 0 to N-1 (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX)"
            ),
            PlanError::ZeroDepth => write!(f, "--depth must be at least 1"),
            PlanError::DepthTooLarge(max) => write!(f, "--depth may be at most {max}"),
            PlanError::BadRate => {
                write!(f, "--rate must be a positive number of messages per second")
            }
            PlanError::ZeroDuration => write!(f, "--duration must be longer than 0"),
            PlanError::ZeroTimeout => write!(f, "--timeout must be longer than 0"),
            PlanError::ZeroThreads => write!(f, "--threads must be at least 1"),
            PlanError::TooLarge(max) => write!(f, "--size may be at most {max} bytes"),
        }
    }
}

impl std::error::Error for PlanError {}

/// The largest message a run sends: one frame a server is likely to accept, and a
/// bound on every connection's buffers (`MAX_IN_FLIGHT` of them at most).
pub const MAX_PAYLOAD: usize = 1 << 20;

impl Plan {
    /// A closed loop of `connections` × `depth` sending `payload` for `duration`.
    pub fn closed(connections: usize, depth: usize, payload: Payload, duration: Duration) -> Plan {
        Plan {
            connections,
            depth,
            rate: None,
            payload,
            duration,
            warmup: Duration::ZERO,
            timeout: Duration::from_secs(10),
            threads: 1,
            open_at_once: 64,
            hold: 0,
            ramp: Duration::ZERO,
            shard: None,
            ping_interval: None,
        }
    }

    /// The indexes of the connections this process runs: loaded ones are below
    /// `connections`, held ones from there on.
    pub(crate) fn indexes(&self) -> Vec<usize> {
        (0..self.connections + self.hold)
            .filter(|j| self.shard.is_none_or(|(i, n)| j % n == i))
            .collect()
    }

    /// Loaded connections this process (this shard) runs.
    pub fn loaded_here(&self) -> usize {
        self.indexes()
            .iter()
            .filter(|j| **j < self.connections)
            .count()
    }

    /// Held connections this process (this shard) runs.
    pub fn held_here(&self) -> usize {
        self.indexes()
            .iter()
            .filter(|j| **j >= self.connections)
            .count()
    }

    pub fn validate(&self) -> Result<(), PlanError> {
        if self.connections == 0 && self.hold == 0 {
            return Err(PlanError::NoConnections);
        }
        if let Some((i, n)) = self.shard
            && (n == 0 || i >= n)
        {
            return Err(PlanError::BadShard);
        }
        if self.depth == 0 {
            return Err(PlanError::ZeroDepth);
        }
        if self.depth > crate::MAX_IN_FLIGHT {
            return Err(PlanError::DepthTooLarge(crate::MAX_IN_FLIGHT));
        }
        if let Some(rate) = self.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(PlanError::BadRate);
        }
        if self.duration.is_zero() {
            return Err(PlanError::ZeroDuration);
        }
        if self.timeout.is_zero() {
            return Err(PlanError::ZeroTimeout);
        }
        if self.threads == 0 {
            return Err(PlanError::ZeroThreads);
        }
        if self.payload.len() > MAX_PAYLOAD {
            return Err(PlanError::TooLarge(MAX_PAYLOAD));
        }
        Ok(())
    }

    /// The gap between two sends of one connection in open loop.
    pub(crate) fn interval(&self) -> Option<Duration> {
        self.rate
            .map(|r| Duration::from_secs_f64(self.connections as f64 / r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sized_payloads_have_the_size() {
        assert_eq!(Payload::sized(20, false).len(), 20);
        assert!(Payload::sized(3, true).is_binary());
        assert!(Payload::sized(0, false).is_empty());
    }

    #[test]
    fn bad_plans_name_the_flag() {
        let ok = Plan::closed(1, 1, Payload::sized(1, false), Duration::from_secs(1));
        assert_eq!(ok.validate(), Ok(()));
        let bad = |f: fn(&mut Plan)| {
            let mut p = ok.clone();
            f(&mut p);
            p.validate().unwrap_err().to_string()
        };
        assert!(bad(|p| p.connections = 0).contains("--connections"));
        assert!(bad(|p| p.depth = 0).contains("--depth"));
        assert!(bad(|p| p.rate = Some(-1.0)).contains("--rate"));
        assert!(bad(|p| p.rate = Some(f64::NAN)).contains("--rate"));
        assert!(bad(|p| p.duration = Duration::ZERO).contains("--duration"));
        assert!(bad(|p| p.payload = Payload::Binary(vec![0; MAX_PAYLOAD + 1])).contains("--size"));
    }

    #[test]
    fn shards_split_the_connections_between_them() {
        let mut p = Plan::closed(5, 1, Payload::sized(1, false), Duration::from_secs(1));
        p.hold = 2;
        p.shard = Some((1, 2));
        assert_eq!(p.indexes(), [1, 3, 5]);
        assert_eq!((p.loaded_here(), p.held_here()), (2, 1));
        p.shard = Some((0, 2));
        assert_eq!((p.loaded_here(), p.held_here()), (3, 1));
        p.shard = Some((2, 2));
        assert!(p.validate().unwrap_err().to_string().contains("--shard"));
    }

    #[test]
    fn the_open_loop_interval_spreads_the_rate_over_connections() {
        let mut p = Plan::closed(10, 1, Payload::sized(1, false), Duration::from_secs(1));
        p.rate = Some(1000.0);
        assert_eq!(p.interval(), Some(Duration::from_millis(10)));
    }
}
