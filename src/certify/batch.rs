//! Certifying many inputs at once, in parallel across inputs (rayon).

use super::{Certifier, ProbabilisticCertificate};
use crate::noise::NoiseModel;
use crate::{Float, Network, Result};
use nalgebra::DVector;
use rayon::prelude::*;

impl<T: Float, N: Network<T> + ?Sized> Certifier<'_, T, N> {
    /// [`Certifier::certify`] for every `(x0, label)` pair under the same noise model, in
    /// parallel across inputs on rayon's global pool; result `i` belongs to input `i` and is
    /// exactly what `certify` returns for it alone.
    ///
    /// # Examples
    /// ```
    /// use proven::certify::Certifier;
    /// use proven::layers::Dense;
    /// use proven::noise::Uniform;
    /// use proven::Sequential;
    /// use nalgebra::{DMatrix, DVector};
    /// let net = Sequential::new(vec![Box::new(
    ///     Dense::new(DMatrix::from_row_slice(2, 1, &[1.0, -1.0]), DVector::zeros(2)).unwrap(),
    /// )])
    /// .unwrap();
    /// let noise = Uniform::new(1, 0.1).unwrap();
    /// let inputs = vec![(DVector::from_vec(vec![1.0_f64]), 0), (DVector::from_vec(vec![-1.0]), 1)];
    /// let certs = Certifier::new(&net).certify_batch(&inputs, &noise);
    /// assert!(certs.iter().all(|c| c.as_ref().unwrap().is_certified()));
    /// ```
    pub fn certify_batch(
        &self,
        inputs: &[(DVector<T>, usize)],
        noise: &dyn NoiseModel,
    ) -> Vec<Result<ProbabilisticCertificate<T>>> {
        inputs
            .par_iter()
            .map(|(x0, label)| self.certify(x0, *label, noise))
            .collect()
    }
}
