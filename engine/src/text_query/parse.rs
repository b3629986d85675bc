//! Query string -> [`TextQuery`]: a lexer and a recursive-descent parser.

use tantivy::tokenizer::{SimpleTokenizer, TokenStream, Tokenizer};

use super::{MAX_TEXT_TOKEN_BYTES, QueryParseError, RAW_FIELDS, TEXT_FIELDS, TextQuery, analyze};

/// An error before it is attached to its query: `(byte position, message)`.
type Failure = (usize, String);

#[derive(Debug)]
enum Kind {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Minus,
    Term(TermTok),
}

#[derive(Debug)]
struct TermTok {
    /// An explicit, already validated `field:`.
    field: Option<String>,
    value: String,
    /// Where the value (or its opening quote) starts.
    value_pos: usize,
    quoted: bool,
    /// The value was followed by `*` (which is not part of `value`).
    prefix: bool,
}

#[derive(Debug)]
struct Tok {
    kind: Kind,
    pos: usize,
}

impl Kind {
    fn starts_clause(&self) -> bool {
        matches!(self, Kind::Term(_) | Kind::LParen | Kind::Not | Kind::Minus)
    }

    fn describe(&self) -> &'static str {
        match self {
            Kind::LParen => "`(`",
            Kind::RParen => "`)`",
            Kind::And => "`AND`",
            Kind::Or => "`OR`",
            Kind::Not => "`NOT`",
            Kind::Minus => "`-`",
            Kind::Term(_) => "a term",
        }
    }
}

impl TextQuery {
    /// Parse `query`; bare words go to `default_field`, which must be one of
    /// [`TEXT_FIELDS`].
    pub fn parse(query: &str, default_field: &str) -> Result<TextQuery, QueryParseError> {
        let fail = |(position, message): Failure| QueryParseError {
            query: query.to_owned(),
            position,
            message,
        };
        if !TEXT_FIELDS.contains(&default_field) {
            return Err(fail((
                0,
                format!(
                    "default field `{default_field}` is not a text field (expected one of {})",
                    TEXT_FIELDS.join(", ")
                ),
            )));
        }
        let toks = lex(query).map_err(fail)?;
        if toks.is_empty() {
            return Err(fail((0, "empty query: nothing to search for".to_owned())));
        }
        let mut parser = Parser {
            default_field,
            toks,
            next: 0,
        };
        let parsed = parser.parse_or().map_err(fail)?;
        match parser.toks.get(parser.next) {
            // `parse_or` stops only at the end or at a `)` it did not open.
            Some(tok) => Err(fail((tok.pos, "unmatched `)`".to_owned()))),
            None => Ok(parsed),
        }
    }
}

fn lex(query: &str) -> Result<Vec<Tok>, Failure> {
    let mut toks = Vec::new();
    let mut i = 0;
    while let Some(c) = query[i..].chars().next() {
        let kind = match c {
            c if c.is_whitespace() => {
                i += c.len_utf8();
                continue;
            }
            '(' => Kind::LParen,
            ')' => Kind::RParen,
            '-' => match query[i + 1..].chars().next() {
                // `--x` and `---` are words (of punctuation), not double negations.
                Some('-') => {
                    let (tok, next) = lex_word(query, i, word_end(query, i))?;
                    toks.push(tok);
                    i = next;
                    continue;
                }
                Some(n) if !n.is_whitespace() && n != ')' => Kind::Minus,
                _ => {
                    return Err((
                        i,
                        "`-` must be directly followed by a term, as in `-word`".to_owned(),
                    ));
                }
            },
            '"' => {
                let (value, end) = lex_quoted(query, i)?;
                toks.push(quoted_term(None, value, i));
                i = check_after_quote(query, end)?;
                continue;
            }
            _ => {
                let (tok, next) = lex_word(query, i, word_end(query, i))?;
                toks.push(tok);
                i = next;
                continue;
            }
        };
        toks.push(Tok { kind, pos: i });
        i += 1;
    }
    Ok(toks)
}

