//! Numbers and number-like builtins: `complex`, `range`, `slice`, `decimal.Decimal`,
//! `fractions.Fraction`, and `uuid.UUID`, which is a 128-bit int.

use num_bigint::{BigInt, Sign};
use num_traits::{ToPrimitive, Zero};

use super::StdValue;
use crate::graph::{Items, Mutation, Node, Pickle, Value};
use crate::python::view;

/// `complex(real, imag)`, as `complex.__getnewargs__` writes it (floats; ints convert).
pub(super) fn complex(pickle: &Pickle<'_>, args: &Items<'_>) -> Option<StdValue> {
    let [real, imag] = args.array()?;
    Some(StdValue::Complex {
        real: as_float(pickle, real)?,
        imag: as_float(pickle, imag)?,
    })
}

/// A float, or an int as `float(int)` rounds it (ints too large for a float fail).
fn as_float(pickle: &Pickle<'_>, value: Value) -> Option<f64> {
    match value {
        Value::Float(v) => Some(v),
        Value::Int(v) => Some(v as f64),
        Value::Node(_) => match pickle.get(value)? {
            Node::BigInt(v) => v.to_f64().filter(|f| f.is_finite()),
            _ => None,
        },
        _ => None,
    }
}

/// An int of any size (not a bool: `range(True)` goes through `__index__`, and no
/// pickler writes it).
fn int(pickle: &Pickle<'_>, value: Value) -> Option<BigInt> {
    match value {
        Value::Int(v) => Some(BigInt::from(v)),
        Value::Node(_) => match pickle.get(value)? {
            Node::BigInt(v) => Some(v.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// `range(start, stop, step)` of ints with a step other than zero.
pub(super) fn range(pickle: &Pickle<'_>, args: &Items<'_>) -> Option<StdValue> {
    let [start, stop, step] = args.array()?;
    int(pickle, start)?;
    int(pickle, stop)?;
    let step_value = int(pickle, step)?;
    if step_value.is_zero() {
        return None;
    }
    Some(StdValue::Range {
        start,
        stop,
        step: (step_value != BigInt::from(1)).then_some(step),
    })
}

/// `slice(stop)`, `slice(start, stop)`, `slice(start, stop, step)`: of anything.
pub(super) fn slice(args: &Items<'_>) -> Option<StdValue> {
    let (start, stop, step) = match args.len() {
        1 => (Value::None, args.first()?, Value::None),
        2 => (args.first()?, args.get(1)?, Value::None),
        3 => (args.first()?, args.get(1)?, args.get(2)?),
        _ => return None,
    };
    Some(StdValue::Slice { start, stop, step })
}

/// `Fraction(numerator, denominator)` of ints, the denominator not zero: reduced and
/// with the sign on the numerator, as the constructor leaves them.
pub(super) fn fraction(pickle: &Pickle<'_>, args: &Items<'_>) -> Option<StdValue> {
    let [numerator, denominator] = args.array()?;
    let (mut numerator, mut denominator) = (int(pickle, numerator)?, int(pickle, denominator)?);
    if denominator.is_zero() {
        return None;
    }
    let divisor = gcd(numerator.clone(), denominator.clone());
    if denominator.sign() == Sign::Minus {
        numerator = -numerator;
        denominator = -denominator;
    }
    if !divisor.is_zero() {
        numerator /= &divisor;
        denominator /= &divisor;
    }
    Some(StdValue::Fraction {
        numerator,
        denominator,
    })
}

/// The greatest common divisor, positive.
fn gcd(mut a: BigInt, mut b: BigInt) -> BigInt {
    while !b.is_zero() {
        let rest = &a % &b;
        a = b;
        b = rest;
    }
    if a.sign() == Sign::Minus {
        -a
    } else {
        a
    }
}

/// `UUID.__setstate__({'int': n})` or with `'is_safe'` (0, -1 or None: a `SafeUUID`
/// value), `n` in 0 to 2**128 - 1: exactly one `BUILD`, of exactly those keys.
pub(super) fn uuid(pickle: &Pickle<'_>, mutations: &[Mutation]) -> Option<StdValue> {
    let [Mutation::Build(state)] = mutations else {
        return None;
    };
    let entries = view::str_dict(pickle, *state)?;
    let mut int_value = None;
    for (key, value) in &entries {
        match *key {
            "int" => int_value = Some(int(pickle, *value)?),
            "is_safe" if matches!(value, Value::None | Value::Int(0 | -1)) => {}
            _ => return None,
        }
    }
    let (sign, digits) = int_value?.to_u64_digits();
    if sign == Sign::Minus || digits.len() > 2 {
        return None;
    }
    let low = u128::from(digits.first().copied().unwrap_or(0));
    let high = u128::from(digits.get(1).copied().unwrap_or(0));
    Some(StdValue::Uuid(high << 64 | low))
}

/// A `Decimal`, as its string constructor parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalValue {
    /// Whether the sign is negative (`-0` and `-NaN` keep it).
    pub negative: bool,
    /// What kind of number it is.
    pub kind: DecimalKind,
}

/// The kinds of `Decimal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecimalKind {
    /// A finite number: `coefficient × 10**exponent`, the coefficient's ASCII digits
    /// without leading zeros (`"0"` for zero).
    Finite {
        /// The digits.
        coefficient: String,
        /// The exponent.
        exponent: i64,
    },
    /// `Infinity`.
    Infinity,
    /// A quiet NaN with its payload's digits (empty for none).
    NaN(String),
    /// A signaling NaN with its payload's digits.
    SignalingNaN(String),
}

/// Exponents far within libmpdec's limits on any machine (`MPD_MAX_EMAX` is 425000000
/// on 32-bit ones); a larger one is refused here rather than guessed.
const MAX_EXPONENT: i64 = 400_000_000;

/// `Decimal(text)`, for the texts `str(Decimal)` writes and other plain ASCII
/// spellings (no whitespace or underscores: no pickler writes them).
pub(super) fn decimal(pickle: &Pickle<'_>, args: &Items<'_>) -> Option<StdValue> {
    let [text] = args.array()?;
    parse_decimal(view::str(pickle, text)?).map(StdValue::Decimal)
}

fn parse_decimal(text: &str) -> Option<DecimalValue> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let kind = match lower.as_str() {
        "inf" | "infinity" => DecimalKind::Infinity,
        _ if lower.starts_with("snan") => DecimalKind::SignalingNaN(payload(&lower[4..])?),
        _ if lower.starts_with("nan") => DecimalKind::NaN(payload(&lower[3..])?),
        _ => finite(body)?,
    };
    Some(DecimalValue { negative, kind })
}

/// A NaN's payload: digits, leading zeros dropped (a payload of zeros is none).
fn payload(digits: &str) -> Option<String> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.trim_start_matches('0').to_string())
}

fn finite(body: &str) -> Option<DecimalKind> {
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let mut exponent = match exponent {
        Some(text) => {
            let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
            if digits.is_empty() || !all_digits(digits) || digits.len() > 18 {
                return None;
            }
            text.parse::<i64>().ok()?
        }
        None => 0,
    };
    exponent = exponent.checked_sub(i64::try_from(fraction.len()).ok()?)?;
    if exponent.abs() > MAX_EXPONENT {
        return None;
    }
    let coefficient = format!("{whole}{fraction}");
    let coefficient = match coefficient.trim_start_matches('0') {
        "" => "0".to_string(),
        digits => digits.to_string(),
    };
    Some(DecimalKind::Finite {
        coefficient,
        exponent,
    })
}
