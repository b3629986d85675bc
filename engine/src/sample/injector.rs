//! [`Injector`]: the anomaly plan resolved against the platform (entities,
//! windows, spike schedules), answering the generator's per-record
//! questions and keeping the ground truth.
//!
//! It draws from its own RNG, seeded from the config's seed, so a config
//! without anomalies makes exactly the draws it made before anomalies
//! existed.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::SampleConfig;
use super::anomaly::{
    Anomaly, AnomalyKind, ERROR_BURST_SHARE, EntityKind, LATENCY_FACTOR, MAX_WINDOW_US,
    MISSING_STEP, NEW_TEMPLATE_LITERAL, NEW_TEMPLATE_PATTERN, NEW_TEMPLATE_SHARE, SPIKE_FACTOR,
    Window,
};
use super::execution::Execution;
use super::ids::mix64;
use super::truth::{AnomalyDetails, GroundTruth};
use super::vocab::Service;
use crate::error::{Error, Result};

/// Mixed into the seed for the injector's RNG.
const SALT: u64 = 0x616e_6f6d_616c_7921;
const MINUTE_US: i128 = 60_000_000;
/// Executions of a spiking agent in flight at once.
const SPIKE_POOL: usize = 4;
/// Near the end of its schedule a spike starts no new executions, so the
/// ones in flight can finish inside the window.
const SPIKE_TAIL: u64 = 40;

/// What an anomaly affects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// An index into the generator's agents.
    Agent(usize),
    Service(Service),
}

/// The extra records of a `volume_spike`: `planned` timestamps spread over
/// the window, each served by one of a small pool of the agent's executions.
#[derive(Debug)]
struct Spike {
    planned: u64,
    issued: u64,
    next_us: i64,
    pool: Vec<Option<Execution>>,
}

impl Spike {
    fn busy(&self) -> Option<usize> {
        self.pool.iter().position(Option::is_some)
    }
}

#[derive(Debug)]
struct Active {
    kind: AnomalyKind,
    entity: String,
    target: Target,
    window: Window,
    records: u64,
    execution_ids: Vec<String>,
    spike: Option<Spike>,
}

/// A spike record to emit: from `slot` of anomaly `anomaly`'s pool (its
/// execution, if one is in flight), at `at_us`.
pub(super) struct SpikeTurn {
    pub anomaly: usize,
    pub slot: usize,
    pub exec: Option<Execution>,
    pub at_us: i64,
}

/// See the [module docs](self).
#[derive(Debug)]
pub(super) struct Injector {
    active: Vec<Active>,
    rng: StdRng,
}

impl Injector {
    /// Resolves `config.anomalies` against the platform's agents (ids and
    /// cumulative activity weights, busiest first); `None` when there are
    /// none.
    pub(super) fn try_new(
        config: &SampleConfig,
        agents: &[&str],
        agent_weights: &[f64],
    ) -> Result<Option<Injector>> {
        if config.anomalies.is_empty() {
            return Ok(None);
        }
        let mut rng = StdRng::seed_from_u64(mix64(config.seed ^ SALT));
        let windows = place_windows(&mut rng, config)?;

        // services that log inside executions, the root (orchestrator) excepted
        let mut services: Vec<Service> = Service::ALL[1..].to_vec();
        services.shuffle(&mut rng);
        let mut next_service = 0;
        let mut active = Vec::with_capacity(config.anomalies.len());
        for (anomaly, window) in config.anomalies.iter().zip(windows) {
            let target = match (&anomaly.entity, anomaly.kind.entity_kind()) {
                (Some(name), EntityKind::AgentId) => agents
                    .iter()
                    .position(|a| a == name)
                    .map(Target::Agent)
                    .ok_or_else(|| unknown(anomaly, name))?,
                (Some(name), EntityKind::Service) => Service::ALL
                    .into_iter()
                    .find(|s| s.name() == name)
                    .map(Target::Service)
                    .ok_or_else(|| unknown(anomaly, name))?,
                // A spike hits one of the busier agents but the busiest; a
                // broken sequence the busiest, whose window then holds the
                // most executions.
                (None, EntityKind::AgentId) => match anomaly.kind {
                    AnomalyKind::VolumeSpike if agents.len() > 1 => {
                        Target::Agent(rng.random_range(1..agents.len().min(4)))
                    }
                    _ => Target::Agent(0),
                },
                (None, EntityKind::Service) => {
                    let service = services[next_service % services.len()];
                    next_service += 1;
                    Target::Service(service)
                }
            };
            let entity = match target {
                Target::Agent(a) => agents[a].to_owned(),
                Target::Service(s) => s.name().to_owned(),
            };
            let spike = match (anomaly.kind, target) {
                (AnomalyKind::VolumeSpike, Target::Agent(a)) => {
                    let total_weight = agent_weights.last().copied().unwrap_or(1.0);
                    let weight = agent_weights[a] - if a == 0 { 0.0 } else { agent_weights[a - 1] };
                    let share = weight / total_weight;
                    let per_us = config.total.max(1) as f64 / config.duration_us.max(1) as f64;
                    let planned =
                        (SPIKE_FACTOR - 1.0) * share * per_us * window.len_us().max(0) as f64;
                    let mut spike = Spike {
                        planned: planned.round().clamp(0.0, 1e12) as u64,
                        issued: 0,
                        next_us: window.start_us,
                        pool: (0..SPIKE_POOL).map(|_| None).collect(),
                    };
                    spike.next_us = spike_time(&mut rng, window, &spike);
                    Some(spike)
                }
                _ => None,
            };
            active.push(Active {
                kind: anomaly.kind,
                entity,
                target,
                window,
                records: 0,
                execution_ids: Vec::new(),
                spike,
            });
        }
        Ok(Some(Injector { active, rng }))
    }

