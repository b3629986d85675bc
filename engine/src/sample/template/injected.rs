//! The template of the `new_template` anomaly: said only inside its window,
//! by any service, never by the regular tables.

use super::{Slot, Template};
use crate::record::LogLevel::Warn;

/// Renders [`NEW_TEMPLATE_PATTERN`](crate::sample::NEW_TEMPLATE_PATTERN).
pub(in crate::sample) const NEW_TEMPLATE: Template = Template {
    service: None,
    level: Warn,
    slot: Slot::Any,
    render: |r| {
        let component = r.pick(r.service.components());
        let (major, minor, patch) = (r.int(1, 3), r.int(0, 9), r.int(0, 20));
        let built = minor + r.int(1, 3);
        let digest = r.hex32();
        r.say(format_args!(
            "Dependency drift detected: {component} loaded libcrypto {major}.{minor}.{patch} but was built against {major}.{built}.0 (digest sha256:{digest:08x})"
        ));
        r.component = Some(component);
        r.attr("library", "libcrypto");
        r.attr("loaded_minor", minor);
        r.attr("built_minor", built);
    },
};