/// The end of the unquoted word starting at `start`.
fn word_end(query: &str, start: usize) -> usize {
    query[start..]
        .find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '"'))
        .map_or(query.len(), |n| start + n)
}

/// Lex the unquoted word `query[start..end]`, which may be `field:` followed
/// by a quoted value; returns the token and where lexing resumes.
fn lex_word(query: &str, start: usize, end: usize) -> Result<(Tok, usize), Failure> {
    let word = &query[start..end];
    let Some(colon) = word.find(':') else {
        let kind = match word.to_ascii_lowercase().as_str() {
            "and" => Kind::And,
            "or" => Kind::Or,
            "not" => Kind::Not,
            _ => return Ok((unquoted_term(None, word, start)?, end)),
        };
        return Ok((Tok { kind, pos: start }, end));
    };
    let field = &word[..colon];
    if field.is_empty() {
        return Err((start, "missing field name before `:`".to_owned()));
    }
    if !TEXT_FIELDS.contains(&field) && !RAW_FIELDS.contains(&field) {
        return Err((
            start,
            format!(
                "unknown field `{field}`; known fields: {}, {} (to search for text containing \
                 `:`, put it in double quotes)",
                TEXT_FIELDS.join(", "),
                RAW_FIELDS.join(", ")
            ),
        ));
    }
    let value_pos = start + colon + 1;
    let field = Some(field.to_owned());
    if value_pos < end {
        return Ok((unquoted_term(field, &word[colon + 1..], value_pos)?, end));
    }
    if query[end..].starts_with('"') {
        let (value, quote_end) = lex_quoted(query, end)?;
        let mut tok = quoted_term(field, value, end);
        tok.pos = start;
        return Ok((tok, check_after_quote(query, quote_end)?));
    }
    Err((
        value_pos,
        format!("missing value after `{word}` (write `{word}value` or `{word}\"value\"`)"),
    ))
}

fn unquoted_term(field: Option<String>, word: &str, value_pos: usize) -> Result<Tok, Failure> {
    let (value, prefix) = match word.find('*') {
        None => (word, false),
        Some(star) if star + 1 == word.len() => (&word[..star], true),
        Some(star) => {
            return Err((
                value_pos + star,
                "`*` is only supported at the end of a word (prefix search)".to_owned(),
            ));
        }
    };
    let term = TermTok {
        field,
        value: value.to_owned(),
        value_pos,
        quoted: false,
        prefix,
    };
    Ok(Tok {
        kind: Kind::Term(term),
        pos: value_pos,
    })
}

fn quoted_term(field: Option<String>, value: String, quote_pos: usize) -> Tok {
    let term = TermTok {
        field,
        value,
        value_pos: quote_pos,
        quoted: true,
        prefix: false,
    };
    Tok {
        kind: Kind::Term(term),
        pos: quote_pos,
    }
}

/// Lex the quoted string whose opening `"` is at `start`: `\"` and `\\` are
/// escapes, any other backslash is kept. Returns the value and the byte after
/// the closing quote.
fn lex_quoted(query: &str, start: usize) -> Result<(String, usize), Failure> {
    let mut value = String::new();
    let mut chars = query[start + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => return Ok((value, start + 1 + offset + 1)),
            '\\' => match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => value.push(escaped),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => break,
            },
            c => value.push(c),
        }
    }
    Err((
        start,
        "unclosed quote: this `\"` has no closing `\"`".to_owned(),
    ))
}

fn check_after_quote(query: &str, end: usize) -> Result<usize, Failure> {
    if query[end..].starts_with('*') {
        return Err((
            end,
            "`*` cannot follow a quoted phrase; prefix search takes one unquoted word".to_owned(),
        ));
    }
    Ok(end)
}

