//! Failures below HTTP: a port that swallows everything, and one that resets.

use crate::wire;
use std::io;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// How long the black hole keeps a connection before letting it go.
pub const BLACK_HOLE_HOLD: Duration = Duration::from_secs(120);

/// Accepts, reads and discards (into a fixed buffer), never answers.
pub async fn black_hole(mut stream: TcpStream) -> io::Result<()> {
    let swallow = async {
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    };
    // Holding longer than any client deadline is the point; letting go eventually keeps
    // the lab's task count bounded.
    let _ = tokio::time::timeout(BLACK_HOLE_HOLD, swallow).await;
    Ok(())
}

/// Waits for the request (so the client sees the reset as the answer to it), then
/// closes with SO_LINGER 0, which sends a TCP RST instead of a FIN.
pub async fn reset(mut stream: TcpStream) -> io::Result<()> {
    let _ = wire::read_request(&mut stream).await;
    stream.set_zero_linger()?;
    drop(stream);
    Ok(())
}
