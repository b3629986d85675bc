//! The fixed vocabulary of the sample platform: services and their
//! components, models, tools, indexes, regions and agent roles.

/// A service of the agent platform. Every execution is a trace rooted in
/// [`Service::Orchestrator`]; the others appear as child spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Service {
    Orchestrator,
    Planner,
    LlmGateway,
    Retriever,
    ToolExecutor,
    MemoryStore,
    VectorDb,
    Auth,
}

/// Language a service is written in, which decides the shape of its stack
/// traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Runtime {
    Python,
    Java,
}

impl Service {
    pub(super) const ALL: [Service; 8] = [
        Service::Orchestrator,
        Service::Planner,
        Service::LlmGateway,
        Service::Retriever,
        Service::ToolExecutor,
        Service::MemoryStore,
        Service::VectorDb,
        Service::Auth,
    ];

    /// The value of the `service` field.
    pub(super) fn name(self) -> &'static str {
        match self {
            Service::Orchestrator => "orchestrator",
            Service::Planner => "planner",
            Service::LlmGateway => "llm-gateway",
            Service::Retriever => "retriever",
            Service::ToolExecutor => "tool-executor",
            Service::MemoryStore => "memory-store",
            Service::VectorDb => "vector-db",
            Service::Auth => "auth",
        }
    }

    /// Values of the `component` field; templates may name one explicitly,
    /// otherwise one of these is drawn.
    pub(super) fn components(self) -> &'static [&'static str] {
        match self {
            Service::Orchestrator => &["scheduler", "agent-loop", "step-executor", "state-machine"],
            Service::Planner => &["task-decomposer", "plan-validator", "prompt-builder"],
            Service::LlmGateway => &[
                "openai-client",
                "anthropic-client",
                "bedrock-client",
                "rate-limiter",
                "token-counter",
            ],
            Service::Retriever => &["query-rewriter", "hybrid-search", "reranker"],
            Service::ToolExecutor => &["sandbox", "http-tool", "code-runner", "tool-registry"],
            Service::MemoryStore => &["redis-cache", "session-store", "summarizer"],
            Service::VectorDb => &["hnsw-index", "shard-router", "ingest-worker"],
            Service::Auth => &["token-validator", "oauth-client", "policy-engine"],
        }
    }

    pub(super) fn runtime(self) -> Runtime {
        match self {
            Service::MemoryStore | Service::VectorDb | Service::Auth => Runtime::Java,
            _ => Runtime::Python,
        }
    }

    /// Median (ms) and log-space standard deviation of a span's duration.
    pub(super) fn latency(self) -> (f64, f64) {
        match self {
            Service::Orchestrator => (2500.0, 0.8),
            Service::Planner => (350.0, 0.6),
            Service::LlmGateway => (1800.0, 0.7),
            Service::Retriever => (120.0, 0.6),
            Service::ToolExecutor => (450.0, 1.0),
            Service::MemoryStore => (8.0, 0.7),
            Service::VectorDb => (25.0, 0.6),
            Service::Auth => (12.0, 0.5),
        }
    }

    /// Typical resident memory of one worker of the service, in MB.
    pub(super) fn memory_mb(self) -> f64 {
        match self {
            Service::Orchestrator => 512.0,
            Service::Planner => 384.0,
            Service::LlmGateway => 256.0,
            Service::Retriever => 768.0,
            Service::ToolExecutor => 1024.0,
            Service::MemoryStore => 2048.0,
            Service::VectorDb => 4096.0,
            Service::Auth => 192.0,
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// Named workspaces; further ones are `ws-<n>`.
pub(super) const WORKSPACES: [&str; 3] = ["ws-acme", "ws-globex", "ws-initech"];

/// Agent roles, the `<name>` in `agent-<name>-<n>`.
pub(super) const AGENT_ROLES: [&str; 14] = [
    "research",
    "support",
    "coder",
    "sales",
    "triage",
    "billing",
    "onboarding",
    "qa",
    "analyst",
    "ops",
    "scheduler",
    "writer",
    "recruiter",
    "security",
];

pub(super) const MODELS: [&str; 8] = [
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "o3-mini",
    "claude-sonnet-4",
    "claude-3-5-haiku",
    "llama-3.1-70b",
    "mistral-large",
];

/// The `llm-gateway` component that talks to a model's provider.
pub(super) fn model_client(model: &str) -> &'static str {
    if model.starts_with("claude") {
        "anthropic-client"
    } else if model.starts_with("gpt") || model.starts_with('o') {
        "openai-client"
    } else {
        "bedrock-client"
    }
}

pub(super) fn model_provider(model: &str) -> &'static str {
    match model_client(model) {
        "anthropic-client" => "anthropic",
        "openai-client" => "openai",
        _ => "bedrock",
    }
}

/// Context window of a model, in tokens.
pub(super) fn model_context(model: &str) -> u32 {
    if model.starts_with("claude") {
        200_000
    } else if model == "gpt-4.1" {
        1_047_576
    } else {
        128_000
    }
}

pub(super) const TOOLS: [&str; 11] = [
    "web_search",
    "code_interpreter",
    "sql_query",
    "http_request",
    "file_reader",
    "calculator",
    "send_email",
    "browser",
    "jira_create_issue",
    "slack_post_message",
    "shell_exec",
];

pub(super) const INDEXES: [&str; 8] = [
    "kb-prod-1",
    "kb-prod-2",
    "kb-prod-3",
    "docs-v2",
    "tickets-2025",
    "code-search",
    "faq-en",
    "contracts",
];

pub(super) const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];

pub(super) const API_HOSTS: [&str; 6] = [
    "api.github.com",
    "api.stripe.com",
    "api.hubspot.com",
    "api.zendesk.com",
    "hooks.slack.com",
    "api.weather.gov",
];

pub(super) const API_RESOURCES: [&str; 6] = [
    "issues",
    "customers",
    "contacts",
    "tickets",
    "messages",
    "forecast",
];

pub(super) const FUNCTIONS: [&str; 8] = [
    "resolve_tool_schema",
    "build_prompt",
    "merge_context",
    "score_candidates",
    "serialize_state",
    "apply_policy",
    "estimate_tokens",
    "route_request",
];
