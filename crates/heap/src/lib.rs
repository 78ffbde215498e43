//! glibc's malloc, tuned for a long-running server.
//!
//! Under a mixed load, most of what the server's resident memory grows by is memory that
//! was freed and that malloc keeps in its arenas for later, not live data: at the end of a
//! 3-minute load, malloc held 209 MB from the system and 23 MB of it was in use
//! (docs/benchmarks.md, "What the resident memory is made of"). Two things bring that
//! down:
//!
//! - [`cap_arenas`]: glibc gives each thread that contends for memory an arena of its own,
//!   up to 8 per core, and each keeps its own freed memory;
//! - [`trim`]: hands freed memory back to the system (`malloc_trim`), including the pages
//!   inside each arena's heap that hold only free chunks.
//!
//! Elsewhere than glibc (musl, macOS) both do nothing.

/// Cap the number of malloc arenas at `arenas`, unless the operator set
/// `MALLOC_ARENA_MAX` in the environment (glibc read it at start, and it wins). Call it
/// before starting threads: arenas already made stay. Whether the cap was set here.
pub fn cap_arenas(arenas: u32) -> bool {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return false;
    }
    glibc::cap_arenas(arenas)
}

/// Give freed memory back to the system; whether any was. It holds each arena's lock in
/// turn while it walks that arena: measured here, 2–3 ms per 100 MB of heap with nothing
/// to give back, about 25 ms per 100 MB given back. Call it now and then, not per request.
pub fn trim() -> bool {
    glibc::trim()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    pub(crate) fn cap_arenas(arenas: u32) -> bool {
        let Ok(arenas) = libc::c_int::try_from(arenas) else {
            return false;
        };
        // SAFETY: mallopt takes a parameter number and a value and changes malloc's own
        // settings; it touches no memory of ours. M_ARENA_MAX is one glibc documents.
        #[allow(unsafe_code)]
        let done = unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
        done == 1
    }

    pub(crate) fn trim() -> bool {
        // SAFETY: malloc_trim releases free memory held by malloc and is safe to call from
        // any thread at any time; it touches no allocation in use.
        #[allow(unsafe_code)]
        let released = unsafe { libc::malloc_trim(0) };
        released == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod glibc {
    pub(crate) fn cap_arenas(_arenas: u32) -> bool {
        false
    }

    pub(crate) fn trim() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn trimming_gives_freed_memory_back() {
        // Many mid-sized blocks, freed all but the last (which keeps the heap's top from
        // shrinking by itself): only a trim returns the pages in between.
        let mut blocks: Vec<Vec<u8>> = (0..2_000).map(|k| vec![k as u8; 64 * 1024]).collect();
        let resident = || -> u64 {
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|kb| kb.trim().trim_end_matches(" kB").trim().parse().ok())
                .unwrap_or(0)
        };
        let last = blocks.pop();
        drop(blocks);
        let before = resident();
        assert!(trim(), "malloc_trim found nothing to give back");
        let after = resident();
        drop(last);
        assert!(
            after + 50 * 1024 < before,
            "resident memory went from {before} kB to {after} kB"
        );
    }

    #[test]
    fn the_arena_cap_is_set_unless_the_environment_sets_it() {
        let from_environment = std::env::var_os("MALLOC_ARENA_MAX").is_some();
        let on_glibc = cfg!(all(target_os = "linux", target_env = "gnu"));
        assert_eq!(cap_arenas(2), on_glibc && !from_environment);
        // A count beyond C's int is refused, not wrapped.
        assert!(!cap_arenas(u32::MAX));
    }
}
