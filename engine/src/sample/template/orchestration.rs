//! Templates of the `orchestrator` (the root span) and the `planner`.

use super::{Slot, Template};
use crate::record::LogLevel::{Debug, Error, Info, Warn};
use crate::sample::vocab::Service::{Orchestrator, Planner};

const STATES: [&str; 5] = [
    "PLANNING",
    "ACTING",
    "OBSERVING",
    "REFLECTING",
    "RESPONDING",
];
const STRATEGIES: [&str; 4] = ["react", "plan-and-execute", "tree-of-thought", "reflexion"];

pub(super) const TEMPLATES: &[Template] = &[
    Template {
        service: Some(Orchestrator),
        level: Info,
        slot: Slot::ExecStart,
        render: |r| {
            let trigger = r.pick(&[
                "user_message",
                "schedule",
                "webhook",
                "api",
                "slack_mention",
            ]);
            let (id, agent, max) = (r.exec.id, r.agent_id, r.exec.max_steps);
            r.say(format_args!(
                "Execution {id} started for agent {agent} (trigger={trigger}, max_steps={max})"
            ));
            r.component = Some("agent-loop");
            r.attr("trigger", trigger);
            r.attr("max_steps", max);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Info,
        slot: Slot::ExecEnd,
        render: |r| {
            let (id, steps, errors, tokens) =
                (r.exec.id, r.exec.step, r.exec.errors, r.exec.tokens);
            r.took(r.exec.total_ms);
            let ms = r.ms();
            r.say(format_args!(
                "Execution {id} completed in {ms} ms after {steps} steps"
            ));
            if errors > 0 {
                r.say(format_args!(" ({errors} recovered errors)"));
            }
            r.component = Some("agent-loop");
            r.attr("status", "success");
            r.attr("steps", steps);
            r.attr("tokens_total", tokens);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Info,
        slot: Slot::ExecEnd,
        render: |r| {
            let (id, agent, steps, tokens) = (r.exec.id, r.agent_id, r.exec.step, r.exec.tokens);
            r.took(r.exec.total_ms);
            let ms = r.ms();
            r.say(format_args!(
                "Agent {agent} finished execution {id}: status=success, steps={steps}, tokens={tokens}, duration={ms} ms"
            ));
            r.component = Some("state-machine");
            r.attr("status", "success");
            r.attr("steps", steps);
            r.attr("tokens_total", tokens);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Error,
        slot: Slot::ExecFailed,
        render: |r| {
            let (id, steps, failed) = (r.exec.id, r.exec.step, r.exec.failed_service);
            r.took(r.exec.total_ms);
            r.say(format_args!(
                "Execution {id} failed after {steps} steps: unrecoverable error in {failed}"
            ));
            r.component = Some("agent-loop");
            r.attr("status", "failed");
            r.attr("steps", steps);
            r.fail("ExecutionFailedError", "E5001", false);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Error,
        slot: Slot::ExecAborted,
        render: |r| {
            let (id, step, failed) = (r.exec.id, r.exec.step, r.exec.failed_service);
            r.took(r.exec.total_ms);
            r.say(format_args!(
                "Execution {id} aborted at step {step}: fatal error in {failed}"
            ));
            r.component = Some("agent-loop");
            r.attr("status", "aborted");
            r.attr("steps", step);
            r.fail("ExecutionAbortedError", "E5002", false);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let (id, step) = (r.exec.id, r.exec.step);
            let bytes = u64::from(r.int(2_000, 180_000));
            r.say(format_args!(
                "Checkpoint saved for execution {id} at step {step} ({bytes} bytes)"
            ));
            r.component = Some("state-machine");
            r.sizes(bytes, 0);
            r.attr("step", step);
            r.attr("checkpoint_bytes", bytes);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let (step, max) = (r.exec.step, r.exec.max_steps);
            let action = r.pick(&["call_tool", "retrieve", "respond", "replan", "ask_user"]);
            let ms = r.ms();
            r.say(format_args!(
                "Step {step}/{max} finished in {ms} ms, next action: {action}"
            ));
            r.component = Some("step-executor");
            r.attr("step", step);
            r.attr("next_action", action);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Info,
        slot: Slot::Open,
        render: |r| {
            let step = r.exec.step;
            let target = r.pick(&["planner", "llm-gateway", "retriever", "tool-executor"]);
            let wait = r.int(0, 250);
            r.say(format_args!(
                "Step {step} dispatched to {target} (queue wait {wait} ms)"
            ));
            r.component = Some("scheduler");
            r.attr("step", step);
            r.attr("queue_wait_ms", wait);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Debug,
        slot: Slot::Any,
        render: |r| {
            let from = r.int(0, 3) as usize;
            let (a, b) = (STATES[from], STATES[from + 1]);
            r.say(format_args!("State transition: {a} -> {b}"));
            r.component = Some("state-machine");
            r.attr("state", b);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let (id, max) = (r.exec.id, r.exec.max_steps);
            let step = r.exec.step.max(max.saturating_sub(r.int(1, 3)));
            r.say(format_args!(
                "Execution {id} approaching max_steps: {step}/{max}"
            ));
            r.component = Some("agent-loop");
            r.attr("step", step);
            r.attr("max_steps", max);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let step = r.exec.step;
            let ms = 30_000 + r.int(1, 40_000);
            r.took(f64::from(ms));
            r.say(format_args!(
                "Step {step} exceeded soft timeout ({ms} ms > 30000 ms)"
            ));
            r.component = Some("step-executor");
            r.attr("step", step);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let id = r.exec.id;
            let ip = r.ip();
            r.say(format_args!(
                "Failed to persist checkpoint for {id}: Connection refused to {ip}:5432"
            ));
            r.component = Some("state-machine");
            r.fail("ConnectionError", "E1002", true);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let (step, tool) = (r.exec.step, r.tool);
            r.say(format_args!(
                "Step {step} produced invalid tool call: unknown tool '{tool}_v2'"
            ));
            r.component = Some("step-executor");
            r.attr("tool", tool);
            r.fail("ValidationError", "E2002", false);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Info,
        slot: Slot::Background,
        render: |r| {
            let agent = r.agent_id;
            let (queue, active) = (r.int(0, 40), r.int(0, 12));
            r.say(format_args!(
                "Heartbeat from {agent}: queue_depth={queue}, active_executions={active}"
            ));
            r.component = Some("scheduler");
            r.attr("queue_depth", queue);
            r.attr("active_executions", active);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Debug,
        slot: Slot::Background,
        render: |r| {
            let (pending, idle) = (r.int(0, 60), r.int(0, 16));
            r.say(format_args!(
                "Scheduler tick: {pending} executions pending, {idle} workers idle"
            ));
            r.component = Some("scheduler");
            r.attr("pending", pending);
        },
    },
    Template {
        service: Some(Orchestrator),
        level: Warn,
        slot: Slot::Background,
        render: |r| {
            let workers = r.pick(&[16u32, 32, 64]);
            let queue = r.int(50, 400);
            r.say(format_args!(
                "Worker pool saturated: {workers}/{workers} workers busy, queue_depth={queue}"
            ));
            r.component = Some("scheduler");
            r.attr("queue_depth", queue);
        },
    },
    // planner
    Template {
        service: Some(Planner),
        level: Info,
        slot: Slot::Open,
        render: |r| {
            let chars = r.int(40, 2_400);
            let strategy = r.pick(&STRATEGIES);
            r.say(format_args!(
                "Planning task for goal of {chars} chars with strategy {strategy}"
            ));
            r.component = Some("task-decomposer");
            r.attr("strategy", strategy);
            r.attr("goal_chars", chars);
        },
    },
    Template {
        service: Some(Planner),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let steps = r.int(1, 7);
            let strategy = r.pick(&STRATEGIES);
            let ms = r.ms();
            r.say(format_args!(
                "Plan created with {steps} steps in {ms} ms (strategy={strategy})"
            ));
            r.component = Some("task-decomposer");
            r.attr("plan_steps", steps);
            r.attr("strategy", strategy);
        },
    },
    Template {
        service: Some(Planner),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let step = r.exec.step;
            let remaining = r.int(1, 5);
            r.say(format_args!(
                "Replanned after step {step}: {remaining} steps remaining"
            ));
            r.component = Some("plan-validator");
            r.attr("plan_steps", remaining);
        },
    },
    Template {
        service: Some(Planner),
        level: Debug,
        slot: Slot::Any,
        render: |r| {
            let (version, shots, tokens) = (r.int(3, 9), r.int(0, 6), r.int(400, 6_000));
            r.say(format_args!(
                "Prompt template planner/v{version} rendered with {shots} few-shot examples ({tokens} tokens)"
            ));
            r.component = Some("prompt-builder");
            r.attr("prompt_version", version);
        },
    },
    Template {
        service: Some(Planner),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let steps = r.int(9, 16);
            r.say(format_args!(
                "Plan has {steps} steps, exceeding soft limit 8"
            ));
            r.component = Some("plan-validator");
            r.attr("plan_steps", steps);
        },
    },
    Template {
        service: Some(Planner),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let tokens = r.pick(&[2048u32, 4096, 8192]);
            r.say(format_args!(
                "Planner output truncated at {tokens} tokens, retrying with compact prompt"
            ));
            r.component = Some("prompt-builder");
            r.attr("max_tokens", tokens);
        },
    },
    Template {
        service: Some(Planner),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let (step, tool) = (r.int(1, 6), r.tool);
            r.say(format_args!(
                "Plan validation failed: step {step} references unknown tool '{tool}_v2'"
            ));
            r.component = Some("plan-validator");
            r.attr("tool", tool);
            r.fail("ValidationError", "E2002", false);
        },
    },
    Template {
        service: Some(Planner),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let column = r.int(12, 900);
            r.say(format_args!(
                "Failed to parse planner output as JSON: expected ',' or '}}' at line 1 column {column}"
            ));
            r.component = Some("task-decomposer");
            r.fail("ParseError", "E2004", true);
        },
    },
];
