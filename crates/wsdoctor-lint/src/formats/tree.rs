//! A document tree with a line number on every node, built from YAML (yaml-rust2's
//! event parser, which reports positions) or TOML (toml_edit, which keeps spans).
//! Traefik, Envoy and Kubernetes rules walk this one shape whichever syntax was used.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(String),
    Seq(Vec<Node>),
    /// Keys in document order, each with the line the key is on.
    Map(Vec<(String, usize, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, _, n)| n),
            _ => None,
        }
    }

    /// The line of `key` itself (where a finding about it should point).
    pub fn key_line(&self, key: &str) -> Option<usize> {
        match &self.value {
            Value::Map(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, l, _)| *l),
            _ => None,
        }
    }

    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn seq(&self) -> &[Node] {
        match &self.value {
            Value::Seq(s) => s,
            _ => &[],
        }
    }

    pub fn entries(&self) -> &[(String, usize, Node)] {
        match &self.value {
            Value::Map(m) => m,
            _ => &[],
        }
    }

    /// Every node below this one (itself included), depth first.
    pub fn walk<'a>(&'a self, out: &mut Vec<&'a Node>) {
        out.push(self);
        match &self.value {
            Value::Seq(s) => s.iter().for_each(|n| n.walk(out)),
            Value::Map(m) => m.iter().for_each(|(_, _, n)| n.walk(out)),
            Value::Scalar(_) => {}
        }
    }
}

/// A parse error with its line.
#[derive(Debug)]
pub struct TreeError {
    pub line: Option<usize>,
    pub message: String,
    /// A cap of ours (depth, nodes, text) rather than a syntax error.
    pub limit: bool,
}

/// Caps on what a YAML document may expand to: aliases can multiply nodes and text
/// (a "billion laughs"), and nesting is what a recursive consumer would overflow on.
pub const MAX_YAML_NODES: usize = 1_000_000;
pub const MAX_YAML_TEXT_BYTES: usize = 32 << 20;
pub const MAX_YAML_DEPTH: usize = 256;

/// Every document of a YAML stream (`---` separated). Events are pulled one by one
/// (yaml-rust2's `Parser::load` recurses once per nesting level and overflows the
/// stack on tens of thousands of levels), and the builder stops at the caps.
pub fn parse_yaml(text: &str) -> Result<Vec<Node>, TreeError> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| TreeError {
            line: Some(e.marker().line()),
            message: e.info().to_string(),
            limit: false,
        })?;
        if ev == Event::StreamEnd {
            break;
        }
        b.on_event(ev, mark);
        if let Some(msg) = b.failed.take() {
            return Err(TreeError {
                line: Some(mark.line()),
                message: msg,
                limit: true,
            });
        }
    }
    Ok(b.docs)
}

#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    /// Open collections: the node, and for maps the pending key.
    stack: Vec<(Node, Option<(String, usize)>)>,
    /// Anchored nodes with their weight, so aliases are counted before they are copied.
    anchors: HashMap<usize, (Node, Weight)>,
    anchor_of_open: Vec<usize>,
    /// Nodes and text built so far, aliases counted at their full expanded size.
    built: Weight,
    failed: Option<String>,
}

/// What a node costs: nodes and bytes of text (scalars and keys).
#[derive(Clone, Copy, Debug, Default)]
struct Weight {
    nodes: usize,
    bytes: usize,
}

impl Weight {
    fn of(node: &Node) -> Weight {
        let mut w = Weight::default();
        let mut todo = vec![node];
        while let Some(n) = todo.pop() {
            w.nodes += 1;
            match &n.value {
                Value::Scalar(s) => w.bytes += s.len(),
                Value::Seq(s) => todo.extend(s),
                Value::Map(m) => {
                    for (k, _, v) in m {
                        w.bytes += k.len();
                        todo.push(v);
                    }
                }
            }
        }
        w
    }

    /// Adds `more`, or says which cap it would cross.
    fn grow(&mut self, more: Weight) -> Result<(), String> {
        let nodes = self.nodes.saturating_add(more.nodes);
        let bytes = self.bytes.saturating_add(more.bytes);
        if nodes > MAX_YAML_NODES {
            return Err(format!(
                "the document expands to more than {MAX_YAML_NODES} YAML nodes (aliases repeat what they name)"
            ));
        }
        if bytes > MAX_YAML_TEXT_BYTES {
            return Err(format!(
                "the document expands to more than {MAX_YAML_TEXT_BYTES} bytes of text (aliases repeat what they name)"
            ));
        }
        *self = Weight { nodes, bytes };
        Ok(())
    }
}

