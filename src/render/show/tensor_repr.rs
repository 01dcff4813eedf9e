//! A tensor's `repr` as torch 2.15 writes it (`torch/_tensor_str.py`), from the elements
//! [`crate::python::tensor_data`] read: `tensor([[0., 1., 2.],\n        [3., 4., 5.]])`.
//!
//! torch's defaults are followed: 4 digits of precision, lines of 80 columns, more than
//! 1,000 elements summarized to the first and last 3 of each dimension; one formatter
//! for all the elements shown chooses integer, fixed or scientific notation and a common
//! width; `dtype=` is written for all but float32, complex64, int64 and bool.

use crate::graph::NodeId;
use crate::python::tensor_data::{Element, Elements, EDGE_ITEMS};
use crate::python::torch::{Quantizer, Tensor, TensorKind};
use crate::python::torch_kinds::{SparseLayout, SparseTensor};

/// torch's `PRINT_OPTS.precision`.
const PRECISION: usize = 4;
/// torch's `PRINT_OPTS.linewidth`.
const LINE_WIDTH: usize = 80;

/// `repr(tensor)`.
/// ```
/// use picklegraph::python::{tensor_data::{elements, StorageBytes}, torch};
/// use picklegraph::render::show::tensor_repr;
/// // torch._utils._rebuild_tensor_v2(<storage ('storage', torch.FloatStorage, '0', 'cpu', 6)>,
/// //                                  0, (2, 3), (3, 1), False, collections.OrderedDict())
/// let data = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage\
/// ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x06tQK\x00K\x02K\x03\x86\
/// K\x03K\x01\x86\x89ccollections\nOrderedDict\n)RtR.";
/// let pickle = picklegraph::load(data)?;
/// let tensor = torch::tensor(&pickle, pickle.root().node().unwrap()).unwrap();
/// let bytes: Vec<u8> = [0.5f32, -1.0, 2.0, 3.0, 4.0, 5.0].iter().flat_map(|f| f.to_le_bytes()).collect();
/// let mut storages = StorageBytes::new(true);
/// storages.insert("0", Ok(&bytes));
/// let read = elements(&tensor, &storages).unwrap();
/// assert_eq!(
///     tensor_repr::repr(&tensor, &read),
///     "tensor([[ 0.5000, -1.0000,  2.0000],\n        [ 3.0000,  4.0000,  5.0000]])"
/// );
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn repr(tensor: &Tensor<'_>, elements: &Elements) -> String {
    Repr::new(tensor, elements).at(LINE_WIDTH)
}

/// The narrowest line width [`Repr::fitted`] lays a tensor out at before it gives up
/// and writes one element a line.
pub const MIN_LINE_WIDTH: usize = 20;

/// A tensor's repr, its elements formatted once, to be laid out at any line width
/// (torch's `linewidth` print option).
pub struct Repr {
    prefix: String,
    indent: usize,
    suffixes: Vec<Suffix>,
    parameter: bool,
    content: Content,
    /// torch puts a sparse COO tensor's first suffix on a line of its own.
    force_newline: bool,
}

/// What is written between the prefix and the suffixes.
enum Content {
    /// `[]`: a tensor without elements.
    Empty,
    /// The elements.
    Dense(Body),
    /// A sparse tensor's parts, one a line: `indices=tensor([[0, 1]]),`.
    Parts(Vec<Part>),
}

/// The formatted elements, in row-major order over the dimensions shown.
struct Body {
    elements: Elements,
    texts: Vec<String>,
    element_length: usize,
}

/// One part of a sparse tensor: `values=tensor(` and its elements.
struct Part {
    prefix: String,
    body: Option<Body>,
    /// The part's shape, written after `[]` when it has no elements.
    shape: Vec<u64>,
}

