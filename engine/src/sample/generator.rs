//! [`SampleGenerator`]: the simulated platform and its record stream.

use std::fmt;

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

use super::SampleConfig;
use super::anomaly::{AnomalyKind, ERROR_BURST_SHARE, LATENCY_FACTOR, NEW_TEMPLATE_SHARE, Window};
use super::execution::{EventKind, Execution, Planner, Span, SpanSource};
use super::ids::IdKeys;
use super::injector::{Injector, Target};
use super::template::{ExecView, NEW_TEMPLATE, Render, Slot, TemplateIndex, round2};
use super::timeline::Timeline;
use super::truth::GroundTruth;
use super::vocab::{AGENT_ROLES, INDEXES, MODELS, REGIONS, Service, TOOLS, WORKSPACES};
use crate::error::Result;
use crate::record::{Context, LogLevel, Metrics, StructuredLog};

/// Executions in flight at once; their records interleave.
const CONCURRENT_EXECUTIONS: usize = 16;
/// Share of records that belong to no execution.
const BACKGROUND_SHARE: f64 = 0.06;
/// Services that log outside executions.
const BACKGROUND_SERVICES: [Service; 6] = [
    Service::Orchestrator,
    Service::Orchestrator,
    Service::LlmGateway,
    Service::VectorDb,
    Service::MemoryStore,
    Service::Auth,
];
const ENVIRONMENTS: [&str; 2] = ["production", "staging"];

/// Level of a span record, as cumulative probabilities; the rest is info.
/// Execution ends add errors (failed and aborted runs), so the drawn error
/// share sits below the target mix.
const LEVEL_CDF: [(f64, LogLevel); 5] = [
    (0.003, LogLevel::Trace),
    (0.017, LogLevel::Debug),
    (0.134, LogLevel::Warn),
    (0.194, LogLevel::Error),
    (0.2065, LogLevel::Fatal),
];

#[derive(Debug, Clone)]
struct Agent {
    id: String,
    workspace: usize,
    environment: usize,
    region: &'static str,
    model: &'static str,
}

#[derive(Debug, Clone)]
struct Release {
    version: String,
    deployment_id: String,
}

/// A (workspace, environment) deployment that rolls from `before` to
/// `after` at `rollout_us`.
#[derive(Debug, Clone)]
struct Deployment {
    before: Release,
    after: Release,
    rollout_us: i64,
}

/// Mints span ids and draws span properties.
struct SpanFactory {
    keys: IdKeys,
    counter: u64,
    model: &'static str,
}

impl SpanSource for SpanFactory {
    fn span(&mut self, rng: &mut StdRng, service: Service, parent: Option<usize>) -> Span {
        let id = self.keys.span_id(self.counter);
        self.counter += 1;
        let (median, sigma) = service.latency();
        let model = if rng.random_bool(0.75) {
            self.model
        } else {
            MODELS[rng.random_range(0..MODELS.len())]
        };
        Span {
            id,
            parent,
            service,
            duration_ms: median * (sigma * normal(rng)).exp(),
            model,
            tool: TOOLS[rng.random_range(0..TOOLS.len())],
            index: INDEXES[rng.random_range(0..INDEXES.len())],
        }
    }
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A stream of sample records; see the [module docs](super).
pub struct SampleGenerator {
    config: SampleConfig,
    rng: StdRng,
    timeline: Timeline,
    keys: IdKeys,
    spans: SpanFactory,
    templates: TemplateIndex,
    workspaces: Vec<String>,
    agents: Vec<Agent>,
    /// Cumulative activity weights of `agents` (Zipf-like: a few busy ones).
    agent_weights: Vec<f64>,
    /// Indexed by `workspace * 2 + environment`.
    deployments: Vec<Deployment>,
    pool: Vec<Option<Execution>>,
    records: u64,
    executions: u64,
    /// The anomaly plan at work; `None` without anomalies.
    injector: Option<Injector>,
    /// The main stream's next timestamp, drawn before a spike record that
    /// went first.
    pending_us: Option<i64>,
}

impl fmt::Debug for SampleGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SampleGenerator")
            .field("config", &self.config)
            .field("records", &self.records)
            .field("executions", &self.executions)
            .finish_non_exhaustive()
    }
}

