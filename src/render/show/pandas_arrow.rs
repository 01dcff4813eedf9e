//! Slots of Arrow `list<…>` and `struct<…>` columns as pandas prints them.
//!
//! In a frame or a Series pandas converts such a column to numpy first
//! (`ArrowExtensionArray.to_numpy`): a list slot becomes a numpy array, printed as numpy
//! prints one (`[1 2]`, `[ 1. nan]` once the items hold a null, since numpy then holds
//! the ints as floats, `['a' 'b']`, the first and last three of more than a thousand); a
//! struct slot becomes a dict whose int fields are floats when the field holds a null
//! (`{'a': 1.0, 'b': 'x'}`). An array's repr shows each slot as Python has it
//! (`as_py()`): `[1, 2]`, `{'a': 1, 'b': 'x'}`.

use crate::python::arrow::{ArrowValue, FieldValue, ListValue};
use crate::text::scalar::{float_repr, write_str_repr};

/// A slot as pandas writes it in a frame or a Series.
pub fn numpy_text(value: &ArrowValue<'_>) -> String {
    match value {
        ArrowValue::List(list) => numpy_array(list),
        ArrowValue::Struct(fields) => dict(fields, true),
        other => python(other),
    }
}

/// A slot as Python's repr writes it (`as_py()`): lists and dicts, `None` for a null.
pub fn python(value: &ArrowValue<'_>) -> String {
    match value {
        ArrowValue::Null => "None".to_string(),
        ArrowValue::Str(text) => str_repr(text),
        ArrowValue::Int(n) => n.to_string(),
        ArrowValue::Float(f) => float_repr(*f),
        ArrowValue::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        ArrowValue::List(list) => {
            let items: Vec<String> = list.items.iter().map(python).collect();
            match list.len > items.len() as u64 {
                true => format!("[{}, …]", items.join(", ")),
                false => format!("[{}]", items.join(", ")),
            }
        }
        ArrowValue::Struct(fields) => dict(fields, false),
    }
}

fn str_repr(text: &str) -> String {
    let mut out = String::new();
    write_str_repr(&mut out, &crate::PyStr::from_text(text));
    out
}

/// `{'a': 1.0, 'b': 'x'}`; with `as_numpy`, an int field that holds a null is a float.
fn dict(fields: &[FieldValue<'_>], as_numpy: bool) -> String {
    let items: Vec<String> = fields
        .iter()
        .map(|field| {
            let value = match (&field.value, as_numpy && field.has_nulls) {
                (ArrowValue::Int(n), true) => float_repr(*n as f64),
                (value, _) => python(value),
            };
            format!("{}: {value}", str_repr(field.name))
        })
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// A list slot as numpy's `str()` of the array pandas makes of it.
fn numpy_array(list: &ListValue<'_>) -> String {
    let ints_as_floats = list.has_nulls && is_int(list.item_type);
    let floats = ints_as_floats || matches!(list.item_type, "double" | "float" | "halffloat");
    let texts: Vec<String> = if floats {
        float_texts(&list.items)
    } else {
        let texts: Vec<String> = list
            .items
            .iter()
            .map(|item| match item {
                ArrowValue::Null => "None".to_string(),
                other => python(other),
            })
            .collect();
        // numpy pads numbers and bools to one width; strs and objects it does not.
        match is_int(list.item_type) || list.item_type == "bool" {
            true => right_justified(texts),
            false => texts,
        }
    };
    let elided = list.len > list.items.len() as u64;
    let mut parts = texts;
    if elided {
        let head = parts.len() / 2;
        parts.insert(head, "...".to_string());
    }
    format!("[{}]", parts.join(" "))
}

fn is_int(type_name: &str) -> bool {
    matches!(
        type_name,
        "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "uint64"
    )
}

fn right_justified(texts: Vec<String>) -> Vec<String> {
    let width = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0);
    texts.into_iter().map(|t| format!("{t:>width$}")).collect()
}

/// numpy's floats in an array: each at its shortest repr with trailing zeros cut (`2.`),
/// the integer parts right-justified and the fractions left-justified to the widest,
/// `nan` and `inf` right-justified to the whole width.
fn float_texts(items: &[ArrowValue<'_>]) -> Vec<String> {
    let values: Vec<Option<f64>> = items
        .iter()
        .map(|item| match item {
            ArrowValue::Float(f) => Some(*f),
            ArrowValue::Int(n) => Some(*n as f64),
            _ => None,
        })
        .collect();
    let parts: Vec<Option<(String, String)>> = values
        .iter()
        .map(|value| {
            let value = (*value).filter(|v| v.is_finite())?;
            let text = float_repr(value);
            let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
            Some((int.to_string(), frac.trim_end_matches('0').to_string()))
        })
        .collect();
    let pad_left = parts
        .iter()
        .flatten()
        .map(|(i, _)| i.len())
        .max()
        .unwrap_or(0);
    let pad_right = parts
        .iter()
        .flatten()
        .map(|(_, f)| f.len())
        .max()
        .unwrap_or(0);
    let texts: Vec<String> = parts
        .iter()
        .zip(&values)
        .map(|(part, value)| match (part, value) {
            (Some((int, frac)), _) => format!("{int:>pad_left$}.{frac:<pad_right$}"),
            (None, Some(f)) if f.is_nan() => "nan".to_string(),
            (None, Some(f)) if *f > 0.0 => "inf".to_string(),
            (None, Some(_)) => "-inf".to_string(),
            (None, None) => "nan".to_string(),
        })
        .collect();
    right_justified(texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list<'p>(item_type: &'p str, items: Vec<ArrowValue<'p>>, has_nulls: bool) -> ListValue<'p> {
        ListValue {
            len: items.len() as u64,
            items,
            item_type,
            has_nulls,
        }
    }

    #[test]
    fn lists_print_as_numpy_prints_the_arrays_pandas_makes() {
        // What pandas 3.1 printed for Series of list<item: int64>, <string>, <double>.
        let ints = list("int64", vec![ArrowValue::Int(1), ArrowValue::Int(2)], false);
        assert_eq!(numpy_array(&ints), "[1 2]");
        let with_null = list("int64", vec![ArrowValue::Int(1), ArrowValue::Null], true);
        assert_eq!(numpy_array(&with_null), "[ 1. nan]");
        let strs = list(
            "string",
            vec![ArrowValue::Str("a".into()), ArrowValue::Str("b".into())],
            false,
        );
        assert_eq!(numpy_array(&strs), "['a' 'b']");
        let floats = list(
            "double",
            vec![ArrowValue::Float(1.5), ArrowValue::Float(2.0)],
            false,
        );
        assert_eq!(numpy_array(&floats), "[1.5 2. ]");
        let edges = [0, 1, 2, 1997, 1998, 1999].map(ArrowValue::Int).to_vec();
        let long = ListValue {
            len: 2000,
            ..list("int64", edges, false)
        };
        assert_eq!(numpy_array(&long), "[   0    1    2 ... 1997 1998 1999]");
    }
}