/// A suffix: text, or a tensor's repr laid out at the same line width (a per-channel
/// quantized tensor's `scale=tensor([…])`).
enum Suffix {
    Text(String),
    Tensor(&'static str, Box<Repr>),
}

impl Suffix {
    fn at(&self, linewidth: usize) -> String {
        match self {
            Suffix::Text(text) => text.clone(),
            Suffix::Tensor(label, repr) => format!("{label}{}", repr.at(linewidth)),
        }
    }
}

/// The elements of a part of a tensor (a sparse tensor's indices and values, a
/// per-channel quantized tensor's scales and zero points), looked up by node.
pub type PartElements<'e> = &'e dyn Fn(NodeId) -> Option<Elements>;

impl Repr {
    /// The repr of `tensor`, whose `elements` were read.
    pub fn new(tensor: &Tensor<'_>, elements: &Elements) -> Repr {
        Repr::with_parts(tensor, elements, &|_| None)
    }

    /// The repr of `tensor`, whose `elements` were read; `parts` gives the elements of a
    /// per-channel quantized tensor's scales and zero points (`scale=?` without them).
    pub fn with_parts(tensor: &Tensor<'_>, elements: &Elements, parts: PartElements<'_>) -> Repr {
        let prefix = match tensor.class {
            Some((_, class)) if class != "Parameter" => format!("{class}("),
            _ => "tensor(".to_string(),
        };
        let indent = prefix.chars().count();
        let dtype = tensor.dtype.name;
        let mut suffixes = Vec::new();
        if tensor.storage.location != "cpu" {
            suffixes.push(Suffix::Text(format!(
                "device='{}'",
                tensor.storage.location
            )));
        }
        let content = if let Some(quantizer) = &tensor.quantizer {
            suffixes.push(Suffix::Text(format!(
                "size={}",
                size_tuple(&elements.shape)
            )));
            suffixes.push(Suffix::Text(format!("dtype=torch.{dtype}")));
            quantizer_suffixes(quantizer, parts, &mut suffixes);
            Content::of(elements)
        } else if elements.values.is_empty() {
            if elements.shape.len() != 1 {
                suffixes.push(Suffix::Text(format!(
                    "size={}",
                    size_tuple(&elements.shape)
                )));
            }
            if dtype != "float32" {
                suffixes.push(Suffix::Text(format!("dtype=torch.{dtype}")));
            }
            Content::Empty
        } else {
            if !has_default_dtype(dtype) {
                suffixes.push(Suffix::Text(format!("dtype=torch.{dtype}")));
            }
            Content::of(elements)
        };
        if tensor.requires_grad {
            suffixes.push(Suffix::Text("requires_grad=True".to_string()));
        }
        Repr {
            indent,
            prefix,
            suffixes,
            parameter: tensor.kind == TensorKind::Parameter,
            content,
            force_newline: false,
        }
    }

    /// The repr of a sparse tensor, whose parts' elements `parts` gives (the parts'
    /// order, [`SparseTensor::parts`]).
    ///
    /// # Errors
    /// The first part whose elements are missing.
    pub fn sparse(sparse: &SparseTensor<'_>, parts: PartElements<'_>) -> Result<Repr, String> {
        let prefix = "tensor(".to_string();
        let indent = prefix.len();
        let mut written = Vec::new();
        for part in &sparse.parts {
            let elements =
                parts(part.node).ok_or_else(|| format!("its {} are not read", part.name))?;
            written.push(Part {
                prefix: format!("{}=tensor(", part.name),
                body: (!elements.values.is_empty()).then(|| Body::new(&elements)),
                shape: elements.shape,
            });
        }
        let values = sparse.values();
        let mut suffixes = vec![
            Suffix::Text(format!("size={}", size_tuple(&sparse.size))),
            Suffix::Text(format!("nnz={}", sparse.nnz())),
        ];
        if !has_default_dtype(values.dtype.name) {
            suffixes.push(Suffix::Text(format!("dtype=torch.{}", values.dtype.name)));
        }
        suffixes.push(Suffix::Text(format!("layout={}", sparse.layout.name())));
        Ok(Repr {
            prefix,
            indent,
            suffixes,
            parameter: false,
            content: Content::Parts(written),
            force_newline: sparse.layout == SparseLayout::Coo,
        })
    }

