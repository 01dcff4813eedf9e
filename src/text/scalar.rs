//! Python's `repr` of scalars: floats, ints, str and bytes, byte for byte as CPython
//! writes them.

use num_bigint::BigInt;

use super::printable::NON_PRINTABLE;
use crate::graph::PyStr;

/// Where the writers below append text: a `String`, or a byte buffer that already is
/// the output (`dis` writes its lines straight into the buffer it hands to the writer,
/// so that 150 MB of listing is not first built in a `String` and then copied). All
/// that is written is UTF-8, so a `String` stays valid.
pub trait TextSink {
    /// Appends text.
    fn put_str(&mut self, text: &str);
    /// Appends one character.
    fn put_char(&mut self, c: char);
    /// Appends ASCII bytes. A byte above 0x7f would be taken as a Latin-1 character by
    /// a `String`, so callers pass ASCII only.
    fn put_ascii(&mut self, bytes: &[u8]);
    /// Appends one ASCII byte (as [`TextSink::put_ascii`]).
    fn put_byte(&mut self, byte: u8);
    /// Makes room for at least `additional` more bytes.
    fn reserve_bytes(&mut self, additional: usize);
    /// Appends the first `len` (at most 8) bytes of `word` taken big-endian, all ASCII
    /// (as [`TextSink::put_ascii`]). A byte buffer copies all eight and keeps `len`: a
    /// fixed-size store, where a copy of a few bytes would be a `memcpy` call.
    fn put_word(&mut self, word: u64, len: usize) {
        self.put_ascii(&word.to_be_bytes()[..len.min(8)]);
    }
}

impl TextSink for String {
    #[inline]
    fn put_str(&mut self, text: &str) {
        self.push_str(text);
    }
    #[inline]
    fn put_char(&mut self, c: char) {
        self.push(c);
    }
    #[inline]
    fn put_ascii(&mut self, bytes: &[u8]) {
        debug_assert!(bytes.is_ascii());
        // ASCII is UTF-8: one checked copy, where pushing chars encodes each.
        match std::str::from_utf8(bytes) {
            Ok(text) => self.push_str(text),
            Err(_) => self.extend(bytes.iter().map(|&b| char::from(b))),
        }
    }
    #[inline]
    fn put_byte(&mut self, byte: u8) {
        debug_assert!(byte.is_ascii());
        self.push(char::from(byte));
    }
    #[inline]
    fn reserve_bytes(&mut self, additional: usize) {
        self.reserve(additional);
    }
    #[inline]
    fn put_word(&mut self, word: u64, len: usize) {
        // A few ASCII digits, pushed one by one: checking them as UTF-8 and copying them
        // costs more.
        self.reserve(8);
        for &byte in &word.to_be_bytes()[..len.min(8)] {
            self.push(char::from(byte));
        }
    }
}