    /// The first anomaly of `kind` on `target` whose window holds `at_us`.
    pub(super) fn find(&self, kind: AnomalyKind, target: Target, at_us: i64) -> Option<usize> {
        self.active
            .iter()
            .position(|a| a.kind == kind && a.target == target && a.window.contains(at_us))
    }

    /// Counts one record anomaly `i` added or changed.
    pub(super) fn note_record(&mut self, i: usize) {
        self.active[i].records += 1;
    }

    /// Lists an execution anomaly `i` broke.
    pub(super) fn note_execution(&mut self, i: usize, id: &str) {
        self.active[i].execution_ids.push(id.to_owned());
    }

    /// The spike whose next record is due before the main stream's next
    /// record at `at_us`, the earliest first.
    pub(super) fn spike_due(&self, at_us: i64) -> Option<usize> {
        self.active
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let spike = a.spike.as_ref()?;
                let pending = spike.issued < spike.planned || spike.busy().is_some();
                (pending && spike.next_us <= at_us).then_some((spike.next_us, i))
            })
            .min()
            .map(|(_, i)| i)
    }

    /// Takes the next turn of spike `i`; `None` when its schedule ends
    /// without a record (the caller goes on with the main stream).
    pub(super) fn spike_take(&mut self, i: usize) -> Option<SpikeTurn> {
        let window = self.active[i].window;
        let spike = self.active[i].spike.as_mut()?;
        let at_us = spike.next_us;
        let slot = if spike.issued < spike.planned {
            let slot = self.rng.random_range(0..spike.pool.len());
            let tail = spike.issued + SPIKE_TAIL.min(spike.planned / 4) >= spike.planned;
            if spike.pool[slot].is_none() && tail {
                match spike.busy() {
                    Some(busy) => busy,
                    None => {
                        spike.issued = spike.planned;
                        return None;
                    }
                }
            } else {
                slot
            }
        } else {
            // Schedule done: flush the executions still in flight.
            spike.busy()?
        };
        if spike.issued < spike.planned {
            spike.issued += 1;
            if spike.issued < spike.planned {
                spike.next_us = spike_time(&mut self.rng, window, spike);
            }
        }
        self.active[i].records += 1;
        let spike = self.active[i].spike.as_mut()?;
        Some(SpikeTurn {
            anomaly: i,
            slot,
            exec: spike.pool[slot].take(),
            at_us,
        })
    }

    /// Returns an unfinished execution to its spike slot.
    pub(super) fn spike_put(&mut self, turn: &SpikeTurn, exec: Execution) {
        if let Some(spike) = self.active[turn.anomaly].spike.as_mut() {
            spike.pool[turn.slot] = Some(exec);
        }
    }

    /// Records the spikes inside `range` add at the least: every planned
    /// turn but those of the tail, where a spike may stop early.
    pub(super) fn min_extra_records(&self, range: Window) -> usize {
        let extra: u64 = self
            .active
            .iter()
            .filter(|a| range.start_us <= a.window.start_us && a.window.end_us <= range.end_us)
            .filter_map(|a| a.spike.as_ref())
            .map(|s| s.planned - SPIKE_TAIL.min(s.planned / 4))
            .sum();
        usize::try_from(extra).unwrap_or(usize::MAX)
    }

    /// The agent anomaly `i` targets, if an agent.
    pub(super) fn agent(&self, i: usize) -> Option<usize> {
        match self.active[i].target {
            Target::Agent(a) => Some(a),
            Target::Service(_) => None,
        }
    }

    /// The truth of every anomaly, in plan order.
    pub(super) fn truth(&self) -> Vec<GroundTruth> {
        self.active.iter().map(truth).collect()
    }
}

