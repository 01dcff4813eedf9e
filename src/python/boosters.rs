//! xgboost and lightgbm boosters as they pickle, read for what a user asks first: how
//! many trees, how many features, which objective.
//!
//! - lightgbm's `Booster.__getstate__` keeps the model as text (`model_to_string`) under
//!   `_handle`: a header of `key=value` lines (`objective=binary sigmoid:1`,
//!   `max_feature_idx=3`, `tree_sizes=526 556 …`), then a `Tree=<n>` block per tree.
//! - xgboost's keeps `handle`, a bytearray of `save_raw()`: UBJSON (xgboost 2 and later)
//!   or JSON, an object whose `Model.learner` (or `learner`) holds
//!   `learner_model_param.num_feature`, `gradient_booster.model.gbtree_model_param.num_trees`
//!   and `objective.name`; the configuration (`Config.learner.objective.name`) too.
//!
//! Nothing is trusted: a length is checked against the bytes that remain, nesting is
//! bounded, and bytes that are not a model give a [`Booster`] that says so.

use super::view;
use crate::graph::{Pickle, Value};

/// Nesting of UBJSON containers read at most: xgboost's models nest about eight deep.
const MAX_DEPTH: usize = 64;
/// Items of an array kept while reading (the rest are read and counted).
const KEPT_ITEMS: usize = 16;

/// A booster and what its model says.
#[derive(Debug, Clone, PartialEq)]
pub struct Booster {
    /// `xgboost` or `lightgbm`.
    pub library: &'static str,
    /// How the model is kept: `UBJSON`, `JSON`, `text`.
    pub format: &'static str,
    /// The number of trees.
    pub trees: Option<u64>,
    /// The number of features.
    pub features: Option<u64>,
    /// The objective (`binary:logistic`, `binary sigmoid:1`).
    pub objective: Option<String>,
    /// The model's bytes, and why they could not be read when they could not.
    pub bytes: usize,
    /// Why the model could not be read, if it could not.
    pub problem: Option<String>,
}

/// The booster a value is: an instance of `xgboost.core.Booster` or
/// `lightgbm.basic.Booster` with its pickled state.
pub fn booster(pickle: &Pickle<'_>, value: Value) -> Option<Booster> {
    let (class, state) = super::sklearn::object_state(pickle, value)?;
    let (module, name) = view::global(pickle, class)?;
    let state = view::str_dict_capped(pickle, state, 256)?;
    match (module, name) {
        ("lightgbm.basic", "Booster") => {
            let handle =
                view::field(&state, "_handle").or_else(|| view::field(&state, "handle"))?;
            Some(lightgbm(view::str(pickle, handle)?))
        }
        ("xgboost.core", "Booster") => {
            let handle = view::field(&state, "handle")?;
            Some(xgboost(view::bytes_like(pickle, handle)?))
        }
        _ => None,
    }
}

/// A lightgbm model text's header.
pub fn lightgbm(text: &str) -> Booster {
    let header = text.split("\nTree=").next().unwrap_or_default();
    let field = |key: &str| {
        header
            .lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
    };
    let trees = match field("tree_sizes") {
        Some(sizes) => Some(sizes.split_whitespace().count() as u64),
        None => Some(text.matches("\nTree=").count() as u64),
    };
    let features = field("max_feature_idx")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|max| max + 1);
    let objective = field("objective").map(|o| o.trim().to_string());
    let problem = (!text.starts_with("tree\n")).then(|| "no lightgbm model text".to_string());
    Booster {
        library: "lightgbm",
        format: "text",
        trees: trees.filter(|_| problem.is_none()),
        features,
        objective,
        bytes: text.len(),
        problem,
    }
}

