//! Sessions that break RFC 6455 or fail after a correct 101, on wsdoctor's own codec.
//!
//! tokio-tungstenite cannot be told to mask its server frames or set reserved bits, so
//! misbehaving sessions are written with `wsdoctor-proto`, which encodes a frame exactly
//! as described. [`run`] is a small echo server on that codec; each [`SessionFault`]
//! changes one thing about it. The broken-handshake servers reuse it (without a fault)
//! after their wrong 101, so a client that tolerates the handshake still gets echoes.

use super::SessionFault;
use super::canned::UPGRADE_REQUIRED;
use super::echo;
use crate::wire::{self, MAX_MESSAGE};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wsdoctor_proto::frame::{Frame, FrameDecoder, OpCode};
use wsdoctor_proto::handshake::ServerResponse;

/// The masking key the `masked-frames` server uses (RFC 6455 §5.7's example key).
pub const SERVER_MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
/// The text payload of the `invalid-utf8` server: "echo: " then 0xC3 0x28 (a lead byte
/// followed by a non-continuation byte).
pub const INVALID_UTF8: &[u8] = b"echo: \xc3\x28";
/// How long a server that sent a close frame waits for the client's close.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// How long the `stops-reading` server holds a connection it never reads (it cannot
/// see the client leave, so the hold is what ends it).
const STOPS_READING_HOLD: Duration = Duration::from_secs(30);

/// Correct 101, then the faulty session.
pub async fn serve<S>(mut stream: S, fault: SessionFault) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let head = match wire::read_request(&mut stream).await {
        Ok(head) => head,
        Err(e) => return echo::refuse(stream, e).await,
    };
    let Some(key) = head
        .request
        .header("Sec-WebSocket-Key")
        .filter(|_| head.request.is_websocket_upgrade())
    else {
        return UPGRADE_REQUIRED.reply().send(&mut stream).await;
    };
    stream
        .write_all(&ServerResponse::switching_protocols(key).to_bytes())
        .await?;
    if fault == SessionFault::AbruptEof {
        return drop_without_close(stream).await;
    }
    if fault == SessionFault::StopsReading {
        // Holding the socket without reading it: what arrives stays in the kernel's
        // buffers, and once they are full the client's writes block.
        tokio::time::sleep(STOPS_READING_HOLD).await;
        return Ok(());
    }
    run(stream, head.rest().to_vec(), Some(fault)).await
}

/// Sends FIN right after the 101, then lets the client go. Draining until the client
/// closes keeps the kernel from turning our close into a reset (unread data → RST).
async fn drop_without_close<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) -> io::Result<()> {
    stream.shutdown().await?;
    let drain = async {
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    };
    let _ = tokio::time::timeout(CLOSE_WAIT, drain).await;
    Ok(())
}

/// An echo session on our codec; `fault` changes what is sent back. `buffered` holds
/// bytes that arrived with the request head.
pub async fn run<S>(mut stream: S, buffered: Vec<u8>, fault: Option<SessionFault>) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut conn = Conn {
        buf: buffered,
        decoder: FrameDecoder::new(MAX_MESSAGE),
        partial: None,
        echoed: 0,
    };
    loop {
        let Some(frame) = conn.next_frame(&mut stream).await? else {
            return Ok(());
        };
        match conn.on_frame(frame, fault) {
            Step::Nothing => {}
            Step::Send(frame) => {
                let data = !frame.header.opcode.is_control();
                if let (Some(SessionFault::SlowEcho(delay)), true) = (fault, data) {
                    tokio::time::sleep(delay).await;
                }
                send(&mut stream, frame, fault).await?;
                if let Some(SessionFault::CloseAfter { messages, code }) = fault
                    && data
                    && conn.echoed >= messages
                {
                    send(
                        &mut stream,
                        Frame::close(Some(code), "enough messages"),
                        fault,
                    )
                    .await?;
                    return conn.await_close(&mut stream).await;
                }
            }
            Step::Close(code, reason) => {
                send(&mut stream, Frame::close(Some(code), reason), fault).await?;
                return conn.await_close(&mut stream).await;
            }
            Step::AnswerClose(payload) => {
                send(&mut stream, Frame::new(OpCode::Close, payload), fault).await?;
                return stream.shutdown().await;
            }
        }
    }
}

