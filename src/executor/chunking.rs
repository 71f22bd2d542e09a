//! How many tasks a worker takes at a time.

use std::num::NonZeroUsize;

/// How many consecutive inputs a pool hands a worker at once.
///
/// Handing out one task at a time balances load best and costs a queue operation (for processes,
/// a pipe round trip) per task; handing out big chunks costs little and balances badly. Python's
/// `Pool.map` settles it with `ceil(len / (4 * workers))`: about four chunks per worker. That is
/// [`Chunking::Auto`], the default everywhere in poolbench, so comparisons with Python are like
/// for like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Chunking {
    /// `ceil(len / (4 * workers))`, at least 1: Python's `Pool.map` default.
    #[default]
    Auto,
    /// Exactly this many per chunk (the last chunk may be shorter).
    Fixed(NonZeroUsize),
}

impl Chunking {
    /// A fixed chunk length; 0 is taken as 1.
    pub fn fixed(len: usize) -> Self {
        Chunking::Fixed(NonZeroUsize::new(len).unwrap_or(NonZeroUsize::MIN))
    }

    /// The chunk length for `len` inputs shared among `workers` workers.
    pub fn chunk_len(self, len: usize, workers: usize) -> usize {
        match self {
            Chunking::Auto => len.div_ceil(4 * workers.max(1)).max(1),
            Chunking::Fixed(chunk) => chunk.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python's rule, as `multiprocessing.pool.Pool._map_async` writes it.
    fn python_chunksize(len: usize, workers: usize) -> usize {
        let (mut chunksize, extra) = (len / (workers * 4), len % (workers * 4));
        if extra != 0 {
            chunksize += 1;
        }
        chunksize
    }

    #[test]
    fn auto_matches_python_pool_map() {
        for workers in [1, 2, 4, 8, 16] {
            for len in 1..500 {
                assert_eq!(Chunking::Auto.chunk_len(len, workers), python_chunksize(len, workers));
            }
        }
    }

    #[test]
    fn the_notebooks_ten_squares_go_out_in_chunks_of_two_then_one() {
        assert_eq!(Chunking::Auto.chunk_len(10, 2), 2);
        assert_eq!(Chunking::Auto.chunk_len(10, 4), 1);
        assert_eq!(Chunking::Auto.chunk_len(10, 8), 1);
    }

    #[test]
    fn empty_input_and_zero_fixed_length_still_give_a_usable_chunk() {
        assert_eq!(Chunking::Auto.chunk_len(0, 4), 1);
        assert_eq!(Chunking::fixed(0).chunk_len(100, 4), 1);
        assert_eq!(Chunking::fixed(7).chunk_len(100, 4), 7);
    }
}
