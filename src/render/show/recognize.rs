//! The hook through which knowledge of particular libraries (cloudpickle class and
//! function skeletons, numpy arrays, torch tensors) changes how `show` prints a node,
//! without touching the graph or the layout engine.
//!
//! A [`Recognizer`] is asked about each node before `show` prints it in the default
//! form; the first one that answers gives a [`Doc`] printed in the node's place. The
//! `Doc` may hold [`Doc::Value`]s for the node's parts: `show` prints those itself, with
//! labels for shared objects, elision by depth and recognition of their own, so a
//! recognizer never walks the graph. `picklegraph show --raw` asks no recognizer.

use super::doc::Doc;
use crate::graph::{NodeId, Pickle};
use crate::python::tensor_data::StorageBytes;

/// Describes nodes of a known shape in a form people read more easily than the raw
/// calls that rebuild them.
///
/// ```
/// use picklegraph::render::show::{doc::Doc, Recognizer, ShowOptions};
/// use picklegraph::{Node, NodeId, Pickle};
///
/// /// Prints every list as its length.
/// struct ListLength;
/// impl Recognizer for ListLength {
///     fn name(&self) -> &'static str { "list-length" }
///     fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
///         match pickle.node(id) {
///             Node::List(items) => Some(Doc::comment(format!("<list of {}>", items.len()))),
///             _ => None,
///         }
///     }
/// }
///
/// let pickle = picklegraph::load(b"(K\x01K\x02l.")?; // [1, 2]
/// let mut options = ShowOptions::plain(80);
/// options.recognizers.push(Box::new(ListLength));
/// assert_eq!(picklegraph::render::show::to_text(&pickle, &options), "<list of 2>\n");
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub trait Recognizer {
    /// A short name for the recognizer (`cloudpickle-class`, `numpy-array`).
    fn name(&self) -> &'static str;

    /// The document to print in place of node `id`, or `None` to leave the node to the
    /// default form (or to the next recognizer).
    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc>;

    /// Whether [`Recognizer::recognize`] may answer for a list, tuple, set, frozenset or
    /// dict, and not only for the inert nodes that calls and instances are. `show` asks
    /// once, after [`Recognizer::prepare`], and then asks a recognizer that says no about
    /// no such container: it lays out plain data the faster for it.
    fn claims_containers(&self, pickle: &Pickle<'_>) -> bool {
        let _ = pickle;
        true
    }

    /// Called once before `show` writes a pickle, so that a recognizer can study it as a
    /// whole (a class's methods arrive in a later, discarded call).
    fn prepare(&self, pickle: &Pickle<'_>) {
        let _ = pickle;
    }

    /// Called once before `show` writes a pickle, with the bytes of the storages its
    /// tensors view (or why there are none): a recognizer that prints a tensor's
    /// elements reads them here.
    fn prepare_storages(&self, pickle: &Pickle<'_>, storages: &StorageBytes<'_>) {
        let _ = (pickle, storages);
    }

    /// Called once before `show` writes, with the width lines must fit in: a recognizer
    /// whose layout depends on it (a pandas frame elides middle columns) keeps it.
    fn fit_width(&self, width: usize) {
        let _ = width;
    }

    /// A document `show` prints before the root: definitions the objects then refer to.
    fn preamble(&self, pickle: &Pickle<'_>) -> Option<Doc> {
        let _ = pickle;
        None
    }

    /// A name printed in place of node `id` wherever it is referenced, without a label,
    /// as a global's name is (a class defined in the preamble).
    fn leaf(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<String> {
        let _ = (pickle, id);
        None
    }

    /// Whether the effect at `index` is shown in the preamble, so `show` leaves it out.
    fn explains_effect(&self, pickle: &Pickle<'_>, index: usize) -> bool {
        let _ = (pickle, index);
        false
    }
}

/// A recognizer shared with another that asks it for names (the skeletons, whose
/// [`Recognizer::leaf`] names what the pickle defines, shared with the estimators, which
/// print a parameter by that name): each call goes to the one recognizer.
impl<R: Recognizer + ?Sized> Recognizer for std::rc::Rc<R> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn recognize(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<Doc> {
        (**self).recognize(pickle, id)
    }

    fn claims_containers(&self, pickle: &Pickle<'_>) -> bool {
        (**self).claims_containers(pickle)
    }

    fn prepare(&self, pickle: &Pickle<'_>) {
        (**self).prepare(pickle)
    }

    fn prepare_storages(&self, pickle: &Pickle<'_>, storages: &StorageBytes<'_>) {
        (**self).prepare_storages(pickle, storages)
    }

    fn fit_width(&self, width: usize) {
        (**self).fit_width(width)
    }

    fn preamble(&self, pickle: &Pickle<'_>) -> Option<Doc> {
        (**self).preamble(pickle)
    }

    fn leaf(&self, pickle: &Pickle<'_>, id: NodeId) -> Option<String> {
        (**self).leaf(pickle, id)
    }

    fn explains_effect(&self, pickle: &Pickle<'_>, index: usize) -> bool {
        (**self).explains_effect(pickle, index)
    }
}

/// The recognizers `show` asks unless `--raw` is given: those of model data first (torch
/// state dicts and tensors, numpy, pandas; see [`super::models`]), whose objects are
/// instances the others would print generically, then those of [`crate::python`]
/// (cloudpickle, dill and the standard library's machinery).
pub fn default_recognizers() -> Vec<Box<dyn Recognizer>> {
    let skeletons = std::rc::Rc::new(super::skeletons::Skeletons::default());
    let mut recognizers = super::models::recognizers(Some(skeletons.clone()));
    recognizers.push(Box::new(skeletons));
    recognizers
}
