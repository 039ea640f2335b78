//! One overall deadline shared by every phase. Each phase asks for its own cap and
//! gets whichever ends first, so a slow early layer can never push the probe past
//! `--timeout`.

use std::time::Duration;
use tokio::time::Instant;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    end: Instant,
}

impl Deadline {
    pub(crate) fn after(total: Duration) -> Self {
        Deadline {
            end: Instant::now() + total,
        }
    }

    /// When a phase with this cap must end.
    pub(crate) fn phase(&self, cap: Duration) -> Instant {
        (Instant::now() + cap).min(self.end)
    }

    pub(crate) fn end(&self) -> Instant {
        self.end
    }
}

/// Milliseconds since `start`, as the evidence records them.
pub(crate) fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}
