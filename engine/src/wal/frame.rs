//! WAL frame encoding.
//!
//! A WAL file is the 8-byte magic `STRWAL01` followed by frames:
//!
//! ```text
//! +-------------+--------------+-----------+------------------+
//! | len: u32 LE | crc: u32 LE  | seq: u64  | payload (len B)  |
//! +-------------+--------------+-----------+------------------+
//! crc = CRC32C(seq bytes ++ payload)
//! ```
//!
//! The payload is one Arrow IPC stream holding one `logs` batch.

use std::io::Cursor;

use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;

use crate::error::{Error, Result};

/// Magic bytes at the start of every WAL file.
pub const MAGIC: &[u8; 8] = b"STRWAL01";
/// Size of a frame header.
pub const HEADER_LEN: usize = 16;
/// Largest payload a frame may carry; a longer length field means corruption.
pub const MAX_PAYLOAD: usize = 1 << 30;

/// Appends one frame to `out`.
pub fn encode_frame(out: &mut Vec<u8>, seq: u64, payload: &[u8]) {
    let mut crc = crc32c::crc32c(&seq.to_le_bytes());
    crc = crc32c::crc32c_append(crc, payload);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(payload);
}

/// Result of decoding the frame at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameRead<'a> {
    /// A complete, checksummed frame and its total length in bytes.
    Frame {
        seq: u64,
        payload: &'a [u8],
        len: usize,
    },
    /// The buffer ends inside a frame (a torn write).
    Torn,
    /// The frame is complete but fails its checksum or has an absurd length.
    Corrupt(String),
}

/// Decodes the frame at the start of `buf` (which must not be empty).
pub fn decode_frame(buf: &[u8]) -> FrameRead<'_> {
    if buf.len() < HEADER_LEN {
        return FrameRead::Torn;
    }
    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    let crc = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
    let mut seq_bytes = [0u8; 8];
    seq_bytes.copy_from_slice(&buf[8..16]);
    let seq = u64::from_le_bytes(seq_bytes);
    if len > MAX_PAYLOAD {
        return FrameRead::Corrupt(format!("frame length {len} exceeds {MAX_PAYLOAD}"));
    }
    if buf.len() < HEADER_LEN + len {
        return FrameRead::Torn;
    }
    let payload = &buf[HEADER_LEN..HEADER_LEN + len];
    let actual = crc32c::crc32c_append(crc32c::crc32c(&seq_bytes), payload);
    if actual != crc {
        return FrameRead::Corrupt(format!(
            "checksum mismatch for seq {seq}: stored {crc:#010x}, computed {actual:#010x}"
        ));
    }
    FrameRead::Frame {
        seq,
        payload,
        len: HEADER_LEN + len,
    }
}

/// Serializes a batch as a frame payload (Arrow IPC stream).
pub fn encode_batch(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(batch.get_array_memory_size() / 2 + 1024);
    let mut writer = StreamWriter::try_new(&mut buf, &batch.schema())?;
    writer.write(batch)?;
    writer.finish()?;
    drop(writer);
    Ok(buf)
}

/// Deserializes a frame payload back into its batch.
pub fn decode_batch(payload: &[u8]) -> Result<RecordBatch> {
    let reader = StreamReader::try_new(Cursor::new(payload), None)?;
    let mut batches = Vec::with_capacity(1);
    for b in reader {
        batches.push(b?);
    }
    match batches.len() {
        1 => Ok(batches.remove(0)),
        n => Err(Error::Wal(format!(
            "frame payload holds {n} batches, expected 1"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_detect_damage() {
        let mut buf = Vec::new();
        encode_frame(&mut buf, 7, b"hello");
        encode_frame(&mut buf, 8, b"");
        let FrameRead::Frame { seq, payload, len } = decode_frame(&buf) else {
            panic!("first frame should decode");
        };
        assert_eq!((seq, payload, len), (7, &b"hello"[..], 21));
        assert!(matches!(
            decode_frame(&buf[len..]),
            FrameRead::Frame { seq: 8, .. }
        ));
        // every strict prefix of a frame is torn
        for cut in 1..len {
            assert_eq!(decode_frame(&buf[..cut]), FrameRead::Torn, "cut at {cut}");
        }
        // flipping any payload or seq bit is caught
        for i in 8..len {
            let mut bad = buf.clone();
            bad[i] ^= 0x01;
            assert!(
                matches!(decode_frame(&bad), FrameRead::Corrupt(_)),
                "byte {i}"
            );
        }
    }
}
