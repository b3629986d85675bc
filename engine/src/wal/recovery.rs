//! WAL recovery: read every file in order, truncate a torn or corrupt tail.

use std::fs::OpenOptions;
use std::path::Path;

use arrow::record_batch::RecordBatch;

use super::frame::{self, FrameRead};
use super::list_files;
use crate::error::{Error, Result};

/// What recovery found in the WAL directory.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Batches with sequence greater than the flushed sequence, in order.
    pub batches: Vec<(u64, RecordBatch)>,
    /// The sequence number the next append must use.
    pub next_seq: u64,
    /// Bytes cut off damaged tails.
    pub truncated_bytes: u64,
}

/// Replays the WAL in `dir`, skipping frames with sequence `<= flushed_seq`
/// (already in segments). A torn or corrupt tail of a file is cut off with a
/// warning; recovery never refuses to start because of one.
pub fn recover(dir: &Path, flushed_seq: u64) -> Result<Recovered> {
    let mut out = Recovered {
        next_seq: flushed_seq + 1,
        ..Recovered::default()
    };
    if !dir.exists() {
        return Ok(out);
    }
    for (first_seq, path) in list_files(dir)? {
        let data = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        out.next_seq = out.next_seq.max(first_seq);
        let mut pos = if data.starts_with(frame::MAGIC) {
            frame::MAGIC.len()
        } else {
            0
        };
        let mut damage = None;
        if pos == 0 && !data.is_empty() {
            damage = Some("missing WAL magic".to_string());
        }
        while damage.is_none() && pos < data.len() {
            match frame::decode_frame(&data[pos..]) {
                FrameRead::Frame { seq, payload, len } => {
                    if seq > flushed_seq {
                        match frame::decode_batch(payload) {
                            Ok(batch) => out.batches.push((seq, batch)),
                            Err(e) => {
                                damage = Some(format!("undecodable payload of seq {seq}: {e}"));
                                break;
                            }
                        }
                    }
                    out.next_seq = out.next_seq.max(seq + 1);
                    pos += len;
                }
                FrameRead::Torn => damage = Some("torn frame".to_string()),
                FrameRead::Corrupt(reason) => damage = Some(reason),
            }
        }
        if let Some(reason) = damage {
            let cut = data.len() - pos;
            tracing::warn!(
                file = %path.display(),
                offset = pos,
                bytes = cut,
                "WAL tail damaged ({reason}); truncating"
            );
            let keep = pos.max(frame::MAGIC.len()) as u64;
            let file = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            if pos < frame::MAGIC.len() {
                use std::io::{Seek, Write};
                let mut f = &file;
                f.seek(std::io::SeekFrom::Start(0))
                    .and_then(|_| f.write_all(frame::MAGIC))
                    .map_err(|e| Error::io(&path, e))?;
            }
            file.set_len(keep)
                .and_then(|_| file.sync_all())
                .map_err(|e| Error::io(&path, e))?;
            out.truncated_bytes += cut as u64;
        }
    }
    Ok(out)
}
