//! The command's allocator: the system's, with large blocks backed by huge pages.
//!
//! A load writes its arena once, front to back, into memory that is new to the process,
//! and on Linux every new 4 KiB page costs a fault: on a virtual machine, about 3 µs each,
//! a quarter or more of a load's time (touching 40 MB takes ~30 ms in 4 KiB pages and
//! ~6 ms in 2 MiB pages on the machine of BENCHMARKS.md). So a large block is marked
//! `MADV_HUGEPAGE`, which asks for transparent huge pages where the system grants them
//! on request (`/sys/kernel/mm/transparent_hugepage/enabled` set to `madvise`, the
//! usual default). The advice only changes which pages back the block, never its
//! contents, and where it is refused nothing changes. The library itself allocates as
//! any Rust code does; this is the command's choice, as picking an allocator is.
//!
//! A huge page backs only a 2 MiB-aligned stretch of one mapping, and advice on part of
//! a mapping splits it, after which glibc can no longer grow it with `mremap` and copies
//! it instead (an earlier version advised the aligned inside of glibc's blocks and was
//! slower than no advice for that reason). So large blocks get mappings of their own:
//! 2 MiB-aligned, a whole number of huge pages long, advised whole, and grown by moving
//! their pages with `mremap` to a new aligned mapping, which copies nothing. The arena's
//! vectors grow by doubling, so that is a few system calls per load.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;

/// Blocks from this size on get a mapping of their own: the arena's vectors of a large
/// pickle, not the small allocations of everything else.
const OWN_MAPPING_FROM: usize = 2 << 20;

/// The size of a transparent huge page on x86-64 and on aarch64 with 4 KiB pages; a
/// multiple of every base page size, so mapping lengths rounded to it are whole pages.
const HUGE_PAGE: usize = 2 << 20;

/// [`System`], with blocks of [`OWN_MAPPING_FROM`] and more in huge-page mappings.
pub struct HugePages;

/// Whether a block of this layout lives in a mapping of its own. It depends only on the
/// layout, which `dealloc` and `realloc` are given exactly as `alloc` was.
fn own_mapping(size: usize, align: usize) -> bool {
    size >= OWN_MAPPING_FROM && align <= HUGE_PAGE
}

/// The length of the mapping that holds `size` bytes: whole huge pages.
fn mapping_len(size: usize) -> Option<usize> {
    size.checked_next_multiple_of(HUGE_PAGE)
}

