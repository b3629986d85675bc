//! Template functions: `log_template(message)`, `template_id(message)`,
//! `mask_variables(message)`, `extract_variables(message, template)`.
//!
//! `log_template(message [, workspace_id, service])` and
//! `template_id(message [, workspace_id, service])` look a message up in the
//! data directory's template miners without learning from it: the miner of
//! (workspace_id, service) when given (a NULL service is the miner of
//! records without one), else the first miner (in order of creation) with a
//! matching template. `log_template` falls back to the masked message,
//! `template_id` to NULL. `template_id` returns the canonical id (after
//! generalisation).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Builder, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use strata_engine::Engine;
use strata_engine::template::{extract_variables, mask_variables};

use crate::engine_err;

/// The arguments as Utf8 arrays of `number_rows` rows.
fn string_args(args: &ScalarFunctionArgs) -> Result<Vec<ArrayRef>> {
    args.args
        .iter()
        .map(|a| {
            let arr = match a {
                ColumnarValue::Array(a) => a.clone(),
                ColumnarValue::Scalar(s) => s.to_array_of_size(args.number_rows)?,
            };
            Ok(arrow::compute::cast(&arr, &DataType::Utf8)?)
        })
        .collect()
}

/// Which function a [`TemplateFunc`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateFuncKind {
    LogTemplate,
    TemplateId,
    MaskVariables,
    ExtractVariables,
}

/// One of the template functions, bound to an engine.
#[derive(Debug)]
pub struct TemplateFunc {
    kind: TemplateFuncKind,
    engine: Engine,
    signature: Signature,
}

impl PartialEq for TemplateFunc {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Eq for TemplateFunc {}

impl Hash for TemplateFunc {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

impl TemplateFunc {
    pub fn new(kind: TemplateFuncKind, engine: Engine) -> Self {
        let signature = match kind {
            TemplateFuncKind::ExtractVariables => Signature::string(2, Volatility::Stable),
            TemplateFuncKind::MaskVariables => Signature::string(1, Volatility::Stable),
            _ => Signature::one_of(
                vec![
                    datafusion::logical_expr::TypeSignature::String(1),
                    datafusion::logical_expr::TypeSignature::String(3),
                ],
                Volatility::Stable,
            ),
        };
        TemplateFunc {
            kind,
            engine,
            signature,
        }
    }

    /// The template a message matches, in the scope of row `i` if given.
    fn lookup(&self, arrays: &[ArrayRef], i: usize) -> Result<Option<(i64, String)>> {
        let messages = arrays[0].as_string::<i32>();
        if messages.is_null(i) {
            return Ok(None);
        }
        let scope = if arrays.len() == 3 {
            let ws = arrays[1].as_string::<i32>();
            let svc = arrays[2].as_string::<i32>();
            if ws.is_null(i) {
                return Ok(None);
            }
            Some((ws.value(i), if svc.is_null(i) { "" } else { svc.value(i) }))
        } else {
            None
        };
        self.engine
            .match_template(messages.value(i), scope)
            .map_err(engine_err)
    }
}

impl ScalarUDFImpl for TemplateFunc {
    fn name(&self) -> &str {
        match self.kind {
            TemplateFuncKind::LogTemplate => "log_template",
            TemplateFuncKind::TemplateId => "template_id",
            TemplateFuncKind::MaskVariables => "mask_variables",
            TemplateFuncKind::ExtractVariables => "extract_variables",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            TemplateFuncKind::TemplateId => DataType::Int64,
            TemplateFuncKind::ExtractVariables => {
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
            }
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = string_args(&args)?;
        let messages = arrays[0].as_string::<i32>();
        let out: ArrayRef = match self.kind {
            TemplateFuncKind::MaskVariables => {
                let mut b = StringBuilder::new();
                for m in messages.iter() {
                    b.append_option(m.map(mask_variables));
                }
                Arc::new(b.finish())
            }
            TemplateFuncKind::LogTemplate => {
                let mut b = StringBuilder::new();
                for i in 0..messages.len() {
                    match self.lookup(&arrays, i)? {
                        Some((_, text)) => b.append_value(text),
                        None if messages.is_valid(i) => {
                            b.append_value(mask_variables(messages.value(i)))
                        }
                        None => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            TemplateFuncKind::TemplateId => {
                let mut b = Int64Builder::new();
                for i in 0..messages.len() {
                    let id = match self.lookup(&arrays, i)? {
                        Some((id, _)) => {
                            Some(self.engine.canonical_template(id).map_err(engine_err)?)
                        }
                        None => None,
                    };
                    b.append_option(id);
                }
                Arc::new(b.finish())
            }
            TemplateFuncKind::ExtractVariables => {
                let templates = arrays[1].as_string::<i32>();
                let mut b = ListBuilder::new(StringBuilder::new());
                for i in 0..messages.len() {
                    let values = (messages.is_valid(i) && templates.is_valid(i))
                        .then(|| extract_variables(messages.value(i), templates.value(i)))
                        .flatten();
                    match values {
                        Some(vs) => {
                            for v in vs {
                                b.values().append_value(v);
                            }
                            b.append(true);
                        }
                        None => b.append(false),
                    }
                }
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}