impl SampleGenerator {
    /// Builds the platform (workspaces, agents, deployments) from `config`.
    ///
    /// # Panics
    ///
    /// If the anomaly plan names an entity the platform lacks or an empty
    /// window; [`try_new`](Self::try_new) reports that as an error instead.
    pub fn new(config: SampleConfig) -> Self {
        match Self::try_new(config) {
            Ok(generator) => generator,
            Err(e) => panic!("SampleGenerator::new: {e}"),
        }
    }

    /// Builds the platform (workspaces, agents, deployments) from `config`
    /// and resolves its anomaly plan: drawn entities and windows come from
    /// the seed; an explicit entity must exist and a window be non-empty,
    /// or [`Error::Config`](crate::Error::Config) says which does not.
    pub fn try_new(config: SampleConfig) -> Result<Self> {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let duration_us = config.duration_us.max(1);
        let keys = IdKeys {
            log: rng.next_u64(),
            exec: rng.next_u64(),
            trace: rng.next_u64(),
            span: rng.next_u64(),
        };

        let workspace_count = config.workspaces.max(1);
        let workspaces: Vec<String> = (0..workspace_count)
            .map(|w| match WORKSPACES.get(w) {
                Some(name) => (*name).to_owned(),
                None => format!("ws-{}", w + 1),
            })
            .collect();

        let mut role_counts = [0u32; AGENT_ROLES.len()];
        let mut agents = Vec::with_capacity(config.agents.max(1));
        for a in 0..config.agents.max(1) {
            let role = rng.random_range(0..AGENT_ROLES.len());
            role_counts[role] += 1;
            // Every workspace gets an agent first; then bigger tenants get more.
            let workspace = if a < workspace_count {
                a
            } else {
                let x: f64 = rng.random();
                ((x * x) * workspace_count as f64) as usize
            };
            agents.push(Agent {
                id: format!("agent-{}-{}", AGENT_ROLES[role], role_counts[role]),
                workspace,
                environment: usize::from(rng.random_bool(0.25)),
                region: REGIONS[rng.random_range(0..REGIONS.len())],
                model: MODELS[rng.random_range(0..MODELS.len())],
            });
        }
        let mut agent_weights = Vec::with_capacity(agents.len());
        let mut acc = 0.0;
        for rank in 0..agents.len() {
            acc += 1.0 / (rank as f64 + 1.0).powf(0.8);
            agent_weights.push(acc);
        }

        let mut deployments = Vec::with_capacity(workspace_count * 2);
        for _ in 0..workspace_count {
            let minor = rng.random_range(8..24u32);
            let patch = rng.random_range(0..10u32);
            for environment in 0..2 {
                let (lo, hi) = if environment == 0 {
                    (0.35, 0.75)
                } else {
                    (0.05, 0.35)
                };
                let at: f64 = rng.random_range(lo..hi);
                let release = |rng: &mut StdRng, version: String| {
                    let mut deployment_id = String::from("dep-");
                    super::ids::push_hex(&mut deployment_id, rng.next_u64(), 8);
                    Release {
                        version,
                        deployment_id,
                    }
                };
                let before = release(&mut rng, format!("1.{minor}.{patch}"));
                let after = if rng.random_bool(0.5) {
                    release(&mut rng, format!("1.{minor}.{}", patch + 1))
                } else {
                    release(&mut rng, format!("1.{}.0", minor + 1))
                };
                deployments.push(Deployment {
                    before,
                    after,
                    rollout_us: config
                        .start_us
                        .saturating_add((duration_us as f64 * at) as i64),
                });
            }
        }

        let injector = {
            let ids: Vec<&str> = agents.iter().map(|a| a.id.as_str()).collect();
            Injector::try_new(&config, &ids, &agent_weights)?
        };
        // A spike's records come on top of the main stream's: leave room
        // for the ones it surely adds, so `total` records still fill the
        // window and none spills past it.
        let range = Window {
            start_us: config.start_us,
            end_us: config.start_us.saturating_add(duration_us),
        };
        let extra = injector
            .as_ref()
            .map_or(0, |injector| injector.min_extra_records(range));
        let main_total = config.total.max(1).saturating_sub(extra).max(1);
        let timeline = Timeline::new(config.start_us, duration_us, main_total);

        Ok(SampleGenerator {
            rng,
            timeline,
            spans: SpanFactory {
                keys: keys.clone(),
                counter: 0,
                model: MODELS[0],
            },
            keys,
            templates: TemplateIndex::new(),
            workspaces,
            agents,
            agent_weights,
            deployments,
            pool: (0..CONCURRENT_EXECUTIONS).map(|_| None).collect(),
            records: 0,
            executions: 0,
            injector,
            pending_us: None,
            config,
        })
    }

