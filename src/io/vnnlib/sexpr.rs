//! Tokenizer and S-expression parser (iterative, with a nesting limit).

use super::VnnLibErrorKind;

/// Maximum nesting depth of lists.
pub const MAX_DEPTH: usize = 128;

/// A 1-based source position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

/// An S-expression with the position of its first character.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SExpr {
    pub pos: Pos,
    pub kind: SExprKind,
}

/// An atom or a list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SExprKind {
    Atom(String),
    List(Vec<SExpr>),
}

impl SExpr {
    /// The atom text, if this is an atom.
    pub fn atom(&self) -> Option<&str> {
        match &self.kind {
            SExprKind::Atom(s) => Some(s),
            SExprKind::List(_) => None,
        }
    }

    /// The items, if this is a list.
    pub fn list(&self) -> Option<&[SExpr]> {
        match &self.kind {
            SExprKind::List(v) => Some(v),
            SExprKind::Atom(_) => None,
        }
    }
}

/// A parse error with its position.
pub(crate) type Located = (Pos, VnnLibErrorKind);

/// Parses a whole file into its top-level lists.
pub(crate) fn parse(text: &str) -> Result<Vec<SExpr>, Located> {
    let mut top = Vec::new();
    // Open lists: position of the `(` and items so far.
    let mut stack: Vec<(Pos, Vec<SExpr>)> = Vec::new();
    let mut chars = text.char_indices().peekable();
    let (mut line, mut column) = (1usize, 1usize);
    let mut atom: Option<(Pos, usize)> = None;
    let finish_atom = |atom: &mut Option<(Pos, usize)>,
                       end: usize,
                       stack: &mut Vec<(Pos, Vec<SExpr>)>|
     -> Result<(), Located> {
        if let Some((pos, start)) = atom.take() {
            let s = text.get(start..end).unwrap_or("").to_string();
            match stack.last_mut() {
                Some((_, items)) => items.push(SExpr {
                    pos,
                    kind: SExprKind::Atom(s),
                }),
                None => {
                    return Err((
                        pos,
                        VnnLibErrorKind::Syntax(format!("expected `(`, found `{s}`")),
                    ));
                }
            }
        }
        Ok(())
    };
    while let Some((i, ch)) = chars.next() {
        let pos = Pos { line, column };
        match ch {
            ';' => {
                finish_atom(&mut atom, i, &mut stack)?;
                while let Some(&(_, c)) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            '(' => {
                finish_atom(&mut atom, i, &mut stack)?;
                if stack.len() >= MAX_DEPTH {
                    return Err((pos, VnnLibErrorKind::TooDeep { limit: MAX_DEPTH }));
                }
                stack.push((pos, Vec::new()));
            }
            ')' => {
                finish_atom(&mut atom, i, &mut stack)?;
                let (open, items) = stack.pop().ok_or((pos, VnnLibErrorKind::UnexpectedClose))?;
                let e = SExpr {
                    pos: open,
                    kind: SExprKind::List(items),
                };
                match stack.last_mut() {
                    Some((_, parent)) => parent.push(e),
                    None => top.push(e),
                }
            }
            c if c.is_whitespace() => finish_atom(&mut atom, i, &mut stack)?,
            _ => {
                if atom.is_none() {
                    atom = Some((pos, i));
                }
            }
        }
        if ch == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    finish_atom(&mut atom, text.len(), &mut stack)?;
    if let Some((open, _)) = stack.first() {
        return Err((*open, VnnLibErrorKind::Unclosed));
    }
    Ok(top)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lists_and_comments() {
        let e = parse("; c\n(a (b 1.5)) ; x\n(c)").unwrap();
        assert_eq!(e.len(), 2);
        let inner = &e[0].list().unwrap()[1];
        assert_eq!(inner.pos, Pos { line: 2, column: 4 });
        assert_eq!(inner.list().unwrap()[1].atom(), Some("1.5"));
    }

    #[test]
    fn unbalanced() {
        assert_eq!(
            parse("(a))").unwrap_err().1,
            VnnLibErrorKind::UnexpectedClose
        );
        let (pos, kind) = parse("(a\n (b)").unwrap_err();
        assert_eq!(kind, VnnLibErrorKind::Unclosed);
        assert_eq!(pos, Pos { line: 1, column: 1 });
        assert!(matches!(
            parse("abc").unwrap_err().1,
            VnnLibErrorKind::Syntax(_)
        ));
    }

    #[test]
    fn depth_limit_without_recursion() {
        let deep = "(".repeat(1_000_000);
        assert_eq!(
            parse(&deep).unwrap_err().1,
            VnnLibErrorKind::TooDeep { limit: MAX_DEPTH }
        );
        let ok = format!("{}{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }
}
