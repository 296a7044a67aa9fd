//! The networks and test inputs of the experiment: mnistfc images from `images.json`, CNN inputs
//! recovered from the VNN-LIB boxes of the benchmark instance lists.

use nalgebra::DVector;
use proven::io::onnx::load_onnx;
use proven::io::vnnlib::read_vnnlib;
use proven::{Network, Sequential};
use std::path::Path;

use crate::AnyResult;

/// How a network was trained (the paper separates the two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Training {
    /// Ordinary training.
    Standard,
    /// Robust (adversarial / certified) training.
    Robust,
}

impl Training {
    pub fn name(self) -> &'static str {
        match self {
            Training::Standard => "standard",
            Training::Robust => "robust",
        }
    }
}

/// One network of the experiment, as listed (whether or not it loads).
pub struct NetSpec {
    /// Short name used in tables.
    pub name: &'static str,
    /// ONNX path relative to `../shared/models`, or to the repository for `local` networks.
    pub onnx: &'static str,
    /// Trained by `scripts/train_mnist_paper.py` into `target/paper-models/` (not committed).
    pub local: bool,
    pub training: Training,
    /// Where the inputs come from.
    pub source: InputSource,
    /// Whether the network has convolutions (then the default image count is the CNN one).
    pub conv: bool,
}

