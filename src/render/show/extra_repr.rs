//! The `extra_repr` of torch's own layers, read from a module's pickled `__dict__`: what
//! `print(model)` writes inside `Conv2d(…)`, `LSTM(…)`, `BatchNorm2d(…)`.
//!
//! Each arm follows the layer's `extra_repr` in torch 2.15 (`torch/nn/modules/*.py`), its
//! conditions included (`padding` shown only when not all zeros, `bias=False` only when
//! the bias is `None`). Most layers write `"{name}".format(**self.__dict__)`, so a value
//! is its `str`: a str bare (`padding_mode=circular`), anything else its repr; a few
//! write `repr` (`GELU(approximate='tanh')`, `EmbeddingBag`, `Upsample`). A layer torch
//! gives no `extra_repr` (`Tanh`, `MultiheadAttention`, the losses) prints `Name()`, and so
//! does a class outside `torch.nn`, whose own `extra_repr` only its code knows.

use crate::graph::{Pickle, Value};
use crate::python::nn::Module;
use crate::python::view;
use crate::render::repr::Renderer;

/// The most bytes of one attribute's repr: a layer's attributes are numbers and short
/// tuples.
const MAX_ATTRIBUTE: usize = 200;

/// Writes one module's `extra_repr`.
pub(super) struct ExtraRepr<'m, 'p, 'a> {
    pickle: &'p Pickle<'a>,
    renderer: &'m mut Renderer<'p, 'a>,
    module: &'m Module<'m>,
}

impl<'m, 'p, 'a> ExtraRepr<'m, 'p, 'a> {
    pub(super) fn new(
        pickle: &'p Pickle<'a>,
        renderer: &'m mut Renderer<'p, 'a>,
        module: &'m Module<'m>,
    ) -> Self {
        ExtraRepr {
            pickle,
            renderer,
            module,
        }
    }

