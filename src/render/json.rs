//! The `json` view: the graph as one JSON document per pickle, a table of nodes that
//! refer to each other by id, so shared objects and cycles survive. The format is
//! described in `docs/json.md`.
//!
//! Values are written inline where JSON can hold them exactly (`null`, `true`, ints within
//! ±2^53, finite floats) and tagged where it cannot (`{"int": "…"}`, `{"float": "nan"}`,
//! `{"bytes": "<base64>"}`, `{"str_surrogatepass": "<hex>"}`); a str, bytes or big int
//! that exactly one place refers to is written at that place, and every other node is an
//! entry of `nodes`, referred to as `{"ref": id}`. Containers never nest inside a value,
//! so the document's nesting depth is fixed, whatever the pickle's: writing it needs no
//! recursion, and output is linear in the size of the graph.

use std::io::{self, Write};

use crate::error::Error;
use crate::graph::{Effect, Inert, InertKind, Mutation, Node, Pickle, Value};
use crate::machine::Failure;
use crate::text::scalar::bigint_repr;

/// The version of the format, written as `"picklegraph"` in each document.
pub const FORMAT_VERSION: u32 = 1;

/// The largest int JSON readers hold exactly (2^53): beyond it ints are tagged strings.
const MAX_SAFE_INT: u64 = 1 << 53;

/// Writes `pickle` as a JSON document (followed by a newline); `file` names its source.
///
/// # Errors
/// The first error writing to `out`.
/// ```
/// let pickle = picklegraph::load(b"]\x94(h\x00K\x01e.")?; // l = []; l += [l, 1]
/// let json = picklegraph::render::json::to_json(&pickle, None);
/// let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
/// assert_eq!(doc["root"]["ref"], 0);
/// assert_eq!(doc["nodes"][0]["items"], serde_json::json!([{"ref": 0}, 1]));
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn write_json(pickle: &Pickle<'_>, file: Option<&str>, out: impl Write) -> io::Result<()> {
    write_json_with(pickle, &file_field(file), out)
}

/// The `"file"` field, when there is a file to name.
fn file_field(file: Option<&str>) -> Vec<(&'static str, serde_json::Value)> {
    file.map(|file| ("file", serde_json::Value::from(file)))
        .into_iter()
        .collect()
}

/// [`write_json`] with other fields after `"picklegraph"` (`"file"`, `"label"`,
/// `"trailing"`), in the order given.
///
/// # Errors
/// The first error writing to `out`.
/// ```
/// let pickle = picklegraph::load(b"N.")?;
/// let mut out = Vec::new();
/// let fields = [("label", serde_json::json!("data.pkl"))];
/// picklegraph::render::json::write_json_with(&pickle, &fields, &mut out)?;
/// assert!(String::from_utf8(out).unwrap().starts_with("{\"picklegraph\":1,\"label\":\"data.pkl\","));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_json_with(
    pickle: &Pickle<'_>,
    fields: &[(&str, serde_json::Value)],
    out: impl Write,
) -> io::Result<()> {
    let mut starts = vec![pickle.root()];
    starts.extend(pickle.effects().iter().map(|e| e.value));
    let mut writer = JsonWriter::new(pickle, &starts, out);
    writer.head(fields)?;
    writer.raw("\"root\":")?;
    writer.value(pickle.root())?;
    writer.raw(",\n")?;
    writer.tail()
}

/// Writes what a malformed pickle had rebuilt when the error struck, as a document
/// with an `"error"`, the `"stack"` (bottom first) and the `"memo"`, and a null root.
///
/// # Errors
/// The first error writing to `out`.
pub fn write_failure_json(
    failure: &Failure<'_>,
    file: Option<&str>,
    out: impl Write,
) -> io::Result<()> {
    write_failure_json_with(failure, &file_field(file), out)
}

