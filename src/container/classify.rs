//! Telling what bytes are, by content alone, and what parts they hold: the one place
//! where a format is chosen.

use super::walk::{Pending, Place, Stream, Unopened};
use super::{npy, sniff, zip, Codec, OpenError, Opened};
use crate::model::legacy::TorchLegacy;
use crate::model::tar::TorchTar;
use crate::model::ModelError;
use crate::python::torch::{human_size, thousands};
use crate::LoadOptions;

impl Opened<'_> {
    /// What `bytes` are, as a description (for the file itself) and the parts they hold.
    pub(crate) fn classify<'s>(
        &self,
        bytes: &'s [u8],
        place: Place,
    ) -> (Option<String>, Vec<Pending<'s>>) {
        let failed = |place: Place, error: OpenError| {
            vec![Pending::Failed(Unopened {
                label: place.label,
                error,
            })]
        };
        if place.depth > self.options.max_depth {
            return (
                None,
                failed(place, OpenError::TooDeep(self.options.max_depth)),
            );
        }
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            return match zip::directory(bytes) {
                Ok(directory) => self.zip(bytes, place, directory),
                Err(error) => (Some("zip archive".into()), failed(place, error)),
            };
        }
        if bytes.get(257..262) == Some(b"ustar") {
            return tar_parts(bytes, place);
        }
        if bytes.starts_with(b"7z\xbc\xaf\x27\x1c") {
            return (
                Some("7z archive".into()),
                failed(place, OpenError::Unsupported("7z".into())),
            );
        }
        if bytes.starts_with(npy::MAGIC) {
            return npy_parts(bytes, place);
        }
        if let Some(codec) = Codec::sniff(bytes) {
            let description = format!("{} stream", codec.name());
            let place = Place {
                label: Some(super::walk::join(place.label.as_deref(), codec.name())),
                depth: place.depth + 1,
                ..place
            };
            return (
                Some(description),
                vec![Pending::Compressed {
                    place,
                    codec,
                    bytes,
                }],
            );
        }
        if crate::model::starts_with_magic(bytes) {
            return match legacy_parts(bytes, &place) {
                Ok(found) => found,
                Err(error) => (
                    Some("PyTorch legacy checkpoint".into()),
                    failed(place, error),
                ),
            };
        }
        if !sniff::starts_like_pickle(bytes) {
            if place.quiet {
                return (None, Vec::new());
            }
            return (
                None,
                failed(place, OpenError::NotAPickle(sniff::describe(bytes))),
            );
        }
        let stream = Stream {
            label: place.label.clone(),
            bytes,
            start: 0,
            single: false,
            origin: place.origin,
            numbered: place.numbered,
            tentative: bytes.first() != Some(&0x80),
        };
        if place.quiet && stream.tentative && !quiet_member_is_pickle(&stream, &self.options.load) {
            return (None, Vec::new());
        }
        (None, vec![Pending::Ready(stream)])
    }

    fn zip<'s>(
        &self,
        bytes: &'s [u8],
        place: Place,
        directory: zip::Directory,
    ) -> (Option<String>, Vec<Pending<'s>>) {
        for note in directory.notes {
            self.note(match &place.label {
                Some(label) => format!("{label}: {note}"),
                None => note,
            });
        }
        let files: Vec<&zip::Member> = directory.members.iter().filter(|m| !m.is_dir).collect();
        let torch = torch_prefix(&files);
        let description = match &torch {
            Some(prefix) => torch_description(self, bytes, prefix, &files),
            None if !files.is_empty() && files.iter().all(|m| m.name.ends_with(".npy")) => {
                format!("numpy .npz archive: {} arrays", files.len())
            }
            None => format!("zip archive: {} members", files.len()),
        };
        let mut ordered: Vec<&zip::Member> = files.clone();
        if let Some(prefix) = &torch {
            // torch.load reads `data.pkl` only; the storages are raw bytes, never pickles.
            let data_pkl = format!("{prefix}data.pkl");
            let storages = format!("{prefix}data/");
            ordered.retain(|m| !m.name.starts_with(&storages));
            ordered.sort_by_key(|m| m.name != data_pkl);
        }
        let origin_of = |m: &zip::Member| place.origin.map(|o| o + m.data.start);
        let mut parts: Vec<Pending<'s>> = ordered
            .into_iter()
            .map(|member| {
                let mut inner = place.inside(
                    &member.name,
                    if member.method == 0 {
                        origin_of(member)
                    } else {
                        None
                    },
                );
                let is_data_pkl = torch
                    .as_ref()
                    .is_some_and(|p| member.name == format!("{p}data.pkl"));
                inner.quiet = !is_data_pkl;
                Pending::Member {
                    place: inner,
                    archive: bytes,
                    member: member.clone(),
                }
            })
            .collect();
        parts.push(Pending::ZipEnd {
            members: files.len(),
            place,
            found_before: 0,
        });
        (Some(description), parts)
    }
}

