//! How tasks' inputs and outputs are serialized on the pipe.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The serialization format of the process executors' payloads.
///
/// Both carry the same serde data model; they differ in cost. postcard is a compact binary
/// format (varints, no field names), serde_json a self-describing text format. Measured on the
/// `ipc/codec` benchmarks, postcard is the faster, so it is the default; JSON stays available
/// for reading a captured exchange by eye.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Codec {
    /// postcard: compact binary.
    #[default]
    Postcard,
    /// serde_json: text.
    Json,
}

impl Codec {
    /// Both codecs.
    pub const ALL: [Codec; 2] = [Codec::Postcard, Codec::Json];

    /// The codec's name, as on the worker's command line (`--codec postcard`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Postcard => "postcard",
            Codec::Json => "json",
        }
    }

    /// The codec with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|codec| codec.name() == name)
    }

    /// The codec's byte in the worker's hello.
    pub(crate) fn id(self) -> u8 {
        match self {
            Codec::Postcard => 1,
            Codec::Json => 2,
        }
    }

    /// The codec whose hello byte is `id`.
    pub(crate) fn from_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|codec| codec.id() == id)
    }

    /// Appends `value`, serialized, to `out`.
    pub(crate) fn encode_into<T: Serialize + ?Sized>(
        self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        self.encoder(out).encode(value)
    }

    /// An encoder that appends values to `out`, one after the other: one for a whole sequence,
    /// so that many small values cost no set-up each.
    pub(crate) fn encoder(self, out: &mut Vec<u8>) -> Encoder<'_> {
        match self {
            Codec::Postcard => Encoder::Postcard(postcard::Serializer { output: AppendTo(out) }),
            Codec::Json => Encoder::Json(out),
        }
    }

    /// Writes the start of a sequence of `count` values, as the codec writes a `Vec`'s:
    /// postcard's varint length, JSON's `[`. [`separate`](Self::separate) goes before each value,
    /// [`end_seq`](Self::end_seq) after the last.
    pub(crate) fn begin_seq(self, out: &mut Vec<u8>, count: usize) {
        match self {
            Codec::Postcard => {
                // postcard's varint: seven bits a byte, least significant first, the high bit
                // set on every byte but the last.
                let mut rest = count;
                while rest >= 0x80 {
                    out.push((rest as u8 & 0x7F) | 0x80);
                    rest >>= 7;
                }
                out.push(rest as u8);
            }
            Codec::Json => out.push(b'['),
        }
    }

    /// How many bytes [`begin_seq`](Self::begin_seq) writes for `count` values.
    pub(crate) fn seq_header_len(self, count: usize) -> usize {
        match self {
            Codec::Postcard => (usize::BITS - (count | 1).leading_zeros()).div_ceil(7) as usize,
            Codec::Json => 1,
        }
    }

    /// How many bytes [`separate`](Self::separate) writes before every value but the first.
    pub(crate) fn separator_len(self) -> usize {
        match self {
            Codec::Postcard => 0,
            Codec::Json => 1,
        }
    }

    /// Writes what goes before value `index` of a sequence: JSON's comma after the first.
    #[inline]
    pub(crate) fn separate(self, out: &mut Vec<u8>, index: usize) {
        if self == Codec::Json && index > 0 {
            out.push(b',');
        }
    }

    /// Writes the end of a sequence: JSON's `]`.
    pub(crate) fn end_seq(self, out: &mut Vec<u8>) {
        if self == Codec::Json {
            out.push(b']');
        }
    }

    /// Deserializes a `T` that fills `bytes` exactly.
    #[inline]
    pub(crate) fn decode<T: DeserializeOwned>(self, bytes: &[u8]) -> Result<T, String> {
        match self {
            Codec::Postcard => match postcard::take_from_bytes(bytes) {
                Ok((value, [])) => Ok(value),
                Ok((_, rest)) => Err(format!("{} bytes left over after the value", rest.len())),
                Err(err) => Err(err.to_string()),
            },
            Codec::Json => serde_json::from_slice(bytes).map_err(|err| err.to_string()),
        }
    }
}