impl TextSink for Vec<u8> {
    #[inline]
    fn put_str(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }
    #[inline]
    fn put_char(&mut self, c: char) {
        let mut utf8 = [0u8; 4];
        self.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    }
    #[inline]
    fn put_ascii(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline]
    fn put_byte(&mut self, byte: u8) {
        self.push(byte);
    }
    #[inline]
    fn reserve_bytes(&mut self, additional: usize) {
        self.reserve(additional);
    }
    #[inline]
    fn put_word(&mut self, word: u64, len: usize) {
        let end = self.len() + len.min(8);
        self.extend_from_slice(&word.to_be_bytes());
        self.truncate(end);
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends `\x..`, `\u....` or `\U........`: `prefix` and the code point in `digits`
/// lowercase hex digits, as Python's reprs escape.
fn put_hex_escape<T: TextSink + ?Sized>(out: &mut T, prefix: u8, cp: u32, digits: u32) {
    let mut text = [b'\\', prefix, 0, 0, 0, 0, 0, 0, 0, 0];
    for i in 0..digits {
        let nibble = (cp >> ((digits - 1 - i) * 4)) & 0xf;
        text[2 + i as usize] = HEX_DIGITS[nibble as usize];
    }
    out.put_ascii(&text[..2 + digits as usize]);
}

/// Ints with more bits than this (about 30,000 decimal digits) are written in hex:
/// decimal conversion is quadratic, and a hostile `LONG4` can carry 10^7 bytes. CPython
/// itself refuses to write more than 4300 digits unless told otherwise.
pub const MAX_DECIMAL_INT_BITS: u64 = 100_000;

/// Python's `repr(float)`: the shortest text that reads back to the same double,
/// in CPython's choice of fixed or exponent form.
pub fn float_repr(value: f64) -> String {
    let mut out = String::with_capacity(24);
    write_float_repr(&mut out, value);
    out
}

/// [`float_repr`] appended to `out`, with no allocation of its own: floats are the
/// commonest scalar after ints, and `repr`, `show` and `dis` write millions of them.
pub fn write_float_repr<T: TextSink + ?Sized>(out: &mut T, value: f64) {
    if value.is_nan() {
        return out.put_str("nan");
    }
    if value.is_infinite() {
        return out.put_str(if value > 0.0 { "inf" } else { "-inf" });
    }
    // Ryū gives the shortest digits that read back to the double, the nearest when two
    // are that short, as CPython's repr does. Through `core::fmt` the same cost five
    // times more.
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(value);
    let bytes = text.as_bytes();
    if ryu_lays_out_as_python(value.abs(), bytes.strip_prefix(b"-").unwrap_or(bytes)) {
        // A `str` already: appended with no check.
        return out.put_str(text);
    }
    // Otherwise it is laid out on the stack, then appended in one piece: a `String`
    // checks each piece it is given as UTF-8, a hundred instructions however short.
    let mut laid_out = ArrayText::default();
    write_float_pieces(&mut laid_out, value, bytes);
    out.put_ascii(laid_out.as_bytes());
}

/// Whether Ryū's `text` (unsigned) of the finite `magnitude` is already CPython's repr:
/// most doubles' is.
/// - From 1e-4 up to 1e16 both write the fixed form (`12.5`, `0.001`, `1e+16` beyond), in
///   the same way: Ryū's fixed range reaches down to 1e-5, CPython's to 1e-4.
/// - Their digits differ only where [`break_tie`] changes them: with 16 digits or more,
///   when the double may lie halfway between two shortest texts.
fn ryu_lays_out_as_python(magnitude: f64, text: &[u8]) -> bool {
    if !(1e-4..1e16).contains(&magnitude) {
        return false;
    }
    if text.len() <= 16 {
        // At most 15 digits beside the point.
        return true;
    }
    if text.ends_with(b".0") {
        // A whole number, whose trailing zeros are not its digits: left to the full path.
        return false;
    }
    let Some(point) = text.iter().position(|&b| b == b'.') else {
        return false;
    };
    let fraction = text.len() - point - 1;
    // `0.000ddd` has `0.000` before its first significant digit; `ddd.ddd` has nothing.
    let before = text.iter().take_while(|&&b| b == b'0' || b == b'.').count();
    let count = if before > 0 {
        text.len() - before
    } else {
        text.len() - 1
    };
    count < 16 || !halfway_possible(magnitude, -(fraction as i32))
}

/// The reprs of recent strs by node, with something measured of each (`show` keeps the
/// width): a table's keys are a few nodes written over and over, and escaping a str is
/// the dearest part of writing a record. `repr` and `show` each keep one.
pub(crate) struct StrReprs<X> {
    /// By node index modulo the size: the index plus one (0 is empty), the repr, `X`.
    entries: Vec<(usize, String, X)>,
}

impl<X: Copy + Default> StrReprs<X> {
    const ENTRIES: usize = 256;

    pub(crate) fn new() -> StrReprs<X> {
        StrReprs {
            entries: vec![(0, String::new(), X::default()); Self::ENTRIES],
        }
    }

    /// What was measured of str node `id`, if the cache holds its repr (then
    /// [`StrReprs::repr`] is that repr): a key met again costs no look at its node.
    #[inline]
    pub(crate) fn cached(&self, id: crate::graph::NodeId) -> Option<X> {
        let (cached, _, extra) = &self.entries[id.index() % Self::ENTRIES];
        (*cached == id.index() + 1).then_some(*extra)
    }

    /// The repr of str node `id`, which [`StrReprs::cached`] found in the cache.
    #[inline]
    pub(crate) fn repr(&self, id: crate::graph::NodeId) -> &str {
        &self.entries[id.index() % Self::ENTRIES].1
    }

    /// The repr of str node `id` (whose text is `text`) and what `measure` made of it
    /// when it was written.
    #[inline]
    pub(crate) fn get(
        &mut self,
        id: crate::graph::NodeId,
        text: &PyStr<'_>,
        measure: impl FnOnce(&str) -> X,
    ) -> (&str, X) {
        let (cached, repr, extra) = &mut self.entries[id.index() % Self::ENTRIES];
        if *cached != id.index() + 1 {
            repr.clear();
            write_str_repr(repr, text);
            *extra = measure(repr);
            *cached = id.index() + 1;
        }
        (repr, *extra)
    }
}

/// At most this many bytes in an [`ArrayText`]: the longest float repr
/// (`-2.2250738585072014e-308`) is 24.
const ARRAY_TEXT: usize = 40;

/// ASCII text in a fixed array on the stack, for [`write_float_repr`].
struct ArrayText {
    bytes: [u8; ARRAY_TEXT],
    len: usize,
}

impl Default for ArrayText {
    fn default() -> ArrayText {
        ArrayText {
            bytes: [0; ARRAY_TEXT],
            len: 0,
        }
    }
}

impl ArrayText {
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl TextSink for ArrayText {
    fn put_str(&mut self, text: &str) {
        self.put_ascii(text.as_bytes());
    }
    fn put_char(&mut self, c: char) {
        let mut utf8 = [0u8; 4];
        self.put_ascii(c.encode_utf8(&mut utf8).as_bytes());
    }
    fn put_ascii(&mut self, bytes: &[u8]) {
        // A float's text always fits; were it ever longer, it is cut, never a panic.
        let end = (self.len + bytes.len()).min(ARRAY_TEXT);
        debug_assert_eq!(end, self.len + bytes.len(), "a float repr fits");
        self.bytes[self.len..end].copy_from_slice(&bytes[..end - self.len]);
        self.len = end;
    }
    fn put_byte(&mut self, byte: u8) {
        self.put_ascii(&[byte]);
    }
    fn reserve_bytes(&mut self, _: usize) {}
}

/// [`write_float_repr`] of a finite `value` whose Ryū `text` needs laying out again,
/// written piece by piece into `out`: the text is read as `d.ddd × 10^exponent`, then
/// laid out as CPython would.
fn write_float_pieces(out: &mut ArrayText, value: f64, text: &[u8]) {
    let (negative, unsigned) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    // One pass over `[digits][.digits][e[-]digits]`: the significant digits, how many
    // digits stood before the point, and the written exponent.
    let mut digit_bytes = [0u8; 32];
    let mut count = 0;
    let mut leading_zeros = 0i32;
    let mut whole = None;
    let mut rest = unsigned.iter();
    for &b in rest.by_ref() {
        match b {
            b'0' if count == 0 => leading_zeros += 1,
            b'0'..=b'9' => {
                if count < digit_bytes.len() {
                    digit_bytes[count] = b;
                    count += 1;
                }
            }
            b'.' => whole = Some(leading_zeros + count as i32),
            _ => break,
        }
    }
    let mut written_exponent = 0i32;
    let mut sign = 1;
    for &b in rest {
        match b {
            b'-' => sign = -1,
            b'0'..=b'9' => written_exponent = written_exponent * 10 + i32::from(b - b'0'),
            _ => {}
        }
    }
    let whole = whole.unwrap_or(leading_zeros + count as i32);
    while count > 0 && digit_bytes[count - 1] == b'0' {
        count -= 1;
    }
    let exponent = match count {
        0 => {
            digit_bytes[0] = b'0';
            count = 1;
            0
        }
        _ => whole - 1 - leading_zeros + sign * written_exponent,
    };
    write_shortest(out, value, negative, &mut digit_bytes, count, exponent);
}

/// Writes a float from its shortest digits as CPython lays them out: `digits` (`count`
/// of them) are `d.ddd × 10^exponent` of `value`'s magnitude, `negative` its sign. A tie
/// between two shortest texts is broken first (see `break_tie`).
fn write_shortest<T: TextSink + ?Sized>(
    out: &mut T,
    value: f64,
    negative: bool,
    digit_bytes: &mut [u8; 32],
    mut count: usize,
    exponent: i32,
) {
    break_tie(value.abs(), digit_bytes, &mut count, exponent);
    let digits = &digit_bytes[..count];
    if negative {
        out.put_byte(b'-');
    }
    // The value is 0.DIGITS × 10^point.
    let point = exponent + 1;
    let zeros = |out: &mut T, n: usize| {
        for _ in 0..n {
            out.put_byte(b'0');
        }
    };
    if point <= -4 || point > 16 {
        out.put_ascii(&digits[..1]);
        if digits.len() > 1 {
            out.put_byte(b'.');
            out.put_ascii(&digits[1..]);
        }
        let shown = point - 1;
        out.put_ascii(if shown < 0 { b"e-" } else { b"e+" });
        write_u64_padded_with(out, u64::from(shown.unsigned_abs()), 2, b'0');
    } else if point <= 0 {
        out.put_ascii(b"0.");
        zeros(out, (-point) as usize);
        out.put_ascii(digits);
    } else if point as usize >= digits.len() {
        out.put_ascii(digits);
        zeros(out, point as usize - digits.len());
        out.put_ascii(b".0");
    } else {
        out.put_ascii(&digits[..point as usize]);
        out.put_byte(b'.');
        out.put_ascii(&digits[point as usize..]);
    }
}

/// Whether the positive `value` can lie exactly halfway between two texts whose last
/// digit is worth 10^scale. Halfway means 2 × value = odd × 10^scale = odd × 5^scale ×
/// 2^scale: with the value as odd × 2^e, that needs e + 1 == scale. Nearly every double
/// fails this at once, so the candidate texts are not even written.
fn halfway_possible(value: f64, scale: i32) -> bool {
    let (mantissa, power_of_two) = decompose(value);
    power_of_two + mantissa.trailing_zeros() as i32 + 1 == scale
}

/// Python's choice between two shortest texts that are equally near the double.
///
/// Rust and CPython both write the shortest digits that read back to the double, and the
/// nearer of two such texts when there are two; when the double lies exactly halfway
/// between them (819072628586090.25 between `…090.2` and `…090.3`), CPython takes the
/// one with an even last digit and Rust the one above. That can only happen when the
/// last digit's unit is at most the double's ulp, so with 16 digits or more: the
/// neighbours of `digits` are tried only then, and the tie is confirmed exactly.
///
/// `digits` (`count` of them) are `d.ddd × 10^exponent` of the positive `value`; they
/// are replaced in place (the exponent stays: a neighbour has as many digits).
fn break_tie(value: f64, digits: &mut [u8; 32], count: &mut usize, exponent: i32) {
    if *count < 16 || *count > 19 || !value.is_finite() || value == 0.0 {
        return;
    }
    // The value of the last digit: 10^scale.
    let scale = exponent - (*count as i32 - 1);
    if !halfway_possible(value, scale) {
        return;
    }
    let Ok(text) = std::str::from_utf8(&digits[..*count]) else {
        return;
    };
    let Ok(shortest) = text.parse::<u64>() else {
        return;
    };
    if shortest % 2 == 0 {
        return;
    }
    for neighbour in [shortest - 1, shortest + 1] {
        if neighbour.to_string().len() != *count
            || format!("{neighbour}e{scale}").parse::<f64>() != Ok(value)
            || !exactly_halfway(value, shortest + neighbour, scale)
        {
            continue;
        }
        // A tie: the neighbour is the even one.
        for (slot, digit) in digits.iter_mut().zip(neighbour.to_string().bytes()) {
            *slot = digit;
        }
        while *count > 1 && digits[*count - 1] == b'0' {
            *count -= 1;
        }
        return;
    }
}

/// Whether `2 × value == sum × 10^scale` exactly, in integers.
fn exactly_halfway(value: f64, sum: u64, scale: i32) -> bool {
    use num_bigint::BigUint;
    let (mantissa, power_of_two) = decompose(value);
    // 2 × mantissa × 2^power_of_two == sum × 10^scale, with both sides scaled up until
    // every exponent is non-negative.
    let mut left = BigUint::from(mantissa) << 1u32;
    let mut right = BigUint::from(sum);
    if power_of_two >= 0 {
        left <<= power_of_two as u32;
    } else {
        right <<= power_of_two.unsigned_abs();
    }
    let ten = BigUint::from(10u32);
    if scale >= 0 {
        right *= ten.pow(scale as u32);
    } else {
        left *= ten.pow(scale.unsigned_abs());
    }
    left == right
}

/// A finite positive double as `mantissa × 2^power`.
fn decompose(value: f64) -> (u64, i32) {
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    }
}

/// Appends a `u64` in decimal without going through `fmt`.
#[inline]
pub fn write_u64<T: TextSink + ?Sized>(line: &mut T, value: u64) {
    write_u64_padded(line, value, 0);
}

/// "00" to "99", for writing two digits at a time.
const DIGIT_PAIRS: &[u8; 200] = b"00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// Appends a `u64` in decimal, right-aligned in `width` columns (`%5d`).
#[inline]
pub fn write_u64_padded<T: TextSink + ?Sized>(line: &mut T, value: u64, width: usize) {
    write_u64_padded_with(line, value, width, b' ');
}

/// Appends a `u64` in decimal, right-aligned in `width` columns filled with `fill`
/// (`%5d`, or `%02d` with `b'0'`). The digits and the fill are laid out on the stack
/// and appended at once.
pub fn write_u64_padded_with<T: TextSink + ?Sized>(
    line: &mut T,
    mut value: u64,
    width: usize,
    fill: u8,
) {
    // Most numbers written (offsets, memo keys, small ints) fit in eight digits, which
    // are laid out in one word, in registers.
    if let (Ok(small @ 0..=99_999_999), 0..=8) = (u32::try_from(value), width) {
        let (digits, count) = digits8(small);
        let width = width.max(count);
        let leading = if count == 8 { 0 } else { !0u64 << (count * 8) };
        let padded = (digits & !leading) | ((u64::from(fill) * 0x0101_0101_0101_0101) & leading);
        return line.put_word(padded << ((8 - width) * 8), width);
    }
    let mut digits = [fill; 20];
    let mut start = digits.len();
    while value >= 100 {
        let pair = (value % 100) as usize * 2;
        value /= 100;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if value >= 10 {
        let pair = value as usize * 2;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        start -= 1;
        digits[start] = b'0' + value as u8;
    }
    // Up to 20 columns come from the buffer's fill, more (never asked for) one by one.
    for _ in digits.len()..width {
        line.put_byte(fill);
    }
    let start = start.min(digits.len().saturating_sub(width));
    line.put_ascii(&digits[start..]);
}

/// The decimal digits of a value below 10^8 as the bytes of a big-endian word, with
/// leading zeros, and how many digits the value has. The digits are split out in
/// parallel, lanes of one word: two 4-digit halves, then four 2-digit quarters, then
/// eight digits, each split a multiply and a shift (`n * 5243 >> 19` is `n / 100` below
/// 10^4, `n * 103 >> 10` is `n / 10` below 100), with no table and no loop.
#[inline]
pub(crate) fn digits8(value: u32) -> (u64, usize) {
    debug_assert!(value < 100_000_000);
    // Lanes in little-endian order: the leading digits in the low lanes.
    let halves = u64::from(value / 10_000) | (u64::from(value % 10_000) << 32);
    let high = ((halves * 5243) >> 19) & 0x0000_007f_0000_007f;
    let quarters = high | ((halves - high * 100) << 16);
    let high = ((quarters * 103) >> 10) & 0x000f_000f_000f_000f;
    let digits = high | ((quarters - high * 10) << 8);
    // The leading zero digits are the zero bytes at the low end.
    let count = (8 - (digits.trailing_zeros() / 8) as usize).max(1);
    ((digits | 0x3030_3030_3030_3030).swap_bytes(), count)
}

/// Appends an `i64` in decimal without the formatting machinery (ints are the
/// commonest scalar of all).
#[inline]
pub fn write_int<T: TextSink + ?Sized>(line: &mut T, value: i64) {
    if value < 0 {
        line.put_byte(b'-');
    }
    write_u64(line, value.unsigned_abs());
}

/// Python's `repr(int)` for an int beyond 64 bits; past 100,000 bits (about 30,000 digits), a hex
/// literal of the same value (CPython itself would refuse to write it).
pub fn bigint_repr(value: &BigInt) -> String {
    if value.bits() <= MAX_DECIMAL_INT_BITS {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.bits() as usize / 4 + 3);
    write_bigint_hex_prefix(&mut out, value, usize::MAX);
    out
}

/// Writes `value` as a hex literal (`-0x1f…`), stopping after about `max_digits` hex
/// digits: the most significant ones, read without converting the whole number, so a
/// prefix of a ten-million-byte int costs what the prefix costs.
pub fn write_bigint_hex_prefix(out: &mut String, value: &BigInt, max_digits: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if value.sign() == num_bigint::Sign::Minus {
        out.push('-');
    }
    out.push_str("0x");
    let mut written = 0usize;
    for digit in value.iter_u64_digits().rev() {
        for shift in (0..16).rev() {
            let nibble = (digit >> (shift * 4)) & 0xf;
            if written == 0 && nibble == 0 {
                continue;
            }
            if written >= max_digits {
                return;
            }
            out.push(HEX[nibble as usize] as char);
            written += 1;
        }
    }
    if written == 0 {
        out.push('0');
    }
}

/// `text` with every character that Python's `str.isprintable()` rejects (line breaks,
/// terminal escapes, bidi overrides) written as a Python repr writes it (`\n`, `\x1b`,
/// `\u202e`), so that a name taken from a hostile pickle is shown, not obeyed, by a
/// terminal.
pub fn escape_nonprintable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b))
        || text.chars().all(|c| is_printable(u32::from(c)))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        let cp = u32::from(c);
        match c {
            _ if is_printable(cp) => out.push(c),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ if cp <= 0xff => out.push_str(&format!("\\x{cp:02x}")),
            _ if cp <= 0xffff => out.push_str(&format!("\\u{cp:04x}")),
            _ => out.push_str(&format!("\\U{cp:08x}")),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `module.name` as the views write a global, with what a terminal would obey escaped
/// in both parts: the names come from the pickle.
pub fn dotted(module: &str, name: &str) -> String {
    format!(
        "{}.{}",
        escape_nonprintable(module),
        escape_nonprintable(name)
    )
}

/// Whether Python's `str.isprintable()` holds for this code point.
pub fn is_printable(cp: u32) -> bool {
    if (0x20..0x7f).contains(&cp) {
        // Printable ASCII, most of any text: no search of the table.
        return true;
    }
    NON_PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_err()
}

fn choose_quote(has_single: bool, has_double: bool) -> u8 {
    if has_single && !has_double {
        b'"'
    } else {
        b'\''
    }
}

/// Strs of at most this many bytes are first read in one pass, which finds the quote
/// and whether anything needs escaping: shorter than the two searches for quotes.
const SHORT_STR: usize = 32;

/// Python's `repr(str)`, appended to `out`.
pub fn write_str_repr<T: TextSink + ?Sized>(out: &mut T, text: &PyStr<'_>) {
    let bytes = text.as_bytes();
    if bytes.len() <= SHORT_STR {
        // One pass over a short str: whether it holds either quote, and whether all of
        // it is printable ASCII with no backslash, written as it is between quotes.
        let (mut single, mut double, mut plain) = (false, false, true);
        for &b in bytes {
            single |= b == b'\'';
            double |= b == b'"';
            plain &= (0x20..0x7f).contains(&b) && b != b'\\';
        }
        if plain && !(single && double) {
            let quote = choose_quote(single, double);
            out.reserve_bytes(bytes.len() + 2);
            out.put_byte(quote);
            out.put_ascii(bytes);
            return out.put_byte(quote);
        }
    }
    let quote = choose_quote(bytes.contains(&b'\''), bytes.contains(&b'"'));
    out.reserve_bytes(bytes.len() + 2);
    out.put_byte(quote);
    // Runs of printable ASCII that needs no escape are copied as they are; only the
    // rest is decoded code point by code point.
    let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'\\' && b != quote;
    let mut rest = bytes;
    while !rest.is_empty() {
        let run = rest.iter().position(|&b| !plain(b)).unwrap_or(rest.len());
        out.put_ascii(&rest[..run]);
        rest = &rest[run..];
        let Some(&first) = rest.first() else { break };
        if first < 0x80 {
            put_escaped_code_point(out, u32::from(first), quote);
            rest = &rest[1..];
            continue;
        }
        // One non-ASCII code point: its UTF-8 (or surrogatepass) sequence, which the
        // `PyStr` has validated.
        let (len, init) = match first {
            0xc0..=0xdf => (2, first & 0x1f),
            0xe0..=0xef => (3, first & 0x0f),
            _ => (4, first & 0x07),
        };
        let (head, tail) = rest.split_at(len.min(rest.len()));
        let cp = head[1..]
            .iter()
            .fold(u32::from(init), |acc, &b| (acc << 6) | u32::from(b & 0x3f));
        put_escaped_code_point(out, cp, quote);
        rest = tail;
    }
    out.put_byte(quote);
}

/// One code point of a str repr that is not plain printable ASCII.
fn put_escaped_code_point<T: TextSink + ?Sized>(out: &mut T, cp: u32, quote: u8) {
    match cp {
        0x5c => out.put_ascii(b"\\\\"),
        _ if cp == u32::from(quote) => {
            out.put_byte(b'\\');
            out.put_byte(quote);
        }
        0x09 => out.put_ascii(b"\\t"),
        0x0a => out.put_ascii(b"\\n"),
        0x0d => out.put_ascii(b"\\r"),
        0x00..=0x1f | 0x7f => put_hex_escape(out, b'x', cp, 2),
        0x20..=0x7e => out.put_byte(cp as u8),
        _ if is_printable(cp) => out.put_char(char::from_u32(cp).unwrap_or('\u{fffd}')),
        0x80..=0xff => put_hex_escape(out, b'x', cp, 2),
        0x100..=0xffff => put_hex_escape(out, b'u', cp, 4),
        _ => put_hex_escape(out, b'U', cp, 8),
    }
}

/// Python's `repr(bytes)`, appended to `out`.
pub fn write_bytes_repr<T: TextSink + ?Sized>(out: &mut T, bytes: &[u8]) {
    write_bytes_literal(out, bytes, false);
}

/// Python's `repr(bytearray)`, appended to `out`. CPython's bytearray repr escapes `'`
/// even inside double quotes, unlike bytes.
pub fn write_bytearray_repr<T: TextSink + ?Sized>(out: &mut T, bytes: &[u8]) {
    out.put_ascii(b"bytearray(");
    write_bytes_literal(out, bytes, true);
    out.put_byte(b')');
}

fn write_bytes_literal<T: TextSink + ?Sized>(
    out: &mut T,
    bytes: &[u8],
    always_escape_single: bool,
) {
    let quote = choose_quote(bytes.contains(&b'\''), bytes.contains(&b'"'));
    out.reserve_bytes(bytes.len() + 3);
    out.put_byte(b'b');
    out.put_byte(quote);
    for &b in bytes {
        match b {
            b'\\' => out.put_ascii(b"\\\\"),
            _ if b == quote || (always_escape_single && b == b'\'') => {
                out.put_byte(b'\\');
                out.put_byte(b);
            }
            b'\t' => out.put_ascii(b"\\t"),
            b'\n' => out.put_ascii(b"\\n"),
            b'\r' => out.put_ascii(b"\\r"),
            0x20..=0x7e => out.put_byte(b),
            _ => put_hex_escape(out, b'x', u32::from(b), 2),
        }
    }
    out.put_byte(quote);
}

/// Python's `repr(bytes)` as a new string.
pub fn bytes_repr(bytes: &[u8]) -> String {
    let mut out = String::new();
    write_bytes_repr(&mut out, bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repr as written before Ryū: `core::fmt`'s shortest digits (Grisu with a Dragon
    /// fallback), laid out by the same `write_shortest`. An independent source of the
    /// digits Ryū gives.
    fn write_float_repr_by_fmt<T: TextSink + ?Sized>(out: &mut T, value: f64) {
        use std::fmt::Write as _;
        if value.is_nan() {
            return out.put_str("nan");
        }
        if value.is_infinite() {
            return out.put_str(if value > 0.0 { "inf" } else { "-inf" });
        }
        // Where Python writes the fixed form (a decimal exponent from -4 to 15), Rust's
        // `Display` writes the same shortest digits in the same form, less the `.0` of a
        // whole number: no re-layout. A double below 1e-4 or from 1e16 up cannot have
        // shortest digits on the other side of those bounds, as both are exact cut points
        // of the rounding (1e16 is a double; `0.0001` is the shortest text of its double).
        if (1e-4..1e16).contains(&value.abs()) {
            let mut fixed = super::ArrayText::default();
            if write!(fixed, "{value}").is_ok() {
                let text = fixed.as_bytes();
                // A tie between two shortest texts (see `break_tie`) takes the slow path.
                if !may_tie(value.abs(), text) {
                    out.put_ascii(text);
                    if !text.contains(&b'.') {
                        out.put_ascii(b".0");
                    }
                    return;
                }
            }
        }
        // Rust's `{:e}` gives the shortest round-tripping digits, as Python's repr does:
        // `d.ddde±x`. It is written to the stack, then re-laid out as CPython would.
        let mut scientific = super::ArrayText::default();
        let _ = write!(scientific, "{value:e}");
        let text = scientific.as_bytes();
        let (negative, unsigned) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        let split = unsigned
            .iter()
            .position(|&b| b == b'e')
            .unwrap_or(unsigned.len());
        let (mantissa, exponent) = (
            &unsigned[..split],
            unsigned.get(split + 1..).unwrap_or(b"0"),
        );
        let exponent = std::str::from_utf8(exponent)
            .ok()
            .and_then(|e| e.parse::<i32>().ok())
            .unwrap_or(0);
        let mut digit_bytes = [0u8; 32];
        let mut count = 0;
        for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
            if count < digit_bytes.len() {
                digit_bytes[count] = b;
                count += 1;
            }
        }
        if count == 0 {
            digit_bytes[0] = b'0';
            count = 1;
        }
        write_shortest(out, value, negative, &mut digit_bytes, count, exponent);
    }

    /// Whether `text`, Rust's fixed-form shortest text of the positive `value`, could be one
    /// of two equally near shortest texts: 16 significant digits or more, and a last digit
    /// whose unit passes `break_tie`'s test on the value's binary exponent.
    fn may_tie(value: f64, text: &[u8]) -> bool {
        let significant = text
            .iter()
            .filter(|b| b.is_ascii_digit())
            .skip_while(|&&b| b == b'0')
            .count();
        if significant < 16 {
            return false;
        }
        let scale = match text.iter().position(|&b| b == b'.') {
            Some(point) => -((text.len() - point - 1) as i32),
            None => text.iter().rev().take_while(|&&b| b == b'0').count() as i32,
        };
        halfway_possible(value, scale)
    }

    impl std::fmt::Write for super::ArrayText {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            let end = self.len + text.len();
            let room = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
            room.copy_from_slice(text.as_bytes());
            self.len = end;
            Ok(())
        }
    }

    fn by_fmt(value: f64) -> String {
        let mut text = String::new();
        write_float_repr_by_fmt(&mut text, value);
        text
    }

    #[test]
    fn ryu_and_fmt_write_the_same_repr_for_every_kind_of_double() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut values = vec![
            0.0,
            -0.0,
            5e-324,
            -5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            1e16,
            1e-4,
            f64::from_bits(1e-4f64.to_bits() - 1),
            1e-5,
            1.5e-5,
            1e16 - 2.0,
            1234567890123456.0,
            0.000123456789012345,
            0.1,
            0.3,
            819072628586090.0 + 0.25,
            2.0f64.powi(53),
            1e22,
            1e23,
            123456789.0,
        ];
        for _ in 0..300_000 {
            let bits = next();
            values.push(f64::from_bits(bits));
            // Doubles with short decimal forms, ints and halves: where ties live.
            values.push(
                (bits % 2_000_000_000) as f64 / 4.0 * 10f64.powi((bits >> 40) as i32 % 30 - 15),
            );
            values.push((bits >> 11) as f64 + 0.25);
            // Full-precision doubles from 2^-13 to 2^52, where Ryū's own text is taken.
            values.push(f64::from_bits(
                (bits >> 12) | (1010 + (bits >> 58) % 66) << 52,
            ));
        }
        for value in values {
            assert_eq!(
                float_repr(value),
                by_fmt(value),
                "{value:e} ({:#x})",
                value.to_bits()
            );
        }
    }