/// A quiet member (one of a zip's) is read as a pickle only if a failed first load does
/// not show it is text or data (see [`sniff`]).
fn quiet_member_is_pickle(stream: &Stream<'_>, options: &LoadOptions) -> bool {
    match crate::load_at(stream.bytes, 0, options) {
        Ok(_) => true,
        Err(failure) => !sniff::failure_is_not_a_pickle(stream.bytes, 0, &failure),
    }
}

/// The folder of a PyTorch checkpoint's records, with its `/`: where `data.pkl` sits
/// beside the records torch writes with it (`version` or `.data/version`, `byteorder`,
/// or `data/<key>` storages). `data.pkl` alone does not make a checkpoint.
fn torch_prefix(files: &[&zip::Member]) -> Option<String> {
    let has = |name: &str| files.iter().any(|m| m.name == name);
    files
        .iter()
        .filter_map(|m| m.name.strip_suffix("data.pkl"))
        .filter(|folder| folder.is_empty() || folder.ends_with('/'))
        .filter(|folder| {
            ["version", ".data/version", "byteorder"]
                .iter()
                .any(|record| has(&format!("{folder}{record}")))
                || files
                    .iter()
                    .any(|m| m.name.starts_with(&format!("{folder}data/")))
        })
        .min_by_key(|folder| (folder.matches('/').count(), folder.len()))
        .map(str::to_string)
}

fn torch_description(
    opened: &Opened<'_>,
    bytes: &[u8],
    prefix: &str,
    files: &[&zip::Member],
) -> String {
    let storages = format!("{prefix}data/");
    let (count, total) = files
        .iter()
        .filter(|m| m.name.starts_with(&storages))
        .fold((0u64, 0u64), |(n, sum), m| {
            (n + 1, sum.saturating_add(m.size))
        });
    let mut description = format!(
        "PyTorch zip checkpoint: {prefix}data.pkl, {} storage record{} ({})",
        thousands(count),
        if count == 1 { "" } else { "s" },
        human_size(total)
    );
    let text = |name: &str| {
        let member = files.iter().find(|m| m.name == format!("{prefix}{name}"))?;
        let range =
            usize::try_from(member.data.start).ok()?..usize::try_from(member.data.end).ok()?;
        let raw = bytes
            .get(range)
            .filter(|r| member.method == 0 && r.len() <= 64)?;
        Some(std::str::from_utf8(raw).ok()?.trim().to_string())
    };
    if let Some(order) = text("byteorder") {
        description.push_str(&format!(", byteorder {order}"));
    }
    if let Some(version) = text("version").or_else(|| text(".data/version")) {
        description.push_str(&format!(", version {version}"));
    }
    let _ = opened;
    description
}

fn npy_parts<'s>(bytes: &'s [u8], place: Place) -> (Option<String>, Vec<Pending<'s>>) {
    let header = match npy::header(bytes) {
        Ok(header) => header,
        Err(error) => {
            return (
                Some("numpy .npy array".into()),
                vec![Pending::Failed(Unopened {
                    label: place.label,
                    error,
                })],
            )
        }
    };
    let shape: Vec<String> = header.shape.iter().map(u64::to_string).collect();
    let mut description = format!(
        "numpy .npy array (format {}.{}): dtype {}, shape ({}{})",
        header.version.0,
        header.version.1,
        header.descr,
        shape.join(", "),
        if shape.len() == 1 { "," } else { "" }
    );
    if !header.has_objects {
        return (Some(description), vec![Pending::Data]);
    }
    description.push_str(", its objects in a pickle after the header");
    let stream = Stream {
        label: place.label,
        bytes,
        start: header.data_start,
        single: true,
        origin: place.origin,
        numbered: false,
        tentative: false,
    };
    (Some(description), vec![Pending::Ready(stream)])
}

