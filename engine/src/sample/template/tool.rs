//! Templates of the `tool-executor`.

use super::{Slot, Template};
use crate::record::LogLevel::{Debug, Error, Info, Warn};
use crate::sample::vocab::Service::ToolExecutor;
use crate::sample::vocab::{API_HOSTS, API_RESOURCES};

pub(super) const TEMPLATES: &[Template] = &[
    Template {
        service: Some(ToolExecutor),
        level: Info,
        slot: Slot::Open,
        render: |r| {
            let tool = r.tool;
            if tool == "web_search" {
                let len = r.int(3, 180);
                r.say(format_args!("Tool {tool} invoked with query_len={len}"));
                r.attr("query_len", len);
            } else {
                let (args, bytes) = (r.int(1, 6), r.int(20, 4_000));
                r.say(format_args!(
                    "Tool {tool} invoked with {args} arguments ({bytes} bytes)"
                ));
                r.attr("args_bytes", bytes);
            }
            r.component = Some("tool-registry");
            r.attr("tool", tool);
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let tool = r.tool;
            let bytes = r.int(0, 64_000);
            let ms = r.ms();
            r.say(format_args!(
                "Tool {tool} completed in {ms} ms with status ok ({bytes} bytes output)"
            ));
            r.component = Some("code-runner");
            r.sizes(512, u64::from(bytes));
            r.attr("tool", tool);
            r.attr("status", "ok");
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let (host, resource) = (r.pick(&API_HOSTS), r.pick(&API_RESOURCES));
            let method = r.pick(&["GET", "GET", "GET", "POST", "PATCH"]);
            let status = if method == "POST" { 201u32 } else { 200 };
            let (request, response) = (r.int(0, 2_000), r.int(200, 90_000));
            let ms = r.ms();
            r.say(format_args!(
                "HTTP {method} https://{host}/v1/{resource} returned {status} in {ms} ms"
            ));
            r.component = Some("http-tool");
            r.sizes(u64::from(request), u64::from(response));
            r.attr("tool", "http_request");
            r.attr("http_method", method);
            r.attr("http_status", status);
            r.attr("host", host);
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let sandbox = r.hex32();
            let peak = r.int(40, 1_900);
            let ms = r.ms();
            r.say(format_args!(
                "Sandbox sbx-{sandbox:08x} exited with code 0 after {ms} ms (peak memory {peak} MB)"
            ));
            r.component = Some("sandbox");
            r.attr("tool", "code_interpreter");
            r.attr("exit_code", 0u32);
            r.attr("peak_memory_mb", peak);
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Debug,
        slot: Slot::Any,
        render: |r| {
            let tool = r.tool;
            let (major, minor) = (r.int(1, 4), r.int(0, 12));
            r.say(format_args!(
                "Tool schema for {tool} resolved from registry (version {major}.{minor})"
            ));
            r.component = Some("tool-registry");
            r.attr("tool", tool);
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let tool = r.tool;
            r.say(format_args!("Tool {tool} returned empty result"));
            r.component = Some("code-runner");
            r.attr("tool", tool);
            r.attr("status", "empty");
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let tool = r.tool;
            let bytes = r.int(16_385, 4_000_000);
            r.say(format_args!(
                "Tool {tool} output truncated from {bytes} to 16384 bytes"
            ));
            r.component = Some("code-runner");
            r.sizes(512, u64::from(bytes));
            r.attr("tool", tool);
            r.attr("truncated", true);
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let pct = r.int(85, 99);
            let limit = r.pick(&[512u32, 1_024, 2_048]);
            r.say(format_args!("Sandbox memory at {pct}% of {limit} MB limit"));
            r.component = Some("sandbox");
            r.attr("memory_limit_mb", limit);
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let tool = r.tool;
            r.say(format_args!(
                "Tool {tool} exited with status 137 (OOM killed)"
            ));
            r.component = Some("sandbox");
            r.attr("tool", tool);
            r.attr("exit_code", 137u32);
            r.fail("ToolExecutionError", "E4001", false);
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let tool = r.tool;
            let timeout = r.pick(&[10_000u32, 30_000, 60_000]);
            r.took(f64::from(timeout));
            r.say(format_args!("Tool {tool} timed out after {timeout} ms"));
            r.component = Some("code-runner");
            r.attr("tool", tool);
            r.fail("TimeoutError", "E1001", true);
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let tool = r.tool;
            let field = r.pick(&["query", "table", "url", "recipient", "path", "project_key"]);
            r.say(format_args!(
                "Invalid arguments for tool {tool}: missing required field '{field}'"
            ));
            r.component = Some("tool-registry");
            r.attr("tool", tool);
            r.fail("ValidationError", "E2001", false);
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let (host, resource) = (r.pick(&API_HOSTS), r.pick(&API_RESOURCES));
            let status = r.pick(&[502u32, 502, 504, 500]);
            r.say(format_args!(
                "HTTP POST https://{host}/v1/{resource} failed with status {status}"
            ));
            r.component = Some("http-tool");
            r.attr("tool", "http_request");
            r.attr("http_status", status);
            let code = match status {
                500 => "HTTP_500",
                502 => "HTTP_502",
                _ => "HTTP_504",
            };
            r.fail("HttpError", code, true);
        },
    },
    Template {
        service: Some(ToolExecutor),
        level: Info,
        slot: Slot::Background,
        render: |r| {
            let (tools, updated) = (r.int(8, 40), r.int(0, 3));
            r.say(format_args!(
                "Tool registry reloaded: {tools} tools, {updated} updated"
            ));
            r.component = Some("tool-registry");
            r.attr("tools", tools);
        },
    },
];
