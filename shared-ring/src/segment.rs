//! A shared-memory segment: one `memfd` mapped into both processes, holding
//! one ring's header and its power-of-two data area.
//!
//! Layout (offsets in bytes, see PROTOCOL.md):
//!
//! | offset | field | written by |
//! | --- | --- | --- |
//! | 0 | magic `SHRDRING` (u64), version (u32), header size (u32), capacity (u64), generation (u64), creator pid (u32) | creator, once |
//! | 128 | head: producer position (u64), producer-waiting flag (u32) | producer |
//! | 256 | tail: consumer position (u64), consumer-waiting flag (u32) | consumer |
//! | 4096 | data area, `capacity` bytes | producer |
//!
//! The two positions sit on their own 128-byte blocks so the producer and the
//! consumer never write the same cache line (or its prefetch neighbour).

use std::{
    os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd},
    ptr::NonNull,
    sync::atomic::{AtomicU32, AtomicU64},
};

use crate::RingError;

/// `SHRDRING` in little-endian bytes.
pub const MAGIC: u64 = u64::from_le_bytes(*b"SHRDRING");
/// Version of the segment layout and record framing.
pub const VERSION: u32 = 1;
/// Bytes before the data area: one page.
pub const HEADER_BYTES: usize = 4096;
/// Smallest data area a segment may have.
pub const MIN_CAPACITY_BYTES: usize = 4096;
/// Largest data area a segment may have.
pub const MAX_CAPACITY_BYTES: usize = 1 << 30;

const OFF_MAGIC: usize = 0;
const OFF_VERSION: usize = 8;
const OFF_HEADER_SIZE: usize = 12;
const OFF_CAPACITY: usize = 16;
const OFF_GENERATION: usize = 24;
const OFF_PID: usize = 32;
const OFF_HEAD: usize = 128;
const OFF_PRODUCER_WAITING: usize = 136;
const OFF_TAIL: usize = 256;
const OFF_CONSUMER_WAITING: usize = 264;
/// Words for the layer above, on their own cache line (shardis: a running
/// script's state and a request to kill it).
const OFF_USER: usize = 384;
/// How many user words a header has.
pub const USER_WORDS: usize = 4;

/// One mapped segment. Dropping it unmaps the memory and closes the fd.
pub struct Segment {
    base: NonNull<u8>,
    capacity: usize,
    generation: u64,
    fd: OwnedFd,
}

// SAFETY: the mapping is plain shared memory; all cross-thread access to the
// header goes through atomics and the data area is handed out by the ring
// protocol (one writer, readers only after an acquire of the head).
unsafe impl Send for Segment {}
// SAFETY: see `Send`: shared access is to atomics and published bytes only.
unsafe impl Sync for Segment {}

impl Segment {
    /// Creates a segment with a data area of `capacity` bytes (a power of
    /// two between [`MIN_CAPACITY_BYTES`] and [`MAX_CAPACITY_BYTES`]).
    pub fn create(name: &str, capacity: usize, generation: u64) -> Result<Segment, RingError> {
        check_capacity(capacity)?;
        let cname = std::ffi::CString::new(name).map_err(|_| RingError::BadSegment("name"))?;
        // SAFETY: plain syscall with a valid C string.
        let raw = unsafe { libc::memfd_create(cname.as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return Err(RingError::Io(std::io::Error::last_os_error()));
        }
        // SAFETY: `raw` is a fresh fd we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // memfds are created with mode 0600 already (owner only); make it explicit.
        // SAFETY: valid fd.
        unsafe { libc::fchmod(fd.as_raw_fd(), 0o600) };
        let total = (HEADER_BYTES + capacity) as libc::off_t;
        // SAFETY: valid fd; a fresh memfd reads as zeroes after growing.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), total) } != 0 {
            return Err(RingError::Io(std::io::Error::last_os_error()));
        }
        let base = map(&fd, HEADER_BYTES + capacity)?;
        let seg = Segment {
            base,
            capacity,
            generation,
            fd,
        };
        // SAFETY: header fields lie inside the mapping and nobody else has
        // the fd yet.
        unsafe {
            seg.write_u64(OFF_MAGIC, MAGIC);
            seg.write_u32(OFF_VERSION, VERSION);
            seg.write_u32(OFF_HEADER_SIZE, HEADER_BYTES as u32);
            seg.write_u64(OFF_CAPACITY, capacity as u64);
            seg.write_u64(OFF_GENERATION, generation);
            seg.write_u32(OFF_PID, std::process::id());
        }
        Ok(seg)
    }