struct Parser<'q> {
    default_field: &'q str,
    toks: Vec<Tok>,
    next: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.next)
    }

    fn take(&mut self) -> Option<Tok> {
        let slot = self.toks.get_mut(self.next)?;
        self.next += 1;
        // Tokens are consumed once; leave a cheap placeholder behind.
        let placeholder = Tok {
            kind: Kind::RParen,
            pos: slot.pos,
        };
        Some(std::mem::replace(slot, placeholder))
    }

    /// After the operator `op` at `pos`, the next token must start a clause.
    fn expect_operand(&self, pos: usize, op: &str) -> Result<(), Failure> {
        match self.peek() {
            Some(tok) if tok.kind.starts_clause() => Ok(()),
            Some(tok) => Err((
                pos,
                format!(
                    "`{op}` has no term on its right (found {} at byte {})",
                    tok.kind.describe(),
                    tok.pos
                ),
            )),
            None => Err((
                pos,
                format!("`{op}` at the end of the query has no term on its right"),
            )),
        }
    }

    fn parse_or(&mut self) -> Result<TextQuery, Failure> {
        let mut items = vec![self.parse_and()?];
        while let Some(Tok {
            kind: Kind::Or,
            pos,
        }) = self.peek()
        {
            let pos = *pos;
            self.next += 1;
            self.expect_operand(pos, "OR")?;
            items.push(self.parse_and()?);
        }
        Ok(flatten(items, false))
    }

    fn parse_and(&mut self) -> Result<TextQuery, Failure> {
        let mut items = vec![self.parse_unary()?];
        loop {
            match self.peek() {
                Some(Tok {
                    kind: Kind::And,
                    pos,
                }) => {
                    let pos = *pos;
                    self.next += 1;
                    self.expect_operand(pos, "AND")?;
                }
                Some(tok) if tok.kind.starts_clause() => {}
                _ => break,
            }
            items.push(self.parse_unary()?);
        }
        Ok(flatten(items, true))
    }

    fn parse_unary(&mut self) -> Result<TextQuery, Failure> {
        let Some(tok) = self.take() else {
            // Callers check for a next token first; this is a safe fallback.
            return Err((0, "expected a term".to_owned()));
        };
        match tok.kind {
            Kind::Not | Kind::Minus => {
                let op = if matches!(tok.kind, Kind::Not) {
                    "NOT"
                } else {
                    "-"
                };
                self.expect_operand(tok.pos, op)?;
                Ok(TextQuery::Not(Box::new(self.parse_unary()?)))
            }
            Kind::LParen => {
                if matches!(
                    self.peek(),
                    Some(Tok {
                        kind: Kind::RParen,
                        ..
                    })
                ) {
                    return Err((tok.pos, "empty parentheses `()`".to_owned()));
                }
                if self.peek().is_none() {
                    return Err((tok.pos, "unclosed `(`: no matching `)`".to_owned()));
                }
                let inner = self.parse_or()?;
                match self.take() {
                    Some(Tok {
                        kind: Kind::RParen, ..
                    }) => Ok(inner),
                    _ => Err((tok.pos, "unclosed `(`: no matching `)`".to_owned())),
                }
            }
            Kind::RParen => Err((tok.pos, "unmatched `)`".to_owned())),
            Kind::And | Kind::Or => Err((
                tok.pos,
                format!("{} has no term on its left", tok.kind.describe()),
            )),
            Kind::Term(term) => self.leaf(term),
        }
    }

    fn leaf(&self, t: TermTok) -> Result<TextQuery, Failure> {
        let field = t.field.unwrap_or_else(|| self.default_field.to_owned());
        if RAW_FIELDS.contains(&field.as_str()) {
            return Ok(if t.prefix {
                TextQuery::RawPrefix {
                    field,
                    prefix: t.value,
                }
            } else {
                TextQuery::RawEq {
                    field,
                    value: t.value,
                }
            });
        }
        let shown = match (t.quoted, t.prefix) {
            (true, _) => format!("\"{}\"", t.value),
            (false, true) => format!("{}*", t.value),
            (false, false) => t.value.clone(),
        };
        if let Some((offset, long)) = first_long_token(&t.value) {
            let pos = t.value_pos + offset + usize::from(t.quoted);
            return Err((
                pos,
                format!(
                    "`{long}` is {} bytes long; words of {MAX_TEXT_TOKEN_BYTES} bytes or more \
                     are not indexed, so it can never match",
                    long.len()
                ),
            ));
        }
        let tokens: Vec<String> = analyze(&t.value).into_iter().map(|(_, t)| t).collect();
        if t.prefix {
            return match <[String; 1]>::try_from(tokens) {
                Ok([prefix]) => Ok(TextQuery::Prefix { field, prefix }),
                Err(tokens) if tokens.is_empty() => Err((
                    t.value_pos,
                    format!("prefix `{shown}` contains no letters or digits"),
                )),
                Err(tokens) => Err((
                    t.value_pos,
                    format!(
                        "prefix `{shown}` splits into several words ({}); a prefix must be a \
                         single word of letters and digits",
                        tokens.join(", ")
                    ),
                )),
            };
        }
        if tokens.is_empty() {
            return Err((
                t.value_pos,
                format!("`{shown}` contains no letters or digits to search for"),
            ));
        }
        Ok(TextQuery::Phrase { field, tokens })
    }
}