/// [`write_failure_json`] with other fields, as [`write_json_with`].
///
/// # Errors
/// The first error writing to `out`.
pub fn write_failure_json_with(
    failure: &Failure<'_>,
    fields: &[(&str, serde_json::Value)],
    out: impl Write,
) -> io::Result<()> {
    let pickle = &failure.partial;
    let mut starts = failure.stack.clone();
    starts.extend(failure.memo.iter().map(|&(_, v)| v));
    starts.extend(pickle.effects().iter().map(|e| e.value));
    let mut writer = JsonWriter::new(pickle, &starts, out);
    writer.head(fields)?;
    let error = &failure.error;
    writer.raw(&format!(
        "\"error\":{{\"offset\":{},\"opcode\":",
        error.offset()
    ))?;
    writer.string(error.opcode().map_or("", |op| op.name()))?;
    writer.raw(",\"message\":")?;
    writer.string(&error.kind().to_string())?;
    writer.raw("},\n\"root\":null,\n\"stack\":[")?;
    for (i, &value) in failure.stack.iter().enumerate() {
        writer.separator(i, "")?;
        writer.value(value)?;
    }
    writer.raw("],\n\"memo\":[")?;
    for (i, &(key, value)) in failure.memo.iter().enumerate() {
        writer.separator(i, "")?;
        writer.raw(&format!("[{key},"))?;
        writer.value(value)?;
        writer.raw("]")?;
    }
    writer.raw("],\n")?;
    writer.tail()
}

/// A load error as the documents write it: `{offset, opcode, message}` (`opcode` empty
/// when the error has none).
pub fn error_json(error: &Error) -> serde_json::Value {
    serde_json::json!({
        "offset": error.offset(),
        "opcode": error.opcode().map_or("", |op| op.name()),
        "message": error.kind().to_string(),
    })
}

/// One entry of a file document's `"trailing"`: the `len` bytes from `start` after a
/// last `STOP` that are no pickle, the `error` reading them as one met, and the `note`
/// that says so.
pub fn trailing_json(
    label: Option<&str>,
    start: usize,
    len: usize,
    error: &Error,
    note: String,
) -> serde_json::Value {
    serde_json::json!({
        "label": label,
        "start": start,
        "end": start + len,
        "len": len,
        "error": error_json(error),
        "message": note,
    })
}

/// Opens the document of a file that holds several pickles (`format` says what holds
/// them, null for a stream of pickles): `{"picklegraph":1,"file":…,"format":…,"pickles":[`, then each pickle's
/// document, separated by commas, then [`write_several_end`].
///
/// # Errors
/// The first error writing to `out`.
pub fn write_several_start(
    file: Option<&str>,
    format: Option<&str>,
    mut out: impl Write,
) -> io::Result<()> {
    write!(out, "{{\"picklegraph\":{FORMAT_VERSION},")?;
    if let Some(file) = file {
        write!(out, "\"file\":{},", serde_json::Value::from(file))?;
    }
    writeln!(
        out,
        "\"format\":{},\"pickles\":[",
        serde_json::Value::from(format)
    )
}

/// Closes the document [`write_several_start`] opened, with its `"trailing"` entries
/// ([`trailing_json`]) when there are any.
///
/// # Errors
/// The first error writing to `out`.
pub fn write_several_end(trailing: Vec<serde_json::Value>, mut out: impl Write) -> io::Result<()> {
    if trailing.is_empty() {
        return writeln!(out, "]}}");
    }
    writeln!(
        out,
        "],\"trailing\":{}}}",
        serde_json::Value::from(trailing)
    )
}

