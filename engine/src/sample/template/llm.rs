//! Templates of the `llm-gateway`.

use super::{Slot, Template};
use crate::record::LogLevel::{Debug, Error, Info, Warn};
use crate::sample::vocab::Service::LlmGateway;
use crate::sample::vocab::{model_client, model_context, model_provider};

pub(super) const TEMPLATES: &[Template] = &[
    Template {
        service: Some(LlmGateway),
        level: Info,
        slot: Slot::Open,
        render: |r| {
            let model = r.model;
            let (messages, prompt) = (r.int(2, 40), r.int(200, 12_000));
            r.say(format_args!(
                "Sending request to model {model} ({messages} messages, {prompt} prompt tokens)"
            ));
            r.component = Some(model_client(model));
            r.attr("model", model);
            r.attr("messages", messages);
            r.attr("tokens_in", prompt);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let model = r.model;
            let (prompt, completion) = (r.int(200, 12_000), r.int(8, 1_600));
            let ms = r.ms();
            r.say(format_args!(
                "LLM call to model {model} completed: {prompt} prompt tokens, {completion} completion tokens, latency {ms} ms"
            ));
            r.component = Some(model_client(model));
            r.tokens = u64::from(prompt + completion);
            r.sizes(u64::from(prompt) * 4 + 310, u64::from(completion) * 4 + 220);
            r.attr("model", model);
            r.attr("tokens_in", prompt);
            r.attr("tokens_out", completion);
            r.attr("http_status", 200u32);
            r.attr("provider", model_provider(model));
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let model = r.model;
            let completion = r.int(20, 2_400);
            let ms = r.ms().max(1);
            let rate = f64::from(completion) * 1000.0 / ms as f64;
            r.say(format_args!(
                "Streaming response from {model} finished: {completion} tokens in {ms} ms ({rate:.1} tok/s)"
            ));
            r.component = Some(model_client(model));
            r.tokens = u64::from(completion);
            r.sizes(1_024, u64::from(completion) * 5);
            r.attr("model", model);
            r.attr("tokens_out", completion);
            r.attr("stream", true);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let model = r.model;
            let prompt = r.int(1_000, 20_000);
            let cached = prompt / 4 * r.int(1, 3);
            let ms = r.ms();
            r.say(format_args!(
                "Prompt cache hit for model {model}: {cached} of {prompt} prompt tokens cached, latency {ms} ms"
            ));
            r.component = Some(model_client(model));
            r.tokens = u64::from(prompt);
            r.attr("model", model);
            r.attr("tokens_in", prompt);
            r.attr("cached_tokens", cached);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Debug,
        slot: Slot::Any,
        render: |r| {
            let model = r.model;
            let tokens = r.int(50, 16_000);
            let encoding = if model.starts_with("claude") {
                "claude"
            } else {
                "o200k_base"
            };
            r.say(format_args!(
                "Token count for request to {model}: {tokens} ({encoding})"
            ));
            r.component = Some("token-counter");
            r.attr("model", model);
            r.attr("tokens_in", tokens);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let model = r.model;
            let attempt = r.int(2, 3);
            let backoff = 400 * attempt * attempt + r.int(0, 400);
            r.say(format_args!(
                "Retrying request to {model} (attempt {attempt}/3) after {backoff} ms backoff"
            ));
            r.component = Some(model_client(model));
            r.attr("model", model);
            r.attr("attempt", attempt);
            r.attr("backoff_ms", backoff);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let (pct, tenant) = (r.int(85, 99), r.int(1, 120));
            let rpm = r.pick(&[300u32, 600, 1_200, 3_000]);
            r.say(format_args!(
                "Rate limiter at {pct}% of {rpm} rpm for tenant t-{tenant}"
            ));
            r.component = Some("rate-limiter");
            r.attr("tenant", tenant);
            r.attr("rpm_limit", rpm);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let (id, model) = (r.exec.id, r.model);
            let limit = model_context(model);
            let pct = r.int(80, 97);
            let used = u64::from(limit) * u64::from(pct) / 100;
            r.say(format_args!(
                "Token budget {pct}% used ({used}/{limit}) for execution {id}"
            ));
            r.component = Some("token-counter");
            r.attr("model", model);
            r.attr("tokens_used", used);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let model = r.model;
            let ms = 8_000 + r.int(0, 30_000);
            r.took(f64::from(ms));
            r.say(format_args!("Model {model} latency above p95: {ms} ms"));
            r.component = Some(model_client(model));
            r.attr("model", model);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let tenant = r.int(1, 120);
            let after = r.pick(&[5u32, 10, 30, 60]);
            r.say(format_args!(
                "Rate limit exceeded for tenant t-{tenant}, retry after {after}s"
            ));
            r.component = Some("rate-limiter");
            r.attr("tenant", tenant);
            r.attr("http_status", 429u32);
            r.fail("RateLimitError", "HTTP_429", true);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let model = r.model;
            let timeout = r.pick(&[30_000u32, 60_000, 120_000]);
            r.took(f64::from(timeout));
            r.say(format_args!(
                "Request to model {model} timed out after {timeout} ms"
            ));
            r.component = Some(model_client(model));
            r.attr("model", model);
            r.fail("TimeoutError", "E1001", true);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let model = r.model;
            let limit = model_context(model);
            let tokens = limit + r.int(1, 40_000);
            r.say(format_args!(
                "Context length exceeded for model {model}: {tokens} tokens > {limit} limit"
            ));
            r.component = Some("token-counter");
            r.attr("model", model);
            r.attr("tokens_in", tokens);
            r.fail("ContextLengthError", "E2003", false);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let model = r.model;
            let provider = model_provider(model);
            r.say(format_args!(
                "Upstream {provider} returned HTTP 503 for model {model}: model overloaded"
            ));
            r.component = Some(model_client(model));
            r.attr("model", model);
            r.attr("http_status", 503u32);
            r.fail("ProviderError", "HTTP_503", true);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Info,
        slot: Slot::Background,
        render: |r| {
            let (tenant, requests) = (r.int(1, 120), r.int(0, 2_500));
            r.say(format_args!(
                "Rate limiter window reset for tenant t-{tenant}: {requests} requests in last 60s"
            ));
            r.component = Some("rate-limiter");
            r.attr("tenant", tenant);
            r.attr("requests", requests);
        },
    },
    Template {
        service: Some(LlmGateway),
        level: Info,
        slot: Slot::Background,
        render: |r| {
            let models = r.int(6, 14);
            r.say(format_args!(
                "Model catalog refreshed: {models} models available"
            ));
            r.component = Some("openai-client");
            r.attr("models", models);
        },
    },
];
