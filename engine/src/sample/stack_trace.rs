//! Multi-line stack traces in the style of the service's runtime.

use std::fmt::Write;

use rand::Rng;
use rand::rngs::StdRng;

use super::vocab::{Runtime, Service};

/// Python frames: (file under `/app/agentkit/`, function, source line).
fn python_frames(service: Service) -> &'static [(&'static str, &'static str, &'static str)] {
    match service {
        Service::Orchestrator => &[
            (
                "orchestrator/loop.py",
                "run_step",
                "result = await self.executor.execute(step)",
            ),
            (
                "orchestrator/executor.py",
                "execute",
                "return await self._dispatch(step.kind, step.payload)",
            ),
            (
                "orchestrator/state.py",
                "checkpoint",
                "await self.store.put(self.execution_id, blob)",
            ),
            ("orchestrator/loop.py", "run", "await self.run_step(step)"),
        ],
        Service::Planner => &[
            (
                "planner/decompose.py",
                "plan",
                "raw = await self.llm.complete(prompt, schema=PLAN_SCHEMA)",
            ),
            (
                "planner/validate.py",
                "validate_plan",
                "self._check_tool(step.tool)",
            ),
            (
                "planner/parse.py",
                "parse_plan",
                "return json.loads(text, object_hook=Step.from_dict)",
            ),
        ],
        Service::LlmGateway => &[
            (
                "gateway/router.py",
                "complete",
                "return await client.create(**request)",
            ),
            (
                "gateway/clients/base.py",
                "_request",
                "resp = await self.session.post(url, json=body, timeout=timeout)",
            ),
            (
                "gateway/ratelimit.py",
                "acquire",
                "raise RateLimitError(tenant, retry_after)",
            ),
            (
                "gateway/tokens.py",
                "check_budget",
                "raise ContextLengthError(model, n_tokens, limit)",
            ),
        ],
        Service::Retriever => &[
            (
                "retrieval/search.py",
                "hybrid_search",
                "dense = await self.vectors.query(embedding, k=k)",
            ),
            (
                "retrieval/embed.py",
                "embed",
                "resp = await self.http.post(self.url, json={\"input\": texts})",
            ),
            (
                "retrieval/rerank.py",
                "rerank",
                "scores = self.model.score(query, [d.text for d in docs])",
            ),
            (
                "retrieval/db.py",
                "fetch_documents",
                "rows = await conn.fetch(SQL_FETCH_DOCS, ids)",
            ),
        ],
        Service::ToolExecutor => &[
            (
                "tools/executor.py",
                "invoke",
                "return await tool.invoke(**args)",
            ),
            ("tools/sandbox.py", "run", "exit_code = await proc.wait()"),
            ("tools/http.py", "request", "resp.raise_for_status()"),
            (
                "tools/registry.py",
                "resolve",
                "schema = self._schemas[name].validate(args)",
            ),
        ],
        _ => &[("common/runtime.py", "call", "return fn(*args, **kwargs)")],
    }
}

/// Java frames: (class, method, file).
fn java_frames(service: Service) -> &'static [(&'static str, &'static str, &'static str)] {
    match service {
        Service::MemoryStore => &[
            (
                "io.agentkit.memory.SessionStore",
                "load",
                "SessionStore.java",
            ),
            ("io.agentkit.memory.RedisCache", "get", "RedisCache.java"),
            (
                "io.agentkit.memory.Summarizer",
                "compact",
                "Summarizer.java",
            ),
            (
                "io.lettuce.core.RedisChannelHandler",
                "dispatch",
                "RedisChannelHandler.java",
            ),
        ],
        Service::VectorDb => &[
            (
                "io.agentkit.vectors.ShardRouter",
                "route",
                "ShardRouter.java",
            ),
            (
                "io.agentkit.vectors.QueryExecutor",
                "execute",
                "QueryExecutor.java",
            ),
            ("io.agentkit.vectors.HnswIndex", "search", "HnswIndex.java"),
            (
                "io.agentkit.vectors.IngestWorker",
                "upsert",
                "IngestWorker.java",
            ),
        ],
        _ => &[
            (
                "io.agentkit.auth.TokenValidator",
                "validate",
                "TokenValidator.java",
            ),
            (
                "io.agentkit.auth.PolicyEngine",
                "authorize",
                "PolicyEngine.java",
            ),
            (
                "io.agentkit.auth.OAuthClient",
                "refresh",
                "OAuthClient.java",
            ),
            ("io.agentkit.auth.AuthFilter", "doFilter", "AuthFilter.java"),
        ],
    }
}

const JAVA_TAIL: [&str; 3] = [
    "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)",
    "\tat java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:642)",
    "\tat java.base/java.lang.Thread.run(Thread.java:1583)",
];

/// A stack trace for an error of `error_type` with `message` in `service`.
pub(super) fn stack_trace(
    rng: &mut StdRng,
    service: Service,
    error_type: &str,
    message: &str,
) -> String {
    let mut out = String::with_capacity(640);
    match service.runtime() {
        Runtime::Python => {
            let frames = python_frames(service);
            out.push_str("Traceback (most recent call last):\n");
            let _ = writeln!(
                out,
                "  File \"/usr/local/lib/python3.12/asyncio/tasks.py\", line 314, in __step_run_and_handle_result\n    result = coro.send(None)"
            );
            let depth = rng.random_range(2..=frames.len().max(2));
            let first = rng.random_range(0..frames.len());
            for k in 0..depth {
                let (file, func, line) = frames[(first + k) % frames.len()];
                let lineno = rng.random_range(20..480);
                let _ = writeln!(
                    out,
                    "  File \"/app/agentkit/{file}\", line {lineno}, in {func}\n    {line}"
                );
            }
            let _ = write!(out, "{error_type}: {message}");
        }
        Runtime::Java => {
            let frames = java_frames(service);
            let _ = writeln!(out, "io.agentkit.errors.{error_type}: {message}");
            let depth = rng.random_range(2..=frames.len());
            let first = rng.random_range(0..frames.len());
            for k in 0..depth {
                let (class, method, file) = frames[(first + k) % frames.len()];
                let lineno = rng.random_range(30..620);
                let _ = writeln!(out, "\tat {class}.{method}({file}:{lineno})");
            }
            for line in JAVA_TAIL {
                out.push_str(line);
                out.push('\n');
            }
            if rng.random_bool(0.5) {
                out.push_str("Caused by: java.net.ConnectException: Connection refused\n");
                out.push_str("\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)\n");
                let more = rng.random_range(8..24);
                let _ = write!(out, "\t... {more} more");
            } else {
                out.pop();
            }
        }
    }
    out
}
