//! Shapes of variables that span punctuation: paths, URLs, host names,
//! UUIDs, MAC and IPv6 addresses. Each detector looks at one position of a
//! token and returns where the variable ends.

pub(crate) fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// If an absolute path (at least two segments) or the `://` of a URL starts
/// at `i`, returns its end. It is masked as `<*>` or `://<*>`.
pub(crate) fn path_end(b: &[u8], i: usize) -> Option<usize> {
    let stop = |c: u8| matches!(c, b')' | b']' | b'}' | b'\'' | b'"' | b',' | b';' | b'>');
    let starts_path = b[i] == b'/'
        && (i == 0
            || matches!(
                b[i - 1],
                b'=' | b'(' | b':' | b'\'' | b'"' | b'[' | b'<' | b','
            ))
        && b.get(i + 1).is_some_and(|&c| c != b'/' && !stop(c));
    let starts_url = b[i] == b':' && b[i + 1..].starts_with(b"//") && i > 0;
    if !starts_path && !starts_url {
        return None;
    }
    let mut end = i;
    let mut slashes = 0;
    while end < b.len() && !stop(b[end]) {
        slashes += usize::from(b[end] == b'/');
        end += 1;
    }
    // A trailing colon or dot is punctuation, not part of the path.
    while end > i + 1 && matches!(b[end - 1], b':' | b'.') {
        end -= 1;
    }
    (starts_url || slashes >= 2).then_some(end)
}

/// If hex groups start at `i` — a UUID (`8-4-4-4-12`), a MAC or IPv6 address
/// or a time (three or more groups of up to four hex digits joined by `:`) —
/// returns their end.
pub(crate) fn hex_groups_end(b: &[u8], i: usize) -> Option<usize> {
    let mut groups = [0usize; 16];
    let mut count = 0;
    let mut sep = 0u8;
    let mut end = i;
    let mut digit = false;
    loop {
        if count == groups.len() {
            return None;
        }
        let s = end;
        while end < b.len() && b[end].is_ascii_hexdigit() {
            digit |= b[end].is_ascii_digit();
            end += 1;
        }
        groups[count] = end - s;
        count += 1;
        let next = b.get(end).copied();
        let joins = matches!(next, Some(b':' | b'-')) && (sep == 0 || next == Some(sep));
        if !joins
            || !b
                .get(end + 1)
                .is_some_and(|c| c.is_ascii_hexdigit() || *c == b':')
        {
            break;
        }
        sep = b[end];
        end += 1;
    }
    let groups = &groups[..count];
    let ends = end == b.len() || !is_alnum(b[end]);
    let shaped = match sep {
        b'-' => groups == [8, 4, 4, 4, 12],
        b':' => groups.len() >= 3 && groups.iter().all(|&g| g <= 4) && groups[0] > 0,
        _ => false,
    };
    (digit && ends && shaped).then_some(end)
}

/// If a host name with a port (`db-node-7:5432`, `www.example.com:443`) or
/// a fully qualified domain name (`mail.example.com`) starts at `i`, returns its end.
pub(crate) fn host_end(b: &[u8], i: usize) -> Option<usize> {
    let label = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
    let mut end = i;
    let mut labels = 0;
    let mut last;
    loop {
        let s = end;
        while end < b.len() && label(b[end]) {
            end += 1;
        }
        if end == s {
            return None;
        }
        labels += 1;
        last = s;
        if end + 1 < b.len() && b[end] == b'.' && label(b[end + 1]) {
            end += 1;
        } else {
            break;
        }
    }
    let name = &b[i..end];
    if end < b.len() && b[end] == b':' {
        let digits = b[end + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let after = end + 1 + digits;
        let port_ends =
            after == b.len() || !(is_alnum(b[after]) || matches!(b[after], b'.' | b':'));
        let hosty = name
            .iter()
            .any(|&c| c == b'.' || c == b'-' || c.is_ascii_digit());
        if digits > 0 && port_ends && hosty {
            return Some(after);
        }
    }
    let tld = &b[last..end];
    let fqdn =
        labels >= 3 && (2..=3).contains(&tld.len()) && tld.iter().all(u8::is_ascii_lowercase);
    let ends = end == b.len() || !is_alnum(b[end]);
    (fqdn && ends).then_some(end)
}
