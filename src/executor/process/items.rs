//! A chunk's inputs or results on the wire: one sequence in the codec's own encoding, so that the
//! usual case decodes in one call, and an index of where each value lies, so that a value that
//! does not decode fails its own task only.
//!
//! ```text
//! items  := count:u32be index seq
//! index  := (end:u32be)*count      where each value's bytes end within `seq`; value k starts
//!                                  where value k-1 ended, after the codec's separator (JSON's
//!                                  comma), and value 0 after the sequence's header
//! seq    := the codec's encoding of a sequence of `count` values, exactly as it encodes a
//!           `Vec<T>` (postcard: varint count, then each value; JSON: `[v,v,...]`), to the end
//! ```
//!
//! Why both: decoding values one by one costs a call, an error check and a move per value, which
//! on ten thousand small tasks made the process pool's cost per task about 40% higher than one
//! `Vec` decoded at once (issue 19: 11 ns a task more, most of it in the pool's own process,
//! which every result crosses). The reader decodes the whole sequence first; only when that
//! fails does it decode value by value through the index, so that one bad value costs one task.
//! The index comes first, its room reserved from the count, so that writing a value's end is one
//! store: it costs four bytes and about a nanosecond a value.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Codec;
use super::codec::Encoder;

/// Writes an items sequence of a known count into a buffer, value by value.
pub(crate) struct ItemsWriter<'a> {
    encoder: Encoder<'a>,
    codec: Codec,
    /// Where the index starts, and where the sequence starts.
    index_at: usize,
    seq_start: usize,
    count: usize,
    written: usize,
}

impl<'a> ItemsWriter<'a> {
    /// Starts a sequence of `count` values at the end of `out`.
    ///
    /// # Errors
    ///
    /// More than `u32::MAX` values.
    pub(crate) fn begin(codec: Codec, out: &'a mut Vec<u8>, count: usize) -> Result<Self, String> {
        let count32 = u32::try_from(count).map_err(|_| format!("{count} items in one frame"))?;
        out.extend_from_slice(&count32.to_be_bytes());
        let index_at = out.len();
        out.resize(index_at + 4 * count, 0);
        let seq_start = out.len();
        codec.begin_seq(out, count);
        Ok(ItemsWriter { encoder: codec.encoder(out), codec, index_at, seq_start, count, written: 0 })
    }

    /// Appends `value`. On error (the codec refuses it) the sequence is as before, and another
    /// value may be pushed in its place.
    #[inline]
    pub(crate) fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), String> {
        let before = self.encoder.out().len();
        self.codec.separate(self.encoder.out(), self.written);
        if let Err(err) = self.encoder.encode(value) {
            self.encoder.out().truncate(before);
            return Err(err);
        }
        self.record()
    }

    /// Appends a value already encoded in this codec.
    pub(crate) fn push_encoded(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.codec.separate(self.encoder.out(), self.written);
        self.encoder.out().extend_from_slice(bytes);
        self.record()
    }

    /// Writes where the value just appended ends.
    #[inline]
    fn record(&mut self) -> Result<(), String> {
        if self.written == self.count {
            return Err(format!("more values than the {} announced", self.count));
        }
        let (index_at, seq_start, written) = (self.index_at, self.seq_start, self.written);
        let out = self.encoder.out();
        // A sequence over 4 GiB is refused by `finish`, so an end cut here never leaves.
        let end = (out.len() - seq_start) as u32;
        out[index_at + 4 * written..index_at + 4 * written + 4].copy_from_slice(&end.to_be_bytes());
        self.written += 1;
        Ok(())
    }

    /// Ends the sequence.
    ///
    /// # Errors
    ///
    /// Fewer values than announced, or a sequence over 4 GiB.
    pub(crate) fn finish(mut self) -> Result<(), String> {
        if self.written != self.count {
            return Err(format!("{} values written of {} announced", self.written, self.count));
        }
        let seq_start = self.seq_start;
        let out = self.encoder.out();
        self.codec.end_seq(out);
        if out.len() - seq_start > u32::MAX as usize {
            return Err(format!("a sequence of {} bytes, over 4 GiB", out.len() - seq_start));
        }
        Ok(())
    }
}

