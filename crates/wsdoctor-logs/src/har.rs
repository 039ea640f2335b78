//! Browser HAR exports: the WebSocket requests in them, their statuses, their messages
//! and how long they lived.
//!
//! A HAR file is one JSON document, possibly hundreds of megabytes, most of it
//! message payloads. It is streamed with serde: entries are handed over one at a time
//! and messages are folded into counters as they are parsed, so memory stays flat
//! whatever the export holds.

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One HAR entry, with only what wsdoctor reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Entry {
    #[serde(rename = "startedDateTime")]
    pub started: Option<String>,
    pub request: Request,
    pub response: Response,
    #[serde(rename = "_resourceType")]
    pub resource_type: Option<String>,
    #[serde(rename = "_webSocketMessages")]
    pub messages: Messages,
    /// Some exporters put the network error on the entry, Chrome on the response.
    #[serde(rename = "_error")]
    pub error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<Header>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Header {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Response {
    pub status: i64,
    #[serde(rename = "_error")]
    pub error: Option<String>,
}

impl Entry {
    /// A WebSocket request: ws(s) URL, Chrome's resource type, messages, or an
    /// Upgrade header.
    pub fn is_websocket(&self) -> bool {
        let url = self.request.url.to_ascii_lowercase();
        url.starts_with("ws://")
            || url.starts_with("wss://")
            || self
                .resource_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("websocket"))
            || self.messages.sent + self.messages.received > 0
            || self.request.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case("upgrade") && h.value.eq_ignore_ascii_case("websocket")
            })
    }

    pub fn network_error(&self) -> Option<&str> {
        self.response
            .error
            .as_deref()
            .or(self.error.as_deref())
            .filter(|e| !e.is_empty())
    }
}

/// `_webSocketMessages` folded into counters while parsing.
#[derive(Debug, Default)]
pub struct Messages {
    pub sent: u64,
    pub received: u64,
    /// Epoch seconds of the first and last message.
    pub first: Option<f64>,
    pub last: Option<f64>,
    /// A close frame (opcode 8) was recorded.
    pub close_frame: bool,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    time: Option<f64>,
    #[serde(default)]
    opcode: Option<i64>,
}

impl<'de> Deserialize<'de> for Messages {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Messages;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of WebSocket messages")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Messages, A::Error> {
                let mut m = Messages::default();
                while let Some(msg) = seq.next_element::<Message>()? {
                    match msg.kind.as_str() {
                        "send" => m.sent += 1,
                        _ => m.received += 1,
                    }
                    if let Some(t) = msg.time.filter(|t| t.is_finite()) {
                        m.first = Some(m.first.map_or(t, |f: f64| f.min(t)));
                        m.last = Some(m.last.map_or(t, |l: f64| l.max(t)));
                    }
                    m.close_frame |= msg.opcode == Some(8);
                }
                Ok(m)
            }
        }
        d.deserialize_seq(V)
    }
}

/// Stream the entries of a HAR document to `each`.
pub fn entries<R: std::io::Read>(
    reader: R,
    each: &mut dyn FnMut(Entry),
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    Keyed {
        key: "log",
        inner: Keyed {
            key: "entries",
            inner: EntrySeq(each),
        },
    }
    .deserialize(&mut de)?;
    de.end()
}

/// An object whose `key` member is read by `inner`; other members are skipped.
struct Keyed<S> {
    key: &'static str,
    inner: S,
}

impl<'de, S: DeserializeSeed<'de, Value = ()>> DeserializeSeed<'de> for Keyed<S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, S: DeserializeSeed<'de, Value = ()>> Visitor<'de> for Keyed<S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with \"{}\"", self.key)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut inner = Some(self.inner);
        while let Some(k) = map.next_key::<String>()? {
            match inner.take_if(|_| k == self.key) {
                Some(seed) => map.next_value_seed(seed)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct EntrySeq<'a>(&'a mut dyn FnMut(Entry));

impl<'de> DeserializeSeed<'de> for EntrySeq<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntrySeq<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of HAR entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(e) = seq.next_element::<Entry>()? {
            (self.0)(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_stream_with_folded_messages() {
        let har = r#"{"log":{"version":"1.2","creator":{"name":"x"},"pages":[],"entries":[
          {"startedDateTime":"2024-05-01T10:00:00.000Z","time":12,"request":{"method":"GET","url":"wss://x.example/ws","headers":[]},
           "response":{"status":101,"statusText":"Switching Protocols"},"_resourceType":"websocket",
           "_webSocketMessages":[{"type":"send","time":1714557600.5,"opcode":1,"data":"hi"},
                                  {"type":"receive","time":1714557660.0,"opcode":1,"data":"hi"}]},
          {"startedDateTime":"2024-05-01T10:01:00.000Z","request":{"method":"GET","url":"https://x.example/app.js"},"response":{"status":200}},
          {"request":{"method":"GET","url":"wss://x.example/ws"},"response":{"status":0,"_error":"net::ERR_CONNECTION_REFUSED"}}
        ]}}"#;
        let mut got = Vec::new();
        entries(har.as_bytes(), &mut |e| got.push(e)).expect("parses");
        assert_eq!(got.len(), 3);
        assert!(got[0].is_websocket() && !got[1].is_websocket() && got[2].is_websocket());
        assert_eq!((got[0].messages.sent, got[0].messages.received), (1, 1));
        assert_eq!(got[0].messages.last, Some(1714557660.0));
        assert_eq!(got[2].network_error(), Some("net::ERR_CONNECTION_REFUSED"));
    }

    #[test]
    fn broken_json_is_an_error_not_a_panic() {
        for bad in [
            r#"{"log":{"entries":[{"request":"#,
            "{",
            r#"{"log":{"entries":3}}"#,
            "[]",
        ] {
            assert!(entries(bad.as_bytes(), &mut |_| {}).is_err(), "{bad}");
        }
    }
}
