//! PyTorch's zip checkpoints, read with the `zip` crate: the central directory, each
//! record's local header (for where its data starts), and the small records
//! (`data.pkl`, `byteorder`, `version`). The storages' bytes are never read.
//!
//! `torch.save` puts every record under one folder (the file's stem, or `archive`):
//! `data.pkl`, `byteorder`, `data/<key>` for each storage, `version`. Records are
//! stored, not compressed, so a storage's bytes can be read (or memory-mapped) in
//! place.

use std::borrow::Cow;
use std::io::Read;

use zip::CompressionMethod;

use super::ModelError;

/// Most bytes a compressed pickle record may inflate to (a record that claims more is
/// refused before anything is allocated).
pub const MAX_INFLATED_BYTES: u64 = 4 << 30;

/// Most bytes of a small text record (`byteorder`, `version`) that are read.
const MAX_TEXT_RECORD: u64 = 64;

/// A pickle record: its full name and its bytes (borrowed, or inflated).
pub type PickleRecord<'a> = (String, Cow<'a, [u8]>);

/// One record of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its full name in the archive (`state_dict/data/0`).
    pub name: String,
    /// Where its (possibly compressed) bytes start in the file.
    pub data_start: u64,
    /// Its length once decompressed.
    pub size: u64,
    /// Its length in the file.
    pub compressed_size: u64,
    /// Whether it is stored as is, so `data_start..data_start + size` are its bytes.
    pub stored: bool,
}

impl Record {
    /// The byte range of its data in the file, for a stored record.
    pub fn range(&self) -> Option<std::ops::Range<u64>> {
        self.stored
            .then(|| self.data_start..self.data_start.saturating_add(self.size))
    }
}

/// A PyTorch zip checkpoint's directory and pickles.
#[derive(Debug, Clone)]
pub struct TorchZip<'a> {
    records: Vec<Record>,
    prefix: String,
    pickles: Vec<PickleRecord<'a>>,
    byteorder: Option<String>,
    version: Option<String>,
}

impl<'a> TorchZip<'a> {
    /// Reads the archive's directory and its pickle records (borrowed when stored,
    /// inflated when compressed).
    /// ```
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/torch/state_dict.pt");
    /// let bytes = std::fs::read(path).unwrap();
    /// let zip = picklegraph::model::archive::TorchZip::open(&bytes)?;
    /// assert_eq!((zip.prefix(), zip.byteorder(), zip.version()), ("state_dict/", Some("little"), Some("3")));
    /// assert_eq!(zip.storage("0").unwrap().range(), Some(1664..2208)); // 64-byte aligned
    /// # Ok::<(), picklegraph::model::ModelError>(())
    /// ```
    ///
    /// # Errors
    /// An unreadable directory, no `data.pkl`, or a pickle record that cannot be read.
    pub fn open(bytes: &'a [u8]) -> Result<TorchZip<'a>, ModelError> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| ModelError::Zip(e.to_string()))?;
        let records = (0..archive.len())
            .map(|i| record(&mut archive, i))
            .collect::<Result<Vec<_>, _>>()?;
        let prefix = find_prefix(&records).ok_or(ModelError::NoPickle)?;
        let mut zip = TorchZip {
            records,
            prefix,
            pickles: Vec::new(),
            byteorder: None,
            version: None,
        };
        zip.pickles = zip.read_pickles(&mut archive, bytes)?;
        zip.byteorder = zip.read_text(&mut archive, bytes, "byteorder");
        zip.version = zip.read_text(&mut archive, bytes, "version");
        Ok(zip)
    }

    /// The bytes of the record `name` under the folder (`data/0`): borrowed when stored, inflated (at most `max`
    /// bytes) when compressed.
    ///
    /// # Errors
    /// A record missing from the directory, larger than `max`, or that does not inflate.
    pub fn contents(
        &self,
        bytes: &'a [u8],
        name: &str,
        max: u64,
    ) -> Result<Cow<'a, [u8]>, ModelError> {
        let record = self.record(name).ok_or_else(|| ModelError::Record {
            name: name.to_string(),
            detail: "missing from the directory".to_string(),
        })?;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| ModelError::Zip(e.to_string()))?;
        contents(&mut archive, bytes, record, max)
    }

    /// Every record, in the order of the directory.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The folder every record is under, with its `/` (`state_dict/`), or empty.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The record `name` under the folder (`data/0`, `byteorder`).
    pub fn record(&self, name: &str) -> Option<&Record> {
        let full = format!("{}{name}", self.prefix);
        self.records.iter().find(|r| r.name == full)
    }

    /// The record that holds the storage with this key, `data/<key>`.
    pub fn storage(&self, key: &str) -> Option<&Record> {
        self.record(&format!("data/{key}"))
    }

    /// The pickles under the folder, `data.pkl` first, with their full names.
    pub fn pickles(&self) -> &[PickleRecord<'a>] {
        &self.pickles
    }

    /// `data.pkl`'s bytes.
    pub fn data_pkl(&self) -> &[u8] {
        self.pickles.first().map_or(&[], |(_, bytes)| bytes)
    }

    /// The `byteorder` record (`little` or `big`), if any; torch reads a checkpoint
    /// without one as little-endian.
    pub fn byteorder(&self) -> Option<&str> {
        self.byteorder.as_deref()
    }

    /// The `version` record, trimmed (`3`).
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// How many `data/<key>` records, and their bytes.
    pub fn storage_records(&self) -> (usize, u64) {
        let data = format!("{}data/", self.prefix);
        self.records
            .iter()
            .filter(|r| r.name.starts_with(&data))
            .fold((0, 0), |(n, total), r| {
                (n + 1, total.saturating_add(r.size))
            })
    }

    fn read_pickles(
        &self,
        archive: &mut zip::ZipArchive<std::io::Cursor<&'a [u8]>>,
        bytes: &'a [u8],
    ) -> Result<Vec<PickleRecord<'a>>, ModelError> {
        let data_pkl = format!("{}data.pkl", self.prefix);
        let mut names: Vec<&Record> = self
            .records
            .iter()
            .filter(|r| r.name.starts_with(&self.prefix) && r.name.ends_with(".pkl"))
            .filter(|r| !r.name[self.prefix.len()..].contains('/'))
            .collect();
        names.sort_by_key(|r| r.name != data_pkl);
        names
            .into_iter()
            .map(|r| {
                Ok((
                    r.name.clone(),
                    contents(archive, bytes, r, MAX_INFLATED_BYTES)?,
                ))
            })
            .collect()
    }

    fn read_text(
        &self,
        archive: &mut zip::ZipArchive<std::io::Cursor<&'a [u8]>>,
        bytes: &'a [u8],
        name: &str,
    ) -> Option<String> {
        let record = self.record(name)?;
        let data = contents(archive, bytes, record, MAX_TEXT_RECORD).ok()?;
        let text = std::str::from_utf8(&data).ok()?;
        Some(text.trim().to_string())
    }
}

