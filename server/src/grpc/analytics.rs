//! `strata.v1.AnalyticsService`: pattern analytics over mined templates.

use std::time::Instant;

use strata_engine::Engine;
use strata_engine::patterns::{self, Severity};
use strata_proto::v1::analytics_service_server::AnalyticsService;
use strata_proto::v1::{
    Burst, Pattern, PatternType, PatternsRequest, PatternsResponse, TemporalPatterns,
};
use strata_query::datafusion::prelude::SessionContext;
use strata_query::patterns::{PatternScope, load, template_texts};
use tonic::{Request, Response, Status};

use super::status::query_status;

/// Most patterns of each kind returned.
pub const MAX_PATTERNS_PER_KIND: usize = 100;
/// Longest sequence mined.
pub const MAX_SEQUENCE_LEN: usize = 5;
/// Burst threshold over the per-minute median.
pub const BURST_RATIO: f64 = 3.0;

/// The service: an engine and a query session over it.
pub struct AnalyticsServiceImpl {
    engine: Engine,
    ctx: SessionContext,
}

impl AnalyticsServiceImpl {
    pub fn new(engine: Engine, ctx: SessionContext) -> Self {
        AnalyticsServiceImpl { engine, ctx }
    }
}

fn severity(s: Severity) -> i32 {
    use strata_proto::v1::Severity as P;
    (match s {
        Severity::Low => P::Low,
        Severity::Medium => P::Medium,
        Severity::High => P::High,
        Severity::Critical => P::Critical,
    }) as i32
}

/// The scope of a request (timeframe or explicit bounds).
pub fn scope_of(r: &PatternsRequest) -> Result<PatternScope, Status> {
    let mut scope = PatternScope {
        start_us: r.start_us,
        end_us: r.end_us,
        workspace_id: r.workspace_id.clone(),
        agent_id: r.agent_id.clone(),
        service: None,
    };
    if let Some(tf) = &r.timeframe {
        if r.start_us.is_some() || r.end_us.is_some() {
            return Err(Status::invalid_argument(
                "timeframe and start_us/end_us are exclusive",
            ));
        }
        let span = super::parse_duration(tf).map_err(Status::invalid_argument)?;
        scope.start_us = Some(chrono::Utc::now().timestamp_micros() - span);
    }
    Ok(scope)
}

#[tonic::async_trait]
impl AnalyticsService for AnalyticsServiceImpl {
    async fn patterns(
        &self,
        request: Request<PatternsRequest>,
    ) -> Result<Response<PatternsResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let min_frequency = r.min_frequency.unwrap_or(0.01);
        if !(0.0..=1.0).contains(&min_frequency) {
            return Err(Status::invalid_argument(format!(
                "min_frequency must be between 0 and 1, got {min_frequency}"
            )));
        }
        let kind = PatternType::try_from(r.pattern_type).map_err(|_| {
            Status::invalid_argument(format!("unknown pattern_type {}", r.pattern_type))
        })?;
        let scope = scope_of(&r)?;
        let loaded = load(&self.ctx, &self.engine, &scope)
            .await
            .map_err(|e| query_status(&e))?;
        let rows = loaded.rows();
        let texts = template_texts(&self.engine).map_err(|e| query_status(&e))?;
        let text = |id: u64| texts.get(&(id as i64)).cloned().unwrap_or_default();
        let all = kind == PatternType::All;
        let mut out = Vec::new();
        if all || kind == PatternType::Message {
            for p in patterns::message_patterns(&rows, min_frequency, MAX_PATTERNS_PER_KIND) {
                out.push(Pattern {
                    kind: "message".into(),
                    template_id: p.template_id as i64,
                    template: text(p.template_id),
                    count: p.count,
                    frequency: p.frequency,
                    examples: p.examples,
                    severity: p.severity.map_or(0, severity),
                    recommendation: p.recommendation,
                    significance: Some(p.significance),
                    ..Pattern::default()
                });
            }
        }
        if all || kind == PatternType::Error {
            for p in patterns::error_patterns(&rows, min_frequency)
                .into_iter()
                .take(MAX_PATTERNS_PER_KIND)
            {
                out.push(Pattern {
                    kind: "error".into(),
                    template_id: p.template_id as i64,
                    template: text(p.template_id),
                    count: p.count,
                    frequency: p.frequency,
                    examples: p.examples,
                    severity: severity(p.severity),
                    recommendation: Some(p.recommendation),
                    error_types: p
                        .error_types
                        .iter()
                        .map(|(t, n)| format!("{t}:{n}"))
                        .collect(),
                    ..Pattern::default()
                });
            }
        }
        if all || kind == PatternType::Sequence {
            for p in patterns::sequence_patterns(&rows, min_frequency, MAX_SEQUENCE_LEN)
                .into_iter()
                .take(MAX_PATTERNS_PER_KIND)
            {
                out.push(Pattern {
                    kind: "sequence".into(),
                    template_id: p.templates.first().map_or(0, |t| *t as i64),
                    template: p
                        .templates
                        .iter()
                        .map(|t| text(*t))
                        .collect::<Vec<_>>()
                        .join(" -> "),
                    count: p.support,
                    frequency: p.frequency,
                    sequence: p.templates.iter().map(|t| *t as i64).collect(),
                    confidence: Some(p.confidence),
                    lift: Some(p.lift),
                    ..Pattern::default()
                });
            }
        }
        let temporal = (all || kind == PatternType::Temporal).then(|| {
            let prof = patterns::temporal_patterns(&rows, BURST_RATIO);
            TemporalPatterns {
                hour_of_day: prof.hour_of_day.to_vec(),
                bursts: prof
                    .bursts
                    .iter()
                    .map(|b| Burst {
                        start_us: b.start_us,
                        end_us: b.end_us,
                        count: b.count,
                        baseline_per_minute: b.baseline_per_minute,
                        ratio: b.ratio,
                        template_id: b.template_id.map(|t| t as i64),
                    })
                    .collect(),
            }
        });
        Ok(Response::new(PatternsResponse {
            patterns: out,
            temporal,
            records: rows.len() as u64,
            took_ms: start.elapsed().as_secs_f64() * 1000.0,
        }))
    }
}
