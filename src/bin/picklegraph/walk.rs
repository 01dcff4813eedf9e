//! What `scan` reads: the files named, and every file under a folder named, in a stable
//! order (the arguments' order, each folder sorted by name), lazily, so that scanning
//! starts while a large tree is still being walked.

use std::path::Path;

/// One thing to scan.
pub enum Target {
    /// Standard input (`-`, or no argument).
    Stdin,
    /// A file, by the name it is shown as (`DIR/sub/model.pt`).
    File(String),
    /// A path that could not be walked or opened (missing, a permission refused, a
    /// symbolic link loop), with the error, reported as the file's own outcome.
    Failed(String, String),
}

/// Every target of `paths`, in order: a folder is walked recursively (symbolic links
/// followed, loops reported), keeping regular files only, since a FIFO or a device would
/// block or never end. A `.git` folder inside a walked folder is skipped: it holds git's
/// own compressed objects, not files anything loads, and a committed pickle is in the
/// work tree beside it.
pub fn targets(paths: &[String]) -> impl Iterator<Item = Target> + Send + '_ {
    let stdin = paths.is_empty().then_some(Target::Stdin);
    stdin
        .into_iter()
        .chain(paths.iter().flat_map(|path| expand(path)))
}

/// Whether any of `paths` is a folder (the output then names each file).
pub fn any_folder(paths: &[String]) -> bool {
    paths
        .iter()
        .any(|path| path != "-" && Path::new(path).is_dir())
}

fn expand(path: &str) -> Box<dyn Iterator<Item = Target> + Send + '_> {
    if path == "-" {
        return Box::new(std::iter::once(Target::Stdin));
    }
    if !Path::new(path).is_dir() {
        return Box::new(std::iter::once(Target::File(path.to_string())));
    }
    let walk = walkdir::WalkDir::new(path)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || entry.file_name() != ".git");
    Box::new(walk.filter_map(|entry| match entry {
        Ok(entry) if entry.file_type().is_file() => {
            Some(Target::File(entry.path().to_string_lossy().into_owned()))
        }
        Ok(_) => None,
        Err(error) => {
            let place = error
                .path()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let why = match error.io_error() {
                Some(io) => io.to_string(),
                None => error.to_string(),
            };
            Some(Target::Failed(place, why))
        }
    }))
}