/// Where a network's test inputs come from.
pub enum InputSource {
    /// `images.json` with `x` and `label` per image.
    ImagesJson(&'static str),
    /// An instance list `onnx,vnnlib,timeout` (paths relative to its folder); the rows for this
    /// network's ONNX file, in order. `clip01`: the boxes were clipped to [0, 1] and the image is
    /// recovered by undoing the clip.
    Instances { csv: &'static str, clip01: bool },
}

/// The networks of the experiment, standard first.
pub const NETS: [NetSpec; 9] = [
    NetSpec {
        name: "mnist-net_256x2",
        onnx: "mnistfc/mnist-net_256x2.onnx",
        local: false,
        training: Training::Standard,
        source: InputSource::ImagesJson("mnistfc/images.json"),
        conv: false,
    },
    NetSpec {
        name: "mnist-net_256x4",
        onnx: "mnistfc/mnist-net_256x4.onnx",
        local: false,
        training: Training::Standard,
        source: InputSource::ImagesJson("mnistfc/images.json"),
        conv: false,
    },
    NetSpec {
        name: "mlp3x256_standard",
        onnx: "target/paper-models/mlp3x256_standard.onnx",
        local: true,
        training: Training::Standard,
        source: InputSource::ImagesJson("mnistfc/images.json"),
        conv: false,
    },
    NetSpec {
        name: "mlp3x256_pgd",
        onnx: "target/paper-models/mlp3x256_pgd.onnx",
        local: true,
        training: Training::Robust,
        source: InputSource::ImagesJson("mnistfc/images.json"),
        conv: false,
    },
    NetSpec {
        name: "Convnet_avgpool",
        onnx: "verivital/Convnet_avgpool.onnx",
        local: false,
        training: Training::Standard,
        source: InputSource::Instances {
            csv: "verivital/verivital_instances.csv",
            clip01: true,
        },
        conv: true,
    },
    NetSpec {
        name: "Convnet_maxpool",
        onnx: "verivital/Convnet_maxpool.onnx",
        local: false,
        training: Training::Standard,
        source: InputSource::Instances {
            csv: "verivital/verivital_instances.csv",
            clip01: true,
        },
        conv: true,
    },
    NetSpec {
        name: "cifar_base_kw",
        onnx: "oval21/nets/cifar_base_kw.onnx",
        local: false,
        training: Training::Robust,
        source: InputSource::Instances {
            csv: "oval21/oval21_instances.csv",
            clip01: false,
        },
        conv: true,
    },
    NetSpec {
        name: "cifar_wide_kw",
        onnx: "oval21/nets/cifar_wide_kw.onnx",
        local: false,
        training: Training::Robust,
        source: InputSource::Instances {
            csv: "oval21/oval21_instances.csv",
            clip01: false,
        },
        conv: true,
    },
    NetSpec {
        name: "cifar_deep_kw",
        onnx: "oval21/nets/cifar_deep_kw.onnx",
        local: false,
        training: Training::Robust,
        source: InputSource::Instances {
            csv: "oval21/oval21_instances.csv",
            clip01: false,
        },
        conv: true,
    },
];

/// One test input with its label.
pub struct Image {
    /// Index in `images.json`, or the row of the instance list.
    pub id: String,
    pub label: usize,
    pub x: DVector<f64>,
}

/// A loaded network with its inputs.
pub struct Loaded {
    pub network: Sequential<f64>,
    pub images: Vec<Image>,
    /// Inputs dropped because the network does not predict their label at `x0`.
    pub misclassified: usize,
}

/// Loads `spec` and its first `count` correctly classified inputs (an error names the file).
pub fn load(root: &Path, models: &Path, spec: &NetSpec, count: usize) -> AnyResult<Loaded> {
    let path = if spec.local {
        root.join(spec.onnx)
    } else {
        models.join(spec.onnx)
    };
    if spec.local && !path.exists() {
        return Err(format!(
            "{} not found: train it with `/usr/bin/python3 scripts/train_mnist_paper.py --width 256 \
             --depth 3 --epochs 10 --pgd-steps 4 --pgd-step 0.03` (not committed)",
            spec.onnx
        )
        .into());
    }
    let network = load_onnx::<f64>(path)?.network;
    let candidates = match &spec.source {
        InputSource::ImagesJson(file) => read_images_json(&models.join(file))?,
        InputSource::Instances { csv, clip01 } => {
            read_instances(&models.join(csv), spec.onnx, *clip01)?
        }
    };
    let mut images = Vec::new();
    let mut misclassified = 0;
    for im in candidates {
        if images.len() == count {
            break;
        }
        if network.forward(&im.x)?.argmax().0 == im.label {
            images.push(im);
        } else {
            misclassified += 1;
        }
    }
    Ok(Loaded {
        network,
        images,
        misclassified,
    })
}

fn read_images_json(path: &Path) -> AnyResult<Vec<Image>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let images = json["images"]
        .as_array()
        .ok_or_else(|| format!("{}: no `images` array", path.display()))?;
    images
        .iter()
        .enumerate()
        .map(|(i, im)| {
            let x: Vec<f64> = im["x"]
                .as_array()
                .ok_or_else(|| format!("{}: image {i}: `x` is not an array", path.display()))?
                .iter()
                .map(|v| v.as_f64().ok_or("images.json: `x` holds a non-number"))
                .collect::<Result<_, _>>()?;
            let label = im["label"]
                .as_u64()
                .ok_or_else(|| format!("{}: image {i}: no label", path.display()))?;
            Ok(Image {
                id: im["index"].as_u64().unwrap_or(i as u64).to_string(),
                label: label as usize,
                x: DVector::from_vec(x),
            })
        })
        .collect()
}

/// The rows of an instance list for `onnx`, each turned into (centre, label).
fn read_instances(csv: &Path, onnx: &str, clip01: bool) -> AnyResult<Vec<Image>> {
    let folder = csv.parent().ok_or("instance list without a folder")?;
    let onnx_file = Path::new(onnx)
        .file_name()
        .ok_or("network path without a file name")?;
    let text = std::fs::read_to_string(csv).map_err(|e| format!("{}: {e}", csv.display()))?;
    let mut out = Vec::new();
    for (row, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [model, vnnlib, ..] = fields.as_slice() else {
            continue;
        };
        if Path::new(model).file_name() != Some(onnx_file) {
            continue;
        }
        let path = folder.join(vnnlib);
        let property = read_vnnlib(&path)?;
        let bx = property
            .single_box()
            .ok_or_else(|| format!("{}: not a single input box", path.display()))?;
        let label = property
            .label()
            .ok_or_else(|| format!("{}: no classification label", path.display()))?;
        let x = if clip01 {
            unclip(bx.lower(), bx.upper())
        } else {
            bx.center()
        };
        out.push(Image {
            id: Path::new(vnnlib).file_stem().map_or_else(
                || format!("row {row}"),
                |s| s.to_string_lossy().into_owned(),
            ),
            label,
            x,
        });
    }
    Ok(out)
}

/// The image of a box `[max(x0 − ε, 0), min(x0 + ε, 1)]`: `ε` is half the largest width; a side
/// cut at 0 or 1 is undone from the other side (exact up to the files' float32 rounding).
fn unclip(lo: &DVector<f64>, hi: &DVector<f64>) -> DVector<f64> {
    let eps = lo
        .iter()
        .zip(hi)
        .map(|(l, h)| 0.5 * (h - l))
        .fold(0.0, f64::max);
    DVector::from_iterator(
        lo.len(),
        lo.iter().zip(hi).map(|(&l, &h)| {
            let x = if l <= 0.0 && h < 1.0 {
                h - eps
            } else if h >= 1.0 && l > 0.0 {
                l + eps
            } else {
                0.5 * (l + h)
            };
            x.clamp(0.0, 1.0)
        }),
    )
}

/// For a network trained by `scripts/train_mnist_paper.py`: its architecture, training and test
/// accuracy, from the JSON file written next to the ONNX file.
pub fn describe_local(root: &Path, spec: &NetSpec) -> Option<String> {
    if !spec.local {
        return None;
    }
    let path = root.join(spec.onnx).with_extension("json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let mut s = format!(
        "{}, {}, {} epochs, seed {}: test accuracy {:.3} on {} held-out images of mnist_5k",
        v["architecture"].as_str()?,
        v["training"].as_str()?,
        v["epochs"].as_u64()?,
        v["seed"].as_u64()?,
        v["test_accuracy"].as_f64()?,
        v["test_images"].as_u64()?,
    );
    if let Some(a) = v["pgd20_test_accuracy"].as_f64() {
        s.push_str(&format!(", PGD-20 accuracy {a:.3}"));
    }
    Some(s)
}
