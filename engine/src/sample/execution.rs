//! One execution: a trace planned up front as spans and the events they log.

use rand::Rng;
use rand::rngs::StdRng;

use super::vocab::Service;

/// A span of an execution; `parent` indexes `Execution::spans`.
#[derive(Debug, Clone)]
pub(super) struct Span {
    pub id: String,
    pub parent: Option<usize>,
    pub service: Service,
    /// Duration of the span in ms, drawn log-normal per service.
    pub duration_ms: f64,
    pub model: &'static str,
    pub tool: &'static str,
    pub index: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EventKind {
    /// The root span's first record.
    Start,
    /// The first of a span's two records.
    Open,
    /// The last (or only) record of a span.
    Close,
    /// The root span's last record.
    End,
}

/// A record to emit: which span, where in it, at which step.
#[derive(Debug, Clone, Copy)]
pub(super) struct Event {
    pub span: u16,
    pub kind: EventKind,
    pub step: u32,
}

/// An execution in flight.
#[derive(Debug, Clone)]
pub(super) struct Execution {
    pub id: String,
    pub trace_id: String,
    pub agent: usize,
    pub user_id: String,
    pub spans: Vec<Span>,
    pub events: Vec<Event>,
    /// Index of the next event to emit.
    pub next: usize,
    pub steps: u32,
    pub max_steps: u32,
    pub errors: u32,
    /// A non-retriable error happened: the execution ends as failed.
    pub failed: bool,
    /// A fatal happened: the remaining events are skipped.
    pub aborted: bool,
    pub failed_service: &'static str,
    pub total_ms: f64,
    pub tokens: u64,
    /// Whether the last event is the `End` record; a `broken_sequence`
    /// anomaly drops it.
    pub ends: bool,
}

/// Draws a span's properties; supplied by the generator, which owns the
/// id counters and the agent's preferences.
pub(super) trait SpanSource {
    fn span(&mut self, rng: &mut StdRng, service: Service, parent: Option<usize>) -> Span;
}

/// Builds the spans and events of one execution.
pub(super) struct Planner<'a, S: SpanSource> {
    rng: &'a mut StdRng,
    source: &'a mut S,
    spans: Vec<Span>,
    events: Vec<Event>,
    step: u32,
}

const ROOT: usize = 0;

impl<'a, S: SpanSource> Planner<'a, S> {
    pub(super) fn new(rng: &'a mut StdRng, source: &'a mut S) -> Self {
        let root = source.span(rng, Service::Orchestrator, None);
        let mut planner = Planner {
            rng,
            source,
            spans: Vec::with_capacity(16),
            events: Vec::with_capacity(24),
            step: 0,
        };
        planner.spans.push(root);
        planner.emit(ROOT, EventKind::Start);
        planner
    }

    fn emit(&mut self, span: usize, kind: EventKind) {
        self.events.push(Event {
            span: span as u16,
            kind,
            step: self.step,
        });
    }

    fn open(&mut self, service: Service, parent: usize) -> usize {
        let span = self.source.span(self.rng, service, Some(parent));
        self.spans.push(span);
        self.spans.len() - 1
    }

    /// A span with one record, or two when `two` holds.
    fn leaf(&mut self, service: Service, parent: usize, p_two: f64) -> usize {
        let span = self.open(service, parent);
        if self.rng.random_bool(p_two) {
            self.emit(span, EventKind::Open);
        }
        self.emit(span, EventKind::Close);
        span
    }

    /// Plans the body: auth, memory load, 1-6 steps, memory save, end.
    /// Returns (spans, events, steps).
    pub(super) fn plan(mut self) -> (Vec<Span>, Vec<Event>, u32) {
        if self.rng.random_bool(0.7) {
            self.leaf(Service::Auth, ROOT, 0.0);
        }
        if self.rng.random_bool(0.6) {
            self.leaf(Service::MemoryStore, ROOT, 0.3);
        }
        let mut steps = 1;
        while steps < 6 && self.rng.random_bool(0.55) {
            steps += 1;
        }
        for step in 1..=steps {
            self.step = step;
            if self.rng.random_bool(0.15) {
                self.emit(ROOT, EventKind::Open);
            }
            if (step == 1 && self.rng.random_bool(0.7)) || self.rng.random_bool(0.2) {
                let planner = self.open(Service::Planner, ROOT);
                self.emit(planner, EventKind::Open);
                self.leaf(Service::LlmGateway, planner, 0.4);
                self.emit(planner, EventKind::Close);
            }
            let action: f64 = self.rng.random();
            if action < 0.35 {
                self.leaf(Service::LlmGateway, ROOT, 0.5);
            } else if action < 0.65 {
                let retriever = self.open(Service::Retriever, ROOT);
                self.emit(retriever, EventKind::Open);
                self.leaf(Service::VectorDb, retriever, 0.2);
                self.emit(retriever, EventKind::Close);
            } else {
                let tool = self.open(Service::ToolExecutor, ROOT);
                self.emit(tool, EventKind::Open);
                if self.rng.random_bool(0.3) {
                    self.leaf(Service::Auth, tool, 0.0);
                }
                self.emit(tool, EventKind::Close);
            }
            if self.rng.random_bool(0.25) {
                self.emit(ROOT, EventKind::Close);
            }
        }
        if self.rng.random_bool(0.5) {
            self.leaf(Service::MemoryStore, ROOT, 0.0);
        }
        self.emit(ROOT, EventKind::End);
        (self.spans, self.events, steps)
    }
}