fn unknown(anomaly: &Anomaly, name: &str) -> Error {
    let field = match anomaly.kind.entity_kind() {
        EntityKind::AgentId => "agent id",
        EntityKind::Service => "service",
    };
    Error::Config(format!(
        "anomaly {}: no {field} {name:?} in the generated platform",
        anomaly.kind
    ))
}

/// Windows of the plan: explicit ones checked, the others drawn into
/// disjoint slots of the middle of the generated range (5% to 90%), one
/// slot each in shuffled order. Windows are `duration / 24` long, at most
/// [`MAX_WINDOW_US`]; from 10 minutes up they start on a whole minute.
fn place_windows(rng: &mut StdRng, config: &SampleConfig) -> Result<Vec<Window>> {
    let drawn = config
        .anomalies
        .iter()
        .filter(|a| a.window.is_none())
        .count();
    let duration = i128::from(config.duration_us.max(1));
    let lo = i128::from(config.start_us) + duration / 20;
    let hi = i128::from(config.start_us) + duration * 9 / 10;
    let slot_len = ((hi - lo) / drawn.max(1) as i128).max(1);
    let mut len = (duration / 24).min(i128::from(MAX_WINDOW_US)).min(slot_len);
    let unit = if len >= 10 * MINUTE_US { MINUTE_US } else { 1 };
    len = (len / unit * unit).max(1);
    let mut slots: Vec<usize> = (0..drawn).collect();
    slots.shuffle(rng);
    let clamp = |t: i128| t.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;

    let mut windows = Vec::with_capacity(config.anomalies.len());
    let mut slots = slots.into_iter();
    for anomaly in &config.anomalies {
        if let Some(window) = anomaly.window {
            if window.start_us >= window.end_us {
                return Err(Error::Config(format!(
                    "anomaly {}: empty window [{}, {})",
                    anomaly.kind, window.start_us, window.end_us
                )));
            }
            windows.push(window);
            continue;
        }
        let slot = slots.next().unwrap_or(0) as i128;
        let slot_start = lo + slot * slot_len;
        let first = slot_start + (unit - slot_start.rem_euclid(unit)) % unit;
        let room = slot_start + slot_len - len - first;
        let start = if room >= 0 {
            first + rng.random_range(0..=(room / unit) as u64) as i128 * unit
        } else {
            slot_start
        };
        windows.push(Window {
            start_us: clamp(start),
            end_us: clamp(start + len),
        });
    }
    Ok(windows)
}

/// The time of the spike's record number `issued`: evenly spread over the
/// window with jitter, so it never goes back.
fn spike_time(rng: &mut StdRng, window: Window, spike: &Spike) -> i64 {
    let u: f64 = rng.random();
    let fraction = (spike.issued as f64 + u) / spike.planned.max(1) as f64;
    let offset = (fraction * window.len_us().max(0) as f64) as i64;
    window
        .start_us
        .saturating_add(offset.clamp(0, (window.len_us() - 1).max(0)))
}

fn truth(a: &Active) -> GroundTruth {
    let details = match a.kind {
        AnomalyKind::VolumeSpike => AnomalyDetails {
            factor: Some(SPIKE_FACTOR),
            records: Some(a.records),
            ..AnomalyDetails::default()
        },
        AnomalyKind::ErrorBurst => AnomalyDetails {
            share: Some(ERROR_BURST_SHARE),
            level: Some("error".to_owned()),
            records: Some(a.records),
            ..AnomalyDetails::default()
        },
        AnomalyKind::NewTemplate => AnomalyDetails {
            share: Some(NEW_TEMPLATE_SHARE),
            level: Some("warn".to_owned()),
            template: Some(NEW_TEMPLATE_PATTERN.to_owned()),
            literal: Some(NEW_TEMPLATE_LITERAL.to_owned()),
            records: Some(a.records),
            ..AnomalyDetails::default()
        },
        AnomalyKind::LatencyShift => AnomalyDetails {
            factor: Some(LATENCY_FACTOR),
            field: Some("metrics.duration_ms".to_owned()),
            records: Some(a.records),
            ..AnomalyDetails::default()
        },
        AnomalyKind::BrokenSequence => AnomalyDetails {
            missing_step: Some(MISSING_STEP.to_owned()),
            execution_ids: Some(a.execution_ids.clone()),
            ..AnomalyDetails::default()
        },
    };
    GroundTruth::new(a.kind, a.entity.clone(), a.window, details)
}