    /// What the anomaly plan injected, one entry per anomaly in plan order;
    /// empty without anomalies. Windows and entities are fixed from the
    /// start; counts and execution ids are final once generation has passed
    /// the window's end.
    pub fn ground_truth(&self) -> Vec<GroundTruth> {
        self.injector
            .as_ref()
            .map_or_else(Vec::new, Injector::truth)
    }

    /// The next `n` records, continuing where the previous call stopped.
    pub fn generate(&mut self, n: usize) -> Vec<StructuredLog> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.next_record());
        }
        out
    }

    fn next_record(&mut self) -> StructuredLog {
        let timestamp_us = match self.pending_us.take() {
            Some(t) => t,
            None => self.timeline.next(self.rng.random()),
        };
        if self.injector.is_some()
            && let Some(record) = self.spike_record(timestamp_us)
        {
            self.pending_us = Some(timestamp_us);
            return record;
        }
        if self.rng.random_bool(BACKGROUND_SHARE) {
            return self.background_record(timestamp_us);
        }
        let slot = self.rng.random_range(0..self.pool.len());
        let mut exec = match self.pool[slot].take() {
            Some(exec) => exec,
            None => self.start_execution(timestamp_us),
        };
        let record = self.execution_record(&mut exec, timestamp_us);
        if exec.next < exec.events.len() {
            self.pool[slot] = Some(exec);
        }
        record
    }

    /// The record of a spiking agent due before the main stream's next
    /// record at `main_us`, if any.
    fn spike_record(&mut self, main_us: i64) -> Option<StructuredLog> {
        let injector = self.injector.as_mut()?;
        let mut turn = loop {
            let i = injector.spike_due(main_us)?;
            if let Some(turn) = injector.spike_take(i) {
                break turn;
            }
        };
        let agent = injector.agent(turn.anomaly)?;
        let mut exec = match turn.exec.take() {
            Some(exec) => exec,
            None => self.start_execution_for(agent, turn.at_us),
        };
        let record = self.execution_record(&mut exec, turn.at_us);
        if exec.next < exec.events.len()
            && let Some(injector) = self.injector.as_mut()
        {
            injector.spike_put(&turn, exec);
        }
        Some(record)
    }

    fn pick_agent(&mut self) -> usize {
        let total = self.agent_weights.last().copied().unwrap_or(1.0);
        let x = self.rng.random::<f64>() * total;
        self.agent_weights
            .partition_point(|&w| w <= x)
            .min(self.agents.len() - 1)
    }

    fn start_execution(&mut self, timestamp_us: i64) -> Execution {
        let agent = self.pick_agent();
        self.start_execution_for(agent, timestamp_us)
    }

    fn start_execution_for(&mut self, agent: usize, timestamp_us: i64) -> Execution {
        let counter = self.executions;
        self.executions += 1;
        let id = self.keys.execution_id(timestamp_us, counter);
        let trace_id = self.keys.trace_id(counter, self.rng.next_u64());
        let user = agent_user(&mut self.rng, self.agents[agent].workspace);
        self.spans.model = self.agents[agent].model;
        let (spans, events, steps) = Planner::new(&mut self.rng, &mut self.spans).plan();
        let max_steps = [10, 15, 20, 25][self.rng.random_range(0..4)];
        let mut exec = Execution {
            id,
            trace_id,
            agent,
            user_id: user,
            spans,
            events,
            next: 0,
            steps,
            max_steps,
            errors: 0,
            failed: false,
            aborted: false,
            failed_service: "",
            total_ms: 0.0,
            tokens: 0,
            ends: true,
        };
        if let Some(injector) = self.injector.as_mut() {
            let broken = injector.find(
                AnomalyKind::BrokenSequence,
                Target::Agent(agent),
                timestamp_us,
            );
            if let Some(i) = broken {
                exec.events.pop();
                exec.ends = false;
                injector.note_execution(i, &exec.id);
            }
        }
        exec
    }

    fn draw_level(&mut self) -> LogLevel {
        let x: f64 = self.rng.random();
        LEVEL_CDF
            .iter()
            .find(|(p, _)| x < *p)
            .map_or(LogLevel::Info, |&(_, level)| level)
    }

    fn base_metrics(&mut self, service: Service) -> Metrics {
        let memory = service.memory_mb() * (0.25 * normal(&mut self.rng)).exp();
        let u: f64 = self.rng.random();
        let cpu = (3.0 + 85.0 * u * u * u + 4.0 * self.rng.random::<f64>()).min(100.0);
        Metrics {
            memory_mb: Some(round2(memory)),
            cpu_percent: Some((cpu * 10.0).round() / 10.0),
            ..Metrics::default()
        }
    }

    fn execution_record(&mut self, exec: &mut Execution, timestamp_us: i64) -> StructuredLog {
        let event = exec.events[exec.next];
        exec.next += 1;
        let span_index = usize::from(event.span);
        let (service, mut span_ms) = {
            let span = &exec.spans[span_index];
            (span.service, span.duration_ms)
        };
        // Anomalies on this service at this time, by index into the plan.
        let [latency, burst, novel] = match &self.injector {
            Some(injector) => [
                AnomalyKind::LatencyShift,
                AnomalyKind::ErrorBurst,
                AnomalyKind::NewTemplate,
            ]
            .map(|kind| injector.find(kind, Target::Service(service), timestamp_us)),
            None => [None; 3],
        };
        if latency.is_some() {
            span_ms *= LATENCY_FACTOR;
        }
        let mut forced_error = false;
        let (mut level, mut slot) = match event.kind {
            EventKind::Start => (LogLevel::Info, Slot::ExecStart),
            EventKind::End if exec.aborted => (LogLevel::Error, Slot::ExecAborted),
            EventKind::End if exec.failed => (LogLevel::Error, Slot::ExecFailed),
            EventKind::End => (LogLevel::Info, Slot::ExecEnd),
            EventKind::Open | EventKind::Close => {
                let level = if burst.is_some() && self.rng.random_bool(ERROR_BURST_SHARE) {
                    forced_error = true;
                    LogLevel::Error
                } else {
                    self.draw_level()
                };
                match level {
                    LogLevel::Info if event.kind == EventKind::Open => (LogLevel::Info, Slot::Open),
                    LogLevel::Info => (LogLevel::Info, Slot::Close),
                    level => (level, Slot::Any),
                }
            }
        };
        let said_new = novel.is_some()
            && matches!(slot, Slot::Open | Slot::Close)
            && self.rng.random_bool(NEW_TEMPLATE_SHARE);
        if said_new {
            (level, slot) = (NEW_TEMPLATE.level, NEW_TEMPLATE.slot);
        }
        let mut metrics = self.base_metrics(service);
        if slot == Slot::Close || level >= LogLevel::Error {
            metrics.duration_ms = Some(round2(span_ms));
        }
        let template = if said_new {
            &NEW_TEMPLATE
        } else {
            let candidates = self.templates.candidates(service, level, slot);
            candidates[self.rng.random_range(0..candidates.len())]
        };
        let agent = &self.agents[exec.agent];
        let span = &exec.spans[span_index];
        let view = ExecView {
            id: &exec.id,
            step: if event.kind == EventKind::End {
                exec.steps
            } else {
                event.step.max(1)
            },
            max_steps: exec.max_steps,
            errors: exec.errors,
            total_ms: exec.total_ms + span_ms,
            tokens: exec.tokens,
            failed_service: exec.failed_service,
        };
        let mut render = Render::new(
            &mut self.rng,
            service,
            level,
            metrics,
            span_ms,
            (span.model, span.tool, span.index),
            &agent.id,
            &exec.user_id,
            view,
        );
        (template.render)(&mut render);
        let rendered = render.finish(agent.region);

        let component = match rendered.component {
            Some(component) => component,
            None => {
                let components = service.components();
                components[self.rng.random_range(0..components.len())]
            }
        };
        let log_id = self
            .keys
            .log_id(timestamp_us, self.records, self.rng.random());
        self.records += 1;
        let record = StructuredLog {
            log_id,
            agent_id: agent.id.clone(),
            execution_id: Some(exec.id.clone()),
            timestamp_us,
            log_level: level,
            message: rendered.message,
            service: Some(service.name().to_owned()),
            component: Some(component.to_owned()),
            trace_id: Some(exec.trace_id.clone()),
            span_id: Some(span.id.clone()),
            parent_span_id: span.parent.map(|p| exec.spans[p].id.clone()),
            context: self.context(exec.agent, Some(&exec.user_id), timestamp_us),
            metrics: rendered.metrics,
            error: rendered.error,
            attributes: Some(rendered.attributes),
        };

        if let Some(injector) = self.injector.as_mut() {
            let shifted = latency.filter(|_| record.metrics.duration_ms.is_some());
            let changed = [
                shifted,
                burst.filter(|_| forced_error),
                novel.filter(|_| said_new),
            ];
            for i in changed.into_iter().flatten() {
                injector.note_record(i);
            }
        }

        // Bookkeeping for the execution's end record.
        if span_index != 0 {
            exec.total_ms += record.metrics.duration_ms.unwrap_or(0.0);
        }
        exec.tokens += rendered.tokens;
        if level >= LogLevel::Error && !matches!(event.kind, EventKind::End) {
            exec.errors += 1;
            let retriable = record.error.as_ref().and_then(|e| e.is_retriable);
            if level == LogLevel::Fatal || retriable == Some(false) {
                exec.failed = true;
                exec.failed_service = service.name();
            }
            if level == LogLevel::Fatal {
                exec.aborted = true;
                exec.next = exec.next.max(exec.events.len() - usize::from(exec.ends));
            }
        }
        record
    }

    fn background_record(&mut self, timestamp_us: i64) -> StructuredLog {
        let agent_index = self.pick_agent();
        let service = BACKGROUND_SERVICES[self.rng.random_range(0..BACKGROUND_SERVICES.len())];
        let candidates = self.templates.background(service);
        let template = candidates[self.rng.random_range(0..candidates.len())];
        let metrics = self.base_metrics(service);
        let picks = (
            MODELS[self.rng.random_range(0..MODELS.len())],
            TOOLS[self.rng.random_range(0..TOOLS.len())],
            INDEXES[self.rng.random_range(0..INDEXES.len())],
        );
        let agent = &self.agents[agent_index];
        let view = ExecView {
            id: "",
            step: 0,
            max_steps: 0,
            errors: 0,
            total_ms: 0.0,
            tokens: 0,
            failed_service: "",
        };
        let mut render = Render::new(
            &mut self.rng,
            service,
            template.level,
            metrics,
            0.0,
            picks,
            &agent.id,
            "",
            view,
        );
        (template.render)(&mut render);
        let rendered = render.finish(agent.region);
        let component = rendered.component.unwrap_or(service.components()[0]);
        let log_id = self
            .keys
            .log_id(timestamp_us, self.records, self.rng.random());
        self.records += 1;
        StructuredLog {
            log_id,
            agent_id: agent.id.clone(),
            execution_id: None,
            timestamp_us,
            log_level: template.level,
            message: rendered.message,
            service: Some(service.name().to_owned()),
            component: Some(component.to_owned()),
            trace_id: None,
            span_id: None,
            parent_span_id: None,
            context: self.context(agent_index, None, timestamp_us),
            metrics: rendered.metrics,
            error: rendered.error,
            attributes: Some(rendered.attributes),
        }
    }

    fn context(&self, agent: usize, user_id: Option<&str>, timestamp_us: i64) -> Context {
        let agent = &self.agents[agent];
        let deployment = &self.deployments[agent.workspace * 2 + agent.environment];
        let release = if timestamp_us < deployment.rollout_us {
            &deployment.before
        } else {
            &deployment.after
        };
        Context {
            user_id: user_id.map(str::to_owned),
            workspace_id: self.workspaces[agent.workspace].clone(),
            environment: Some(ENVIRONMENTS[agent.environment].to_owned()),
            version: Some(release.version.clone()),
            deployment_id: Some(release.deployment_id.clone()),
        }
    }
}

/// A user of the workspace: `user-<n>`, a few hundred per workspace.
fn agent_user(rng: &mut StdRng, workspace: usize) -> String {
    let n = workspace * 1_000 + rng.random_range(1..=400);
    format!("user-{n}")
}
