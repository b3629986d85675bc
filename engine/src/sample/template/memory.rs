//! Templates of the `memory-store`.

use super::{Slot, Template};
use crate::record::LogLevel::{Debug, Error, Info, Warn};
use crate::sample::vocab::Service::MemoryStore;

pub(super) const TEMPLATES: &[Template] = &[
    Template {
        service: Some(MemoryStore),
        level: Info,
        slot: Slot::Open,
        render: |r| {
            let session = r.hex32();
            r.say(format_args!(
                "Loading conversation memory for session sess-{session:08x}"
            ));
            r.component = Some("session-store");
            r.attr("operation", "load");
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let messages = r.int(0, 120);
            let tokens = messages * r.int(30, 400);
            let ms = r.ms();
            r.say(format_args!(
                "Loaded {messages} messages ({tokens} tokens) from session memory in {ms} ms"
            ));
            r.component = Some("session-store");
            r.sizes(96, u64::from(tokens) * 4);
            r.attr("operation", "load");
            r.attr("messages", messages);
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let user = r.user_id;
            let entries = r.int(1, 24);
            let ms = r.ms();
            r.say(format_args!(
                "Saved {entries} memory entries for user {user} in {ms} ms"
            ));
            r.component = Some("session-store");
            r.sizes(u64::from(entries) * 700, 32);
            r.attr("operation", "save");
            r.attr("entries", entries);
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let messages = r.int(20, 200);
            let tokens = r.int(200, 1_500);
            r.say(format_args!(
                "Summarized {messages} messages into {tokens} tokens"
            ));
            r.component = Some("summarizer");
            r.attr("operation", "summarize");
            r.attr("tokens_out", tokens);
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let key = r.int(1_000, 99_999);
            let ms = r.ms();
            r.say(format_args!(
                "Cache miss for key user:{key}:profile, loaded from database in {ms} ms"
            ));
            r.component = Some("redis-cache");
            r.attr("cache", "miss");
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Debug,
        slot: Slot::Any,
        render: |r| {
            let key = r.hex32();
            r.say(format_args!("Cache hit for key session:{key:08x}:history"));
            r.component = Some("redis-cache");
            r.attr("cache", "hit");
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Debug,
        slot: Slot::Any,
        render: |r| {
            let key = r.int(1_000, 99_999);
            r.say(format_args!("Cache miss for key user:{key}:profile"));
            r.component = Some("redis-cache");
            r.attr("cache", "miss");
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let tokens = r.pick(&[16_000u32, 32_000, 64_000]) + r.int(1, 8_000);
            r.say(format_args!(
                "Session memory exceeds {tokens} tokens, triggering summarization"
            ));
            r.component = Some("summarizer");
            r.attr("tokens", tokens);
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let ms = 50 + r.int(1, 900);
            r.took(f64::from(ms));
            r.say(format_args!("Redis latency {ms} ms above 50 ms threshold"));
            r.component = Some("redis-cache");
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let ip = r.ip();
            r.say(format_args!("Redis connection reset by peer ({ip}:6379)"));
            r.component = Some("redis-cache");
            r.attr("peer", "redis");
            r.fail("ConnectionError", "E1003", true);
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let (entry, byte) = (r.hex32(), r.int(0, 8_000));
            r.say(format_args!(
                "Failed to deserialize memory entry mem-{entry:08x}: invalid UTF-8 at byte {byte}"
            ));
            r.component = Some("session-store");
            r.fail("SerializationError", "E3001", false);
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Info,
        slot: Slot::Background,
        render: |r| {
            let (sessions, mb) = (r.int(0, 4_000), r.int(0, 900));
            r.say(format_args!(
                "Evicted {sessions} expired sessions, freed {mb} MB"
            ));
            r.component = Some("session-store");
            r.attr("evicted", sessions);
        },
    },
    Template {
        service: Some(MemoryStore),
        level: Debug,
        slot: Slot::Background,
        render: |r| {
            let (active, idle) = (r.int(0, 64), r.int(0, 64));
            r.say(format_args!(
                "Connection pool stats: {active} active, {idle} idle"
            ));
            r.component = Some("redis-cache");
            r.attr("pool_active", active);
        },
    },
];