/// Writes `values` as an items sequence at the end of `out`.
///
/// # Errors
///
/// The first value the codec refuses, or too many values or bytes; `out` may then hold part of
/// the sequence.
pub(crate) fn encode<T: Serialize>(codec: Codec, out: &mut Vec<u8>, values: &[T]) -> Result<(), String> {
    let mut items = ItemsWriter::begin(codec, out, values.len())?;
    for value in values {
        items.push(value)?;
    }
    items.finish()
}

/// An items sequence as read: its parts checked for length, its values not yet decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Items<'a> {
    count: usize,
    index: &'a [u8],
    seq: &'a [u8],
    codec: Codec,
}

impl<'a> Items<'a> {
    /// Reads the parts of an items sequence in `codec` that fills `body`.
    ///
    /// # Errors
    ///
    /// A count whose index runs past the body's end.
    pub(crate) fn parse(codec: Codec, body: &'a [u8]) -> Result<Self, String> {
        let (count, rest) = body.split_first_chunk::<4>().ok_or("a sequence without its count")?;
        let count = u32::from_be_bytes(*count) as usize;
        // Each value has four bytes of index: a count beyond that is a lie, refused before
        // anything is allocated for it.
        if count > rest.len() / 4 {
            return Err(format!("a sequence announcing {count} values in {} bytes", rest.len()));
        }
        let (index, seq) = rest.split_at(4 * count);
        Ok(Items { count, index, seq, codec })
    }

    /// How many values.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// The codec its values are in.
    pub(crate) fn codec(&self) -> Codec {
        self.codec
    }

    /// Every value, decoded in one call, if the whole sequence decodes to `len()` values.
    #[inline]
    pub(crate) fn decode_all<T: DeserializeOwned>(&self) -> Option<Vec<T>> {
        self.codec.decode::<Vec<T>>(self.seq).ok().filter(|values| values.len() == self.count)
    }

    /// Value `at`, decoded on its own.
    ///
    /// # Errors
    ///
    /// Its index points outside the sequence, or its bytes do not decode: the message says why.
    pub(crate) fn decode_one<T: DeserializeOwned>(&self, at: usize) -> Result<T, String> {
        self.codec.decode(self.bytes(at)?)
    }

