//! The benchmark's reference client (bench/bench/run.sh): the closed loop `wsdoctor
//! bench -c N --depth 1` runs, written the idiomatic way on tokio-websockets — N
//! connections on one single-threaded runtime (as wsdoctor's default `--threads 1`),
//! each sending a text message and awaiting its echo, every round trip recorded in an
//! HDR histogram — so throughput and CPU per message compare like for like.
//!
//!     tws_load_client URL CONNECTIONS SIZE SECONDS
//!
//! Prints one JSON line: messages, messages_per_second, p50_us, p99_us.

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio_websockets::{ClientBuilder, Message};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, conns, size, secs] = args.as_slice() else {
        return Err("usage: tws_load_client URL CONNECTIONS SIZE SECONDS".into());
    };
    let (conns, size): (usize, usize) = (conns.parse()?, size.parse()?);
    let window = Duration::from_secs_f64(secs.parse()?);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let hist = Rc::new(RefCell::new(Histogram::<u64>::new_with_bounds(
        1,
        3_600_000_000,
        3,
    )?));
    let payload = "x".repeat(size);
    let uri: http::Uri = url.parse()?;
    let mut clients = Vec::new();
    for _ in 0..conns {
        let (ws, _) = rt.block_on(ClientBuilder::from_uri(uri.clone()).connect())?;
        clients.push(ws);
    }
    let stop = Instant::now() + window;
    for mut ws in clients {
        let (hist, payload) = (hist.clone(), payload.clone());
        local.spawn_local(async move {
            while Instant::now() < stop {
                let sent = Instant::now();
                if ws.send(Message::text(payload.clone())).await.is_err() {
                    return;
                }
                match ws.next().await {
                    Some(Ok(_)) => {
                        let us = sent.elapsed().as_micros().max(1) as u64;
                        hist.borrow_mut().saturating_record(us);
                    }
                    _ => return,
                }
            }
            let _ = ws.close().await;
        });
    }
    rt.block_on(local);
    let h = hist.borrow();
    println!(
        "{{\"messages\":{},\"messages_per_second\":{:.1},\"p50_us\":{},\"p99_us\":{}}}",
        h.len(),
        h.len() as f64 / window.as_secs_f64(),
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99)
    );
    Ok(())
}