    #[test]
    fn floats_match_cpython_forms() {
        for (value, text) in [
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (1.5, "1.5"),
            (-2.5e-7, "-2.5e-07"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(float_repr(value), text);
        }
    }

    #[test]
    fn padded_ints_match_fmt_on_both_sides_of_the_word_path() {
        let values = [
            0,
            7,
            10,
            99,
            12_345,
            99_999,
            100_000,
            9_999_999,
            10_000_000,
            99_999_999,
            100_000_000,
            u64::MAX,
        ];
        for value in values {
            for width in [0, 1, 2, 5, 8, 9, 12] {
                let mut text = String::new();
                write_u64_padded(&mut text, value, width);
                assert_eq!(text, format!("{value:width$}"));
                let mut bytes = b"x".to_vec();
                write_u64_padded_with(&mut bytes, value, width, b'0');
                assert_eq!(bytes, format!("x{value:0width$}").into_bytes());
            }
        }
    }

    #[test]
    fn eight_digit_words_hold_every_digit() {
        let values = (0..200_000).chain((200_000..100_000_000).step_by(997));
        for value in values.chain([99_999_999]) {
            let (digits, count) = digits8(value);
            assert_eq!(digits.to_be_bytes(), *format!("{value:08}").as_bytes());
            assert_eq!(count, value.to_string().len());
        }
    }

    proptest::proptest! {
        /// A short str is written by the one-pass path, the same str with a long tail of
        /// plain letters by the general one: apart from the tail, the two agree, quote
        /// and escapes included.
        #[test]
        fn short_strs_are_written_as_long_ones_are(
            chars in proptest::collection::vec(
                proptest::sample::select(vec!['a', ' ', '~', '\'', '"']),
                0..=SHORT_STR,
            ),
            odd in proptest::sample::select(vec!['\\', '\n', '\x7f', '\x00', 'é', '\u{200b}', '😀']),
            place in 0..=SHORT_STR,
            spoil in proptest::bool::ANY,
        ) {
            let mut chars = chars;
            if spoil {
                chars.insert(place.min(chars.len()), odd);
            }
            let text: String = chars.into_iter().collect();
            let tail = "x".repeat(SHORT_STR + 1);
            let (mut short, mut long) = (String::new(), String::new());
            write_str_repr(&mut short, &PyStr::from_text(&text));
            write_str_repr(&mut long, &PyStr::from_text(&format!("{text}{tail}")));
            let quote = short.pop();
            proptest::prop_assert_eq!(format!("{short}{tail}"), long[..long.len() - 1].to_string());
            proptest::prop_assert_eq!(quote, long.chars().last());
        }
    }

    #[test]
    fn printability_follows_python() {
        assert!(is_printable(u32::from('a')));
        assert!(!is_printable(0xa0));
        assert!(!is_printable(0x200b));
        assert!(!is_printable(0xd800));
        assert!(is_printable(0x1f600));
    }
}

/// The examples that were doc tests while the module was public.
#[cfg(test)]
mod examples {
    #[test]
    fn float_repr_example() {
        use crate::text::scalar::float_repr;
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(-0.0), "-0.0");
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(123456789.0), "123456789.0");
    }

    #[test]
    fn write_int_example() {
        let mut out = String::new();
        crate::text::scalar::write_int(&mut out, i64::MIN);
        assert_eq!(out, i64::MIN.to_string());
    }

    #[test]
    fn write_bigint_hex_prefix_example() {
        let mut out = String::new();
        let value = -(num_bigint::BigInt::from(1u8) << 70u32);
        crate::text::scalar::write_bigint_hex_prefix(&mut out, &value, 99);
        assert_eq!(out, "-0x400000000000000000");
    }

    #[test]
    fn escape_nonprintable_example() {
        use crate::text::scalar::escape_nonprintable;
        assert_eq!(escape_nonprintable("os"), "os");
        assert_eq!(
            escape_nonprintable("a\nb\u{1b}[2J\u{202e}é"),
            "a\\nb\\x1b[2J\\u202eé"
        );
    }

    #[test]
    fn dotted_example() {
        assert_eq!(crate::text::scalar::dotted("os", "a\nb"), "os.a\\nb");
    }

    #[test]
    fn write_str_repr_example() {
        let mut out = String::new();
        crate::text::scalar::write_str_repr(&mut out, &crate::PyStr::from_text("it's\u{200b}"));
        assert_eq!(out, r#""it's\u200b""#);
    }

    #[test]
    fn write_bytes_repr_example() {
        let mut out = String::new();
        crate::text::scalar::write_bytes_repr(&mut out, b"\x00'a\x7f");
        assert_eq!(out, r#"b"\x00'a\x7f""#);
    }

    #[test]
    fn write_bytearray_repr_example() {
        let mut out = String::new();
        crate::text::scalar::write_bytearray_repr(&mut out, b"a'b");
        assert_eq!(out, r#"bytearray(b"a\'b")"#);
    }
}