    /// The text, empty for a layer that has none (or that torch does not define).
    pub(super) fn text(&mut self) -> String {
        if !self.module.module.starts_with("torch.nn.") {
            return String::new();
        }
        let name = self
            .module
            .name
            .strip_prefix("Lazy")
            .unwrap_or(self.module.name);
        match name {
            "Linear" | "NonDynamicallyQuantizableLinear" => format!(
                "in_features={}, out_features={}, bias={}",
                self.repr("in_features"),
                self.repr("out_features"),
                self.bias()
            ),
            "Bilinear" => format!(
                "in1_features={}, in2_features={}, out_features={}, bias={}",
                self.repr("in1_features"),
                self.repr("in2_features"),
                self.repr("out_features"),
                self.bias()
            ),
            "Conv1d" | "Conv2d" | "Conv3d" | "ConvTranspose1d" | "ConvTranspose2d"
            | "ConvTranspose3d" => self.conv(),
            "Dropout" | "Dropout1d" | "Dropout2d" | "Dropout3d" | "AlphaDropout"
            | "FeatureAlphaDropout" => self.format("p={p}, inplace={inplace}"),
            "BatchNorm1d" | "BatchNorm2d" | "BatchNorm3d" | "InstanceNorm1d"
            | "InstanceNorm2d" | "InstanceNorm3d" | "SyncBatchNorm" => {
                let head = self.format("{num_features}, eps={eps}, momentum={momentum}");
                let tail = self.format("track_running_stats={track_running_stats}");
                let affine = self.str_of("affine");
                format!("{head}, affine={affine}, bias={}, {tail}", self.bias())
            }
            "LayerNorm" => format!(
                "{}, bias={}",
                self.format("{normalized_shape}, eps={eps}, elementwise_affine={elementwise_affine}"),
                self.bias()
            ),
            "GroupNorm" => format!(
                "{}, bias={}",
                self.format("{num_groups}, {num_channels}, eps={eps}, affine={affine}"),
                self.bias()
            ),
            "RMSNorm" => {
                self.format("{normalized_shape}, eps={eps}, elementwise_affine={elementwise_affine}")
            }
            "LocalResponseNorm" | "CrossMapLRN2d" => {
                self.format("{size}, alpha={alpha}, beta={beta}, k={k}")
            }
            "RNN" | "LSTM" | "GRU" | "RNNBase" => self.rnn(),
            "RNNCell" | "LSTMCell" | "GRUCell" | "RNNCellBase" => self.rnn_cell(),
            "Embedding" => self.embedding(),
            "EmbeddingBag" => self.embedding_bag(),
            "MaxPool1d" | "MaxPool2d" | "MaxPool3d" => self.format(
                "kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}, ceil_mode={ceil_mode}",
            ),
            "MaxUnpool1d" | "MaxUnpool2d" | "MaxUnpool3d" | "AvgPool1d" | "AvgPool2d"
            | "AvgPool3d" => self.format("kernel_size={kernel_size}, stride={stride}, padding={padding}"),
            "LPPool1d" | "LPPool2d" | "LPPool3d" => self.format(
                "norm_type={norm_type}, kernel_size={kernel_size}, stride={stride}, ceil_mode={ceil_mode}",
            ),
            "AdaptiveMaxPool1d" | "AdaptiveMaxPool2d" | "AdaptiveMaxPool3d"
            | "AdaptiveAvgPool1d" | "AdaptiveAvgPool2d" | "AdaptiveAvgPool3d" => {
                self.format("output_size={output_size}")
            }
            "ReLU" | "ReLU6" | "SiLU" | "Mish" | "SELU" => self.inplace(""),
            "Threshold" => self.format("threshold={threshold}, value={value}") + &self.inplace(", "),
            "RReLU" => self.format("lower={lower}, upper={upper}") + &self.inplace(", "),
            "Hardtanh" => self.format("min_val={min_val}, max_val={max_val}") + &self.inplace(", "),
            "ELU" | "CELU" => self.format("alpha={alpha}") + &self.inplace(", "),
            "LeakyReLU" => self.format("negative_slope={negative_slope}") + &self.inplace(", "),
            "GELU" => format!("approximate={}", self.repr("approximate")),
            "GLU" | "Softmin" | "Softmax" | "LogSoftmax" => self.format("dim={dim}"),
            "Hardshrink" | "Softshrink" => self.format("{lambd}"),
            "Softplus" => self.format("beta={beta}, threshold={threshold}"),
            "PReLU" => self.format("num_parameters={num_parameters}"),
            "ChannelShuffle" => self.format("groups={groups}"),
            "Flatten" => self.format("start_dim={start_dim}, end_dim={end_dim}"),
            "Unflatten" => self.format("dim={dim}, unflattened_size={unflattened_size}"),
            "Fold" => self.format(
                "output_size={output_size}, kernel_size={kernel_size}, dilation={dilation}, padding={padding}, stride={stride}",
            ),
            "Unfold" => self.format(
                "kernel_size={kernel_size}, dilation={dilation}, padding={padding}, stride={stride}",
            ),
            "PixelShuffle" => self.format("upscale_factor={upscale_factor}"),
            "PixelUnshuffle" => self.format("downscale_factor={downscale_factor}"),
            "ConstantPad1d" | "ConstantPad2d" | "ConstantPad3d" => {
                self.format("padding={padding}, value={value}")
            }
            "CircularPad1d" | "CircularPad2d" | "CircularPad3d" | "ReflectionPad1d"
            | "ReflectionPad2d" | "ReflectionPad3d" | "ReplicationPad1d" | "ReplicationPad2d"
            | "ReplicationPad3d" | "ZeroPad1d" | "ZeroPad2d" | "ZeroPad3d" => {
                self.format("{padding}")
            }
            "Upsample" | "UpsamplingNearest2d" | "UpsamplingBilinear2d" => self.upsample(),
            _ => String::new(),
        }
    }

    /// `_ConvNd.extra_repr`.
    fn conv(&mut self) -> String {
        let mut text = self
            .format("{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}");
        if !self.all_ints("padding", 0) {
            text += &self.format(", padding={padding}");
        }
        if !self.all_ints("dilation", 1) {
            text += &self.format(", dilation={dilation}");
        }
        if !self.all_ints("output_padding", 0) {
            text += &self.format(", output_padding={output_padding}");
        }
        if !self.number_is("groups", 1.0) {
            text += &self.format(", groups={groups}");
        }
        if !self.module.has_parameter("bias") {
            text += ", bias=False";
        }
        if self.text_of("padding_mode") != Some("zeros") {
            text += &self.format(", padding_mode={padding_mode}");
        }
        text
    }

    /// `RNNBase.extra_repr`.
    fn rnn(&mut self) -> String {
        let mut text = self.format("{input_size}, {hidden_size}");
        if !self.number_is("proj_size", 0.0) {
            text += &self.format(", proj_size={proj_size}");
        }
        if !self.number_is("num_layers", 1.0) {
            text += &self.format(", num_layers={num_layers}");
        }
        if !self.is("bias", Value::Bool(true)) {
            text += &self.format(", bias={bias}");
        }
        if !self.is("batch_first", Value::Bool(false)) {
            text += &self.format(", batch_first={batch_first}");
        }
        if !self.number_is("dropout", 0.0) {
            text += &self.format(", dropout={dropout}");
        }
        if !self.is("bidirectional", Value::Bool(false)) {
            text += &self.format(", bidirectional={bidirectional}");
        }
        text
    }

