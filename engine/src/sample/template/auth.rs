//! Templates of `auth`.

use super::{Slot, Template};
use crate::record::LogLevel::{Debug, Error, Info, Warn};
use crate::sample::vocab::Service::Auth;

pub(super) const TEMPLATES: &[Template] = &[
    Template {
        service: Some(Auth),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let user = r.user_id;
            let (scopes, expires) = (r.int(1, 12), r.int(60, 3_600));
            r.say(format_args!(
                "Token validated for user {user} (scopes={scopes}, expires in {expires}s)"
            ));
            r.component = Some("token-validator");
            r.attr("scopes", scopes);
        },
    },
    Template {
        service: Some(Auth),
        level: Info,
        slot: Slot::Close,
        render: |r| {
            let (agent, tool) = (r.agent_id, r.tool);
            r.say(format_args!(
                "Policy check passed: agent {agent} may call tool {tool}"
            ));
            r.component = Some("policy-engine");
            r.attr("tool", tool);
            r.attr("decision", "allow");
        },
    },
    Template {
        service: Some(Auth),
        level: Debug,
        slot: Slot::Any,
        render: |r| {
            let kid = r.hex32();
            r.say(format_args!("JWKS cache hit (kid={kid:08x})"));
            r.component = Some("token-validator");
        },
    },
    Template {
        service: Some(Auth),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let user = r.user_id;
            let seconds = r.int(5, 300);
            r.say(format_args!(
                "Token for user {user} expires in {seconds} s, refreshing"
            ));
            r.component = Some("oauth-client");
        },
    },
    Template {
        service: Some(Auth),
        level: Warn,
        slot: Slot::Any,
        render: |r| {
            let seconds = r.int(300, 7_200);
            r.say(format_args!(
                "Policy engine cache stale ({seconds}s), using last known policy"
            ));
            r.component = Some("policy-engine");
        },
    },
    Template {
        service: Some(Auth),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let user = r.user_id;
            r.say(format_args!("Token expired for user {user}"));
            r.component = Some("token-validator");
            r.attr("http_status", 401u32);
            r.fail("AuthenticationError", "HTTP_401", false);
        },
    },
    Template {
        service: Some(Auth),
        level: Error,
        slot: Slot::Any,
        render: |r| {
            let (agent, tool) = (r.agent_id, r.tool);
            r.say(format_args!(
                "Agent {agent} not allowed to call tool {tool}"
            ));
            r.component = Some("policy-engine");
            r.attr("tool", tool);
            r.attr("decision", "deny");
            r.attr("http_status", 403u32);
            r.fail("PermissionDeniedError", "HTTP_403", false);
        },
    },
    Template {
        service: Some(Auth),
        level: Info,
        slot: Slot::Background,
        render: |r| {
            let kid = r.hex32();
            r.say(format_args!("Rotated signing keys: new kid {kid:08x}"));
            r.component = Some("token-validator");
        },
    },
    Template {
        service: Some(Auth),
        level: Info,
        slot: Slot::Background,
        render: |r| {
            let integration = r.pick(&["github", "google-drive", "salesforce", "slack", "jira"]);
            r.say(format_args!(
                "OAuth token refreshed for integration {integration}"
            ));
            r.component = Some("oauth-client");
            r.attr("integration", integration);
        },
    },
];