    /// Maps a segment received from a peer, refusing anything malformed:
    /// wrong magic, version, header size or capacity, or a file whose size
    /// does not match its header.
    pub fn open(fd: OwnedFd) -> Result<Segment, RingError> {
        // SAFETY: fstat on a valid fd into a zeroed struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
            return Err(RingError::Io(std::io::Error::last_os_error()));
        }
        let size = usize::try_from(st.st_size).map_err(|_| RingError::BadSegment("size"))?;
        if !(HEADER_BYTES + MIN_CAPACITY_BYTES..=HEADER_BYTES + MAX_CAPACITY_BYTES).contains(&size)
        {
            return Err(RingError::BadSegment("size"));
        }
        let base = map(&fd, size)?;
        let mut seg = Segment {
            base,
            capacity: size - HEADER_BYTES,
            generation: 0,
            fd,
        };
        // SAFETY: all offsets are inside the header page, which is mapped.
        let (magic, version, header, capacity, generation) = unsafe {
            (
                seg.read_u64(OFF_MAGIC),
                seg.read_u32(OFF_VERSION),
                seg.read_u32(OFF_HEADER_SIZE),
                seg.read_u64(OFF_CAPACITY),
                seg.read_u64(OFF_GENERATION),
            )
        };
        if magic != MAGIC {
            return Err(RingError::BadSegment("magic"));
        }
        if version != VERSION {
            return Err(RingError::BadSegment("version"));
        }
        if header as usize != HEADER_BYTES {
            return Err(RingError::BadSegment("header size"));
        }
        if capacity as usize != size - HEADER_BYTES {
            return Err(RingError::BadSegment(
                "capacity does not match the file size",
            ));
        }
        check_capacity(capacity as usize)?;
        seg.generation = generation;
        Ok(seg)
    }

    /// The data area's size in bytes (a power of two).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The creator's generation number.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The pid that created the segment (as written by its creator).
    pub fn creator_pid(&self) -> u32 {
        // SAFETY: inside the header page.
        unsafe { self.read_u32(OFF_PID) }
    }

    /// The segment's file descriptor (to pass to the peer).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Gives the data area's pages back to the kernel (a hole punched in
    /// the memfd): both processes' mappings read zeroes there and fault
    /// in fresh pages on the next write. Only for a ring nobody reads or
    /// writes now ([`crate::Producer::release_idle`] checks). False if
    /// the kernel refused.
    pub(crate) fn release_data(&self) -> bool {
        // SAFETY: a hole in a file we hold, inside its size (KEEP_SIZE).
        let rc = unsafe {
            libc::fallocate(
                self.fd.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                HEADER_BYTES as libc::off_t,
                self.capacity as libc::off_t,
            )
        };
        rc == 0
    }

    pub(crate) fn head(&self) -> &AtomicU64 {
        self.atomic_u64(OFF_HEAD)
    }

    pub(crate) fn tail(&self) -> &AtomicU64 {
        self.atomic_u64(OFF_TAIL)
    }

    pub(crate) fn producer_waiting(&self) -> &AtomicU32 {
        self.atomic_u32(OFF_PRODUCER_WAITING)
    }

    pub(crate) fn consumer_waiting(&self) -> &AtomicU32 {
        self.atomic_u32(OFF_CONSUMER_WAITING)
    }

    /// User word `i` (< [`USER_WORDS`]): shared by both processes, read and
    /// written atomically, never touched by the ring itself; 0 in a new
    /// segment.
    pub fn user_word(&self, i: usize) -> &AtomicU64 {
        self.atomic_u64(OFF_USER + 8 * i.min(USER_WORDS - 1))
    }

    /// Pointer to the first byte of the data area.
    pub(crate) fn data(&self) -> *mut u8 {
        // Both constructors checked the capacity, and mapped this much.
        debug_assert!(check_capacity(self.capacity).is_ok());
        // SAFETY: the mapping is HEADER_BYTES + capacity long.
        unsafe { self.base.as_ptr().add(HEADER_BYTES) }
    }

    fn atomic_u64(&self, off: usize) -> &AtomicU64 {
        debug_assert!(off.is_multiple_of(8) && off + 8 <= HEADER_BYTES);
        // SAFETY: aligned, inside the mapping, lives as long as `self`; only
        // ever accessed atomically.
        unsafe { &*(self.base.as_ptr().add(off) as *const AtomicU64) }
    }

    fn atomic_u32(&self, off: usize) -> &AtomicU32 {
        debug_assert!(off.is_multiple_of(4) && off + 4 <= HEADER_BYTES);
        // SAFETY: as for `atomic_u64`.
        unsafe { &*(self.base.as_ptr().add(off) as *const AtomicU32) }
    }

    /// # Safety
    /// `off` is an 8-aligned header field (callers pass the `OFF_*`
    /// constants), and no one else writes it meanwhile.
    unsafe fn write_u64(&self, off: usize, v: u64) {
        debug_assert!(off.is_multiple_of(8) && off + 8 <= HEADER_BYTES);
        std::ptr::write_volatile(self.base.as_ptr().add(off) as *mut u64, v)
    }

    /// # Safety
    /// As for [`Segment::write_u64`], 4-aligned.
    unsafe fn write_u32(&self, off: usize, v: u32) {
        debug_assert!(off.is_multiple_of(4) && off + 4 <= HEADER_BYTES);
        std::ptr::write_volatile(self.base.as_ptr().add(off) as *mut u32, v)
    }

    /// # Safety
    /// `off` is an 8-aligned header field.
    unsafe fn read_u64(&self, off: usize) -> u64 {
        debug_assert!(off.is_multiple_of(8) && off + 8 <= HEADER_BYTES);
        std::ptr::read_volatile(self.base.as_ptr().add(off) as *const u64)
    }

    /// # Safety
    /// `off` is a 4-aligned header field.
    unsafe fn read_u32(&self, off: usize) -> u32 {
        debug_assert!(off.is_multiple_of(4) && off + 4 <= HEADER_BYTES);
        std::ptr::read_volatile(self.base.as_ptr().add(off) as *const u32)
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `map`.
        unsafe {
            libc::munmap(
                self.base.as_ptr() as *mut libc::c_void,
                HEADER_BYTES + self.capacity,
            );
        }
    }
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("capacity", &self.capacity)
            .field("generation", &self.generation)
            .finish()
    }
}