    /// `RNNCellBase.extra_repr`: `bias` and `nonlinearity` only when in the `__dict__`.
    fn rnn_cell(&mut self) -> String {
        let mut text = self.format("{input_size}, {hidden_size}");
        if self.module.attribute("bias").is_some() && !self.is("bias", Value::Bool(true)) {
            text += &self.format(", bias={bias}");
        }
        if self.module.attribute("nonlinearity").is_some()
            && self.text_of("nonlinearity") != Some("tanh")
        {
            text += &self.format(", nonlinearity={nonlinearity}");
        }
        text
    }

    /// `Embedding.extra_repr`.
    fn embedding(&mut self) -> String {
        let mut text = self.format("{num_embeddings}, {embedding_dim}");
        if !self.is("padding_idx", Value::None) {
            text += &self.format(", padding_idx={padding_idx}");
        }
        if !self.is("max_norm", Value::None) {
            text += &self.format(", max_norm={max_norm}");
        }
        if !self.number_is("norm_type", 2.0) {
            text += &self.format(", norm_type={norm_type}");
        }
        if !self.is("scale_grad_by_freq", Value::Bool(false)) {
            text += &self.format(", scale_grad_by_freq={scale_grad_by_freq}");
        }
        if !self.is("sparse", Value::Bool(false)) {
            text += ", sparse=True";
        }
        text
    }

    /// `EmbeddingBag.extra_repr`: every value as its repr.
    fn embedding_bag(&mut self) -> String {
        let mut text = format!(
            "{}, {}",
            self.repr("num_embeddings"),
            self.repr("embedding_dim")
        );
        if !self.is("max_norm", Value::None) {
            text += &format!(", max_norm={}", self.repr("max_norm"));
        }
        if !self.number_is("norm_type", 2.0) {
            text += &format!(", norm_type={}", self.repr("norm_type"));
        }
        if !self.is("scale_grad_by_freq", Value::Bool(false)) {
            text += &format!(", scale_grad_by_freq={}", self.repr("scale_grad_by_freq"));
        }
        text += &format!(", mode={}", self.repr("mode"));
        if !self.is("padding_idx", Value::None) {
            text += &format!(", padding_idx={}", self.repr("padding_idx"));
        }
        text
    }

    /// `Upsample.extra_repr`.
    fn upsample(&mut self) -> String {
        let head = match self.is("scale_factor", Value::None) {
            false => format!("scale_factor={}", self.repr("scale_factor")),
            true => format!("size={}", self.repr("size")),
        };
        format!("{head}, mode={}", self.repr("mode"))
    }

    /// `, inplace=True` (after `separator`) when the layer works in place.
    fn inplace(&self, separator: &str) -> String {
        match self.is("inplace", Value::Bool(true)) {
            true => format!("{separator}inplace=True"),
            false => String::new(),
        }
    }

    /// `bias=…` as torch's `self.bias is not None` writes it.
    fn bias(&self) -> &'static str {
        match self.module.has_parameter("bias") {
            true => "True",
            false => "False",
        }
    }

    /// `template.format(**self.__dict__)`: each `{name}` replaced by the attribute's
    /// `str`.
    fn format(&mut self, template: &str) -> String {
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            out.push_str(&self.str_of(&after[..close]));
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// An attribute's `str`: a str as it is, anything else its repr; `?` when the
    /// pickle lacks it.
    fn str_of(&mut self, name: &str) -> String {
        match self.text_of(name) {
            Some(text) => text.to_string(),
            None => self.repr(name),
        }
    }

    /// An attribute's repr; `?` when the pickle lacks it.
    fn repr(&mut self, name: &str) -> String {
        match self.module.attribute(name) {
            Some(value) => self.renderer.render(value, MAX_ATTRIBUTE).0,
            None => "?".to_string(),
        }
    }

    /// An attribute that is a str.
    fn text_of(&self, name: &str) -> Option<&'p str> {
        view::str(self.pickle, self.module.attribute(name)?)
    }

    /// Whether an attribute is this scalar (`None`, `True`); a missing one is not.
    fn is(&self, name: &str, scalar: Value) -> bool {
        self.module.attribute(name) == Some(scalar)
    }

    /// Whether an attribute equals `number` as Python's `==` compares an int, a float or
    /// a bool with it.
    fn number_is(&self, name: &str, number: f64) -> bool {
        match self.module.attribute(name) {
            Some(Value::Int(i)) => i as f64 == number,
            Some(Value::Float(f)) => f == number,
            Some(Value::Bool(b)) => f64::from(u8::from(b)) == number,
            _ => false,
        }
    }

    /// Whether an attribute is a tuple of ints all equal to `int` (`(0,) * len(x) == x`).
    fn all_ints(&self, name: &str, int: i64) -> bool {
        let Some(items) = self
            .module
            .attribute(name)
            .and_then(|value| view::tuple(self.pickle, value))
        else {
            return false;
        };
        items.iter().all(|item| view::int(item) == Some(int))
    }
}
