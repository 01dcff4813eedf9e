//! Counts and sizes as the views and the recognizers' descriptions print them.

/// A count with commas between thousands: `999,990`.
pub fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A byte size for people: `300 bytes`, `2.9 KiB`, `256.0 MiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The examples that were doc tests while the module was public.
#[cfg(test)]
mod examples {
    #[test]
    fn thousands_example() {
        assert_eq!(crate::text::quantity::thousands(1234567), "1,234,567");
    }

    #[test]
    fn size_example() {
        assert_eq!(crate::text::quantity::size(268435456), "256.0 MiB");
        assert_eq!(crate::text::quantity::size(300), "300 bytes");
    }
}
