//! [`OneRowAtATime`]: a noise model's reference for its own many-row tails.

use crate::Result;
use crate::noise::{NoiseModel, Probability, Region, TailBound, TailValue};

/// Wraps a noise model and forwards only its one-row methods, so that
/// [`NoiseModel::tail_upper_rows`] and [`NoiseModel::tail_lower_rows`] take the trait's
/// row-by-row defaults. Compare an override of those with the same model wrapped here: row for
/// row, the values must agree (up to summation order) and the errors must be the same.
///
/// # Examples
/// ```
/// use nalgebra::DMatrix;
/// use proven::noise::{ColumnMajor, NoiseModel, TailBound, Uniform};
/// use proven::testing::OneRowAtATime;
/// let a = DMatrix::from_row_slice(2, 3, &[1.0, -2.0, 0.5, 0.0, 1.0, 1.0]);
/// let s = [0.2, 0.1];
/// let fast = Uniform::new(3, 0.1).unwrap();
/// let slow = OneRowAtATime(Uniform::new(3, 0.1).unwrap());
/// let many = fast.tail_upper_rows(ColumnMajor::from(&a), &s, TailBound::Hoeffding).unwrap();
/// let one = slow.tail_upper_rows(ColumnMajor::from(&a), &s, TailBound::Hoeffding).unwrap();
/// for (x, y) in many.iter().zip(&one) {
///     assert!((x.certified().unwrap().ln() - y.certified().unwrap().ln()).abs() < 1e-12);
/// }
/// ```
#[derive(Debug)]
pub struct OneRowAtATime<N: NoiseModel>(pub N);

impl<N: NoiseModel> NoiseModel for OneRowAtATime<N> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn describe(&self) -> String {
        format!("{}, one row at a time", self.0.describe())
    }
    fn mean(&self) -> Vec<f64> {
        self.0.mean()
    }
    fn variance(&self) -> Option<Vec<f64>> {
        self.0.variance()
    }
    fn region(&self) -> Region {
        self.0.region()
    }
    fn mass_outside(&self) -> Probability {
        self.0.mass_outside()
    }
    fn sample(&self, rng: &mut dyn rand::Rng) -> Vec<f64> {
        self.0.sample(rng)
    }
    fn tail_upper(&self, a: &[f64], s: f64, method: TailBound) -> Result<TailValue> {
        self.0.tail_upper(a, s, method)
    }
    fn tail_lower(&self, a: &[f64], s: f64, method: TailBound) -> Result<Probability> {
        self.0.tail_lower(a, s, method)
    }
}