/// An xgboost raw model: UBJSON or JSON.
pub fn xgboost(bytes: &[u8]) -> Booster {
    let mut booster = Booster {
        library: "xgboost",
        format: "UBJSON",
        trees: None,
        features: None,
        objective: None,
        bytes: bytes.len(),
        problem: None,
    };
    let parsed = if bytes.first() == Some(&b'{') && bytes.get(1) == Some(&b'"') {
        booster.format = "JSON";
        serde_json::from_slice::<serde_json::Value>(bytes)
            .map(|json| Ubj::from_json(&json, 0))
            .map_err(|e| e.to_string())
    } else {
        let mut reader = UbjReader { bytes, pos: 0 };
        reader.value(0)
    };
    let model = match parsed {
        Ok(model) => model,
        Err(problem) => {
            booster.problem = Some(problem);
            return booster;
        }
    };
    let learner = model
        .path(&["Model", "learner"])
        .or_else(|| model.path(&["learner"]));
    let Some(learner) = learner else {
        booster.problem = Some("no learner in the model".to_string());
        return booster;
    };
    booster.features = learner
        .path(&["learner_model_param", "num_feature"])
        .and_then(Ubj::count);
    booster.trees = learner
        .path(&[
            "gradient_booster",
            "model",
            "gbtree_model_param",
            "num_trees",
        ])
        .and_then(Ubj::count)
        .or_else(|| {
            learner
                .path(&["gradient_booster", "model", "trees"])
                .and_then(Ubj::len)
        });
    booster.objective = learner
        .path(&["objective", "name"])
        .or_else(|| model.path(&["Config", "learner", "objective", "name"]))
        .and_then(|name| match name {
            Ubj::Str(name) => Some(name.clone()),
            _ => None,
        });
    booster
}

/// A UBJSON (or JSON) value, with long arrays kept in part.
#[derive(Debug, Clone, PartialEq)]
enum Ubj {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// An array's length and its first items.
    Array(u64, Vec<Ubj>),
    Object(Vec<(String, Ubj)>),
}

impl Ubj {
    fn path(&self, keys: &[&str]) -> Option<&Ubj> {
        let mut at = self;
        for key in keys {
            let Ubj::Object(entries) = at else {
                return None;
            };
            at = entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)?;
        }
        Some(at)
    }

    /// A count, which xgboost writes as a str of digits (`"4"`) or an int.
    fn count(&self) -> Option<u64> {
        match self {
            Ubj::Int(n) => u64::try_from(*n).ok(),
            Ubj::Str(text) => text.parse().ok(),
            _ => None,
        }
    }

    fn len(&self) -> Option<u64> {
        match self {
            Ubj::Array(len, _) => Some(*len),
            _ => None,
        }
    }

    fn from_json(json: &serde_json::Value, depth: usize) -> Ubj {
        use serde_json::Value as J;
        if depth > MAX_DEPTH {
            return Ubj::Null;
        }
        match json {
            J::Null => Ubj::Null,
            J::Bool(b) => Ubj::Bool(*b),
            J::Number(n) => n
                .as_i64()
                .map_or_else(|| Ubj::Float(n.as_f64().unwrap_or(f64::NAN)), Ubj::Int),
            J::String(s) => Ubj::Str(s.clone()),
            J::Array(items) => Ubj::Array(
                items.len() as u64,
                items
                    .iter()
                    .take(KEPT_ITEMS)
                    .map(|item| Ubj::from_json(item, depth + 1))
                    .collect(),
            ),
            J::Object(entries) => Ubj::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), Ubj::from_json(v, depth + 1)))
                    .collect(),
            ),
        }
    }
}

