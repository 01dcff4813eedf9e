//! The compressed streams a pickle may come in, each decoded by its ecosystem's crate
//! (`flate2` for gzip, zlib and raw deflate, `bzip2` on its pure-Rust backend,
//! `lzma-rs` for xz and lzma-alone, `lz4_flex` for lz4 frames) into memory that the
//! limits of [`OpenOptions`] bound: the total decompressed size and its ratio to the
//! file's size are checked every chunk, so a bomb ends at the limit, never after it is
//! inflated.

use std::cell::Cell;
use std::io::{BufReader, Read, Write};

use super::{OpenError, OpenOptions};

/// A compression format, found by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// gzip (`gzip.open`, pandas' `.gz`, joblib's `compress="gzip"`); members joined as
    /// Python's `gzip` module joins them.
    Gzip,
    /// A zlib stream (joblib's `compress=3` or `"zlib"`, the default method).
    Zlib,
    /// joblib < 0.10's own zlib file: `ZF`, the length in hex padded to 19 bytes, then zlib.
    JoblibZf,
    /// bzip2, streams joined as Python's `bz2` module joins them.
    Bz2,
    /// xz (`lzma.FORMAT_XZ`).
    Xz,
    /// lzma-alone (`lzma.FORMAT_ALONE`, joblib's `compress="lzma"`).
    Lzma,
    /// An lz4 frame (joblib's `compress="lz4"`).
    Lz4,
    /// Raw deflate, the data of a deflated zip member.
    Deflate,
}

impl Codec {
    /// The name used in labels and messages.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zlib => "zlib",
            Codec::JoblibZf => "zlib (joblib < 0.10)",
            Codec::Bz2 => "bz2",
            Codec::Xz => "xz",
            Codec::Lzma => "lzma",
            Codec::Lz4 => "lz4",
            Codec::Deflate => "deflate",
        }
    }

    /// The codec whose magic starts `bytes`, if any.
    pub fn sniff(bytes: &[u8]) -> Option<Codec> {
        let zlib_header =
            |b: &[u8]| matches!(b, [0x78, flags, ..] if (0x7800u16 | u16::from(*flags)) % 31 == 0);
        if bytes.starts_with(b"\x1f\x8b") {
            Some(Codec::Gzip)
        } else if bytes.starts_with(b"ZF") && bytes.get(2..4) == Some(b"0x") {
            Some(Codec::JoblibZf)
        } else if zlib_header(bytes) {
            Some(Codec::Zlib)
        } else if bytes.len() >= 10
            && bytes.starts_with(b"BZh")
            && (b'1'..=b'9').contains(&bytes[3])
            && (bytes[4..10] == *b"1AY&SY" || bytes[4..10] == *b"\x17\x72\x45\x38\x50\x90")
        {
            Some(Codec::Bz2)
        } else if bytes.starts_with(b"\xfd7zXZ\x00") {
            Some(Codec::Xz)
        } else if bytes.starts_with(b"\x04\x22\x4d\x18") {
            Some(Codec::Lz4)
        } else if bytes.starts_with(b"\x5d\x00\x00") && bytes.len() >= 13 {
            // lzma-alone: properties 0x5d (lc=3, lp=0, pb=2, what every encoder writes),
            // then a dictionary size whose low bytes are zero. `]` (EMPTY_LIST) then a
            // zero byte, which no protocol reads as an opcode, is never a pickle.
            Some(Codec::Lzma)
        } else {
            None
        }
    }
}

/// How much has been decompressed from one file, checked against [`OpenOptions`].
#[derive(Debug)]
pub(crate) struct Budget {
    used: Cell<u64>,
    file_len: u64,
    max_bytes: u64,
    max_ratio: u64,
}

/// Output below this is never refused for its ratio: a small file of zeros compresses
/// 1000 to 1 and is no bomb.
const RATIO_FLOOR: u64 = 64 << 20;

/// Bytes read from a decoder at a time.
const CHUNK: usize = 64 << 10;

impl Budget {
    pub(crate) fn new(file_len: usize, options: &OpenOptions) -> Budget {
        Budget {
            used: Cell::new(0),
            file_len: file_len as u64,
            max_bytes: options.max_decompressed_bytes,
            max_ratio: options.max_ratio,
        }
    }

