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
        match self {
            Codec::Postcard => {
                let extended =
                    postcard::to_extend(value, std::mem::take(out)).map_err(|err| err.to_string())?;
                *out = extended;
                Ok(())
            }
            Codec::Json => serde_json::to_writer(&mut *out, value).map_err(|err| err.to_string()),
        }
    }

    /// Deserializes a `T` that fills `bytes` exactly.
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
