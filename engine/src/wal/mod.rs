//! The write-ahead log: segmented files of CRC-checked frames, written by one
//! thread with group commit.
//!
//! Invariants:
//! - A sequence number is returned by [`Wal::append`] only after its frame is
//!   written and `fdatasync`ed, and after [`WalSink::committed`] ran for it.
//! - `committed` is called in sequence order, from the writer thread only.
//! - Files are named after the sequence number of their first frame; every
//!   frame of a file has a smaller sequence than the first of the next file.
//! - [`Wal::rotate`] starts a new file and calls [`WalSink::rotated`] with
//!   the last sequence written, so the caller can freeze exactly the data in
//!   the files before it; [`Wal::truncate_through`] later deletes them.

mod frame;
mod recovery;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::JoinHandle;

use arrow::record_batch::RecordBatch;
use tokio::sync::{mpsc, oneshot};

pub use frame::{decode_batch, encode_batch};
pub use recovery::{Recovered, recover};

use crate::error::{Error, Result};

/// Receives committed batches from the WAL writer thread.
pub trait WalSink: Send + Sync + 'static {
    /// `batch` with sequence `seq` is durable; called in sequence order.
    fn committed(&self, seq: u64, batch: RecordBatch);
    /// A new WAL file was started; every frame with sequence `<= last_seq`
    /// lives in earlier files.
    fn rotated(&self, last_seq: u64);
}

/// Tunables of the WAL.
#[derive(Debug, Clone)]
pub struct WalOptions {
    /// A file past this size is closed and a new one started.
    pub max_file_bytes: u64,
    /// Most bytes written in one group commit.
    pub max_group_bytes: usize,
    /// Capacity of the queue in front of the writer thread, in requests.
    pub queue_depth: usize,
}

enum Request {
    Append {
        batch: RecordBatch,
        payload: Vec<u8>,
        reply: oneshot::Sender<Result<u64>>,
    },
    Rotate {
        reply: oneshot::Sender<Result<u64>>,
    },
}

/// A queued WAL request; resolves to its sequence number.
pub struct Pending(oneshot::Receiver<Result<u64>>);

impl Pending {
    /// Waits for the writer to finish the request.
    pub async fn wait(self) -> Result<u64> {
        self.0.await.map_err(|_| Error::Shutdown)?
    }
}