fn check_capacity(capacity: usize) -> Result<(), RingError> {
    if !capacity.is_power_of_two() || !(MIN_CAPACITY_BYTES..=MAX_CAPACITY_BYTES).contains(&capacity)
    {
        return Err(RingError::BadSegment("capacity"));
    }
    Ok(())
}

fn map(fd: &OwnedFd, len: usize) -> Result<NonNull<u8>, RingError> {
    // SAFETY: mapping a file we hold; the result is checked.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(RingError::Io(std::io::Error::last_os_error()));
    }
    NonNull::new(p as *mut u8).ok_or(RingError::BadSegment("null mapping"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_accepts_what_create_wrote() {
        let seg = Segment::create("t", 8192, 7).unwrap();
        let fd = seg.fd().try_clone_to_owned().unwrap();
        let other = Segment::open(fd).unwrap();
        assert_eq!(other.capacity(), 8192);
        assert_eq!(other.generation(), 7);
        assert_eq!(other.creator_pid(), std::process::id());
    }

    #[test]
    fn create_refuses_bad_capacities() {
        assert!(Segment::create("t", 5000, 0).is_err());
        assert!(Segment::create("t", 1024, 0).is_err());
    }

    #[test]
    fn open_refuses_wrong_magic_version_and_size() {
        let seg = Segment::create("t", 4096, 0).unwrap();
        // SAFETY: test-only writes into our own header.
        unsafe { seg.write_u64(OFF_MAGIC, 1) };
        let fd = seg.fd().try_clone_to_owned().unwrap();
        assert!(matches!(
            Segment::open(fd),
            Err(RingError::BadSegment("magic"))
        ));
        unsafe {
            seg.write_u64(OFF_MAGIC, MAGIC);
            seg.write_u32(OFF_VERSION, 99);
        }
        let fd = seg.fd().try_clone_to_owned().unwrap();
        assert!(matches!(
            Segment::open(fd),
            Err(RingError::BadSegment("version"))
        ));
        unsafe {
            seg.write_u32(OFF_VERSION, VERSION);
            seg.write_u64(OFF_CAPACITY, 8192);
        }
        let fd = seg.fd().try_clone_to_owned().unwrap();
        assert!(Segment::open(fd).is_err());
    }

    #[test]
    fn open_refuses_a_file_that_is_too_small() {
        let cname = std::ffi::CString::new("small").unwrap();
        let raw = unsafe { libc::memfd_create(cname.as_ptr(), libc::MFD_CLOEXEC) };
        assert!(raw >= 0);
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        assert_eq!(unsafe { libc::ftruncate(fd.as_raw_fd(), 100) }, 0);
        assert!(matches!(
            Segment::open(fd),
            Err(RingError::BadSegment("size"))
        ));
    }
}
