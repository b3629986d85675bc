//! The interactive SQL shell of `strata sql`.
//!
//! Statements end with `;` and may span lines. `\q` (or `quit`, `exit`)
//! leaves, `\d` lists tables, `\d logs` describes a table, `\format csv`
//! switches the output format. History is kept in a file.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use arrow::array::RecordBatch;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::format::{OutputFormat, write_batches};

/// Runs one SQL statement and collects its result.
pub async fn run_statement(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    ctx.sql(sql).await?.collect().await
}

/// What the shell should do with one complete input.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Quit,
    Sql(String),
    Format(Result<OutputFormat, String>),
    Help,
}

fn parse_command(input: &str) -> Command {
    let t = input.trim().trim_end_matches(';').trim();
    match t {
        "\\q" | "quit" | "exit" => Command::Quit,
        "\\?" | "help" => Command::Help,
        "\\d" => Command::Sql("SHOW TABLES".into()),
        _ => {
            if let Some(table) = t.strip_prefix("\\d ") {
                Command::Sql(format!("DESCRIBE {}", table.trim()))
            } else if let Some(f) = t.strip_prefix("\\format") {
                Command::Format(f.trim().parse())
            } else {
                Command::Sql(input.trim().to_string())
            }
        }
    }
}

/// Whether `buffer` holds a complete input (a statement ending in `;` or a
/// backslash command).
fn is_complete(buffer: &str) -> bool {
    let t = buffer.trim();
    t.starts_with('\\') || t.ends_with(';') || matches!(t, "quit" | "exit" | "help")
}

const HELP: &str = "Statements end with ';' and may span lines.\n\
  \\d            list tables\n\
  \\d TABLE      describe a table\n\
  \\format F     output as table, csv, json or ndjson\n\
  \\q            quit\n\
Full-text search: SELECT * FROM logs WHERE search(message, 'timeout AND \"db-1\"') LIMIT 10;";

/// Runs the REPL until end of input or `\q`.
#[allow(clippy::print_stdout)]
pub async fn run_shell(
    ctx: &SessionContext,
    mut format: OutputFormat,
    history: Option<PathBuf>,
) -> Result<()> {
    let mut editor = DefaultEditor::new()
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("Strata SQL shell. Type \\? for help, \\q to quit.");
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "strata> "
        } else {
            "    ..> "
        };
        match editor.readline(prompt) {
            Ok(line) => {
                if buffer.is_empty() && line.trim().is_empty() {
                    continue;
                }
                buffer.push_str(&line);
                buffer.push('\n');
                if !is_complete(&buffer) {
                    continue;
                }
                let input = std::mem::take(&mut buffer);
                let _ = editor.add_history_entry(input.trim());
                match parse_command(&input) {
                    Command::Quit => break,
                    Command::Help => println!("{HELP}"),
                    Command::Format(Ok(f)) => format = f,
                    Command::Format(Err(e)) => println!("Error: {e}"),
                    Command::Sql(sql) => {
                        let start = Instant::now();
                        match run_statement(ctx, &sql).await {
                            Ok(batches) => {
                                let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
                                let mut out = std::io::stdout().lock();
                                if let Err(e) = write_batches(&mut out, &batches, format) {
                                    println!("Error: {e}");
                                }
                                let _ = out.flush();
                                println!("{rows} row(s) in {:.3}s", start.elapsed().as_secs_f64());
                            }
                            Err(e) => println!("Error: {e}"),
                        }
                    }
                }
            }
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                println!("Error: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_completion() {
        assert!(!is_complete("SELECT 1"));
        assert!(is_complete("SELECT 1\nFROM logs;"));
        assert!(is_complete("\\q"));
        let cases = [
            ("\\q", Command::Quit),
            ("exit", Command::Quit),
            ("\\d", Command::Sql("SHOW TABLES".into())),
            ("\\d logs", Command::Sql("DESCRIBE logs".into())),
            ("\\format csv", Command::Format(Ok(OutputFormat::Csv))),
            ("SELECT 1;", Command::Sql("SELECT 1;".into())),
        ];
        for (input, want) in cases {
            assert_eq!(parse_command(input), want, "{input}");
        }
    }
}