impl Builder {
    fn add(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            let w = Weight::of(&node);
            self.anchors.insert(anchor, (node.clone(), w));
        }
        let Some((parent, pending)) = self.stack.last_mut() else {
            self.docs.push(node);
            return;
        };
        match &mut parent.value {
            Value::Seq(s) => s.push(node),
            Value::Map(m) => match pending.take() {
                Some((k, line)) => m.push((k, line, node)),
                None => {
                    let key = match &node.value {
                        Value::Scalar(s) => s.clone(),
                        _ => String::new(),
                    };
                    *pending = Some((key, node.line));
                }
            },
            Value::Scalar(_) => {}
        }
    }

    fn fail(&mut self, msg: String) {
        self.failed = Some(msg);
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.failed.is_some() {
            return;
        }
        let line = mark.line();
        match ev {
            Event::Scalar(s, _, anchor, _) => {
                if let Err(e) = self.built.grow(Weight {
                    nodes: 1,
                    bytes: s.len(),
                }) {
                    return self.fail(e);
                }
                self.add(
                    Node {
                        line,
                        value: Value::Scalar(s),
                    },
                    anchor,
                )
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_YAML_DEPTH {
                    return self.fail(format!("YAML nested more than {MAX_YAML_DEPTH} deep"));
                }
                if let Err(e) = self.built.grow(Weight { nodes: 1, bytes: 0 }) {
                    return self.fail(e);
                }
                let value = if matches!(ev, Event::SequenceStart(..)) {
                    Value::Seq(Vec::new())
                } else {
                    Value::Map(Vec::new())
                };
                self.stack.push((Node { line, value }, None));
                self.anchor_of_open.push(anchor);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let (Some((node, _)), Some(anchor)) =
                    (self.stack.pop(), self.anchor_of_open.pop())
                {
                    self.add(node, anchor);
                }
            }
            Event::Alias(id) => {
                let Some(&(_, w)) = self.anchors.get(&id) else {
                    self.add(
                        Node {
                            line,
                            value: Value::Scalar(String::new()),
                        },
                        0,
                    );
                    return;
                };
                // Counted before it is copied: the copy is what a bomb multiplies.
                if let Err(e) = self.built.grow(w) {
                    return self.fail(e);
                }
                let node = self.anchors[&id].0.clone();
                self.add(node, 0);
            }
            _ => {}
        }
    }
}

/// A TOML document as a tree; line numbers come from toml_edit's spans.
pub fn parse_toml(text: &str) -> Result<Node, TreeError> {
    let lines = Lines::new(text);
    let doc = toml_edit::Document::parse(text.to_string()).map_err(|e| TreeError {
        line: e.span().map(|s| lines.of(s.start)),
        message: e.message().to_string(),
        limit: false,
    })?;
    Ok(table(&lines, doc.as_table(), 1))
}

/// Byte offset → line number by binary search over the line starts: counting
/// newlines from the start for every key made 100k keys quadratic.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        Lines(starts)
    }

    /// The 1-based line of `offset`.
    fn of(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

fn table(text: &Lines, t: &dyn toml_edit::TableLike, line: usize) -> Node {
    let mut entries = Vec::new();
    for (k, item) in t.iter() {
        let key_line = t
            .get_key_value(k)
            .and_then(|(key, _)| key.span())
            .map(|s| text.of(s.start))
            .unwrap_or(line);
        entries.push((k.to_string(), key_line, item_node(text, item, key_line)));
    }
    Node {
        line,
        value: Value::Map(entries),
    }
}

fn item_node(text: &Lines, item: &toml_edit::Item, line: usize) -> Node {
    let line = item.span().map(|s| text.of(s.start)).unwrap_or(line);
    match item {
        toml_edit::Item::Value(v) => value_node(text, v, line),
        toml_edit::Item::Table(t) => table(text, t, line),
        toml_edit::Item::ArrayOfTables(a) => Node {
            line,
            value: Value::Seq(
                a.iter()
                    .map(|t| table(text, t, t.span().map(|s| text.of(s.start)).unwrap_or(line)))
                    .collect(),
            ),
        },
        toml_edit::Item::None => Node {
            line,
            value: Value::Scalar(String::new()),
        },
    }
}

fn value_node(text: &Lines, v: &toml_edit::Value, line: usize) -> Node {
    let line = v.span().map(|s| text.of(s.start)).unwrap_or(line);
    let scalar = |s: String| Node {
        line,
        value: Value::Scalar(s),
    };
    match v {
        toml_edit::Value::String(s) => scalar(s.value().clone()),
        toml_edit::Value::Integer(i) => scalar(i.value().to_string()),
        toml_edit::Value::Float(f) => scalar(f.value().to_string()),
        toml_edit::Value::Boolean(b) => scalar(b.value().to_string()),
        toml_edit::Value::Datetime(d) => scalar(d.value().to_string()),
        toml_edit::Value::Array(a) => Node {
            line,
            value: Value::Seq(a.iter().map(|x| value_node(text, x, line)).collect()),
        },
        toml_edit::Value::InlineTable(t) => table(text, t, line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_keeps_lines_across_documents_and_aliases() {
        let text = "a: 1\nb:\n  c: &x [1, 2]\n  d: *x\n---\nkind: Ingress\nitems:\n  - name: n\n    v: \"3600s\"\n";
        let docs = parse_yaml(text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].key_line("b"), Some(2));
        assert_eq!(docs[0].path(&["b", "d"]).unwrap().seq().len(), 2);
        let item = &docs[1].get("items").unwrap().seq()[0];
        assert_eq!(item.get("v").unwrap().str(), Some("3600s"));
        assert_eq!(item.key_line("v"), Some(9));
    }

    #[test]
    fn yaml_errors_have_lines() {
        let e = parse_yaml("a: 1\nb: [\n").unwrap_err();
        assert!(e.line.is_some());
        // A billion laughs stays bounded.
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..9 {
            bomb.push_str(&format!(
                "b{i}: &b{i} [{p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}]\n",
                p = if i == 0 {
                    "*a".to_string()
                } else {
                    format!("*b{}", i - 1)
                }
            ));
        }
        let e = parse_yaml(&bomb).unwrap_err();
        assert!(e.message.contains("aliases"));
    }

    #[test]
    fn toml_keeps_key_lines() {
        let text = "[entryPoints.web]\naddress = \":80\"\n\n[entryPoints.web.transport.respondingTimeouts]\nreadTimeout = \"10s\"\n";
        let t = parse_toml(text).unwrap();
        let rt = t
            .path(&["entryPoints", "web", "transport", "respondingTimeouts"])
            .unwrap();
        assert_eq!(rt.get("readTimeout").unwrap().str(), Some("10s"));
        assert_eq!(rt.key_line("readTimeout"), Some(5));
        assert!(parse_toml("a = \n").unwrap_err().line.is_some());
    }
}
