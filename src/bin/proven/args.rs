//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Certified bounds for neural networks under worst-case and random input noise.
#[derive(Debug, Parser)]
#[command(name = "proven", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bounds on the outputs (or margins) over an input set.
    Bounds(BoundsArgs),
    /// Checks a VNN-LIB property: proved, falsified (with a checked counterexample) or unknown.
    Verify(VerifyArgs),
    /// Probabilistic certificate of the prediction under a noise law.
    Certify(CertifyArgs),
    /// Worst-case and probabilistic radius of the prediction.
    Radius(RadiusArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    Ibp,
    Fastlin,
    Crown,
    CrownIbp,
}

/// How intermediate bounds are refined under back-substitution methods.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RulesArg {
    /// Refine unstable neurons, intersect with IBP (tightest; the library default).
    Tight,
    /// auto_LiRPA 0.7's default rules (reproduces its numbers).
    AutoLirpa,
    /// Textbook CROWN: refine every neuron, no IBP intersection.
    Dense,
}

/// Where the intermediate bounds of a probabilistic certificate come from.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IntermediateArg {
    /// Worst case over the noise region (PROVEN as published).
    WorstCase,
    /// Narrowed with the noise model's tail, charged to the failure budget.
    Probabilistic,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NormArg {
    Inf,
    #[value(name = "2")]
    Two,
    #[value(name = "1")]
    One,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TailArg {
    Hoeffding,
    Subgaussian,
    Chernoff,
    Bernstein,
    Convolution,
    Exact,
}

/// The model and the input point.
#[derive(Debug, Args)]
pub struct PointArgs {
    /// The ONNX model.
    #[arg(long)]
    pub model: PathBuf,
    /// JSON with a flat array "x" (and optional "label"), or the images.json layout with --index.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Index into an images.json-style file.
    #[arg(long)]
    pub index: Option<usize>,
    /// The class to certify (default: the input file's label, else the predicted class).
    #[arg(long)]
    pub label: Option<usize>,
    /// Bound-propagation method.
    #[arg(long, value_enum, default_value = "crown")]
    pub method: MethodArg,
    /// Intermediate-bound rules.
    #[arg(long, value_enum, default_value = "tight")]
    pub rules: RulesArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BoundsArgs {
    #[command(flatten)]
    pub point: PointArgs,
    /// A VNN-LIB property whose input box is used (instead of --input/--eps).
    #[arg(long)]
    pub vnnlib: Option<PathBuf>,
    /// Radius of the input ball.
    #[arg(long)]
    pub eps: Option<f64>,
    /// Norm of the input ball.
    #[arg(long, value_enum, default_value = "inf")]
    pub norm: NormArg,
    /// Clip the ℓ∞ ball to a data range, e.g. 0,1.
    #[arg(long, value_delimiter = ',', num_args = 2)]
    pub clip: Option<Vec<f64>>,
    /// Bound the margins f_label − f_j (j ≠ label, increasing j) instead of the outputs.
    #[arg(long)]
    pub margins: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The ONNX model.
    #[arg(long)]
    pub model: PathBuf,
    /// The VNN-LIB property.
    #[arg(long)]
    pub vnnlib: PathBuf,
    /// Bound-propagation method.
    #[arg(long, value_enum, default_value = "crown")]
    pub method: MethodArg,
    /// Intermediate-bound rules.
    #[arg(long, value_enum, default_value = "tight")]
    pub rules: RulesArg,
    /// Random points tried when searching a counterexample.
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CertifyArgs {
    #[command(flatten)]
    pub point: PointArgs,
    /// uniform:EPS | bernoulli:EPS[:P] | gaussian:SIGMA | gaussian-cov:FILE (JSON matrix).
    #[arg(long)]
    pub noise: String,
    #[command(flatten)]
    pub certificate: CertificateArgs,
}

#[derive(Debug, Args)]
pub struct RadiusArgs {
    #[command(flatten)]
    pub point: PointArgs,
    /// uniform | bernoulli[:P] | gaussian.
    #[arg(long)]
    pub noise: String,
    #[command(flatten)]
    pub certificate: CertificateArgs,
}

/// Options of a probabilistic certificate, shared by `certify` and `radius`.
#[derive(Debug, Args)]
pub struct CertificateArgs {
    /// Tail bound (default: subgaussian for bounded noise, exact for Gaussian).
    #[arg(long, value_enum)]
    pub tail: Option<TailArg>,
    /// Confidence 1 − δ.
    #[arg(long, default_value_t = 0.9999)]
    pub confidence: f64,
    /// Intermediate bounds: probabilistic (default) or worst-case (PROVEN as published).
    #[arg(long, value_enum, default_value = "probabilistic")]
    pub intermediate: IntermediateArg,
    /// Share of δ for the intermediate sides (with --intermediate probabilistic).
    #[arg(long, default_value_t = 0.9)]
    pub budget_split: f64,
}
