//! `ipaddress`'s types. `IPv4Address` pickles as its int; `IPv6Address` (with its
//! scope id), the networks and the interfaces as their text. A text is recognized only
//! when it is already the form `str()` writes, so what is shown is what Python shows,
//! never a second parser's reading of an unusual spelling.

use std::net::{Ipv4Addr, Ipv6Addr};

use num_bigint::{BigInt, Sign};

use super::StdValue;
use crate::graph::{Items, Node, Pickle, Value};
use crate::python::view;

/// An address, network or interface of `ipaddress`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpValue {
    /// `IPv4Address`.
    V4Address(Ipv4Addr),
    /// `IPv6Address`, with its scope id.
    V6Address(Ipv6Addr, Option<String>),
    /// `IPv4Network` or `IPv4Interface` (`interface`): an address and prefix length.
    V4Prefixed {
        /// Whether it is an interface (else a network, whose host bits are zero).
        interface: bool,
        /// The address.
        address: Ipv4Addr,
        /// The prefix length.
        prefix: u8,
    },
    /// `IPv6Network` or `IPv6Interface`.
    V6Prefixed {
        /// Whether it is an interface.
        interface: bool,
        /// The address.
        address: Ipv6Addr,
        /// Its scope id.
        scope: Option<String>,
        /// The prefix length.
        prefix: u8,
    },
}

pub(super) fn recognize(pickle: &Pickle<'_>, name: &str, args: &Items<'_>) -> Option<StdValue> {
    let [arg] = args.array()?;
    let ip = match name {
        "IPv4Address" => IpValue::V4Address(match int(pickle, arg) {
            Some(n) => Ipv4Addr::from(u32::try_from(n).ok()?),
            None => v4(view::str(pickle, arg)?)?,
        }),
        "IPv6Address" => match int(pickle, arg) {
            Some(n) => IpValue::V6Address(Ipv6Addr::from(n), None),
            None => {
                let (address, scope) = v6(view::str(pickle, arg)?)?;
                IpValue::V6Address(address, scope)
            }
        },
        "IPv4Network" | "IPv4Interface" => {
            let (address, prefix) = view::str(pickle, arg)?.split_once('/')?;
            let address = v4(address)?;
            let prefix = prefix_len(prefix, 32)?;
            let interface = name == "IPv4Interface";
            let host_bits = u32::from(address)
                .checked_shl(u32::from(prefix))
                .unwrap_or(0);
            if !interface && prefix < 32 && host_bits != 0 {
                return None;
            }
            IpValue::V4Prefixed {
                interface,
                address,
                prefix,
            }
        }
        "IPv6Network" | "IPv6Interface" => {
            let (address, prefix) = view::str(pickle, arg)?.rsplit_once('/')?;
            let (address, scope) = v6(address)?;
            let prefix = prefix_len(prefix, 128)?;
            let interface = name == "IPv6Interface";
            let host_bits = u128::from(address)
                .checked_shl(u32::from(prefix))
                .unwrap_or(0);
            if !interface && prefix < 128 && host_bits != 0 {
                return None;
            }
            IpValue::V6Prefixed {
                interface,
                address,
                scope,
                prefix,
            }
        }
        _ => return None,
    };
    Some(StdValue::Ip(ip))
}

/// A non-negative int below 2**128.
fn int(pickle: &Pickle<'_>, value: Value) -> Option<u128> {
    match value {
        Value::Int(v) => u128::try_from(v).ok(),
        Value::Node(_) => match pickle.get(value)? {
            Node::BigInt(v) => big_u128(v),
            _ => None,
        },
        _ => None,
    }
}

fn big_u128(v: &BigInt) -> Option<u128> {
    let (sign, digits) = v.to_u64_digits();
    if sign == Sign::Minus || digits.len() > 2 {
        return None;
    }
    Some(u128::from(digits.get(1).copied().unwrap_or(0)) << 64 | u128::from(digits[0]))
}

/// A prefix length in its plain decimal form, at most `max`.
fn prefix_len(text: &str, max: u8) -> Option<u8> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    let prefix: u8 = text.parse().ok().filter(|_| canonical)?;
    (prefix <= max).then_some(prefix)
}

/// A dotted quad exactly as `str(IPv4Address)` writes it.
fn v4(text: &str) -> Option<Ipv4Addr> {
    let address: Ipv4Addr = text.parse().ok()?;
    (address.to_string() == text).then_some(address)
}

/// An IPv6 address with an optional `%scope`, exactly as `str(IPv6Address)` writes it.
fn v6(text: &str) -> Option<(Ipv6Addr, Option<String>)> {
    let (address, scope) = match text.split_once('%') {
        Some((address, scope)) if !scope.is_empty() && !scope.contains(['%', '/']) => {
            (address, Some(scope.to_string()))
        }
        Some(_) => return None,
        None => (text, None),
    };
    let parsed: Ipv6Addr = address.parse().ok()?;
    (compressed(parsed) == address).then_some((parsed, scope))
}

/// `ipaddress`'s text of an IPv6 address: hextets in lowercase hex without leading
/// zeros, the longest run of two or more zero hextets (the first of equal runs) as
/// `::`. Unlike Rust's `Display`, an IPv4-mapped address is not written dotted (3.11).
pub fn compressed(address: Ipv6Addr) -> String {
    let hextets = address.segments();
    let (mut best, mut best_len) = (0, 0);
    let mut at = 0;
    while at < 8 {
        let run = hextets[at..].iter().take_while(|&&h| h == 0).count();
        if run > best_len {
            (best, best_len) = (at, run);
        }
        at += run.max(1);
    }
    let hex = |part: &[u16]| {
        part.iter()
            .map(|h| format!("{h:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    if best_len < 2 {
        return hex(&hextets);
    }
    format!(
        "{}::{}",
        hex(&hextets[..best]),
        hex(&hextets[best + best_len..])
    )
}
