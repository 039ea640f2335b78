//! One byte-stream type for every layer above TCP: a plain socket, a proxy tunnel or
//! TLS over either. Boxing keeps the layer code free of generic plumbing; the cost
//! (one indirection per read) is nothing next to a network round trip.

use tokio::io::{AsyncRead, AsyncWrite};

pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub(crate) type BoxIo = Box<dyn Io>;
