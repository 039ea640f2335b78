//! The signals a long-running command (`lab`, `serve`) listens for, registered up
//! front: Ctrl-C, and SIGTERM and SIGHUP (a closed terminal, or a reload request) where
//! they exist. `serve` reloads on SIGHUP; `lab` ends on any of them.

/// What a signal asks for: SIGHUP reloads (like Prometheus), SIGINT/SIGTERM stop.
pub enum Stop {
    Reload,
    Exit,
}

pub struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    pub fn listen() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
                hangup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    pub async fn next(&mut self) -> Stop {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => Stop::Exit,
            _ = self.terminate.recv() => Stop::Exit,
            _ = self.hangup.recv() => Stop::Reload,
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Stop::Exit
        }
    }
}