    /// The bytes of value `at`, as the index places them.
    ///
    /// # Errors
    ///
    /// `at` is past the end, or its index points outside the sequence.
    pub(crate) fn bytes(&self, at: usize) -> Result<&'a [u8], String> {
        if at >= self.count {
            return Err(format!("no value {at} of {}", self.count));
        }
        let end_of = |k: usize| {
            let bytes = &self.index[4 * k..4 * k + 4];
            u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize
        };
        let start = match at {
            0 => self.codec.seq_header_len(self.count),
            _ => end_of(at - 1) + self.codec.separator_len(),
        };
        let end = end_of(at);
        self.seq.get(start..end).ok_or_else(|| {
            format!("value {at} indexed at bytes {start}..{end} of a {}-byte sequence", self.seq.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn written<T: Serialize>(codec: Codec, values: &[T]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(codec, &mut out, values).unwrap();
        out
    }

    #[test]
    fn a_sequence_decodes_whole_and_value_by_value_in_both_codecs() {
        for codec in Codec::ALL {
            let values = vec![1u64, 300, u64::MAX];
            let body = written(codec, &values);
            let items = Items::parse(codec, &body).unwrap();
            assert_eq!(items.len(), 3);
            assert_eq!(items.decode_all::<u64>(), Some(values.clone()), "{codec}");
            for (at, value) in values.iter().enumerate() {
                assert_eq!(items.decode_one::<u64>(at).unwrap(), *value, "{codec}");
            }
            assert!(items.decode_one::<u64>(3).unwrap_err().contains("no value 3 of 3"));
        }
    }

    #[test]
    fn the_sequence_is_exactly_the_codecs_own_vec() {
        for codec in Codec::ALL {
            let values = vec!["a".to_owned(), "bc".to_owned()];
            let body = written(codec, &values);
            let items = Items::parse(codec, &body).unwrap();
            let mut vec = Vec::new();
            codec.encode_into(&values, &mut vec).unwrap();
            assert_eq!(items.seq, vec.as_slice(), "{codec}");
        }
    }

    #[test]
    fn a_value_that_does_not_decode_spoils_the_whole_but_not_its_neighbours() {
        for codec in Codec::ALL {
            let mut out = Vec::new();
            let mut writer = ItemsWriter::begin(codec, &mut out, 3).unwrap();
            writer.push(&1u32).unwrap();
            // A string where a number is expected: valid in the codec, wrong for the type.
            writer.push("not a number").unwrap();
            writer.push(&3u32).unwrap();
            writer.finish().unwrap();
            let items = Items::parse(codec, &out).unwrap();
            assert_eq!(items.decode_all::<u32>(), None, "{codec}");
            assert_eq!(items.decode_one::<u32>(0).unwrap(), 1);
            assert!(items.decode_one::<u32>(1).is_err());
            assert_eq!(items.decode_one::<u32>(2).unwrap(), 3);
        }
    }

    #[test]
    fn a_value_the_codec_refuses_leaves_room_for_another() {
        struct Refused;
        impl Serialize for Refused {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("refused"))
            }
        }
        for codec in Codec::ALL {
            let mut out = Vec::new();
            let mut writer = ItemsWriter::begin(codec, &mut out, 2).unwrap();
            writer.push(&7u8).unwrap();
            assert!(!writer.push(&Refused).unwrap_err().is_empty(), "{codec}: the refusal says why");
            writer.push(&9u8).unwrap();
            writer.finish().unwrap();
            assert_eq!(Items::parse(codec, &out).unwrap().decode_all::<u8>(), Some(vec![7, 9]), "{codec}");
        }
    }

    #[test]
    fn an_encoded_value_goes_in_as_it_is() {
        for codec in Codec::ALL {
            let mut one = Vec::new();
            codec.encode_into(&42u16, &mut one).unwrap();
            let mut out = Vec::new();
            let mut writer = ItemsWriter::begin(codec, &mut out, 2).unwrap();
            writer.push(&41u16).unwrap();
            writer.push_encoded(&one).unwrap();
            writer.finish().unwrap();
            assert_eq!(Items::parse(codec, &out).unwrap().decode_all::<u16>(), Some(vec![41, 42]), "{codec}");
        }
    }

    #[test]
    fn a_count_that_differs_from_the_values_written_is_an_error() {
        let mut out = Vec::new();
        let mut writer = ItemsWriter::begin(Codec::Postcard, &mut out, 2).unwrap();
        writer.push(&1u8).unwrap();
        assert!(writer.finish().unwrap_err().contains("1 values written of 2"));
        let mut out = Vec::new();
        let mut writer = ItemsWriter::begin(Codec::Postcard, &mut out, 1).unwrap();
        writer.push(&1u8).unwrap();
        assert!(writer.push(&2u8).unwrap_err().contains("more values than the 1 announced"));
    }

    #[test]
    fn lengths_that_lie_are_refused() {
        let codec = Codec::Postcard;
        let body = written(codec, &[1u8, 2]);
        let mut long = body.clone();
        long[..4].copy_from_slice(&1000u32.to_be_bytes());
        assert!(Items::parse(codec, &long).unwrap_err().contains("announcing 1000 values"));
        assert!(Items::parse(codec, &[0xFF; 8]).is_err());
        let mut bad_index = body.clone();
        bad_index[8..12].copy_from_slice(&999u32.to_be_bytes());
        let items = Items::parse(codec, &bad_index).unwrap();
        assert!(items.decode_one::<u8>(1).unwrap_err().contains("indexed at bytes"));
        assert_eq!(items.decode_one::<u8>(0).unwrap(), 1);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_the_reader(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            for codec in Codec::ALL {
                if let Ok(items) = Items::parse(codec, &bytes) {
                    let _ = items.decode_all::<u32>();
                    for at in 0..items.len().min(8) + 1 {
                        let _ = items.decode_one::<u32>(at);
                    }
                }
            }
        }

        #[test]
        fn any_values_round_trip(values in prop::collection::vec(any::<(u32, String)>(), 0..20)) {
            for codec in Codec::ALL {
                let body = written(codec, &values);
                let items = Items::parse(codec, &body).unwrap();
                prop_assert_eq!(items.decode_all::<(u32, String)>(), Some(values.clone()));
                for (at, value) in values.iter().enumerate() {
                    prop_assert_eq!(&items.decode_one::<(u32, String)>(at).unwrap(), value);
                }
            }
        }
    }
}
