//! [`Rewire`]: a sparse 0/1 linear map, `y_j = Σ_{i ∈ S_j} x_i`. It copies, duplicates,
//! permutes, drops and sums coordinates, which is all the plumbing a DAG network needs once it is
//! compiled to a sequence of layers over the concatenation of its live values
//! ([`crate::network::GraphBuilder`]).
//!
//! ```text
//! IBP:       y_j ∈ [Σ_{i ∈ S_j} l_i, Σ_{i ∈ S_j} u_i]
//! backward:  Λ'[:, i] = Σ_{j : i ∈ S_j} Λ[:, j],   Δ' = 0          (exact)
//! ```

use super::{Backward, BackwardContext, Layer};
use crate::{Error, Float, Interval, Result};
use nalgebra::{DMatrix, DVector};

/// `y_j = Σ_{i ∈ sources[j]} x_i` (an index may repeat, an empty list gives 0).
///
/// # Examples
/// ```
/// use proven::layers::Rewire;
/// use proven::Layer;
/// use nalgebra::DVector;
/// // (x0, x1) ↦ (x0 + x1, x1, x1)
/// let r = Rewire::new(2, vec![vec![0, 1], vec![1], vec![1]]).unwrap();
/// assert_eq!(Layer::<f64>::forward(&r, &DVector::from_vec(vec![1.0, 2.0])).as_slice(), &[3.0, 2.0, 2.0]);
/// assert!(Rewire::new(2, vec![vec![2]]).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Rewire {
    input_dim: usize,
    starts: Vec<usize>,
    indices: Vec<usize>,
}

impl Rewire {
    /// Builds the map from the source list of every output.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for no inputs or no outputs, or a source index that is not
    /// below `input_dim` (naming the output).
    pub fn new(input_dim: usize, sources: Vec<Vec<usize>>) -> Result<Self> {
        if input_dim == 0 {
            return Err(Error::mismatch("rewire input size", 1, 0));
        }
        if sources.is_empty() {
            return Err(Error::mismatch("rewire output size", 1, 0));
        }
        let mut starts = Vec::with_capacity(sources.len() + 1);
        let mut indices = Vec::new();
        starts.push(0);
        for (j, s) in sources.into_iter().enumerate() {
            if let Some(&bad) = s.iter().find(|&&i| i >= input_dim) {
                return Err(Error::mismatch(
                    format!("rewire output {j} source (< input size)"),
                    input_dim,
                    bad,
                ));
            }
            indices.extend(s);
            starts.push(indices.len());
        }
        Ok(Self {
            input_dim,
            starts,
            indices,
        })
    }

    /// The sources of output `j`.
    pub fn sources(&self, j: usize) -> &[usize] {
        &self.indices[self.starts[j]..self.starts[j + 1]]
    }

    fn apply<T: Float>(&self, x: &[T], y: &mut [T]) {
        for (j, yj) in y.iter_mut().enumerate() {
            *yj = self.sources(j).iter().map(|&i| x[i]).sum();
        }
    }
}

impl<T: Float> Layer<T> for Rewire {
    fn kind(&self) -> &'static str {
        "rewire"
    }
    fn input_dim(&self) -> usize {
        self.input_dim
    }
    fn output_dim(&self) -> usize {
        self.starts.len() - 1
    }
    fn forward(&self, x: &DVector<T>) -> DVector<T> {
        let mut y = DVector::zeros(Layer::<T>::output_dim(self));
        self.apply(x.as_slice(), y.as_mut_slice());
        y
    }
    fn forward_batch(&self, x: &DMatrix<T>) -> DMatrix<T> {
        let m = Layer::<T>::output_dim(self);
        let mut y = DMatrix::zeros(m, x.ncols());
        for (xc, yc) in x
            .as_slice()
            .chunks(self.input_dim)
            .zip(y.as_mut_slice().chunks_mut(m))
        {
            self.apply(xc, yc);
        }
        y
    }
    fn interval(&self, input: &Interval<T>) -> Interval<T> {
        Interval::new_unchecked(self.forward(input.lower()), self.forward(input.upper()))
    }
    fn is_linear(&self) -> bool {
        true
    }
    fn backward(&self, lambda: &DMatrix<T>, _ctx: &BackwardContext<'_, T>) -> Result<Backward<T>> {
        let m = Layer::<T>::output_dim(self);
        if lambda.ncols() != m {
            return Err(Error::mismatch(
                "rewire backward Λ columns",
                m,
                lambda.ncols(),
            ));
        }
        let rows = lambda.nrows();
        let mut out = DMatrix::<T>::zeros(rows, self.input_dim);
        let src = lambda.as_slice();
        let od = out.as_mut_slice();
        for j in 0..m {
            let col = &src[j * rows..(j + 1) * rows];
            for &i in self.sources(j) {
                for (d, &s) in od[i * rows..(i + 1) * rows].iter_mut().zip(col) {
                    *d += s;
                }
            }
        }
        Ok(Backward {
            lambda: out,
            offset: DVector::zeros(rows),
        })
    }
    fn backward_identity(
        &self,
        rows: &[usize],
        _ctx: &BackwardContext<'_, T>,
    ) -> Result<Backward<T>> {
        let m = Layer::<T>::output_dim(self);
        let mut out = DMatrix::<T>::zeros(rows.len(), self.input_dim);
        for (r, &j) in rows.iter().enumerate() {
            if j >= m {
                return Err(Error::mismatch(
                    "rewire backward_identity row (< outputs)",
                    m,
                    j,
                ));
            }
            for &i in self.sources(j) {
                out[(r, i)] += T::one();
            }
        }
        Ok(Backward {
            lambda: out,
            offset: DVector::zeros(rows.len()),
        })
    }
}