/// The directory entry `index` with where its data starts (from its local header).
fn record(
    archive: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    index: usize,
) -> Result<Record, ModelError> {
    let file = archive
        .by_index_raw(index)
        .map_err(|e| ModelError::Zip(e.to_string()))?;
    Ok(Record {
        name: file.name().to_string(),
        data_start: file.data_start(),
        size: file.size(),
        compressed_size: file.compressed_size(),
        stored: file.compression() == CompressionMethod::Stored,
    })
}

/// The folder of the shallowest `data.pkl`, with its `/`.
fn find_prefix(records: &[Record]) -> Option<String> {
    records
        .iter()
        .filter_map(|r| r.name.strip_suffix("data.pkl"))
        .filter(|folder| folder.is_empty() || folder.ends_with('/'))
        .min_by_key(|folder| (folder.matches('/').count(), folder.len()))
        .map(str::to_string)
}

/// A record's bytes: borrowed from the file when stored, inflated when compressed.
fn contents<'a>(
    archive: &mut zip::ZipArchive<std::io::Cursor<&'a [u8]>>,
    bytes: &'a [u8],
    record: &Record,
    max: u64,
) -> Result<Cow<'a, [u8]>, ModelError> {
    let fail = |detail: String| ModelError::Record {
        name: record.name.clone(),
        detail,
    };
    if record.size > max {
        return Err(fail(format!(
            "{} bytes is more than the {max} read",
            record.size
        )));
    }
    if let Some(range) = record.range() {
        let start = usize::try_from(range.start).map_err(|e| fail(e.to_string()))?;
        let end = usize::try_from(range.end).map_err(|e| fail(e.to_string()))?;
        let data = bytes
            .get(start..end)
            .ok_or_else(|| fail("runs past the end of the file".to_string()))?;
        return Ok(Cow::Borrowed(data));
    }
    let index = archive
        .index_for_name(&record.name)
        .ok_or_else(|| fail("missing from the directory".to_string()))?;
    let file = archive.by_index(index).map_err(|e| fail(e.to_string()))?;
    // The declared size is only a hint: a hostile directory may claim gigabytes.
    let hint = record.size.min(1 << 26);
    let mut out = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(max)
        .read_to_end(&mut out)
        .map_err(|e| fail(e.to_string()))?;
    Ok(Cow::Owned(out))
}