    /// The repr as torch writes it at `linewidth` columns (torch's default is 80).
    pub fn at(&self, linewidth: usize) -> String {
        let body = match &self.content {
            Content::Dense(body) => body.text(self.indent, linewidth),
            Content::Empty => "[]".to_string(),
            Content::Parts(parts) => {
                let texts: Vec<String> = parts
                    .iter()
                    .map(|part| part.text(self.indent, linewidth))
                    .collect();
                texts.join(&format!(",\n{}", " ".repeat(self.indent)))
            }
        };
        let suffixes: Vec<String> = self.suffixes.iter().map(|s| s.at(linewidth)).collect();
        let text = add_suffixes(
            format!("{}{body}", self.prefix),
            &suffixes,
            self.indent,
            linewidth,
            self.force_newline,
        );
        match self.parameter {
            true => format!("Parameter containing:\n{text}"),
            false => text,
        }
    }

    /// The repr at the widest line width up to torch's 80 at which its first line takes
    /// at most `first` columns and every other at most `rest`: so torch's own layout
    /// wherever it fits. Widths below [`MIN_LINE_WIDTH`] are not tried: then each row
    /// is written one element a line, as torch writes it at a tiny line width.
    /// ```
    /// use picklegraph::python::{tensor_data::{elements, StorageBytes}, torch};
    /// use picklegraph::render::show::tensor_repr::Repr;
    /// let data = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage\
    /// ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x06tQK\x00K\x02K\x03\x86\
    /// K\x03K\x01\x86\x89ccollections\nOrderedDict\n)RtR.";
    /// let pickle = picklegraph::load(data)?;
    /// let tensor = torch::tensor(&pickle, pickle.root().node().unwrap()).unwrap();
    /// let bytes: Vec<u8> = [0.5f32, -1.0, 2.0, 3.0, 4.0, 5.0].iter().flat_map(|f| f.to_le_bytes()).collect();
    /// let mut storages = StorageBytes::new(true);
    /// storages.insert("0", Ok(&bytes));
    /// let repr = Repr::new(&tensor, &elements(&tensor, &storages).unwrap());
    /// let wide = repr.fitted(80, 80);
    /// assert_eq!((wide.text, wide.linewidth, wide.fits), (repr.at(80), 80, true));
    /// let narrow = repr.fitted(26, 26);
    /// assert_eq!(narrow.text, "tensor([[ 0.5000, -1.0000,\n          2.0000],\n        [ 3.0000,  4.0000,\n          5.0000]])");
    /// assert!(narrow.fits && narrow.linewidth < 80);
    /// # Ok::<(), picklegraph::Error>(())
    /// ```
    pub fn fitted(&self, first: usize, rest: usize) -> Fitted {
        self.fitted_before(first, rest, 0)
    }

    /// [`Repr::fitted`], with `trailing` columns kept free after the last line (the
    /// comma after a container's item).
    pub fn fitted_before(&self, first: usize, rest: usize, trailing: usize) -> Fitted {
        let fits = |text: &str| {
            let last = text.lines().count().saturating_sub(1);
            text.lines().enumerate().all(|(i, line)| {
                let room = if i == 0 { first } else { rest };
                let room = if i == last {
                    room.saturating_sub(trailing)
                } else {
                    room
                };
                line.chars().count() <= room
            })
        };
        for linewidth in (MIN_LINE_WIDTH..=LINE_WIDTH).rev() {
            let text = self.at(linewidth);
            if fits(&text) {
                return Fitted {
                    text,
                    linewidth,
                    fits: true,
                };
            }
        }
        let text = self.at(0);
        Fitted {
            fits: fits(&text),
            text,
            linewidth: 0,
        }
    }
}

/// A repr laid out by [`Repr::fitted`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    /// The repr.
    pub text: String,
    /// The line width it was laid out at (0: one element a line).
    pub linewidth: usize,
    /// Whether its lines fit.
    pub fits: bool,
}

