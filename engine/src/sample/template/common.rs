//! Templates any service can emit: fatals and traces.

use super::{Slot, Template};
use crate::record::LogLevel::{Fatal, Trace};
use crate::sample::vocab::FUNCTIONS;

pub(super) const TEMPLATES: &[Template] = &[
    Template {
        service: None,
        level: Fatal,
        slot: Slot::Any,
        render: |r| {
            let limit = r.pick(&[2_048u32, 4_096, 8_192, 16_384]);
            let rss = limit - r.int(0, 64);
            r.say(format_args!(
                "Out of memory: worker killed (rss={rss} MB, limit {limit} MB)"
            ));
            r.attr("memory_limit_mb", limit);
            r.metrics.memory_mb = Some(f64::from(rss));
            r.fail("OutOfMemoryError", "E9001", false);
        },
    },
    Template {
        service: None,
        level: Fatal,
        slot: Slot::Any,
        render: |r| {
            let checkpoint = r.hex32();
            r.say(format_args!(
                "Unrecoverable state in agent loop: checkpoint ckpt-{checkpoint:08x} corrupted"
            ));
            r.fail("StateCorruptionError", "E9002", false);
        },
    },
    Template {
        service: None,
        level: Fatal,
        slot: Slot::Any,
        render: |r| {
            let seconds = r.pick(&[30u32, 60, 120]);
            r.say(format_args!(
                "Database pool exhausted after {seconds}s, shutting down worker"
            ));
            r.fail("ResourceExhaustedError", "E9003", false);
        },
    },
    Template {
        service: None,
        level: Fatal,
        slot: Slot::Any,
        render: |r| {
            let len = r.int(0, 64);
            let index = len + r.int(0, 8);
            let component = r.pick(r.service.components());
            r.say(format_args!(
                "Panic in {component}: index out of bounds: the len is {len} but the index is {index}"
            ));
            r.component = Some(component);
            r.fail("PanicError", "E9004", false);
        },
    },
    Template {
        service: None,
        level: Trace,
        slot: Slot::Any,
        render: |r| {
            let function = r.pick(&FUNCTIONS);
            let args = r.int(0, 5);
            r.say(format_args!("Entering {function} with {args} args"));
            r.attr("function", function);
        },
    },
    Template {
        service: None,
        level: Trace,
        slot: Slot::Any,
        render: |r| {
            let function = r.pick(&FUNCTIONS);
            let micros = r.int(1, 5_000);
            r.say(format_args!("Exiting {function} after {micros} us"));
            r.attr("function", function);
        },
    },
];