type Parts<'s> = (Option<String>, Vec<Pending<'s>>);

/// A legacy checkpoint's five pickles, each one at its place in the file.
fn legacy_parts<'s>(bytes: &'s [u8], place: &Place) -> Result<Parts<'s>, OpenError> {
    let corrupt = |e: crate::model::ModelError| OpenError::Corrupt {
        what: "PyTorch legacy checkpoint",
        detail: e.to_string(),
    };
    let legacy = TorchLegacy::open(bytes).map_err(corrupt)?;
    let main =
        crate::load_at(bytes, legacy.main_start(), &LoadOptions::default()).map_err(|failure| {
            OpenError::Corrupt {
                what: "PyTorch legacy checkpoint",
                detail: failure.error.to_string(),
            }
        })?;
    let storages = legacy.storages(bytes, &main).map_err(corrupt)?;
    let total: u64 = storages
        .storages
        .values()
        .map(|s| s.data.end - s.data.start)
        .sum();
    let count = storages.storages.len();
    let description = format!(
        "PyTorch legacy checkpoint: 5 pickles, then {count} storage{} ({}) in bytes {}..{} of {}",
        if count == 1 { "" } else { "s" },
        human_size(total),
        storages.keys.1,
        storages.end,
        bytes.len()
    );
    let labels = [
        "legacy: magic number",
        "legacy: protocol version",
        "legacy: sys_info",
        "legacy: saved object",
        "legacy: storage keys",
    ];
    let starts = legacy
        .head()
        .map(|(start, _)| start)
        .into_iter()
        .chain([legacy.main_start(), storages.keys.0]);
    let parts = labels
        .iter()
        .zip(starts)
        .map(|(label, start)| {
            Pending::Ready(Stream {
                label: Some(super::walk::join(place.label.as_deref(), label)),
                bytes,
                start,
                single: true,
                origin: place.origin,
                numbered: false,
                tentative: false,
            })
        })
        .collect();
    Ok((Some(description), parts))
}

/// A tar checkpoint's pickles (see [`crate::model::tar`]), each at its place in its
/// member; what could not be read after them is a failed part, so the file is never
/// taken for whole. A tar archive that is not torch's is not read.
fn tar_parts<'s>(bytes: &'s [u8], place: Place) -> Parts<'s> {
    let (tar, error) = TorchTar::read_all(bytes);
    if tar.pickles.is_empty() && matches!(error, Some(ModelError::Layout { .. })) {
        // No header could be read, or a member torch.load reads is missing.
        let what = format!(
            "a tar archive that is not a PyTorch checkpoint ({})",
            error.map(|e| e.to_string()).unwrap_or_default()
        );
        let failed = Pending::Failed(Unopened {
            label: place.label,
            error: OpenError::Unsupported(what),
        });
        return (Some("tar archive".into()), vec![failed]);
    }
    let roots = tar.storages.values().filter(|s| s.view_of.is_none());
    let total: u64 = roots.clone().map(|s| s.data.end - s.data.start).sum();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let (tensors, storages) = (tar.tensors.len(), roots.count());
    let views = tar.storages.len() - storages;
    let description = format!(
        "PyTorch tar checkpoint (torch < 0.4): {tensors} tensor{}, {storages} storage{} ({}){}",
        plural(tensors),
        plural(storages),
        human_size(total),
        match views {
            0 => String::new(),
            n => format!(", {n} storage view{}", plural(n)),
        }
    );
    let mut parts: Vec<Pending<'s>> = tar
        .pickles
        .iter()
        .map(|found| {
            Pending::Ready(Stream {
                label: Some(super::walk::join(place.label.as_deref(), &found.label)),
                bytes: &bytes[found.member.clone()],
                start: found.start,
                single: true,
                origin: place.origin.map(|o| o + found.member.start as u64),
                numbered: false,
                tentative: false,
            })
        })
        .collect();
    if let Some(error) = error {
        // A pickle that failed is one of the parts already: its load says why.
        if !matches!(error, ModelError::Pickle { .. }) {
            parts.push(Pending::Failed(Unopened {
                label: Some(super::walk::join(place.label.as_deref(), "tar")),
                error: OpenError::Corrupt {
                    what: "PyTorch tar checkpoint",
                    detail: error.to_string(),
                },
            }));
        }
    }
    (Some(description), parts)
}
