//! What can be wrong with a VNN-LIB file, as structured data.

/// The reason a VNN-LIB file was rejected; carried by [`crate::Error::VnnLib`] together with the
/// 1-based line and column where the problem starts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum VnnLibErrorKind {
    /// A `)` without a matching `(`.
    #[error("unbalanced parentheses: `)` without a matching `(`")]
    UnexpectedClose,
    /// A `(` that is never closed (the position is the `(`).
    #[error("unbalanced parentheses: `(` is never closed")]
    Unclosed,
    /// Lists nested deeper than the parser accepts.
    #[error("expressions nested deeper than {limit} levels")]
    TooDeep {
        /// The depth limit.
        limit: usize,
    },
    /// A token or expression that does not fit the grammar here.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// A command other than `declare-const`, `assert` and the ignored SMT-LIB housekeeping ones.
    #[error("unknown command `{0}`")]
    UnknownCommand(String),
    /// A variable used before (or without) its `declare-const`.
    #[error("undeclared variable `{0}`")]
    UndeclaredVariable(String),
    /// A declared name that is not of the form `X_<i>` or `Y_<j>`, or a sort other than `Real`.
    #[error("invalid declaration: {0}")]
    InvalidDeclaration(String),
    /// A variable declared twice.
    #[error("variable `{0}` is declared twice")]
    DuplicateDeclaration(String),
    /// A token in number position that is not a finite decimal number.
    #[error("`{0}` is not a finite number")]
    NonNumericConstant(String),
    /// An input variable without a finite lower or upper bound in some disjunct.
    #[error("input variable `{variable}` has no {which} bound")]
    MissingBound {
        /// The variable, for example `X_3`.
        variable: String,
        /// `"lower"` or `"upper"`.
        which: &'static str,
    },
    /// A product of variables, division by a variable or by zero.
    #[error("non-linear term: {0}")]
    NonLinear(String),
    /// A constraint outside the supported form (for example mixing inputs and outputs).
    #[error("unsupported constraint: {0}")]
    UnsupportedConstraint(String),
    /// The disjunctive normal form would have too many terms.
    #[error("the property expands to more than {limit} disjuncts")]
    TooManyDisjuncts {
        /// The limit.
        limit: usize,
    },
    /// The normalised property would hold more numbers than the reader accepts.
    #[error("the normalised property would hold more than {limit} numbers")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
}
