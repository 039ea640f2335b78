//! The blocked event loop, for real: one OS thread, one single-threaded tokio runtime,
//! every connection of the scenario on it, and a handler that blocks the thread.
//!
//! Running it on the lab's shared multi-threaded runtime would only block one worker
//! and hide the fault (or stall unrelated scenarios). On its own thread it stalls every
//! connection of this server in lock-step and nothing else — what a diagnosis of a
//! blocked loop has to recognise.

use crate::cap::{self, MAX_BLOCKED_CONNECTIONS};
use crate::servers::echo;
use crate::wire::CONNECTION_LIFETIME;
use std::io;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

/// A running blocked-loop server; dropping it tells the thread to stop.
pub(crate) struct BlockedServer {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BlockedServer {
    pub fn spawn(
        listener: std::net::TcpListener,
        name: &'static str,
        block: Duration,
    ) -> io::Result<BlockedServer> {
        listener.set_nonblocking(true)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("wsdoctor-lab-blocked-loop".into())
            .spawn(move || run(listener, name, block, stopped))?;
        Ok(BlockedServer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops the loop and waits for the thread (at most one blocking handler's time).
    pub async fn stop(mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for BlockedServer {
    fn drop(&mut self) {
        // Dropping the sender wakes the loop, which ends the thread by itself; joining
        // here could block an async caller.
        drop(self.stop.take());
    }
}

fn run(
    listener: std::net::TcpListener,
    name: &'static str,
    block: Duration,
    stopped: oneshot::Receiver<()>,
) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async move {
        let Ok(listener) = TcpListener::from_std(listener) else {
            return;
        };
        let mut conns = JoinSet::new();
        let mut refusals = JoinSet::new();
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                _ = &mut stopped => return,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    if conns.len() >= MAX_BLOCKED_CONNECTIONS {
                        cap::refuse(&mut refusals, stream, name, None, MAX_BLOCKED_CONNECTIONS);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    conns.spawn(async move {
                        let _ = tokio::time::timeout(CONNECTION_LIFETIME, echo::serve_blocking(stream, block)).await;
                    });
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
                Some(_) = refusals.join_next(), if !refusals.is_empty() => {}
            }
        }
    });
}
