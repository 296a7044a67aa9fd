//! [`Shape3`]: the channels × height × width shape of one image-like tensor (batch size 1),
//! stored flat in NCHW (row-major) order: index `c·H·W + h·W + w`.

use crate::{Error, Result};

/// The shape `C × H × W` of a feature map, flattened in NCHW order
/// (`index = (c·H + h)·W + w`).
///
/// # Examples
/// ```
/// use proven::layers::Shape3;
/// let s = Shape3::new(2, 3, 4).unwrap();
/// assert_eq!(s.len(), 24);
/// assert_eq!(s.index(1, 2, 3), 23);
/// assert!(Shape3::new(0, 3, 4).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape3 {
    /// Number of channels `C`.
    pub channels: usize,
    /// Height `H`.
    pub height: usize,
    /// Width `W`.
    pub width: usize,
}

impl Shape3 {
    /// A shape with every extent at least 1.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] naming the extent that is zero.
    pub fn new(channels: usize, height: usize, width: usize) -> Result<Self> {
        let s = Self {
            channels,
            height,
            width,
        };
        s.validate("shape")?;
        Ok(s)
    }

    /// Checks that every extent is at least 1 and the element count fits a `usize`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] naming `what` and the extent that is zero;
    /// [`Error::Unsupported`] if `C·H·W` overflows.
    pub fn validate(&self, what: &str) -> Result<()> {
        for (name, v) in [
            ("channels", self.channels),
            ("height", self.height),
            ("width", self.width),
        ] {
            if v == 0 {
                return Err(Error::mismatch(format!("{what} {name}"), 1, 0));
            }
        }
        self.channels
            .checked_mul(self.height)
            .and_then(|v| v.checked_mul(self.width))
            .ok_or_else(|| Error::Unsupported {
                what: format!("{what}: {self} has too many elements"),
            })?;
        Ok(())
    }

    /// Number of elements `C·H·W` (the flat length).
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Always false for a validated shape.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of pixels `H·W` of one channel.
    pub fn plane(&self) -> usize {
        self.height * self.width
    }

    /// The flat NCHW index of `(c, h, w)`.
    pub fn index(&self, c: usize, h: usize, w: usize) -> usize {
        (c * self.height + h) * self.width + w
    }
}

impl std::fmt::Display for Shape3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}×{}×{}", self.channels, self.height, self.width)
    }
}