/// The first token of `value` that the analyzer would drop for its length, with
/// its byte offset in `value`.
fn first_long_token(value: &str) -> Option<(usize, String)> {
    let mut tokenizer = SimpleTokenizer::default();
    let mut stream = tokenizer.token_stream(value);
    while stream.advance() {
        let token = stream.token();
        if token.text.len() >= MAX_TEXT_TOKEN_BYTES {
            return Some((token.offset_from, token.text.clone()));
        }
    }
    None
}

/// Combine clauses with AND (`and = true`) or OR, merging nested clauses of the
/// same operator: `(a b) c` is `And([a, b, c])`.
fn flatten(items: Vec<TextQuery>, and: bool) -> TextQuery {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            TextQuery::And(children) if and => out.extend(children),
            TextQuery::Or(children) if !and => out.extend(children),
            other => out.push(other),
        }
    }
    match <[TextQuery; 1]>::try_from(out) {
        Ok([single]) => single,
        Err(out) if and => TextQuery::And(out),
        Err(out) => TextQuery::Or(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ph(field: &str, tokens: &[&str]) -> TextQuery {
        TextQuery::Phrase {
            field: field.into(),
            tokens: tokens.iter().map(|t| t.to_string()).collect(),
        }
    }
    fn msg(tokens: &[&str]) -> TextQuery {
        ph("message", tokens)
    }
    fn prefix(field: &str, prefix: &str) -> TextQuery {
        TextQuery::Prefix {
            field: field.into(),
            prefix: prefix.into(),
        }
    }
    fn raw(field: &str, value: &str) -> TextQuery {
        TextQuery::RawEq {
            field: field.into(),
            value: value.into(),
        }
    }
    fn raw_prefix(field: &str, prefix: &str) -> TextQuery {
        TextQuery::RawPrefix {
            field: field.into(),
            prefix: prefix.into(),
        }
    }
    fn not(q: TextQuery) -> TextQuery {
        TextQuery::Not(Box::new(q))
    }
    use TextQuery::{And, Or};

    #[test]
    fn parses_valid_queries() {
        let cases: Vec<(&str, TextQuery)> = vec![
            ("error", msg(&["error"])),
            ("  Error  ", msg(&["error"])),
            ("user-123", msg(&["user", "123"])),
            ("a-b_c.d", msg(&["a", "b", "c", "d"])),
            ("héllo", msg(&["héllo"])),
            ("\"connection reset\"", msg(&["connection", "reset"])),
            (r#""say \"hi\" now""#, msg(&["say", "hi", "now"])),
            (r#""back\\slash""#, msg(&["back", "slash"])),
            ("\"and\"", msg(&["and"])),
            ("time*", prefix("message", "time")),
            ("TIME*", prefix("message", "time")),
            ("-_x*", not(prefix("message", "x"))),
            ("service:api", raw("service", "api")),
            ("service:API-Gateway", raw("service", "API-Gateway")),
            ("service:\"my api\"", raw("service", "my api")),
            (r#"service:"q\"d""#, raw("service", "q\"d")),
            (r#"service:"a\b""#, raw("service", r"a\b")),
            ("service:\"\"", raw("service", "")),
            ("service:api*", raw_prefix("service", "api")),
            ("service:*", raw_prefix("service", "")),
            ("trace_id:a:b", raw("trace_id", "a:b")),
            ("log_level:ERROR", raw("log_level", "ERROR")),
            ("error_message:Timeout", ph("error_message", &["timeout"])),
            (
                "stack_trace:\"at Main\"",
                ph("stack_trace", &["at", "main"]),
            ),
            ("stack_trace:Null*", prefix("stack_trace", "null")),
            ("message:x-y", msg(&["x", "y"])),
            ("a b c", And(vec![msg(&["a"]), msg(&["b"]), msg(&["c"])])),
            (
                "a AND b and c",
                And(vec![msg(&["a"]), msg(&["b"]), msg(&["c"])]),
            ),
            (
                "a OR b or c",
                Or(vec![msg(&["a"]), msg(&["b"]), msg(&["c"])]),
            ),
            (
                "a b OR c",
                Or(vec![And(vec![msg(&["a"]), msg(&["b"])]), msg(&["c"])]),
            ),
            (
                "a OR b AND c",
                Or(vec![msg(&["a"]), And(vec![msg(&["b"]), msg(&["c"])])]),
            ),
            ("NOT a b", And(vec![not(msg(&["a"])), msg(&["b"])])),
            ("not a OR b", Or(vec![not(msg(&["a"])), msg(&["b"])])),
            ("-a", not(msg(&["a"]))),
            ("a -b", And(vec![msg(&["a"]), not(msg(&["b"]))])),
            ("-\"x y\"", not(msg(&["x", "y"]))),
            ("--a", msg(&["a"])),
            ("---a-b", msg(&["a", "b"])),
            ("not NOT a", not(not(msg(&["a"])))),
            ("NOT (a OR b)", not(Or(vec![msg(&["a"]), msg(&["b"])]))),
            ("-(a b)", not(And(vec![msg(&["a"]), msg(&["b"])]))),
            (
                "(a OR b) (c OR d)",
                And(vec![
                    Or(vec![msg(&["a"]), msg(&["b"])]),
                    Or(vec![msg(&["c"]), msg(&["d"])]),
                ]),
            ),
            ("((a))", msg(&["a"])),
            ("(a b) c", And(vec![msg(&["a"]), msg(&["b"]), msg(&["c"])])),
            (
                "a OR (b OR c)",
                Or(vec![msg(&["a"]), msg(&["b"]), msg(&["c"])]),
            ),
            ("a\"b\"", And(vec![msg(&["a"]), msg(&["b"])])),
            ("(a)(b)", And(vec![msg(&["a"]), msg(&["b"])])),
            (
                "-service:api log_level:error",
                And(vec![not(raw("service", "api")), raw("log_level", "error")]),
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(
                TextQuery::parse(query, "message"),
                Ok(expected),
                "query {query:?}"
            );
        }
        assert_eq!(
            TextQuery::parse("Boom", "error_message"),
            Ok(ph("error_message", &["boom"]))
        );
    }

    #[test]
    fn rejects_invalid_queries() {
        let long = "x".repeat(45);
        let long_in_phrase = format!("\"ok {long}\"");
        let cases: Vec<(&str, &str, usize, &str)> = vec![
            ("", "message", 0, "empty query"),
            ("   ", "message", 0, "empty query"),
            (
                "a AND",
                "message",
                2,
                "`AND` at the end of the query has no term",
            ),
            (
                "a or",
                "message",
                2,
                "`OR` at the end of the query has no term",
            ),
            ("OR a", "message", 0, "`OR` has no term on its left"),
            (
                "a OR OR b",
                "message",
                2,
                "`OR` has no term on its right (found `OR` at byte 5)",
            ),
            (
                "a AND ) b",
                "message",
                2,
                "`AND` has no term on its right (found `)`",
            ),
            ("NOT", "message", 0, "`NOT` at the end of the query"),
            ("a NOT", "message", 2, "`NOT` at the end of the query"),
            ("-AND a", "message", 0, "`-` has no term on its right"),
            (
                "a - b",
                "message",
                2,
                "`-` must be directly followed by a term",
            ),
            (
                "a -",
                "message",
                2,
                "`-` must be directly followed by a term",
            ),
            ("(a", "message", 0, "unclosed `(`"),
            ("a (b OR c", "message", 2, "unclosed `(`"),
            ("(", "message", 0, "unclosed `(`"),
            ("a)", "message", 1, "unmatched `)`"),
            ("a ) b", "message", 2, "unmatched `)`"),
            (")", "message", 0, "unmatched `)`"),
            ("()", "message", 0, "empty parentheses"),
            ("\"abc", "message", 0, "unclosed quote"),
            ("a \"b", "message", 2, "unclosed quote"),
            ("\"ab\\\"", "message", 0, "unclosed quote"),
            ("service:\"ab", "message", 8, "unclosed quote"),
            (
                "foo:bar",
                "message",
                0,
                "unknown field `foo`; known fields: message, error_message",
            ),
            ("a 12:30", "message", 2, "unknown field `12`"),
            ("Message:x", "message", 0, "unknown field `Message`"),
            (":x", "message", 0, "missing field name"),
            ("service:", "message", 8, "missing value after `service:`"),
            (
                "service: api",
                "message",
                8,
                "missing value after `service:`",
            ),
            ("---", "message", 0, "`---` contains no letters or digits"),
            (
                "a message:\"..\"",
                "message",
                10,
                "`\"..\"` contains no letters or digits",
            ),
            ("\"\"", "message", 0, "contains no letters or digits"),
            (
                "*",
                "message",
                0,
                "prefix `*` contains no letters or digits",
            ),
            ("---*", "message", 0, "prefix `---*` contains no letters"),
            ("a -- b", "message", 2, "`--` contains no letters or digits"),
            (
                "foo-bar*",
                "message",
                0,
                "splits into several words (foo, bar)",
            ),
            ("fo*o", "message", 2, "`*` is only supported at the end"),
            ("foo**", "message", 3, "`*` is only supported at the end"),
            (
                "service:a*b",
                "message",
                9,
                "`*` is only supported at the end",
            ),
            ("\"x\"*", "message", 3, "`*` cannot follow a quoted phrase"),
            (&long, "message", 0, "is 45 bytes long"),
            (&long_in_phrase, "message", 4, "can never match"),
            (
                "x",
                "service",
                0,
                "default field `service` is not a text field",
            ),
            ("x", "nope", 0, "default field `nope`"),
        ];
        for (query, default_field, position, needle) in cases {
            let err = TextQuery::parse(query, default_field)
                .expect_err(&format!("query {query:?} should not parse"));
            assert_eq!(err.query, query);
            assert!(
                err.message.contains(needle),
                "query {query:?}: message {:?} lacks {needle:?}",
                err.message
            );
            assert_eq!(err.position, position, "query {query:?}: {err}");
        }
    }

    #[test]
    fn error_display_names_position_and_query() {
        let err = TextQuery::parse("a AND", "message").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`AND` at the end of the query has no term on its right (at byte 2 of \"a AND\")"
        );
    }
}