    /// Takes `more` bytes, or says which limit they pass.
    fn take(&self, more: u64) -> Result<(), OpenError> {
        let used = self.used.get().saturating_add(more);
        if used > self.max_bytes {
            return Err(OpenError::LimitExceeded {
                limit: "decompressed size",
                max: self.max_bytes,
            });
        }
        let ratio_cap = self
            .file_len
            .max(1)
            .saturating_mul(self.max_ratio)
            .max(RATIO_FLOOR);
        if used > ratio_cap {
            return Err(OpenError::LimitExceeded {
                limit: "decompression ratio",
                max: self.max_ratio,
            });
        }
        self.used.set(used);
        Ok(())
    }
}

/// Decompresses `bytes` whole, within the budget.
pub(crate) fn decompress(
    codec: Codec,
    bytes: &[u8],
    budget: &Budget,
) -> Result<Vec<u8>, OpenError> {
    let corrupt = |detail: String| OpenError::Corrupt {
        what: codec.name(),
        detail,
    };
    match codec {
        Codec::Gzip => read_all(flate2::read::MultiGzDecoder::new(bytes), codec, budget),
        Codec::Zlib => read_all(flate2::read::ZlibDecoder::new(bytes), codec, budget),
        Codec::Deflate => read_all(flate2::read::DeflateDecoder::new(bytes), codec, budget),
        Codec::JoblibZf => {
            let (declared, body) = joblib_zf_header(bytes).ok_or_else(|| {
                corrupt(
                    "no length after ZF (joblib < 0.10 writes ZF, then the length in hex)".into(),
                )
            })?;
            let out = read_all(flate2::read::ZlibDecoder::new(body), codec, budget)?;
            if out.len() as u64 != declared {
                return Err(corrupt(format!(
                    "the header says {declared} bytes, the stream holds {}",
                    out.len()
                )));
            }
            Ok(out)
        }
        Codec::Bz2 => read_all(bzip2::read::MultiBzDecoder::new(bytes), codec, budget),
        Codec::Lz4 => read_all(lz4_flex::frame::FrameDecoder::new(bytes), codec, budget),
        Codec::Xz | Codec::Lzma => {
            let mut sink = BoundedSink {
                out: Vec::new(),
                budget,
                over: None,
            };
            let mut input = BufReader::new(bytes);
            let result = if codec == Codec::Xz {
                lzma_rs::xz_decompress(&mut input, &mut sink)
            } else {
                let options = lzma_rs::decompress::Options {
                    // The dictionary is allocated as the stream fills it; this caps a
                    // header that claims 4 GiB.
                    memlimit: Some(usize::try_from(budget.max_bytes).unwrap_or(usize::MAX)),
                    ..Default::default()
                };
                lzma_rs::lzma_decompress_with_options(&mut input, &mut sink, &options)
            };
            if let Some(over) = sink.over {
                return Err(over);
            }
            result.map_err(|e| corrupt(e.to_string()))?;
            Ok(sink.out)
        }
    }
}

/// `ZF`, the length as Python's `hex()` wrote it, padded with blanks to 19 bytes.
fn joblib_zf_header(bytes: &[u8]) -> Option<(u64, &[u8])> {
    const HEADER: usize = 2 + 19;
    let length = std::str::from_utf8(bytes.get(2..HEADER)?).ok()?.trim();
    let digits = length.strip_prefix("0x")?.trim_end_matches('L');
    let declared = u64::from_str_radix(digits, 16).ok()?;
    Some((declared, &bytes[HEADER..]))
}

fn read_all(mut reader: impl Read, codec: Codec, budget: &Budget) -> Result<Vec<u8>, OpenError> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let read = reader.read(&mut chunk).map_err(|e| OpenError::Corrupt {
            what: codec.name(),
            detail: e.to_string(),
        })?;
        if read == 0 {
            return Ok(out);
        }
        budget.take(read as u64)?;
        out.extend_from_slice(&chunk[..read]);
    }
}

/// A writer that stops at the budget (lzma-rs writes into a sink rather than being read).
struct BoundedSink<'b> {
    out: Vec<u8>,
    budget: &'b Budget,
    over: Option<OpenError>,
}

impl Write for BoundedSink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Err(over) = self.budget.take(buf.len() as u64) {
            self.over = Some(over);
            return Err(std::io::Error::other("decompression limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