/// A UBJSON reader over a slice: every length checked against what remains.
struct UbjReader<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl UbjReader<'_> {
    fn take(&mut self, len: usize) -> Result<&[u8], String> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let taken = rest
            .get(..len)
            .ok_or_else(|| format!("UBJSON ends inside a value at byte {}", self.pos))?;
        self.pos += len;
        Ok(taken)
    }

    fn marker(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn int_of(&mut self, marker: u8) -> Result<i64, String> {
        Ok(match marker {
            b'i' => i64::from(self.take(1)?[0] as i8),
            b'U' => i64::from(self.take(1)?[0]),
            b'I' => i64::from(i16::from_be_bytes(self.array()?)),
            b'l' => i64::from(i32::from_be_bytes(self.array()?)),
            b'L' => i64::from_be_bytes(self.array()?),
            other => return Err(self.unexpected(other)),
        })
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn length(&mut self) -> Result<usize, String> {
        let marker = self.marker()?;
        let length = self.int_of(marker)?;
        usize::try_from(length).map_err(|_| format!("negative UBJSON length at byte {}", self.pos))
    }

    fn string(&mut self) -> Result<String, String> {
        let len = self.length()?;
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }

    fn unexpected(&self, marker: u8) -> String {
        format!(
            "not UBJSON: marker 0x{marker:02x} at byte {}",
            self.pos.saturating_sub(1)
        )
    }

    /// The value at the reader, whose marker is next.
    fn value(&mut self, depth: usize) -> Result<Ubj, String> {
        let marker = self.marker()?;
        self.value_of(marker, depth)
    }

    fn value_of(&mut self, marker: u8, depth: usize) -> Result<Ubj, String> {
        if depth > MAX_DEPTH {
            return Err(format!("UBJSON nested deeper than {MAX_DEPTH}"));
        }
        Ok(match marker {
            b'Z' => Ubj::Null,
            b'N' => return self.value(depth),
            b'T' => Ubj::Bool(true),
            b'F' => Ubj::Bool(false),
            b'i' | b'U' | b'I' | b'l' | b'L' => Ubj::Int(self.int_of(marker)?),
            b'd' => Ubj::Float(f64::from(f32::from_be_bytes(self.array()?))),
            b'D' => Ubj::Float(f64::from_be_bytes(self.array()?)),
            b'C' => Ubj::Str(char::from(self.take(1)?[0]).to_string()),
            b'S' | b'H' => Ubj::Str(self.string()?),
            b'[' => self.container(depth, false)?,
            b'{' => self.container(depth, true)?,
            other => return Err(self.unexpected(other)),
        })
    }

    /// An array or object, in any of its three forms: `]`/`}`-terminated, counted
    /// (`#`), or typed and counted (`$t#`).
    fn container(&mut self, depth: usize, object: bool) -> Result<Ubj, String> {
        let mut typed = None;
        let mut count = None;
        if self.bytes.get(self.pos) == Some(&b'$') {
            self.pos += 1;
            typed = Some(self.marker()?);
        }
        if self.bytes.get(self.pos) == Some(&b'#') {
            self.pos += 1;
            let len = self.length()?;
            // Every item takes a byte at least (none for a typed null or bool).
            let remaining = self.bytes.len().saturating_sub(self.pos);
            if len > remaining && !matches!(typed, Some(b'Z' | b'T' | b'F' | b'N')) {
                return Err(format!(
                    "UBJSON count {len} beyond the {remaining} bytes left"
                ));
            }
            count = Some(len);
        } else if typed.is_some() {
            return Err(format!("UBJSON type without a count at byte {}", self.pos));
        }
        let mut items = Vec::new();
        let mut entries = Vec::new();
        let mut len = 0u64;
        loop {
            match count {
                Some(count) if len as usize == count => break,
                None if self.bytes.get(self.pos) == Some(if object { &b'}' } else { &b']' }) => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            let key = if object { Some(self.string()?) } else { None };
            let marker = match typed {
                Some(marker) => marker,
                None => self.marker()?,
            };
            let value = self.value_of(marker, depth + 1)?;
            match key {
                Some(key) => entries.push((key, value)),
                None if items.len() < KEPT_ITEMS => items.push(value),
                None => {}
            }
            len += 1;
        }
        Ok(match object {
            true => Ubj::Object(entries),
            false => Ubj::Array(len, items),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_bytes_give_a_booster_that_says_why() {
        let booster = xgboost(b"\xff\x00garbage");
        assert_eq!(booster.trees, None);
        assert_eq!(
            booster.problem.as_deref(),
            Some("not UBJSON: marker 0xff at byte 0")
        );
    }

    #[test]
    fn a_count_beyond_the_bytes_is_refused_before_allocating() {
        // [#L 2^62 items
        let booster = xgboost(b"[#L\x40\x00\x00\x00\x00\x00\x00\x00");
        assert!(booster.problem.unwrap().contains("beyond the 0 bytes left"));
    }

    #[test]
    fn nesting_without_end_is_refused_at_the_bound() {
        let booster = xgboost(&[b'['; 10_000]);
        assert_eq!(
            booster.problem.as_deref(),
            Some("UBJSON nested deeper than 64")
        );
    }

    #[test]
    fn a_json_model_gives_its_trees_features_and_objective() {
        let json = br#"{"learner": {"learner_model_param": {"num_feature": "4"},
            "gradient_booster": {"model": {"gbtree_model_param": {"num_trees": "5"}}},
            "objective": {"name": "binary:logistic"}}}"#;
        let booster = xgboost(json);
        assert_eq!(
            (
                booster.format,
                booster.trees,
                booster.features,
                booster.objective.as_deref()
            ),
            ("JSON", Some(5), Some(4), Some("binary:logistic"))
        );
    }

    #[test]
    fn lightgbm_text_that_is_no_model_says_so() {
        let booster = lightgbm("hello");
        assert_eq!(booster.problem.as_deref(), Some("no lightgbm model text"));
        assert_eq!(booster.trees, None);
    }
}
