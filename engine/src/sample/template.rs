//! Message templates: what a service says at a point of a span, at a level.
//!
//! A [`Template`] renders the message, the attributes, and for errors the
//! [`ErrorInfo`], through a [`Render`] that carries the record's context and
//! the seeded RNG. The tables live in one file per service family.

mod auth;
mod common;
mod injected;
mod llm;
mod memory;
mod orchestration;
mod retrieval;
mod tool;

use std::fmt::{self, Write};
use std::net::Ipv4Addr;

use rand::Rng;
use rand::rngs::StdRng;

pub(super) use injected::NEW_TEMPLATE;

use super::stack_trace::stack_trace;
use super::vocab::Service;
use crate::record::{ErrorInfo, LogLevel, Metrics};

/// Where in an execution (or outside one) a record is emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// First record of a span that has two (info level).
    Open,
    /// Last or only record of a span (info level); carries the duration.
    Close,
    /// Any record of a span at a level other than info.
    Any,
    /// A record outside any execution (health, housekeeping).
    Background,
    /// The first record of an execution (root span).
    ExecStart,
    /// The last record of a successful execution.
    ExecEnd,
    /// The last record of an execution that hit a non-retriable error.
    ExecFailed,
    /// The last record of an execution cut short by a fatal error.
    ExecAborted,
}

impl Slot {
    const COUNT: usize = 8;

    fn index(self) -> usize {
        self as usize
    }
}

/// One message template.
pub(super) struct Template {
    /// `None`: usable by every service.
    pub service: Option<Service>,
    pub level: LogLevel,
    pub slot: Slot,
    pub render: fn(&mut Render<'_>),
}

/// Every template, in a fixed order (the order is part of determinism).
pub(super) fn all() -> impl Iterator<Item = &'static Template> {
    [
        orchestration::TEMPLATES,
        llm::TEMPLATES,
        retrieval::TEMPLATES,
        tool::TEMPLATES,
        memory::TEMPLATES,
        auth::TEMPLATES,
        common::TEMPLATES,
    ]
    .into_iter()
    .flatten()
}

/// Templates grouped by (service, level, slot) for O(1) selection.
pub(super) struct TemplateIndex {
    buckets: Vec<Vec<&'static Template>>,
    background: Vec<Vec<&'static Template>>,
}

fn key(service: Service, level: LogLevel, slot: Slot) -> usize {
    (service.index() * LogLevel::ALL.len() + level as usize) * Slot::COUNT + slot.index()
}

impl TemplateIndex {
    pub(super) fn new() -> Self {
        let mut buckets = vec![Vec::new(); Service::ALL.len() * LogLevel::ALL.len() * Slot::COUNT];
        let mut background = vec![Vec::new(); Service::ALL.len()];
        for template in all() {
            let services: &[Service] = match &template.service {
                Some(service) => std::slice::from_ref(service),
                None => &Service::ALL,
            };
            for &service in services {
                buckets[key(service, template.level, template.slot)].push(template);
                if template.slot == Slot::Background {
                    background[service.index()].push(template);
                }
            }
        }
        TemplateIndex {
            buckets,
            background,
        }
    }

    /// Templates of `service` for `level` at `slot`; falls back to the
    /// level's `Any` slot, then to info `Close` (which every service has).
    pub(super) fn candidates(
        &self,
        service: Service,
        level: LogLevel,
        slot: Slot,
    ) -> &[&'static Template] {
        let exact = &self.buckets[key(service, level, slot)];
        if !exact.is_empty() {
            return exact;
        }
        let any = &self.buckets[key(service, level, Slot::Any)];
        if !any.is_empty() {
            return any;
        }
        &self.buckets[key(service, LogLevel::Info, Slot::Close)]
    }

    /// Background templates of `service`, any level.
    pub(super) fn background(&self, service: Service) -> &[&'static Template] {
        &self.background[service.index()]
    }
}

/// What a template sees of the execution it reports on.
#[derive(Debug, Clone, Copy)]
pub(super) struct ExecView<'a> {
    pub id: &'a str,
    /// 1-based index of the current step.
    pub step: u32,
    pub max_steps: u32,
    pub errors: u32,
    pub total_ms: f64,
    pub tokens: u64,
    pub failed_service: &'static str,
}

/// The state one template renders into.
pub(super) struct Render<'a> {
    pub rng: &'a mut StdRng,
    pub service: Service,
    pub level: LogLevel,
    pub msg: String,
    attrs: String,
    pub metrics: Metrics,
    pub error: Option<ErrorInfo>,
    pub component: Option<&'static str>,
    /// Duration drawn for this span, in ms.
    pub duration_ms: f64,
    /// Span-stable picks, so a span's records name the same model/tool/index.
    pub model: &'static str,
    pub tool: &'static str,
    pub index: &'static str,
    pub agent_id: &'a str,
    pub user_id: &'a str,
    pub exec: ExecView<'a>,
    /// LLM tokens this record reports, added to the execution's total.
    pub tokens: u64,
}

