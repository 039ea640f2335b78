//! HAR entries as occurrences: upgraded WebSocket requests feed the session
//! durations, failed ones are classified by status or by the browser's network error.

use super::aggregate::Hit;
use super::har;
use super::{ScanError, Scanner, fields, timestamp};
use std::io::Read;
use wsdoctor_core::CauseId;
use wsdoctor_core::tables::status;

impl Scanner {
    pub(super) fn har_entries(&mut self, file: u32, reader: impl Read) -> Result<(), ScanError> {
        let mut index = 0u64;
        let mut on_entry = |e: har::Entry| {
            index += 1;
            self.har_entry(file, index, e);
        };
        har::entries(reader, &mut on_entry).map_err(|e| {
            if e.is_io() {
                ScanError::Io(std::io::Error::other(e.to_string()))
            } else {
                ScanError::Har(e.to_string())
            }
        })
    }

    fn har_entry(&mut self, file: u32, index: u64, e: har::Entry) {
        self.har.entries += 1;
        if !e.is_websocket() {
            return;
        }
        self.har.websockets += 1;
        self.har.messages_sent += e.messages.sent;
        self.har.messages_received += e.messages.received;
        let started = e
            .started
            .as_deref()
            .and_then(|s| timestamp::parse(s.as_bytes()));
        let url = wsdoctor_explain::explain::find_url(&e.request.url)
            .unwrap_or_else(|| e.request.url.clone());
        let path = url_path(&e.request.url);
        let summary = format!(
            "{} {} -> {} ({} sent, {} received){}",
            if e.request.method.is_empty() {
                "GET"
            } else {
                &e.request.method
            },
            url,
            e.response.status,
            e.messages.sent,
            e.messages.received,
            e.network_error()
                .map(|x| format!(" {x}"))
                .unwrap_or_default()
        );
        let status = u16::try_from(e.response.status).unwrap_or(0);
        if status == 101 {
            self.har.upgraded += 1;
            if e.messages.close_frame {
                self.har.closed_with_frame += 1;
            }
            let duration = match (started, e.messages.last) {
                (Some(s), Some(last)) => Some(last - s.secs()).filter(|d| *d >= 0.0),
                _ => None,
            };
            self.upgraded(
                path.as_bytes(),
                duration,
                false,
                file,
                index,
                summary.as_bytes(),
            );
            return;
        }
        self.har.failed += 1;
        let cause = match (status, e.network_error()) {
            (0, Some(err)) => wsdoctor_explain::explain::explain(err)
                .causes
                .first()
                .map(|c| (c.id, "har-network-error")),
            (0, None) => None,
            (s, _) => status::status_causes(s)
                .first()
                .map(|id| (*id, "har-status")),
        };
        let Some((id, sig)) = cause else { return };
        let time = started;
        let hit = Hit {
            file,
            line: index,
            text: summary.as_bytes(),
            time,
            signature: sig,
            url: Some(url),
            upstream: None,
        };
        if let Some(t) = time
            && matches!(id, CauseId::HttpBadGateway | CauseId::HttpGatewayTimeout)
        {
            self.bursts.entry(id).or_default().add(t.epoch);
        }
        let examples = self.opts.max_examples;
        self.stats(id).add(&hit, examples);
    }
}

fn url_path(url: &str) -> String {
    let after = url.split_once("://").map_or(url, |(_, r)| r);
    let path = after.find('/').map_or("/", |i| &after[i..]);
    fields::path_of(path.as_bytes())
        .iter()
        .map(|&b| b as char)
        .collect()
}
