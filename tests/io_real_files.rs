//! Parses every shared .onnx and .vnnlib file and checks that box dimensions match the networks.

mod io_common;

use io_common::{files_with_ext, models_dir, require};
use proven::io::onnx;
use proven::io::vnnlib;
use std::collections::HashMap;
use std::path::Path;

#[test]
fn every_vnnlib_file_parses() {
    let Some(dir) = require(models_dir(), "every_vnnlib_file_parses") else {
        return;
    };
    let files = files_with_ext(&dir, "vnnlib");
    assert_eq!(files.len(), 134, "number of shared .vnnlib files");
    for f in &files {
        let p = vnnlib::read_vnnlib(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!p.cases.is_empty(), "{}", f.display());
        for c in &p.cases {
            assert_eq!(c.input.dim(), p.num_inputs);
            for d in &c.disjuncts {
                assert_eq!(d.matrix.ncols(), p.num_outputs);
            }
        }
    }
}

/// The ONNX input dimension of each network, keyed by `<folder>/<file>`.
fn onnx_dims(dir: &Path) -> HashMap<String, usize> {
    let mut dims = HashMap::new();
    for folder in ["test", "acasxu", "mnistfc"] {
        for f in files_with_ext(&dir.join(folder), "onnx") {
            let g = onnx::read_graph(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            dims.insert(format!("{folder}/{name}"), g.input_dim());
        }
    }
    dims
}

#[test]
fn vnnlib_boxes_match_onnx_inputs() {
    let Some(dir) = require(models_dir(), "vnnlib_boxes_match_onnx_inputs") else {
        return;
    };
    let dims = onnx_dims(&dir);
    // CNN sets: the reader rejects their ONNX files for now; their input sizes are known.
    let cnn = [("verivital", 784usize), ("oval21", 3 * 32 * 32)];
    let mut checked = 0;
    for folder in ["test", "acasxu", "mnistfc", "verivital", "oval21"] {
        let csv = std::fs::read_to_string(dir.join(folder).join(format!("{folder}_instances.csv")))
            .expect("instances csv");
        for line in csv.lines().filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split(',').collect();
            let (net, prop) = (cols[0].trim(), cols[1].trim());
            if !dir.join(folder).join(net).exists() {
                continue; // the csv lists networks that are not shipped (mnist-net_256x6)
            }
            let p = vnnlib::read_vnnlib(dir.join(folder).join(prop)).expect("vnnlib");
            let want = match cnn.iter().find(|(f, _)| *f == folder) {
                Some((_, d)) => *d,
                None => {
                    let net = Path::new(net)
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or(net);
                    let key = format!("{folder}/{net}");
                    *dims.get(&key).unwrap_or_else(|| panic!("no network {key}"))
                }
            };
            assert_eq!(p.num_inputs, want, "{folder}: {net} with {prop}");
            for c in &p.cases {
                assert_eq!(c.input.dim(), want);
            }
            checked += 1;
        }
    }
    assert!(checked >= 186 + 20 + 5, "checked {checked} instances");
}

#[test]
fn every_mlp_onnx_file_converts() {
    let Some(dir) = require(models_dir(), "every_mlp_onnx_file_converts") else {
        return;
    };
    let dims = onnx_dims(&dir);
    assert_eq!(dims.len(), 5 + 45 + 2);
    assert_eq!(dims["acasxu/ACASXU_run2a_1_1_batch_2000.onnx"], 5);
    assert_eq!(dims["mnistfc/mnist-net_256x2.onnx"], 784);
    assert_eq!(dims["test/test_nano.onnx"], 1);
    let g = onnx::read_graph(dir.join("acasxu/ACASXU_run2a_1_1_batch_2000.onnx")).unwrap();
    assert_eq!(g.input_shape, vec![1, 1, 1, 5]);
    // Sub(mean) with an all-zero mean folds away: 7 dense layers with 6 ReLUs in between.
    let kinds: Vec<&str> = g
        .layers
        .iter()
        .map(|l| match l {
            onnx::LayerSpec::Dense { .. } => "dense",
            onnx::LayerSpec::Affine { .. } => "affine",
            onnx::LayerSpec::Activation { .. } => "act",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds.len(), 7 + 6);
    assert_eq!(kinds[0], "dense");
    assert_eq!(kinds[1], "act");
    assert_eq!(g.output_dim(), 5);
}

#[test]
fn every_cnn_onnx_file_converts() {
    let Some(dir) = require(models_dir(), "every_cnn_onnx_file_converts") else {
        return;
    };
    let mut files = files_with_ext(&dir.join("verivital"), "onnx");
    files.extend(files_with_ext(&dir.join("oval21"), "onnx"));
    assert_eq!(files.len(), 5);
    for f in files {
        let g = onnx::read_graph(&f).unwrap();
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        let kinds: String = g
            .layers
            .iter()
            .map(|l| match l {
                onnx::LayerSpec::Conv2d(_) => 'C',
                onnx::LayerSpec::Activation { .. } => 'r',
                onnx::LayerSpec::AvgPool2d { .. } => 'A',
                onnx::LayerSpec::MaxPool2d(_) => 'M',
                onnx::LayerSpec::Dense { .. } => 'D',
                _ => '?',
            })
            .collect();
        // The all-zero Pad of Convnet_avgpool adds no layer.
        let (input, want) = match name.as_str() {
            "Convnet_avgpool" => (vec![1, 1, 28, 28], "CrAD"),
            "Convnet_maxpool" => (vec![1, 1, 28, 28], "CrMD"),
            "cifar_base_kw" | "cifar_wide_kw" => (vec![1, 3, 32, 32], "CrCrDrD"),
            "cifar_deep_kw" => (vec![1, 3, 32, 32], "CrCrCrCrDrD"),
            other => panic!("unexpected model {other}"),
        };
        assert_eq!(
            (g.input_shape.clone(), kinds.as_str()),
            (input, want),
            "{name}"
        );
        assert!(g.dag.is_none(), "{name}");
        assert_eq!(g.output_dim(), 10, "{name}");
    }
}
