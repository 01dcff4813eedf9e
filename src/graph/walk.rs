//! Iterative depth-first walks over a [`Pickle`], in constant stack space whatever the
//! nesting: a million nested lists are walked on a heap stack, not the call stack.

use super::{NodeId, Pickle, Value};

/// What a walk reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The walk reached a node for the first time; its children come next.
    Enter(NodeId),
    /// Every child of the node has been walked.
    Leave(NodeId),
    /// The walk reached a node it had entered before (a shared reference or a cycle).
    Revisit(NodeId),
}

struct Frame {
    node: NodeId,
    next_child: usize,
}

/// Walks every node reachable from `starts`, each once, depth first, children in order.
/// ```
/// use picklegraph::graph::walk::{walk, Event};
/// let pickle = picklegraph::load(b"]\x94(h\x00h\x00e.")?; // l = []; l += [l, l]
/// let mut events = Vec::new();
/// walk(&pickle, [pickle.root()], |event| events.push(event));
/// assert_eq!(events.len(), 4); // Enter, Revisit, Revisit, Leave
/// # Ok::<(), picklegraph::Error>(())
/// ```
pub fn walk(
    pickle: &Pickle<'_>,
    starts: impl IntoIterator<Item = Value>,
    mut on: impl FnMut(Event),
) {
    let mut seen = vec![false; pickle.nodes().len()];
    let mut frames: Vec<Frame> = Vec::new();
    for start in starts {
        let Some(id) = start.node() else { continue };
        if std::mem::replace(&mut seen[id.index()], true) {
            on(Event::Revisit(id));
            continue;
        }
        on(Event::Enter(id));
        frames.push(Frame {
            node: id,
            next_child: 0,
        });
        while let Some(frame) = frames.last_mut() {
            let Some(child) = pickle.node(frame.node).child(frame.next_child) else {
                on(Event::Leave(frame.node));
                frames.pop();
                continue;
            };
            frame.next_child += 1;
            let Some(child) = child.node() else { continue };
            if std::mem::replace(&mut seen[child.index()], true) {
                on(Event::Revisit(child));
                continue;
            }
            on(Event::Enter(child));
            frames.push(Frame {
                node: child,
                next_child: 0,
            });
        }
    }
}

/// How many times each node is referred to from the nodes reachable from the root and
/// the effects (plus once for being the root or an effect): a count above one means the
/// object is shared.
pub fn reference_counts(pickle: &Pickle<'_>) -> Vec<u32> {
    let mut counts = vec![0u32; pickle.nodes().len()];
    let starts = std::iter::once(pickle.root()).chain(pickle.effects().iter().map(|e| e.value));
    walk(pickle, starts, |event| match event {
        Event::Enter(id) | Event::Revisit(id) => {
            counts[id.index()] = counts[id.index()].saturating_add(1);
        }
        Event::Leave(_) => {}
    });
    counts
}