impl Body {
    fn new(elements: &Elements) -> Body {
        let complex = matches!(elements.values.first(), Some(Element::Complex(..)));
        let formatters = match complex {
            true => {
                let real: Vec<Element> = elements
                    .values
                    .iter()
                    .map(|v| Element::Float(parts(v).0))
                    .collect();
                let imag: Vec<Element> = elements
                    .values
                    .iter()
                    .map(|v| Element::Float(parts(v).1))
                    .collect();
                (Formatter::new(&real), Some(Formatter::new(&imag)))
            }
            false => (Formatter::new(&elements.values), None),
        };
        let mut element_length = formatters.0.width + 2;
        if let Some(imag) = &formatters.1 {
            element_length += imag.width + 1;
        }
        Body {
            elements: elements.clone(),
            texts: elements
                .values
                .iter()
                .map(|value| element_text(value, &formatters))
                .collect(),
            element_length,
        }
    }

    /// `_tensor_str`'s nesting, at `linewidth`.
    fn text(&self, indent: usize, linewidth: usize) -> String {
        let shown = self.elements.shown_shape();
        let mut next = 0usize;
        let at = Nesting {
            body: self,
            shown: &shown,
            linewidth,
        };
        at.nested(0, indent, &mut next)
    }
}

impl Content {
    fn of(elements: &Elements) -> Content {
        match elements.values.is_empty() {
            true => Content::Empty,
            false => Content::Dense(Body::new(elements)),
        }
    }
}

impl Part {
    /// `_tensor_str` of the part, indented past its prefix; `, size=` after `[]`.
    fn text(&self, indent: usize, linewidth: usize) -> String {
        let body = match &self.body {
            Some(body) => body.text(indent + self.prefix.len(), linewidth),
            None => format!("[], size={}", size_tuple(&self.shape)),
        };
        format!("{}{body})", self.prefix)
    }
}

/// Whether torch leaves `dtype=` out for elements of `dtype` (the default float, its
/// complex, int64 and bool).
fn has_default_dtype(dtype: &str) -> bool {
    matches!(dtype, "float32" | "complex64" | "int64" | "bool")
}

/// `quantization_scheme=`, `scale=`, `zero_point=` and, per channel, `axis=`.
fn quantizer_suffixes(quantizer: &Quantizer<'_>, parts: PartElements<'_>, out: &mut Vec<Suffix>) {
    if let Some(scheme) = quantizer.scheme() {
        out.push(Suffix::Text(format!("quantization_scheme={scheme}")));
    }
    match quantizer {
        Quantizer::PerTensor { scale, zero_point } => {
            let scale = crate::text::scalar::float_repr(*scale);
            out.push(Suffix::Text(format!("scale={scale}")));
            out.push(Suffix::Text(format!("zero_point={zero_point}")));
        }
        Quantizer::PerChannel {
            scales,
            zero_points,
            axis,
        } => {
            for (label, (node, tensor)) in [("scale=", &**scales), ("zero_point=", &**zero_points)]
            {
                out.push(match parts(*node) {
                    Some(elements) => Suffix::Tensor(label, Box::new(Repr::new(tensor, &elements))),
                    None => Suffix::Text(format!("{label}?")),
                });
            }
            out.push(Suffix::Text(format!("axis={axis}")));
        }
        Quantizer::Unread(_) => {}
    }
}

/// `(0, 3)`, as Python writes a tuple of the shape.
fn size_tuple(shape: &[u64]) -> String {
    let parts: Vec<String> = shape.iter().map(u64::to_string).collect();
    match parts.len() {
        1 => format!("({},)", parts[0]),
        _ => format!("({})", parts.join(", ")),
    }
}

