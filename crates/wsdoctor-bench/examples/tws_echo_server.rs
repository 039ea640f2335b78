//! The benchmark's server (bench/bench/run.sh): a single-threaded tokio-websockets
//! echo server, so that every client is measured against the same, independent peer.
//!
//!     cargo run --release -p wsdoctor-bench --example tws_echo_server -- 127.0.0.1:0
//!
//! Prints `listening ws://ADDR/` once bound; echoes text and binary messages (pings,
//! pongs and closes are tokio-websockets' own); ends when killed or after an hour.

use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_websockets::ServerBuilder;

/// The server never outlives a forgotten benchmark by more than this.
const LIFETIME: Duration = Duration::from_secs(3600);

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("listening ws://{}/", listener.local_addr()?);
        let serve = async {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    // Out of descriptors: wait, do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let _ = conn.set_nodelay(true);
                tokio::spawn(async move {
                    let Ok((_, mut ws)) = ServerBuilder::new().accept(conn).await else {
                        return;
                    };
                    while let Some(Ok(m)) = ws.next().await {
                        if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                            break;
                        }
                    }
                });
            }
        };
        tokio::select! {
            _ = serve => {}
            _ = tokio::time::sleep(LIFETIME) => {}
        }
        Ok(())
    })
}