/// The JSON document of `pickle`, as a string.
pub fn to_json(pickle: &Pickle<'_>, file: Option<&str>) -> String {
    let mut out = Vec::new();
    let written = write_json(pickle, file, &mut out);
    debug_assert!(written.is_ok(), "writing to a Vec cannot fail");
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether node `index` is written where it is used rather than as an entry of `nodes`:
/// a str, bytes or big int that exactly one place refers to. `counts` are those of
/// [`reference_counts`].
pub fn is_inline(pickle: &Pickle<'_>, counts: &[u32], index: usize) -> bool {
    counts[index] == 1
        && matches!(
            pickle.node(crate::graph::NodeId::from_index(index)),
            Node::Str(_) | Node::Bytes(_) | Node::BigInt(_)
        )
}

/// How many places refer to each node: every node's children (reachable or not), plus
/// `starts` (the root and the effects, or a failure's stack, memo and effects).
pub fn reference_counts(pickle: &Pickle<'_>, starts: &[Value]) -> Vec<u32> {
    let mut counts = vec![0u32; pickle.nodes().len()];
    let mut count = |value: Value| {
        if let Some(id) = value.node() {
            counts[id.index()] = counts[id.index()].saturating_add(1);
        }
    };
    starts.iter().copied().for_each(&mut count);
    for node in pickle.nodes() {
        (0..node.child_count())
            .filter_map(|i| node.child(i))
            .for_each(&mut count);
    }
    counts
}

struct JsonWriter<'p, 'a, W: Write> {
    pickle: &'p Pickle<'a>,
    out: W,
    /// For each node, its id in `nodes`, or `None` when it is written inline.
    ids: Vec<Option<u32>>,
}

impl<'p, 'a, W: Write> JsonWriter<'p, 'a, W> {
    fn new(pickle: &'p Pickle<'a>, starts: &[Value], out: W) -> JsonWriter<'p, 'a, W> {
        let counts = reference_counts(pickle, starts);
        let mut next = 0u32;
        let ids = (0..pickle.nodes().len())
            .map(|index| {
                (!is_inline(pickle, &counts, index)).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        JsonWriter { pickle, out, ids }
    }

    fn raw(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())
    }

    fn string(&mut self, text: &str) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, text).map_err(io::Error::from)
    }

    fn separator(&mut self, index: usize, newline: &str) -> io::Result<()> {
        if index > 0 {
            self.raw(",")?;
        }
        self.raw(newline)
    }

    fn head(&mut self, fields: &[(&str, serde_json::Value)]) -> io::Result<()> {
        self.raw(&format!("{{\"picklegraph\":{FORMAT_VERSION},"))?;
        for (name, value) in fields {
            self.string(name)?;
            self.raw(":")?;
            serde_json::to_writer(&mut self.out, value).map_err(io::Error::from)?;
            self.raw(",")?;
        }
        let (start, end) = self.pickle.span();
        self.raw(&format!(
            "\"span\":[{start},{end}],\"protocol\":{},\n",
            self.pickle.protocol()
        ))
    }

    /// The effects and the node table, and the document's end.
    fn tail(&mut self) -> io::Result<()> {
        let pickle = self.pickle;
        self.raw("\"effects\":[")?;
        for (i, effect) in pickle.effects().iter().enumerate() {
            self.separator(i, "\n")?;
            self.effect(effect)?;
        }
        self.raw(if pickle.effects().is_empty() {
            "],\n\"nodes\":["
        } else {
            "\n],\n\"nodes\":["
        })?;
        let mut written = 0;
        for (index, node) in pickle.nodes().enumerate() {
            let Some(id) = self.ids[index] else { continue };
            self.separator(written, "\n")?;
            written += 1;
            self.raw(&format!("{{\"id\":{id},"))?;
            self.node(crate::graph::NodeId::from_index(index), &node)?;
            self.raw("}")?;
        }
        self.raw(if written == 0 { "]}\n" } else { "\n]}\n" })?;
        self.out.flush()
    }

    fn effect(&mut self, effect: &Effect) -> io::Result<()> {
        self.raw("{\"value\":")?;
        self.value(effect.value)?;
        self.raw(&format!(
            ",\"offset\":{},\"opcode\":\"{}\"}}",
            effect.offset,
            effect.opcode.name()
        ))
    }

    /// A value where it is used: inline, or `{"ref": id}`.
    fn value(&mut self, value: Value) -> io::Result<()> {
        match value {
            Value::None => self.raw("null"),
            Value::Bool(b) => self.raw(if b { "true" } else { "false" }),
            Value::Int(v) if v.unsigned_abs() <= MAX_SAFE_INT => self.raw(&v.to_string()),
            Value::Int(v) => self.raw(&format!("{{\"int\":\"{v}\"}}")),
            Value::Float(v) if v.is_finite() => {
                serde_json::to_writer(&mut self.out, &v).map_err(io::Error::from)
            }
            Value::Float(v) => self.raw(&format!(
                "{{\"float\":\"{}\"}}",
                crate::text::scalar::float_repr(v)
            )),
            Value::Node(id) => match self.ids[id.index()] {
                Some(id) => self.raw(&format!("{{\"ref\":{id}}}")),
                None => self.leaf(id, &self.pickle.node(id)),
            },
        }
    }

    /// The inline form of a str, bytes or big int.
    fn leaf(&mut self, id: crate::graph::NodeId, node: &Node<'_>) -> io::Result<()> {
        match node {
            Node::Str(text) => match text.as_str() {
                Some(text) => self.string(text),
                None => {
                    self.raw("{\"str_surrogatepass\":\"")?;
                    write_hex(&mut self.out, text.as_bytes())?;
                    self.raw("\"}")
                }
            },
            Node::Bytes(bytes) | Node::ByteArray(bytes) => {
                self.raw("{\"bytes\":\"")?;
                write_base64(&mut self.out, bytes)?;
                match self.pickle.undecodable(id) {
                    Some(mark) => self.raw(&format!(
                        "\",\"undecodable\":{{\"encoding\":\"{}\",\"position\":{}}}}}",
                        mark.encoding, mark.position
                    )),
                    None => self.raw("\"}"),
                }
            }
            Node::BigInt(value) => {
                // Past CPython's own limit for decimal text, bigint_repr writes hex.
                self.raw(&format!("{{\"int\":\"{}\"}}", bigint_repr(value)))
            }
            _ => self.raw("null"),
        }
    }

    fn items(&mut self, values: impl IntoIterator<Item = Value>) -> io::Result<()> {
        self.raw("[")?;
        for (i, value) in values.into_iter().enumerate() {
            self.separator(i, "")?;
            self.value(value)?;
        }
        self.raw("]")
    }

    fn pairs(&mut self, pairs: impl IntoIterator<Item = (Value, Value)>) -> io::Result<()> {
        self.raw("[")?;
        for (i, (key, value)) in pairs.into_iter().enumerate() {
            self.separator(i, "")?;
            self.raw("[")?;
            self.value(key)?;
            self.raw(",")?;
            self.value(value)?;
            self.raw("]")?;
        }
        self.raw("]")
    }

    /// A node's fields after its id.
    fn node(&mut self, id: crate::graph::NodeId, node: &Node<'_>) -> io::Result<()> {
        let kind = match node {
            Node::Inert(inert) => return self.inert(inert),
            node => node.type_name().unwrap_or("inert"),
        };
        self.raw(&format!("\"type\":\"{kind}\","))?;
        match node {
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                self.raw("\"items\":")?;
                self.items(*items)
            }
            Node::Dict(pairs) => {
                self.raw("\"items\":")?;
                self.pairs(*pairs)
            }
            leaf => {
                self.raw("\"value\":")?;
                self.leaf(id, leaf)
            }
        }
    }

    fn field(&mut self, name: &str, value: Value) -> io::Result<()> {
        self.raw(&format!(",\"{name}\":"))?;
        self.value(value)
    }

    fn inert(&mut self, inert: &Inert) -> io::Result<()> {
        self.inert_kind(&inert.kind)?;
        self.raw(&format!(",\"offset\":{},\"mutations\":[", inert.offset))?;
        for (i, mutation) in inert.mutations.iter().enumerate() {
            self.separator(i, "")?;
            self.mutation(mutation)?;
        }
        self.raw("]")
    }

    /// The type and the fields particular to each kind of inert node.
    fn inert_kind(&mut self, kind: &InertKind) -> io::Result<()> {
        match kind {
            InertKind::Global {
                module,
                name,
                opcode,
            } => self.global(*module, *name, *opcode)?,
            InertKind::Call { func, args } => {
                self.raw("\"type\":\"call\"")?;
                self.field("func", *func)?;
                self.field("args", *args)?;
            }
            InertKind::Instance {
                class,
                args,
                kwargs,
                opcode,
            } => {
                self.raw(&format!(
                    "\"type\":\"instance\",\"opcode\":\"{}\"",
                    opcode.name()
                ))?;
                self.field("class", *class)?;
                self.field("args", *args)?;
                if let Some(kwargs) = kwargs {
                    self.field("kwargs", *kwargs)?;
                }
            }
            InertKind::Persistent { pid } => {
                self.raw("\"type\":\"persistent\"")?;
                self.field("pid", *pid)?;
            }
            InertKind::Extension { code } => {
                self.raw(&format!("\"type\":\"extension\",\"code\":{code}"))?
            }
            InertKind::Buffer { index, readonly } => {
                let given = self.pickle.buffer(*index).is_some();
                self.raw(&format!(
                    "\"type\":\"buffer\",\"index\":{index},\"readonly\":{readonly},\"given\":{given}"
                ))?;
            }
            InertKind::ReadOnly { target } => {
                self.raw("\"type\":\"readonly\"")?;
                self.field("target", *target)?;
            }
        }
        Ok(())
    }

    /// A global, with its `qualified_name` when module and name are strs.
    fn global(&mut self, module: Value, name: Value, opcode: crate::Opcode) -> io::Result<()> {
        self.raw(&format!(
            "\"type\":\"global\",\"opcode\":\"{}\"",
            opcode.name()
        ))?;
        self.field("module", module)?;
        self.field("name", name)?;
        let dotted = self.pickle.as_str(module).zip(self.pickle.as_str(name));
        match dotted.map(|(m, n)| crate::graph::compat::python3_name(m, n)) {
            Some((module, name)) => {
                self.raw(",\"qualified_name\":")?;
                self.string(&format!("{module}.{name}"))
            }
            None => Ok(()),
        }
    }

    fn mutation(&mut self, mutation: &Mutation) -> io::Result<()> {
        self.raw(&format!("{{\"op\":\"{}\",", mutation.name()))?;
        match mutation {
            Mutation::Build(state) => {
                self.raw("\"state\":")?;
                self.value(*state)?;
            }
            Mutation::Append(items) | Mutation::AddItems(items) => {
                self.raw("\"items\":")?;
                self.items(items.iter().copied())?;
            }
            Mutation::SetItems(pairs) => {
                self.raw("\"items\":")?;
                self.pairs(pairs.iter().copied())?;
            }
        }
        self.raw("}")
    }
}

/// Writes `bytes` in standard base64 (RFC 4648, with padding), a block at a time.
/// ```
/// let mut out = Vec::new();
/// picklegraph::render::json::write_base64(&mut out, b"pickle")?;
/// assert_eq!(out, b"cGlja2xl");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_base64(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut block = Vec::with_capacity(4096);
    for chunk in bytes.chunks(3 * 1024) {
        block.clear();
        for group in chunk.chunks(3) {
            let b = [
                group[0],
                *group.get(1).unwrap_or(&0),
                *group.get(2).unwrap_or(&0),
            ];
            let bits = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
                let symbol = ALPHABET[(bits >> shift & 0x3f) as usize];
                block.push(if i <= group.len() { symbol } else { b'=' });
            }
        }
        out.write_all(&block)?;
    }
    Ok(())
}

fn write_hex(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut block = Vec::with_capacity(4096);
    for chunk in bytes.chunks(2048) {
        block.clear();
        for &b in chunk {
            block.extend([HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        }
        out.write_all(&block)?;
    }
    Ok(())
}
