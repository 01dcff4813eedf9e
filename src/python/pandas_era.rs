//! Which pandas wrote a pickle, as far as the pickle's shape tells, and the frequency
//! spellings of that pandas.
//!
//! A pandas pickle names no version, and pandas 1.5 and 2.2 write most objects byte for
//! byte alike. Two tells are reliable:
//!
//! - pandas 3 pickles its classes under their public paths (`pandas.DataFrame`,
//!   `pandas.Index`, `pandas.arrays.DatetimeArray`, `pandas.Period`), older pandas under
//!   `pandas.core.…`;
//! - the arrays pandas keeps in a Cython extension type (datetimes, timedeltas, periods,
//!   categoricals, strings) pickle as `__pyx_unpickle_NDArrayBacked(cls, checksum,
//!   state)`. The checksum is Cython's digest of the type's members (`_dtype _ndarray`):
//!   Cython 0.29 writes its md5 (`0xd555cb8`), Cython 3 its sha256 (`0x4f1061f`). pandas
//!   was built with Cython 0.29 up to 2.1 and with Cython 3 from 2.2 on — the release that
//!   renamed the frequencies (`H` to `h`, `T` to `min`, `L` to `ms`, `A-DEC` to
//!   `Y-DEC`/`YE-DEC`, `M` to `ME`, `Q-DEC` to `QE-DEC` for date offsets).
//!
//! A pickle with neither (a bare `Period` or a frame of ints and floats) does not say:
//! its frequencies are spelled as pandas 2.2 and later spell them, and a view says so.
//!
//! ```
//! use picklegraph::python::pandas_era::{era, legacy_freq, Era};
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zoo/pandas1/pandas/array_period.pkl");
//! let bytes = std::fs::read(path).unwrap();
//! let pickle = picklegraph::load(&bytes)?;
//! assert_eq!(era(&pickle), Era::Before2_2);
//! assert_eq!(legacy_freq("YE-DEC").as_deref(), Some("A-DEC"));
//! assert_eq!(legacy_freq("2min").as_deref(), Some("2T"));
//! # Ok::<(), picklegraph::Error>(())
//! ```

use super::view;
use crate::graph::{NodeId, Pickle, Value};

const NDARRAY_BACKED: &[&str] = &["pandas._libs.arrays.__pyx_unpickle_NDArrayBacked"];
/// Cython 0.29's checksum of `NDArrayBacked`: the first 7 hex digits of the md5 of its
/// members' names, `_dtype _ndarray`.
const CYTHON_0_29_CHECKSUM: i64 = 0x0d55_5cb8;
/// Cython 3's: the first 7 hex digits of their sha256.
const CYTHON_3_CHECKSUM: i64 = 0x04f1_061f;

/// Which pandas wrote a pickle, as far as it tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Era {
    /// Nothing in the pickle tells.
    #[default]
    Unknown,
    /// pandas before 2.2 (Cython 0.29's checksums): `H`, `T`, `S`, `L`, `U`, `N`,
    /// `A-DEC`, `Q-DEC`, `M`.
    Before2_2,
    /// pandas 2.2 (Cython 3's checksums, classes under `pandas.core`): `h`, `min`, `s`,
    /// `ms`, `us`, `ns`, `YE-DEC` (`Y-DEC` for periods), `QE-DEC`, `ME`.
    Pandas2_2,
    /// pandas 3 (classes under their public paths): spelled as 2.2 spells them.
    Pandas3,
}

impl Era {
    /// Whether frequencies are spelled as pandas before 2.2 spelled them.
    pub fn legacy_spelling(self) -> bool {
        self == Era::Before2_2
    }
}

/// The era of the pandas that wrote `pickle`: one walk over its nodes.
pub fn era(pickle: &Pickle<'_>) -> Era {
    let mut checksum_era = Era::Unknown;
    for index in 0..pickle.node_count() {
        let value = Value::Node(NodeId::from_index(index));
        if let Some((module, _)) = pickle.global_name(value) {
            if module == "pandas" || module == "pandas.arrays" {
                return Era::Pandas3;
            }
            continue;
        }
        let Some(call) = view::call(pickle, value) else {
            continue;
        };
        if !view::is_one_of(view::global(pickle, call.func), NDARRAY_BACKED) {
            continue;
        }
        match call.args.get(1).and_then(view::int) {
            Some(CYTHON_0_29_CHECKSUM) => checksum_era = Era::Before2_2,
            Some(CYTHON_3_CHECKSUM) if checksum_era == Era::Unknown => {
                checksum_era = Era::Pandas2_2;
            }
            _ => {}
        }
    }
    checksum_era
}

/// A frequency as pandas 2.2 and later spell it (`h`, `2min`, `YE-DEC`, `Y-DEC`, `ME`,
/// `period[ms]`) as pandas before 2.2 spelled it (`H`, `2T`, `A-DEC`, `A-DEC`, `M`,
/// `period[L]`); `None` when both spell it alike.
pub fn legacy_freq(freq: &str) -> Option<String> {
    if let Some(inner) = freq
        .strip_prefix("period[")
        .and_then(|f| f.strip_suffix(']'))
    {
        return legacy_freq(inner).map(|inner| format!("period[{inner}]"));
    }
    let digits = freq.len() - freq.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (multiple, base) = freq.split_at(digits);
    let (base, anchor) = match base.split_once('-') {
        Some((base, anchor)) => (base, Some(anchor)),
        None => (base, None),
    };
    let legacy = match base {
        "h" => "H",
        "min" => "T",
        "s" => "S",
        "ms" => "L",
        "us" => "U",
        "ns" => "N",
        "ME" => "M",
        "QE" => "Q",
        "YE" | "Y" => "A",
        "BME" => "BM",
        "BQE" => "BQ",
        "BYE" => "BA",
        "bh" => "BH",
        "cbh" => "CBH",
        _ => return None,
    };
    Some(match anchor {
        Some(anchor) => format!("{multiple}{legacy}-{anchor}"),
        None => format!("{multiple}{legacy}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_spelled_alike_have_no_legacy_spelling() {
        for freq in ["D", "W-SUN", "B", "Q-NOV", "2M", "M", "period[M]", "?"] {
            assert_eq!(legacy_freq(freq), None, "{freq}");
        }
        assert_eq!(legacy_freq("QE-DEC").as_deref(), Some("Q-DEC"));
        assert_eq!(legacy_freq("Y-DEC").as_deref(), Some("A-DEC"));
        assert_eq!(legacy_freq("period[h]").as_deref(), Some("period[H]"));
        assert_eq!(legacy_freq("15ns").as_deref(), Some("15N"));
    }
}