/// Handle to the WAL writer thread.
pub struct Wal {
    dir: PathBuf,
    tx: Mutex<Option<mpsc::Sender<Request>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

pub(crate) fn file_name(first_seq: u64) -> String {
    format!("{first_seq:020}.wal")
}

/// Lists WAL files in `dir` as (first sequence, path), in sequence order.
pub(crate) fn list_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".wal")) else {
            continue;
        };
        if let Ok(seq) = stem.parse::<u64>() {
            files.push((seq, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

impl Wal {
    /// Starts the writer on a fresh file whose first frame will be `next_seq`.
    /// Call [`recover`] first: existing files are kept for replay and later
    /// truncation.
    pub fn open(
        dir: &Path,
        next_seq: u64,
        options: WalOptions,
        sink: std::sync::Arc<dyn WalSink>,
    ) -> Result<Wal> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let writer = Writer::create(dir.to_path_buf(), next_seq, options.clone(), sink)?;
        let (tx, rx) = mpsc::channel(options.queue_depth);
        let thread = std::thread::Builder::new()
            .name("strata-wal".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| Error::io(dir, e))?;
        Ok(Wal {
            dir: dir.to_path_buf(),
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Appends `batch`; returns its sequence number once it is durable.
    pub async fn append(&self, batch: RecordBatch) -> Result<u64> {
        self.enqueue(batch).await?.wait().await
    }

    /// Queues `batch` (sequence numbers follow queueing order) and returns
    /// a handle that resolves once it is durable.
    pub async fn enqueue(&self, batch: RecordBatch) -> Result<Pending> {
        let payload = encode_batch(&batch)?;
        let (reply, rx) = oneshot::channel();
        let tx = self.sender()?;
        tx.send(Request::Append {
            batch,
            payload,
            reply,
        })
        .await
        .map_err(|_| Error::Shutdown)?;
        Ok(Pending(rx))
    }

    /// Starts a new file; returns the last sequence written before it.
    pub async fn rotate(&self) -> Result<u64> {
        self.enqueue_rotate().await?.wait().await
    }

    /// Queues a rotation; the handle resolves to the last sequence before it.
    pub async fn enqueue_rotate(&self) -> Result<Pending> {
        let (reply, rx) = oneshot::channel();
        let tx = self.sender()?;
        tx.send(Request::Rotate { reply })
            .await
            .map_err(|_| Error::Shutdown)?;
        Ok(Pending(rx))
    }

    /// Deletes every file whose frames all have sequence `<= seq`.
    pub fn truncate_through(&self, seq: u64) -> Result<usize> {
        let files = list_files(&self.dir)?;
        let mut removed = 0;
        for pair in files.windows(2) {
            let (_, path) = &pair[0];
            let (next_first, _) = pair[1];
            if next_first <= seq.saturating_add(1) {
                std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
                removed += 1;
            }
        }
        if removed > 0 {
            sync_dir(&self.dir)?;
        }
        Ok(removed)
    }

    fn sender(&self) -> Result<mpsc::Sender<Request>> {
        let guard = self.tx.lock().map_err(|_| Error::Shutdown)?;
        guard.clone().ok_or(Error::Shutdown)
    }

    /// Stops the writer after it has finished every queued request.
    pub fn shutdown(&self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Writer {
    dir: PathBuf,
    file: File,
    file_first_seq: u64,
    file_len: u64,
    next_seq: u64,
    options: WalOptions,
    sink: std::sync::Arc<dyn WalSink>,
    failed: Option<String>,
}

impl Writer {
    fn create(
        dir: PathBuf,
        next_seq: u64,
        options: WalOptions,
        sink: std::sync::Arc<dyn WalSink>,
    ) -> Result<Self> {
        let file = Self::new_file(&dir, next_seq)?;
        Ok(Writer {
            dir,
            file,
            file_first_seq: next_seq,
            file_len: frame::MAGIC.len() as u64,
            next_seq,
            options,
            sink,
            failed: None,
        })
    }

    fn new_file(dir: &Path, first_seq: u64) -> Result<File> {
        let path = dir.join(file_name(first_seq));
        // A file with this name can only hold a torn tail (recovery truncated
        // it to no frames), so it is safe to start it over.
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        file.write_all(frame::MAGIC)
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io(&path, e))?;
        sync_dir(dir)?;
        Ok(file)
    }

    fn rotate_file(&mut self) -> Result<()> {
        if self.next_seq == self.file_first_seq {
            return Ok(()); // the current file is still empty
        }
        self.file = Self::new_file(&self.dir, self.next_seq)?;
        self.file_first_seq = self.next_seq;
        self.file_len = frame::MAGIC.len() as u64;
        Ok(())
    }

    fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        let mut pending: Vec<(u64, RecordBatch, oneshot::Sender<Result<u64>>)> = Vec::new();
        let mut buf = Vec::new();
        while let Some(first) = rx.blocking_recv() {
            let mut next = Some(first);
            while let Some(req) = next.take() {
                match req {
                    Request::Append {
                        batch,
                        payload,
                        reply,
                    } => {
                        if let Some(msg) = &self.failed {
                            let _ = reply.send(Err(Error::Wal(msg.clone())));
                        } else {
                            let seq = self.next_seq;
                            self.next_seq += 1;
                            frame::encode_frame(&mut buf, seq, &payload);
                            pending.push((seq, batch, reply));
                        }
                    }
                    Request::Rotate { reply } => {
                        self.commit(&mut buf, &mut pending);
                        let result = match &self.failed {
                            Some(msg) => Err(Error::Wal(msg.clone())),
                            None => self.rotate_file().map(|()| {
                                let last = self.next_seq - 1;
                                self.sink.rotated(last);
                                last
                            }),
                        };
                        let _ = reply.send(result);
                    }
                }
                if buf.len() < self.options.max_group_bytes {
                    next = rx.try_recv().ok();
                }
            }
            self.commit(&mut buf, &mut pending);
        }
    }

    /// Writes and syncs the buffered frames, then publishes and acknowledges them.
    fn commit(
        &mut self,
        buf: &mut Vec<u8>,
        pending: &mut Vec<(u64, RecordBatch, oneshot::Sender<Result<u64>>)>,
    ) {
        if pending.is_empty() {
            return;
        }
        let written = self.file.write_all(buf).and_then(|_| self.file.sync_data());
        self.file_len += buf.len() as u64;
        buf.clear();
        if let Err(e) = written {
            let msg = format!(
                "write to {} failed: {e}",
                self.dir.join(file_name(self.file_first_seq)).display()
            );
            tracing::error!("{msg}; the WAL refuses further writes");
            self.failed = Some(msg.clone());
            for (_, _, reply) in pending.drain(..) {
                let _ = reply.send(Err(Error::Wal(msg.clone())));
            }
            return;
        }
        for (seq, batch, reply) in pending.drain(..) {
            self.sink.committed(seq, batch);
            let _ = reply.send(Ok(seq));
        }
        if self.file_len >= self.options.max_file_bytes
            && let Err(e) = self.rotate_file()
        {
            tracing::error!("WAL rotation failed: {e}");
            self.failed = Some(e.to_string());
        }
    }
}

#[cfg(test)]
mod tests;