/// A value of the `attributes` object.
pub(super) enum Attr<'a> {
    Str(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl From<&'static str> for Attr<'static> {
    fn from(v: &'static str) -> Self {
        Attr::Str(v)
    }
}
impl From<u32> for Attr<'_> {
    fn from(v: u32) -> Self {
        Attr::Int(i64::from(v))
    }
}
impl From<u64> for Attr<'_> {
    fn from(v: u64) -> Self {
        Attr::Int(v as i64)
    }
}
impl From<f64> for Attr<'_> {
    fn from(v: f64) -> Self {
        Attr::Float(v)
    }
}
impl From<bool> for Attr<'_> {
    fn from(v: bool) -> Self {
        Attr::Bool(v)
    }
}

/// Rounds to two decimals.
pub(super) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl<'a> Render<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        rng: &'a mut StdRng,
        service: Service,
        level: LogLevel,
        metrics: Metrics,
        duration_ms: f64,
        picks: (&'static str, &'static str, &'static str),
        agent_id: &'a str,
        user_id: &'a str,
        exec: ExecView<'a>,
    ) -> Self {
        Render {
            rng,
            service,
            level,
            msg: String::with_capacity(112),
            attrs: String::with_capacity(112),
            metrics,
            error: None,
            component: None,
            duration_ms,
            model: picks.0,
            tool: picks.1,
            index: picks.2,
            agent_id,
            user_id,
            exec,
            tokens: 0,
        }
    }

    /// Writes the message.
    pub(super) fn say(&mut self, args: fmt::Arguments<'_>) {
        let _ = self.msg.write_fmt(args);
    }

    /// Uniform integer in `lo..=hi`.
    pub(super) fn int(&mut self, lo: u32, hi: u32) -> u32 {
        self.rng.random_range(lo..=hi)
    }

    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }

    pub(super) fn hex32(&mut self) -> u32 {
        self.rng.random()
    }

    pub(super) fn ip(&mut self) -> Ipv4Addr {
        let [a, b, c] = [
            self.rng.random_range(0..8u8),
            self.rng.random_range(0..32u8),
            self.rng.random_range(2..250u8),
        ];
        Ipv4Addr::new(10, a, b, c)
    }

    /// The span's duration in whole ms, as the message should print it.
    pub(super) fn ms(&self) -> u64 {
        self.duration_ms.round() as u64
    }

    /// Sets the reported duration (messages such as "timed out after 30000 ms").
    pub(super) fn took(&mut self, ms: f64) {
        self.duration_ms = ms;
        self.metrics.duration_ms = Some(round2(ms));
    }

    pub(super) fn sizes(&mut self, request: u64, response: u64) {
        self.metrics.request_size_bytes = Some(request as i64);
        self.metrics.response_size_bytes = Some(response as i64);
    }

    /// Adds `"key": value` to the attributes.
    pub(super) fn attr<'v>(&mut self, key: &str, value: impl Into<Attr<'v>>) {
        self.attrs
            .push(if self.attrs.is_empty() { '{' } else { ',' });
        push_json_str(&mut self.attrs, key);
        self.attrs.push(':');
        match value.into() {
            Attr::Str(s) => push_json_str(&mut self.attrs, s),
            Attr::Int(i) => {
                let _ = write!(self.attrs, "{i}");
            }
            Attr::Float(f) if f.is_finite() => {
                let _ = write!(self.attrs, "{f}");
            }
            Attr::Float(_) => self.attrs.push_str("null"),
            Attr::Bool(b) => self.attrs.push_str(if b { "true" } else { "false" }),
        }
    }

    /// Reports the message as an error of `error_type`; a stack trace is
    /// attached to most errors and every fatal.
    pub(super) fn fail(&mut self, error_type: &str, code: &str, retriable: bool) {
        let with_trace = self.level == LogLevel::Fatal || self.rng.random_bool(0.85);
        let stack = with_trace.then(|| stack_trace(self.rng, self.service, error_type, &self.msg));
        self.error = Some(ErrorInfo {
            error_type: Some(error_type.to_owned()),
            message: Some(self.msg.clone()),
            stack_trace: stack,
            error_code: Some(code.to_owned()),
            is_retriable: Some(retriable),
        });
        self.attr("retriable", retriable);
    }

    /// Finishes: the message and the attributes object (with `region`).
    pub(super) fn finish(mut self, region: &str) -> Rendered {
        self.attr("region", Attr::Str(region));
        self.attrs.push('}');
        Rendered {
            message: self.msg,
            attributes: self.attrs,
            metrics: self.metrics,
            error: self.error,
            component: self.component,
            tokens: self.tokens,
        }
    }
}

/// The output of a template.
pub(super) struct Rendered {
    pub message: String,
    pub attributes: String,
    pub metrics: Metrics,
    pub error: Option<ErrorInfo>,
    pub component: Option<&'static str>,
    pub tokens: u64,
}

/// Appends `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