/// What to do after a frame.
enum Step {
    Nothing,
    Send(Frame),
    /// We close with this code and wait for the client's close.
    Close(u16, &'static str),
    /// The client closed: answer with its payload (code echoed, RFC 6455 §5.5.1) and end.
    AnswerClose(Vec<u8>),
}

struct Conn {
    buf: Vec<u8>,
    decoder: FrameDecoder,
    /// A fragmented message being assembled: its opcode and payload so far.
    partial: Option<(OpCode, Vec<u8>)>,
    /// Messages answered so far (the `CloseAfter` fault closes after its count).
    echoed: usize,
}

impl Conn {
    /// The next frame, reading as needed; `None` at EOF or on a frame over the cap.
    async fn next_frame<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
    ) -> io::Result<Option<Frame>> {
        let mut chunk = [0u8; 8192];
        loop {
            match self.decoder.decode(&self.buf) {
                Ok(Some((frame, used))) => {
                    self.buf.drain(..used);
                    return Ok(Some(frame));
                }
                Ok(None) => {}
                Err(_) => return Ok(None),
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn on_frame(&mut self, frame: Frame, fault: Option<SessionFault>) -> Step {
        match frame.header.opcode {
            OpCode::Ping if fault == Some(SessionFault::NoPong) => Step::Nothing,
            OpCode::Ping => Step::Send(Frame::pong(&frame.payload)),
            OpCode::Pong => Step::Nothing,
            OpCode::Close => Step::AnswerClose(
                frame
                    .payload
                    .get(..2)
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default(),
            ),
            OpCode::Reserved(_) => Step::Close(1002, "reserved opcode"),
            OpCode::Text | OpCode::Binary if self.partial.is_some() => {
                Step::Close(1002, "expected a continuation")
            }
            OpCode::Text | OpCode::Binary if !frame.header.fin => {
                self.partial = Some((frame.header.opcode, frame.payload));
                Step::Nothing
            }
            OpCode::Text | OpCode::Binary => {
                self.message(frame.header.opcode, frame.payload, fault)
            }
            OpCode::Continuation => {
                let Some((opcode, mut payload)) = self.partial.take() else {
                    return Step::Close(1002, "continuation without a message");
                };
                if payload.len() + frame.payload.len() > MAX_MESSAGE {
                    return Step::Close(1009, "message too big");
                }
                payload.extend_from_slice(&frame.payload);
                if frame.header.fin {
                    self.message(opcode, payload, fault)
                } else {
                    self.partial = Some((opcode, payload));
                    Step::Nothing
                }
            }
        }
    }

    /// After our close frame: wait (bounded) for the client's close, then end.
    async fn await_close<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
    ) -> io::Result<()> {
        let wait = async {
            while let Some(frame) = self.next_frame(stream).await? {
                if frame.header.opcode == OpCode::Close {
                    break;
                }
            }
            Ok::<_, io::Error>(())
        };
        let _ = tokio::time::timeout(CLOSE_WAIT, wait).await;
        stream.shutdown().await
    }
}

impl Conn {
    /// What the server answers to one complete message.
    fn message(&mut self, opcode: OpCode, payload: Vec<u8>, fault: Option<SessionFault>) -> Step {
        self.echoed += 1;
        message(opcode, payload, fault)
    }
}

/// What the server answers to one complete message.
fn message(opcode: OpCode, payload: Vec<u8>, fault: Option<SessionFault>) -> Step {
    match fault {
        Some(SessionFault::Close1011) => Step::Close(1011, "internal error"),
        Some(SessionFault::TooBig(limit)) if payload.len() > limit => {
            Step::Close(1009, "message too big")
        }
        Some(SessionFault::InvalidUtf8) => {
            Step::Send(Frame::new(OpCode::Text, INVALID_UTF8.to_vec()))
        }
        _ => Step::Send(Frame::new(opcode, payload)),
    }
}

/// Encodes and writes a frame, applying the fault that changes every frame we send.
async fn send<S: AsyncWrite + Unpin>(
    stream: &mut S,
    frame: Frame,
    fault: Option<SessionFault>,
) -> io::Result<()> {
    let frame = match fault {
        Some(SessionFault::Masked) => frame.with_mask(Some(SERVER_MASK)),
        Some(SessionFault::ReservedBits) => frame.with_rsv(false, true, false),
        _ => frame,
    };
    let mut out = Vec::with_capacity(frame.payload.len() + 14);
    frame.encode(&mut out);
    stream.write_all(&out).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Conn {
        Conn {
            buf: Vec::new(),
            decoder: FrameDecoder::new(MAX_MESSAGE),
            partial: None,
            echoed: 0,
        }
    }

    fn sent(step: Step) -> Frame {
        match step {
            Step::Send(f) => f,
            _ => panic!("expected a frame to send"),
        }
    }

    #[test]
    fn pings_are_answered_unless_the_fault_is_no_pong() {
        assert_eq!(
            sent(conn().on_frame(Frame::ping(b"x"), None)),
            Frame::pong(b"x")
        );
        assert!(matches!(
            conn().on_frame(Frame::ping(b"x"), Some(SessionFault::NoPong)),
            Step::Nothing
        ));
    }

    #[test]
    fn fragments_are_echoed_as_one_message() {
        let mut c = conn();
        assert!(matches!(
            c.on_frame(Frame::text("ab").with_fin(false), None),
            Step::Nothing
        ));
        assert_eq!(
            sent(c.on_frame(Frame::continuation(b"cd"), None)),
            Frame::text("abcd")
        );
    }

    #[test]
    fn too_big_closes_with_1009_only_above_the_limit() {
        let fault = Some(SessionFault::TooBig(8));
        assert_eq!(
            sent(conn().on_frame(Frame::text("12345678"), fault)),
            Frame::text("12345678")
        );
        assert!(matches!(
            conn().on_frame(Frame::text("123456789"), fault),
            Step::Close(1009, _)
        ));
    }

    #[test]
    fn messages_are_counted() {
        let mut c = conn();
        assert_eq!(sent(c.on_frame(Frame::text("1"), None)), Frame::text("1"));
        assert!(matches!(c.on_frame(Frame::ping(b"p"), None), Step::Send(_)));
        assert_eq!(c.echoed, 1);
    }

    #[test]
    fn a_client_close_is_answered_with_its_code() {
        match conn().on_frame(Frame::close(Some(1000), "bye"), None) {
            Step::AnswerClose(p) => assert_eq!(p, 1000u16.to_be_bytes()),
            _ => panic!("expected the close to be answered"),
        }
    }

    #[test]
    fn the_invalid_utf8_fault_answers_every_message_with_it() {
        let f = sent(conn().on_frame(Frame::binary(b"x"), Some(SessionFault::InvalidUtf8)));
        assert_eq!(
            (f.header.opcode, f.payload.as_slice()),
            (OpCode::Text, INVALID_UTF8)
        );
    }
}