/// Appends serialized values to a buffer, in a [`Codec`]: [`Codec::encoder`].
pub(crate) enum Encoder<'a> {
    /// postcard, appending in place.
    Postcard(postcard::Serializer<AppendTo<'a>>),
    /// serde_json.
    Json(&'a mut Vec<u8>),
}

impl Encoder<'_> {
    /// Appends `value`, serialized. On error, part of it may have been appended.
    #[inline]
    pub(crate) fn encode<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), String> {
        match self {
            Encoder::Postcard(serializer) => value.serialize(serializer).map_err(|err| err.to_string()),
            Encoder::Json(out) => serde_json::to_writer(&mut **out, value).map_err(|err| err.to_string()),
        }
    }

    /// The buffer values are appended to.
    #[inline]
    pub(crate) fn out(&mut self) -> &mut Vec<u8> {
        match self {
            Encoder::Postcard(serializer) => serializer.output.0,
            Encoder::Json(out) => out,
        }
    }
}

/// postcard's storage for [`Codec::encode_into`]: appends to a `Vec` in place. postcard's own
/// `to_extend` pushes byte by byte through `Extend` and, handed the `Vec` by value, made the
/// process pool's cost per small task about half encoding (issue 19's profile of
/// `pools/squares-10k/ProcessPool/2`).
pub(crate) struct AppendTo<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for AppendTo<'_> {
    type Output = ();

    #[inline]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        // postcard extends by a varint's few bytes at a time: a byte loop beats a call to memcpy.
        if data.len() <= 16 {
            self.0.extend(data.iter().copied());
        } else {
            self.0.extend_from_slice(data);
        }
        Ok(())
    }

    #[inline]
    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;

    #[test]
    fn both_codecs_round_trip_big_numbers_and_results() {
        let value: Vec<Result<BigUint, String>> = vec![
            Ok(BigUint::from(3_628_800u32)),
            Err("panicked".into()),
            Ok(BigUint::from(u128::MAX) * 7u32),
        ];
        for codec in Codec::ALL {
            let mut bytes = vec![0xAA];
            codec.encode_into(&value, &mut bytes).unwrap();
            assert_eq!(bytes[0], 0xAA, "{codec} appends");
            let back: Vec<Result<BigUint, String>> = codec.decode(&bytes[1..]).unwrap();
            assert_eq!(back, value, "{codec}");
            assert_eq!(Codec::from_id(codec.id()), Some(codec));
            assert_eq!(Codec::from_name(codec.name()), Some(codec));
        }
    }

    #[test]
    fn a_sequence_written_by_hand_is_the_codecs_own_vec() {
        for codec in Codec::ALL {
            for count in [0usize, 1, 127, 128, 300, 20_000] {
                let values: Vec<u8> = (0..count).map(|i| i as u8).collect();
                let mut by_hand = Vec::new();
                codec.begin_seq(&mut by_hand, count);
                for (index, value) in values.iter().enumerate() {
                    codec.separate(&mut by_hand, index);
                    codec.encode_into(value, &mut by_hand).unwrap();
                }
                codec.end_seq(&mut by_hand);
                let mut header = Vec::new();
                codec.begin_seq(&mut header, count);
                assert_eq!(codec.seq_header_len(count), header.len(), "{codec}, {count} values");
                let mut by_serde = Vec::new();
                codec.encode_into(&values, &mut by_serde).unwrap();
                assert_eq!(by_hand, by_serde, "{codec}, {count} values");
            }
        }
    }

    #[test]
    fn trailing_or_truncated_bytes_are_errors() {
        for codec in Codec::ALL {
            let mut bytes = Vec::new();
            codec.encode_into(&vec![1u64, 2, 3], &mut bytes).unwrap();
            assert!(codec.decode::<Vec<u64>>(&bytes[..bytes.len() - 1]).is_err(), "{codec} truncated");
            bytes.extend_from_slice(b"  x");
            assert!(codec.decode::<Vec<u64>>(&bytes).is_err(), "{codec} trailing");
        }
    }
}