/// A new anonymous mapping of `len` bytes (a multiple of [`HUGE_PAGE`]), aligned to a huge
/// page and advised to use huge pages, or null.
#[allow(unsafe_code)]
fn map_aligned(len: usize) -> *mut u8 {
    let Some(reserve) = len.checked_add(HUGE_PAGE) else {
        return ptr::null_mut();
    };
    // SAFETY: a fresh private anonymous mapping, placed by the kernel; nothing else is
    // touched.
    let raw = unsafe {
        libc::mmap(
            ptr::null_mut(),
            reserve,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if raw == libc::MAP_FAILED {
        return ptr::null_mut();
    }
    let start = raw as usize;
    let aligned = start.next_multiple_of(HUGE_PAGE);
    let (head, tail) = (aligned - start, start + reserve - (aligned + len));
    // SAFETY: the head and the tail are the parts of the mapping just made that lie
    // outside [aligned, aligned + len); nothing refers to them. The advice changes how the
    // kept part is backed, never what it holds, and a refusal leaves it as it was.
    unsafe {
        if head > 0 {
            libc::munmap(raw, head);
        }
        if tail > 0 {
            libc::munmap((aligned + len) as *mut libc::c_void, tail);
        }
        libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
    aligned as *mut u8
}

/// Gives back a mapping made by [`map_aligned`].
#[allow(unsafe_code)]
fn unmap(ptr: *mut u8, len: usize) {
    // SAFETY: `ptr` and `len` are those of a mapping from `map_aligned`, whose block the
    // caller no longer uses.
    unsafe { libc::munmap(ptr.cast(), len) };
}

/// Moves the pages of the mapping at `ptr` (`old` bytes) to a new aligned mapping of `new`
/// bytes, or null with the old mapping untouched.
#[allow(unsafe_code)]
fn grow_mapping(ptr: *mut u8, old: usize, new: usize) -> *mut u8 {
    let target = map_aligned(new);
    if target.is_null() {
        return target;
    }
    // SAFETY: `ptr`/`old` is one whole mapping of ours and `target`/`new` another; the
    // kernel moves the old pages (huge pages intact, both ends being aligned) over the
    // start of the target mapping, which it replaces, and unmaps the old range.
    let moved = unsafe {
        libc::mremap(
            ptr.cast(),
            old,
            new,
            libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
            target.cast::<libc::c_void>(),
        )
    };
    if moved == libc::MAP_FAILED {
        unmap(target, new);
        return ptr::null_mut();
    }
    moved.cast()
}

// SAFETY: small blocks are `System`'s, passed on unchanged. Large blocks are whole
// mappings, aligned to a huge page (so to any alignment `own_mapping` accepts), at least
// as long as asked for, zeroed when new, and given back only by `dealloc` or `realloc`,
// which tell them apart by the same layout test `alloc` used.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for HugePages {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !own_mapping(layout.size(), layout.align()) {
            return System.alloc(layout);
        }
        mapping_len(layout.size()).map_or(ptr::null_mut(), map_aligned)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !own_mapping(layout.size(), layout.align()) {
            return System.alloc_zeroed(layout);
        }
        // A new anonymous mapping reads as zeros.
        self.alloc(layout)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !own_mapping(layout.size(), layout.align()) {
            return System.dealloc(ptr, layout);
        }
        if let Some(len) = mapping_len(layout.size()) {
            unmap(ptr, len);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        match (
            own_mapping(layout.size(), align),
            own_mapping(new_size, align),
        ) {
            (false, false) => System.realloc(ptr, layout, new_size),
            (true, true) => {
                let (Some(old), Some(new)) = (mapping_len(layout.size()), mapping_len(new_size))
                else {
                    return ptr::null_mut();
                };
                if new <= old {
                    if new < old {
                        unmap(ptr.add(new), old - new);
                    }
                    return ptr;
                }
                grow_mapping(ptr, old, new)
            }
            // Across the threshold: a new block of the other kind, the bytes copied over.
            (_, _) => {
                let new_layout = Layout::from_size_align_unchecked(new_size, align);
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills `len` bytes from `ptr` with a pattern that depends on `seed`.
    #[allow(unsafe_code)]
    fn fill(ptr: *mut u8, len: usize, seed: u8) {
        for i in (0..len).step_by(997) {
            // SAFETY: i < len, inside the block.
            unsafe { *ptr.add(i) = (i as u8).wrapping_add(seed) };
        }
    }

    #[allow(unsafe_code)]
    fn holds(ptr: *const u8, len: usize, seed: u8) -> bool {
        // SAFETY: i < len, inside the block.
        (0..len)
            .step_by(997)
            .all(|i| unsafe { *ptr.add(i) } == (i as u8).wrapping_add(seed))
    }

    /// A block keeps its bytes through every kind of resize: small to small, small to
    /// large, large to larger (moved between mappings), large to smaller, large to small.
    #[test]
    #[allow(unsafe_code)]
    fn a_block_keeps_its_bytes_through_every_resize() {
        let sizes = [
            1000,
            OWN_MAPPING_FROM - 1,
            OWN_MAPPING_FROM,
            3 * OWN_MAPPING_FROM + 5,
            9 * OWN_MAPPING_FROM,
            OWN_MAPPING_FROM + 1,
            4096,
        ];
        let layout = Layout::from_size_align(sizes[0], 8).unwrap();
        // SAFETY: each call gets the layout of the block as it is now.
        unsafe {
            let mut ptr = HugePages.alloc(layout);
            assert!(!ptr.is_null());
            fill(ptr, sizes[0], 7);
            let mut size = sizes[0];
            for &next in &sizes[1..] {
                let old = Layout::from_size_align(size, 8).unwrap();
                ptr = HugePages.realloc(ptr, old, next);
                assert!(!ptr.is_null(), "resize {size} to {next}");
                assert!(
                    holds(ptr, size.min(next), 7),
                    "bytes lost from {size} to {next}"
                );
                fill(ptr, next, 7);
                size = next;
            }
            HugePages.dealloc(ptr, Layout::from_size_align(size, 8).unwrap());
        }
    }

    /// Large blocks are aligned to a huge page, so to any alignment asked of them, and
    /// new ones read as zeros.
    #[test]
    #[allow(unsafe_code)]
    fn a_large_block_is_aligned_and_zeroed() {
        for align in [8, 4096, HUGE_PAGE] {
            let layout = Layout::from_size_align(OWN_MAPPING_FROM + 3, align).unwrap();
            // SAFETY: the block is read inside its size, then given back with its layout.
            unsafe {
                let ptr = HugePages.alloc_zeroed(layout);
                assert!(!ptr.is_null());
                assert_eq!(ptr as usize % HUGE_PAGE, 0);
                assert!((0..layout.size()).step_by(4093).all(|i| *ptr.add(i) == 0));
                HugePages.dealloc(ptr, layout);
            }
        }
    }
}