/// torch's `_add_suffixes`: each suffix after a comma, on a new line when the last line
/// would pass the line width (the first one always, when `force_newline`).
fn add_suffixes(
    text: String,
    suffixes: &[String],
    indent: usize,
    linewidth: usize,
    mut force_newline: bool,
) -> String {
    // torch measures from the last newline with `rfind`, which is -1 when there is none.
    let mut last_line = match text.rfind('\n') {
        Some(at) => text[at..].chars().count() + 1,
        None => text.chars().count() + 2,
    };
    let mut out = text;
    for suffix in suffixes {
        let len = suffix.chars().count();
        if force_newline || last_line + len + 2 > linewidth {
            out.push_str(",\n");
            out.push_str(&" ".repeat(indent));
            last_line = indent + len;
            force_newline = false;
        } else {
            out.push_str(", ");
            last_line += len + 2;
        }
        out.push_str(suffix);
    }
    out.push(')');
    out
}

fn parts(value: &Element) -> (f64, f64) {
    match *value {
        Element::Complex(re, im) => (re, im),
        Element::Float(f) => (f, 0.0),
        _ => (0.0, 0.0),
    }
}

type Formatters = (Formatter, Option<Formatter>);

/// The layout of a body at one line width.
struct Nesting<'b> {
    body: &'b Body,
    shown: &'b [u64],
    linewidth: usize,
}

impl Nesting<'_> {
    /// `_tensor_str_with_formatter` for dimension `dim` onwards; `next` is the index of
    /// the next element to write. Its depth is the tensor's number of dimensions, which
    /// a pickle gives as a tuple: bounded by the elements read (each dimension at least
    /// 1).
    fn nested(&self, dim: usize, indent: usize, next: &mut usize) -> String {
        let shown = self.shown;
        let rank = shown.len();
        if rank == 0 {
            *next += 1;
            return self.body.texts[0].clone();
        }
        let cut = self.body.elements.is_cut(dim);
        if dim + 1 == rank {
            let count = shown[dim] as usize;
            let texts = &self.body.texts[*next..*next + count];
            *next += count;
            return self.vector(texts, cut, indent);
        }
        let mut slices = Vec::new();
        for i in 0..shown[dim] {
            if cut && i == EDGE_ITEMS {
                slices.push("...".to_string());
            }
            slices.push(self.nested(dim + 1, indent + 1, next));
        }
        let separator = format!(",{}{}", "\n".repeat(rank - dim - 1), " ".repeat(indent + 1));
        format!("[{}]", slices.join(&separator))
    }

    /// `_vector_str`: the elements of the last dimension, as many to a line as fit.
    fn vector(&self, texts: &[String], cut: bool, indent: usize) -> String {
        let per_line = (self.linewidth.saturating_sub(indent) / self.body.element_length).max(1);
        let mut data: Vec<&str> = Vec::with_capacity(texts.len() + 1);
        for (i, text) in texts.iter().enumerate() {
            if cut && i as u64 == EDGE_ITEMS {
                data.push(" ...");
            }
            data.push(text);
        }
        let lines: Vec<String> = data.chunks(per_line).map(|line| line.join(", ")).collect();
        let separator = format!(",\n{}", " ".repeat(indent + 1));
        format!("[{}]", lines.join(&separator))
    }
}

/// One element: a complex one as `real+imagj`.
fn element_text(value: &Element, formatters: &Formatters) -> String {
    match (&formatters.1, value) {
        (Some(imag_formatter), Element::Complex(re, im)) => {
            let real = formatters.0.format(&Element::Float(*re));
            let imag = format!("{}j", imag_formatter.format(&Element::Float(*im)));
            let imag = imag.trim_start();
            match imag.starts_with(['+', '-']) {
                true => format!("{real}{imag}"),
                false => format!("{real}+{imag}"),
            }
        }
        _ => formatters.0.format(value),
    }
}

