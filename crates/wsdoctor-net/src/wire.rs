//! The `-v` feed: what went over the wire, like curl (`>` sent, `<` received, `*`
//! commentary). The probe pushes lines into an observer and never formats output
//! itself; the binary decides how (and whether) to print them.

use wsdoctor_core::redact;

/// One line of the wire trace. Secrets are already redacted unless the user asked
/// for `--show-secrets`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireLine {
    Sent(String),
    Received(String),
    Note(String),
}

/// Receives the wire trace as the probe runs (from any task, hence `Send + Sync`).
pub trait WireObserver: Send + Sync {
    fn wire(&self, line: WireLine);
}

/// Discards the trace.
pub struct NoWire;

impl WireObserver for NoWire {
    fn wire(&self, _line: WireLine) {}
}

/// The observer plus the redaction choice, so call sites cannot forget to redact.
#[derive(Clone, Copy)]
pub(crate) struct Wire<'a> {
    observer: &'a dyn WireObserver,
    show_secrets: bool,
}

impl<'a> Wire<'a> {
    pub(crate) fn new(observer: &'a dyn WireObserver, show_secrets: bool) -> Self {
        Wire {
            observer,
            show_secrets,
        }
    }

    pub(crate) fn note(&self, text: impl Into<String>) {
        self.observer.wire(WireLine::Note(text.into()));
    }

    /// A head line we sent (request line or header).
    pub(crate) fn sent(&self, line: &str) {
        self.observer.wire(WireLine::Sent(self.line(line)));
    }

    /// A head line we received.
    pub(crate) fn received(&self, line: &str) {
        self.observer.wire(WireLine::Received(self.line(line)));
    }

    fn line(&self, line: &str) -> String {
        if self.show_secrets {
            line.to_string()
        } else {
            redact::head_line(line)
        }
    }
}
