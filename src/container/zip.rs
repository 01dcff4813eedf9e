//! Zip archives of any member layout, read as PyTorch's reader (miniz) reads them: the
//! central directory says where each member is, how long and how compressed; the
//! local header is read only for the length of its name and extra field, to find where
//! the data starts; CRCs are not checked (PyTorch builds miniz with
//! `MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS`). Where the local header or the CRC disagrees
//! with the directory, a note says so; an encrypted member or a compression other than
//! stored and deflate cannot be read, as miniz cannot read it, and is an error.

use std::ops::Range;

use super::OpenError;

/// One member of an archive, as the central directory describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its name.
    pub name: String,
    /// The compression method (0 stored, 8 deflate).
    pub method: u16,
    /// Its bytes in the file, compressed as `method` says.
    pub data: Range<u64>,
    /// Its length once decompressed.
    pub size: u64,
    /// The CRC-32 of its content, as the directory gives it.
    pub crc32: u32,
    /// Whether it is encrypted (flag bit 0).
    pub encrypted: bool,
    /// Whether it is a folder (its name ends with `/`).
    pub is_dir: bool,
}

/// The directory of a zip archive, with the notes its reading raised.
#[derive(Debug, Clone)]
pub struct Directory {
    /// Every member, in the directory's order.
    pub members: Vec<Member>,
    /// Disagreements between local headers and the directory, odd flag bits.
    pub notes: Vec<String>,
}

/// Reads the central directory, and each member's local header for where its data starts.
///
/// # Errors
/// An archive whose directory the `zip` crate cannot read.
pub fn directory(bytes: &[u8]) -> Result<Directory, OpenError> {
    let corrupt = |detail: String| OpenError::Corrupt {
        what: "zip",
        detail,
    };
    let mut archive =
        ::zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
    let mut members = Vec::with_capacity(archive.len());
    let mut notes = Vec::new();
    for index in 0..archive.len() {
        let file = archive
            .by_index_raw(index)
            .map_err(|e| corrupt(format!("member {index}: {e}")))?;
        let data_start = file.data_start();
        #[allow(deprecated)]
        let method = file.compression().to_u16();
        let member = Member {
            name: file.name().to_string(),
            method,
            data: data_start..data_start.saturating_add(file.compressed_size()),
            size: file.size(),
            crc32: file.crc32(),
            encrypted: file.encrypted(),
            is_dir: file.is_dir(),
        };
        if let Some(note) = compare_local(bytes, file.header_start(), &member) {
            notes.push(note);
        }
        members.push(member);
    }
    Ok(Directory { members, notes })
}

/// A note when the member's local header says otherwise than the directory.
fn compare_local(bytes: &[u8], header_start: u64, member: &Member) -> Option<String> {
    let at = usize::try_from(header_start).ok()?;
    let header = bytes.get(at..at.checked_add(30)?)?;
    let u16_at = |i: usize| u16::from_le_bytes([header[i], header[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let flags = u16_at(6);
    let name_len = usize::from(u16_at(26));
    let name = bytes.get(at + 30..at + 30 + name_len)?;
    let mut differences = Vec::new();
    if name != member.name.as_bytes() {
        differences.push(format!("name {:?}", String::from_utf8_lossy(name)));
    }
    if u16_at(8) != member.method {
        differences.push(format!("compression method {}", u16_at(8)));
    }
    // Bit 3: sizes and CRC follow the data, and the local fields are zero.
    let described_later = flags & 0x08 != 0;
    let zip64 = u32_at(18) == u32::MAX || u32_at(22) == u32::MAX;
    if !described_later && !zip64 {
        if u32_at(14) != member.crc32 {
            differences.push(format!("CRC {:#010x}", u32_at(14)));
        }
        if u64::from(u32_at(18)) != member.data.end - member.data.start {
            differences.push(format!("compressed size {}", u32_at(18)));
        }
        if u64::from(u32_at(22)) != member.size {
            differences.push(format!("size {}", u32_at(22)));
        }
    }
    if flags & 0x01 != 0 {
        differences.push("the encrypted flag".to_string());
    }
    if flags & !0x0808 & !0x0006 & !0x0001 != 0 {
        differences.push(format!("flag bits {flags:#06x}"));
    }
    (!differences.is_empty()).then(|| {
        format!(
            "zip member {:?}: its local header says {}; read as the central directory says, as PyTorch's reader does",
            member.name,
            differences.join(", ")
        )
    })
}

/// The CRC-32 of `bytes`, to compare with the directory's.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}