/// torch's `_Formatter`: the notation and width every element shown is written in.
struct Formatter {
    floating: bool,
    int_mode: bool,
    sci_mode: bool,
    width: usize,
}

impl Formatter {
    fn new(values: &[Element]) -> Formatter {
        let floating = matches!(values.first(), Some(Element::Float(_)));
        let mut formatter = Formatter {
            floating,
            int_mode: true,
            sci_mode: false,
            width: 1,
        };
        if !floating {
            formatter.width = values
                .iter()
                .map(|v| plain(v).chars().count())
                .max()
                .unwrap_or(1)
                .max(1);
            return formatter;
        }
        let finite: Vec<f64> = values
            .iter()
            .filter_map(|v| match *v {
                Element::Float(f) if f.is_finite() && f != 0.0 => Some(f),
                _ => None,
            })
            .collect();
        if finite.is_empty() {
            return formatter;
        }
        let min = finite.iter().fold(f64::INFINITY, |m, f| m.min(f.abs()));
        let max = finite.iter().fold(0f64, |m, f| m.max(f.abs()));
        formatter.int_mode = finite.iter().all(|f| f.ceil() == *f);
        formatter.sci_mode = max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4;
        formatter.width = finite
            .iter()
            .map(|&f| match (formatter.int_mode, formatter.sci_mode) {
                (_, true) => scientific(f).chars().count(),
                (true, false) => format!("{f:.0}").chars().count() + 1,
                (false, false) => fixed(f).chars().count(),
            })
            .max()
            .unwrap_or(1)
            .max(1);
        formatter
    }

    /// `_Formatter.format`: the element in the chosen notation, padded on the left.
    fn format(&self, value: &Element) -> String {
        let text = match (*value, self.floating) {
            (Element::Float(f), true) => match (self.sci_mode, self.int_mode) {
                (true, _) => scientific(f),
                (false, true) if f.is_finite() => format!("{f:.0}."),
                (false, true) => special(f),
                (false, false) => fixed(f),
            },
            _ => plain(value),
        };
        let pad = self.width.saturating_sub(text.chars().count());
        format!("{}{text}", " ".repeat(pad))
    }
}

/// Python's `str` of a non-float element.
fn plain(value: &Element) -> String {
    match *value {
        Element::Int(i) => i.to_string(),
        Element::UInt(u) => u.to_string(),
        Element::Bool(b) => if b { "True" } else { "False" }.to_string(),
        Element::Float(f) => crate::text::scalar::float_repr(f),
        Element::Complex(re, im) => format!("({re}+{im}j)"),
    }
}

/// `nan`, `inf`, `-inf`, as Python's format writes them.
fn special(f: f64) -> String {
    match (f.is_nan(), f.is_sign_negative()) {
        (true, _) => "nan".to_string(),
        (false, true) => "-inf".to_string(),
        (false, false) => "inf".to_string(),
    }
}

/// `'{:.4f}'.format(f)`.
fn fixed(f: f64) -> String {
    match f.is_finite() {
        true => format!("{f:.PRECISION$}"),
        false => special(f),
    }
}

/// `'{:.4e}'.format(f)`: Rust's `1.2346e7` as Python writes it, `1.2346e+07`.
fn scientific(f: f64) -> String {
    if !f.is_finite() {
        return special(f);
    }
    let text = format!("{f:.PRECISION$e}");
    let Some((mantissa, exponent)) = text.split_once('e') else {
        return text;
    };
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(digits) => ('-', digits),
        None => ('+', exponent),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scientific_notation_has_a_signed_two_digit_exponent() {
        assert_eq!(scientific(12345678.0), "1.2346e+07");
        assert_eq!(scientific(1e-8), "1.0000e-08");
        assert_eq!(scientific(1e-100), "1.0000e-100");
        assert_eq!(scientific(f64::NEG_INFINITY), "-inf");
    }
}
