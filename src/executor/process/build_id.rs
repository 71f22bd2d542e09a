//! The identity of the running program's build, which a worker states in its hello so that a
//! pool never talks to a worker of another build (the program rebuilt under a running bench, a
//! worker program named by hand).
//!
//! It is the linker's build id (the ELF note `NT_GNU_BUILD_ID`, a hash of the linked file's
//! contents, which the toolchains poolbench is built with write by default), read from the
//! program's own headers in memory: nothing to compute, nothing to read from disk. Where there is
//! none, the running executable's device, inode, size and modification time stand in: another
//! file, or the same file rewritten, still differs.

use std::ffi::c_void;
use std::sync::OnceLock;

/// The identity of this build: at most [`MAX_LEN`] bytes.
pub(crate) fn this_build() -> &'static [u8] {
    static ID: OnceLock<Vec<u8>> = OnceLock::new();
    ID.get_or_init(|| gnu_build_id().unwrap_or_else(executable_identity))
}

/// The longest identity a hello carries.
pub(crate) const MAX_LEN: usize = 64;

/// The identity, as people read it: hexadecimal.
pub(crate) fn hex(id: &[u8]) -> String {
    id.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The GNU build id of the main executable, from its program headers.
fn gnu_build_id() -> Option<Vec<u8>> {
    let mut found: Option<Vec<u8>> = None;
    // SAFETY: dl_iterate_phdr calls `note_of_main_program` with pointers valid for the duration of
    // each call; the callback only reads through them and copies what it keeps.
    unsafe { libc::dl_iterate_phdr(Some(note_of_main_program), (&raw mut found).cast::<c_void>()) };
    found.filter(|id| !id.is_empty() && id.len() <= MAX_LEN)
}

/// dl_iterate_phdr's callback: the first object it reports is the main program; its `PT_NOTE`
/// segments are scanned for a note of type 3 (`NT_GNU_BUILD_ID`) named `GNU`.
unsafe extern "C" fn note_of_main_program(
    info: *mut libc::dl_phdr_info,
    _size: libc::size_t,
    data: *mut c_void,
) -> libc::c_int {
    // SAFETY: `data` is the `Option<Vec<u8>>` gni_build_id passed; `info` is valid for this call.
    let (found, info) = unsafe { (&mut *data.cast::<Option<Vec<u8>>>(), &*info) };
    for index in 0..usize::from(info.dlpi_phnum) {
        // SAFETY: `dlpi_phdr` points at `dlpi_phnum` program headers.
        let header = unsafe { &*info.dlpi_phdr.add(index) };
        if header.p_type != libc::PT_NOTE {
            continue;
        }
        let start = (info.dlpi_addr + header.p_vaddr) as *const u8;
        // SAFETY: a PT_NOTE segment is mapped, readable, and `p_memsz` bytes long.
        let notes = unsafe { std::slice::from_raw_parts(start, header.p_memsz as usize) };
        if let Some(id) = build_id_note(notes) {
            *found = Some(id.to_vec());
            break;
        }
    }
    // Only the main program: stop after the first object.
    1
}

/// The descriptor of the `GNU` note of type 3 in a run of ELF notes, each `namesz:u32 descsz:u32
/// type:u32 name desc`, name and descriptor padded to four bytes.
fn build_id_note(mut notes: &[u8]) -> Option<&[u8]> {
    let word = |bytes: &[u8], at: usize| -> Option<usize> {
        let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(u32::from_ne_bytes(raw) as usize)
    };
    while notes.len() >= 12 {
        let (name_len, desc_len, kind) = (word(notes, 0)?, word(notes, 4)?, word(notes, 8)?);
        let name_end = 12 + name_len.next_multiple_of(4);
        let desc_end = name_end.checked_add(desc_len.next_multiple_of(4))?;
        let name = notes.get(12..12 + name_len)?;
        let desc = notes.get(name_end..name_end + desc_len)?;
        if kind == 3 && name == b"GNU\0" {
            return Some(desc);
        }
        notes = notes.get(desc_end..)?;
    }
    None
}

/// The executable's device, inode, size and modification time, for a build without a build id.
fn executable_identity() -> Vec<u8> {
    use std::os::unix::fs::MetadataExt as _;
    match std::fs::metadata("/proc/self/exe") {
        Ok(meta) => [meta.dev(), meta.ino(), meta.size(), meta.mtime() as u64, meta.mtime_nsec() as u64]
            .iter()
            .flat_map(|value| value.to_be_bytes())
            .collect(),
        // Nothing to tell builds apart by: every build then looks alike, as before the check.
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_build_has_an_identity_and_it_is_stable() {
        let id = this_build();
        assert!(!id.is_empty() && id.len() <= MAX_LEN, "{}", hex(id));
        assert_eq!(this_build(), id);
    }

    #[test]
    fn a_gnu_note_is_found_among_others() {
        let mut notes = Vec::new();
        for (name, kind, desc) in
            [(&b"XYZ\0"[..], 1u32, &[9u8; 5][..]), (b"GNU\0", 3, &[1, 2, 3, 4, 5, 6, 7, 8])]
        {
            notes.extend((name.len() as u32).to_ne_bytes());
            notes.extend((desc.len() as u32).to_ne_bytes());
            notes.extend(kind.to_ne_bytes());
            notes.extend(name);
            notes.resize(notes.len().next_multiple_of(4), 0);
            notes.extend(desc);
            notes.resize(notes.len().next_multiple_of(4), 0);
        }
        assert_eq!(build_id_note(&notes), Some(&[1, 2, 3, 4, 5, 6, 7, 8][..]));
        assert_eq!(build_id_note(&notes[..20]), None);
    }
}
