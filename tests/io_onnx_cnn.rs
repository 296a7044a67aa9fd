//! ONNX conversion of hand-built convolutional models: Conv (strides, pads, dilations, auto_pad),
//! pooling, batch norm folding, zero Pad and residual Add, each checked against a naive
//! evaluation written independently here (explicit zero-padded copies of the input).

mod io_common;

use io_common::onnx_builder::*;
use nalgebra::DVector;
use proven::io::onnx::proto::*;
use proven::io::onnx::{self, GraphNode, LayerSpec};

/// A `c × h × w` map with explicit zero padding `[top, left, bottom, right]`, as nested vectors.
fn padded(
    x: &[f64],
    (c, h, w): (usize, usize, usize),
    p: [usize; 4],
    fill: f64,
) -> Vec<Vec<Vec<f64>>> {
    let (hp, wp) = (h + p[0] + p[2], w + p[1] + p[3]);
    let mut out = vec![vec![vec![fill; wp]; hp]; c];
    for k in 0..c {
        for i in 0..h {
            for j in 0..w {
                out[k][i + p[0]][j + p[1]] = x[(k * h + i) * w + j];
            }
        }
    }
    out
}

struct Geo {
    input: (usize, usize, usize),
    kernel: (usize, usize),
    stride: (usize, usize),
    pads: [usize; 4],
    dilation: (usize, usize),
}

impl Geo {
    fn out(&self) -> (usize, usize) {
        let (_, h, w) = self.input;
        let span = |k: usize, d: usize| d * (k - 1) + 1;
        (
            (h + self.pads[0] + self.pads[2] - span(self.kernel.0, self.dilation.0))
                / self.stride.0
                + 1,
            (w + self.pads[1] + self.pads[3] - span(self.kernel.1, self.dilation.1))
                / self.stride.1
                + 1,
        )
    }
}

fn naive_conv(x: &[f64], g: &Geo, m: usize, wt: &[f64], b: &[f64]) -> Vec<f64> {
    let c = g.input.0;
    let p = padded(x, g.input, g.pads, 0.0);
    let (oh, ow) = g.out();
    let (kh, kw) = g.kernel;
    let mut y = Vec::new();
    for o in 0..m {
        for i in 0..oh {
            for j in 0..ow {
                let mut s = b[o];
                for k in 0..c {
                    for a in 0..kh {
                        for bb in 0..kw {
                            s += wt[((o * c + k) * kh + a) * kw + bb]
                                * p[k][i * g.stride.0 + a * g.dilation.0]
                                    [j * g.stride.1 + bb * g.dilation.1];
                        }
                    }
                }
                y.push(s);
            }
        }
    }
    y
}

/// Pooling: `max`, or average with padding counted (`Some(true)`) or not (`Some(false)`).
fn naive_pool(x: &[f64], g: &Geo, average: Option<bool>) -> Vec<f64> {
    let fill = if average.is_some() {
        0.0
    } else {
        f64::NEG_INFINITY
    };
    let p = padded(x, g.input, g.pads, fill);
    let inside = padded(&vec![1.0; x.len()], g.input, g.pads, 0.0);
    let (oh, ow) = g.out();
    let mut y = Vec::new();
    for k in 0..g.input.0 {
        for i in 0..oh {
            for j in 0..ow {
                let (mut s, mut n, mut mx) = (0.0, 0.0, f64::NEG_INFINITY);
                for a in 0..g.kernel.0 {
                    for b in 0..g.kernel.1 {
                        let (r, q) = (i * g.stride.0 + a, j * g.stride.1 + b);
                        s += p[k][r][q];
                        n += inside[k][r][q];
                        mx = mx.max(p[k][r][q]);
                    }
                }
                y.push(match average {
                    None => mx,
                    Some(true) => s / (g.kernel.0 * g.kernel.1) as f64,
                    Some(false) => s / n,
                });
            }
        }
    }
    y
}

fn floats_of(t: &TensorProto) -> Vec<f64> {
    t.raw_data
        .chunks_exact(4)
        .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .collect()
}

fn input(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| (i as f64 * 0.37 + seed).sin() * 2.0)
        .collect()
}

/// The reader's forward pass at `x`, after checking that the network built from the same bytes
/// (the crate's layers) computes the same values.
fn run(bytes: &[u8], x: &[f64]) -> Vec<f64> {
    use proven::Network;
    let g = onnx::parse_bytes(bytes).unwrap();
    assert_eq!(g.input_dim(), x.len());
    let x = DVector::from_vec(x.to_vec());
    let y = g.forward(&x).unwrap();
    assert_eq!(y.len(), g.output_dim());
    let net = onnx::from_bytes::<f64>(bytes).unwrap().network;
    close(
        net.forward(&x).unwrap().as_slice(),
        y.as_slice(),
        "network vs reader",
    );
    y.as_slice().to_vec()
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-9 * (1.0 + y.abs()),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

fn dims(g: &Geo) -> Vec<i64> {
    vec![1, g.input.0 as i64, g.input.1 as i64, g.input.2 as i64]
}

fn conv_attrs(g: &Geo) -> Vec<AttributeProto> {
    vec![
        ints_attr("kernel_shape", &[g.kernel.0 as i64, g.kernel.1 as i64]),
        ints_attr("strides", &[g.stride.0 as i64, g.stride.1 as i64]),
        ints_attr("pads", &g.pads.map(|p| p as i64)),
        ints_attr("dilations", &[g.dilation.0 as i64, g.dilation.1 as i64]),
    ]
}

#[test]
fn conv_geometries_match_naive_convolution() {
    let geos = [
        Geo {
            input: (2, 7, 6),
            kernel: (3, 2),
            stride: (2, 1),
            pads: [1, 0, 2, 1],
            dilation: (1, 2),
        },
        Geo {
            input: (1, 5, 5),
            kernel: (2, 2),
            stride: (1, 1),
            pads: [0; 4],
            dilation: (1, 1),
        },
        Geo {
            input: (3, 8, 8),
            kernel: (4, 4),
            stride: (2, 2),
            pads: [1; 4],
            dilation: (1, 1),
        },
        Geo {
            input: (2, 6, 9),
            kernel: (1, 3),
            stride: (3, 2),
            pads: [2, 0, 0, 3],
            dilation: (2, 1),
        },
    ];
    for (s, g) in geos.iter().enumerate() {
        let m = 3;
        let w = pseudo_random(
            "W",
            &[m, g.input.0 as i64, g.kernel.0 as i64, g.kernel.1 as i64],
            s as u64,
        );
        let b = pseudo_random("B", &[m], 100 + s as u64);
        let (wv, bv) = (floats_of(&w), floats_of(&b));
        let with_bias = model(
            &dims(g),
            vec![node("Conv", &["x", "W", "B"], "y", conv_attrs(g))],
            vec![w.clone(), b],
        );
        let x = input(g.input.0 * g.input.1 * g.input.2, s as f64);
        close(
            &run(&with_bias, &x),
            &naive_conv(&x, g, m as usize, &wv, &bv),
            &format!("geometry {s}"),
        );
        let graph = onnx::parse_bytes(&with_bias).unwrap();
        let (oh, ow) = g.out();
        assert_eq!(graph.output_shape, vec![1, m as usize, oh, ow]);
        assert!(matches!(graph.layers.as_slice(), [LayerSpec::Conv2d(_)]));
        // Without bias (and without the optional kernel_shape).
        let attrs: Vec<_> = conv_attrs(g).into_iter().skip(1).collect();
        let no_bias = model(
            &dims(g),
            vec![node("Conv", &["x", "W"], "y", attrs)],
            vec![w],
        );
        close(
            &run(&no_bias, &x),
            &naive_conv(&x, g, m as usize, &wv, &[0.0; 3]),
            &format!("geometry {s}, no bias"),
        );
    }
}

#[test]
fn auto_pad_same_and_valid() {
    let w = pseudo_random("W", &[2, 1, 3, 2], 7);
    let wv = floats_of(&w);
    let x = input(25, 0.5);
    // SAME_UPPER on 5×5 with stride 2: output 3×3, total padding 2 rows (1+1), 1 column (0+1).
    for (mode, pads) in [
        ("SAME_UPPER", [1, 0, 1, 1]),
        ("SAME_LOWER", [1, 1, 1, 0]),
        ("VALID", [0; 4]),
    ] {
        let bytes = model(
            &[1, 1, 5, 5],
            vec![node(
                "Conv",
                &["x", "W"],
                "y",
                vec![string_attr("auto_pad", mode), ints_attr("strides", &[2, 2])],
            )],
            vec![w.clone()],
        );
        let g = Geo {
            input: (1, 5, 5),
            kernel: (3, 2),
            stride: (2, 2),
            pads,
            dilation: (1, 1),
        };
        close(
            &run(&bytes, &x),
            &naive_conv(&x, &g, 2, &wv, &[0.0; 2]),
            mode,
        );
    }
}

#[test]
fn pooling_matches_naive_pooling() {
    let geos = [
        Geo {
            input: (2, 7, 7),
            kernel: (3, 3),
            stride: (2, 2),
            pads: [1, 1, 1, 1],
            dilation: (1, 1),
        },
        Geo {
            input: (3, 27, 27),
            kernel: (4, 4),
            stride: (4, 4),
            pads: [0; 4],
            dilation: (1, 1),
        },
        Geo {
            input: (1, 6, 5),
            kernel: (2, 3),
            stride: (1, 2),
            pads: [0, 1, 1, 0],
            dilation: (1, 1),
        },
    ];
    for (s, g) in geos.iter().enumerate() {
        let x = input(g.input.0 * g.input.1 * g.input.2, 1.0 + s as f64);
        let attrs = || conv_attrs(g).into_iter().take(3).collect::<Vec<_>>();
        let maxp = model(
            &dims(g),
            vec![node("MaxPool", &["x"], "y", attrs())],
            vec![],
        );
        close(
            &run(&maxp, &x),
            &naive_pool(&x, g, None),
            &format!("max {s}"),
        );
        for include in [false, true] {
            let mut a = attrs();
            a.push(int_attr("count_include_pad", i64::from(include)));
            let avg = model(&dims(g), vec![node("AveragePool", &["x"], "y", a)], vec![]);
            close(
                &run(&avg, &x),
                &naive_pool(&x, g, Some(include)),
                &format!("avg {s} include {include}"),
            );
        }
    }
    // ceil_mode = 1 that does not change the size is accepted (27 = 6·4 + 3 would; 28 = 7·4 does not).
    let g = Geo {
        input: (1, 28, 28),
        kernel: (4, 4),
        stride: (4, 4),
        pads: [0; 4],
        dilation: (1, 1),
    };
    let mut a: Vec<_> = conv_attrs(&g).into_iter().take(3).collect();
    a.push(int_attr("ceil_mode", 1));
    let bytes = model(&dims(&g), vec![node("MaxPool", &["x"], "y", a)], vec![]);
    let x = input(784, 2.0);
    close(
        &run(&bytes, &x),
        &naive_pool(&x, &g, None),
        "ceil_mode 1, exact",
    );
}

fn bn_tensors(c: i64, seed: u64) -> (Vec<TensorProto>, Vec<Vec<f64>>) {
    let gamma = pseudo_random("gamma", &[c], seed);
    let beta = pseudo_random("beta", &[c], seed + 1);
    let mean = pseudo_random("mean", &[c], seed + 2);
    let var_values: Vec<f32> = (0..c).map(|i| 0.5 + i as f32 * 0.25).collect();
    let var = f32_raw("var", &[c], &var_values);
    let values = [&gamma, &beta, &mean, &var]
        .iter()
        .map(|t| floats_of(t))
        .collect();
    (vec![gamma, beta, mean, var], values)
}

/// Batch norm on `x` (NC…, `plane` values per channel) with ε = 1e-3.
fn naive_bn(x: &[f64], plane: usize, p: &[Vec<f64>]) -> Vec<f64> {
    let eps = f64::from(1e-3f32);
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = i / plane;
            p[0][c] * (v - p[2][c]) / (p[3][c] + eps).sqrt() + p[1][c]
        })
        .collect()
}

#[test]
fn batch_norm_folds_into_conv_and_gemm_and_stands_alone_elsewhere() {
    let g = Geo {
        input: (2, 5, 5),
        kernel: (3, 3),
        stride: (1, 1),
        pads: [1; 4],
        dilation: (1, 1),
    };
    let w = pseudo_random("W", &[3, 2, 3, 3], 11);
    let b = pseudo_random("B", &[3], 12);
    let (wv, bv) = (floats_of(&w), floats_of(&b));
    let (bn, p) = bn_tensors(3, 20);
    let bn_node = |input: &str, out: &str| {
        node(
            "BatchNormalization",
            &[input, "gamma", "beta", "mean", "var"],
            out,
            vec![float_attr("epsilon", 1e-3)],
        )
    };
    let mut inits = vec![w, b];
    inits.extend(bn.clone());
    let x = input(50, 3.0);
    // Conv → BN: one convolution.
    let bytes = model(
        &dims(&g),
        vec![
            node("Conv", &["x", "W", "B"], "c", conv_attrs(&g)),
            bn_node("c", "y"),
        ],
        inits.clone(),
    );
    let want = naive_bn(&naive_conv(&x, &g, 3, &wv, &bv), 25, &p);
    close(&run(&bytes, &x), &want, "conv → bn");
    assert!(matches!(
        onnx::parse_bytes(&bytes).unwrap().layers.as_slice(),
        [LayerSpec::Conv2d(_)]
    ));
    // Conv → Relu → BN: the batch norm stays an element-wise affine layer.
    let bytes = model(
        &dims(&g),
        vec![
            node("Conv", &["x", "W", "B"], "c", conv_attrs(&g)),
            node("Relu", &["c"], "r", vec![]),
            bn_node("r", "y"),
        ],
        inits,
    );
    let relu: Vec<f64> = naive_conv(&x, &g, 3, &wv, &bv)
        .iter()
        .map(|v| v.max(0.0))
        .collect();
    close(
        &run(&bytes, &x),
        &naive_bn(&relu, 25, &p),
        "conv → relu → bn",
    );
    assert!(matches!(
        onnx::parse_bytes(&bytes).unwrap().layers.as_slice(),
        [
            LayerSpec::Conv2d(_),
            LayerSpec::Activation { .. },
            LayerSpec::Affine { .. }
        ]
    ));
    // Gemm → BN (batch norm over features, input [1, 3]): one dense layer.
    let wg = pseudo_random("Wg", &[3, 4], 30);
    let wgv = floats_of(&wg);
    let mut inits = vec![wg];
    inits.extend(bn);
    let bytes = model(
        &[1, 4],
        vec![
            node("Gemm", &["x", "Wg"], "c", vec![int_attr("transB", 1)]),
            bn_node("c", "y"),
        ],
        inits,
    );
    let x = input(4, 4.0);
    let lin: Vec<f64> = (0..3)
        .map(|o| (0..4).map(|i| wgv[o * 4 + i] * x[i]).sum())
        .collect();
    close(&run(&bytes, &x), &naive_bn(&lin, 1, &p), "gemm → bn");
    assert!(matches!(
        onnx::parse_bytes(&bytes).unwrap().layers.as_slice(),
        [LayerSpec::Dense { .. }]
    ));
}

#[test]
fn zero_pad_merges_into_conv_and_pads_before_pooling() {
    let g = Geo {
        input: (2, 4, 5),
        kernel: (2, 2),
        stride: (1, 1),
        pads: [1, 2, 0, 1],
        dilation: (1, 1),
    };
    let w = pseudo_random("W", &[2, 2, 2, 2], 40);
    let wv = floats_of(&w);
    let x = input(40, 5.0);
    let want = naive_conv(&x, &g, 2, &wv, &[0.0; 2]);
    // Opset < 11: pads attribute (begin N, C, H, W, then end N, C, H, W).
    let pad_attr = node(
        "Pad",
        &["x"],
        "p",
        vec![
            ints_attr("pads", &[0, 0, 1, 2, 0, 0, 0, 1]),
            string_attr("mode", "constant"),
        ],
    );
    let conv = node(
        "Conv",
        &["p", "W"],
        "y",
        vec![ints_attr("kernel_shape", &[2, 2])],
    );
    let bytes = model(&dims(&g), vec![pad_attr, conv.clone()], vec![w.clone()]);
    close(&run(&bytes, &x), &want, "pad attribute → conv");
    assert!(matches!(
        onnx::parse_bytes(&bytes).unwrap().layers.as_slice(),
        [LayerSpec::Conv2d(_)]
    ));
    // Opset ≥ 11: pads input.
    let pad_input = node("Pad", &["x", "pads"], "p", vec![]);
    let bytes = model(
        &dims(&g),
        vec![pad_input, conv],
        vec![w, i64_tensor("pads", &[0, 0, 1, 2, 0, 0, 0, 1])],
    );
    close(&run(&bytes, &x), &want, "pad input → conv");
    // Pad → AveragePool (count_include_pad = 0): padded zeros are counted, being real values now.
    let pg = Geo {
        input: (2, 4, 5),
        kernel: (2, 2),
        stride: (2, 2),
        pads: [1, 2, 0, 1],
        dilation: (1, 1),
    };
    let bytes = model(
        &dims(&pg),
        vec![
            node(
                "Pad",
                &["x"],
                "p",
                vec![ints_attr("pads", &[0, 0, 1, 2, 0, 0, 0, 1])],
            ),
            node(
                "AveragePool",
                &["p"],
                "y",
                vec![
                    ints_attr("kernel_shape", &[2, 2]),
                    ints_attr("strides", &[2, 2]),
                ],
            ),
        ],
        vec![],
    );
    close(
        &run(&bytes, &x),
        &naive_pool(&x, &pg, Some(true)),
        "pad → avgpool",
    );
    // An all-zero Pad (as in Convnet_avgpool) is no layer at all.
    let bytes = model(
        &dims(&g),
        vec![node("Pad", &["x"], "y", vec![ints_attr("pads", &[0; 8])])],
        vec![],
    );
    assert_eq!(
        onnx::parse_bytes(&bytes).unwrap().layers,
        vec![LayerSpec::Identity { dim: 40 }]
    );
}

#[test]
fn residual_additions_give_a_dag() {
    // y = relu(conv2(relu(conv1(x))) + x), channel count kept, "same" padding.
    let g = Geo {
        input: (2, 4, 4),
        kernel: (3, 3),
        stride: (1, 1),
        pads: [1; 4],
        dilation: (1, 1),
    };
    let w1 = pseudo_random("W1", &[2, 2, 3, 3], 50);
    let w2 = pseudo_random("W2", &[2, 2, 3, 3], 51);
    let b1 = pseudo_random("B1", &[2], 52);
    let (w1v, w2v, b1v) = (floats_of(&w1), floats_of(&w2), floats_of(&b1));
    let bytes = model(
        &dims(&g),
        vec![
            node("Conv", &["x", "W1", "B1"], "c1", conv_attrs(&g)),
            node("Relu", &["c1"], "r1", vec![]),
            node("Conv", &["r1", "W2"], "c2", conv_attrs(&g)),
            node("Add", &["c2", "x"], "s", vec![]),
            node("Relu", &["s"], "y", vec![]),
        ],
        vec![w1, w2, b1],
    );
    let x = input(32, 6.0);
    let h: Vec<f64> = naive_conv(&x, &g, 2, &w1v, &b1v)
        .iter()
        .map(|v| v.max(0.0))
        .collect();
    let want: Vec<f64> = naive_conv(&h, &g, 2, &w2v, &[0.0; 2])
        .iter()
        .zip(&x)
        .map(|(a, b)| (a + b).max(0.0))
        .collect();
    close(&run(&bytes, &x), &want, "residual block");
    let graph = onnx::parse_bytes(&bytes).unwrap();
    assert!(graph.layers.is_empty());
    let nodes = graph.dag.expect("a DAG");
    assert_eq!(nodes.len(), 5);
    assert!(matches!(nodes[3], GraphNode::Add { a: 3, b: 0 }));
    // Two activations of the same value, added; an unused branch is dropped.
    let bytes = model(
        &[1, 3],
        vec![
            node("Relu", &["x"], "a", vec![]),
            node("Tanh", &["x"], "unused", vec![]),
            node("Sigmoid", &["x"], "b", vec![]),
            node("Add", &["a", "b"], "y", vec![]),
        ],
        vec![],
    );
    let x = [-1.0, 0.5, 2.0];
    let want: Vec<f64> = x
        .iter()
        .map(|&v: &f64| v.max(0.0) + 1.0 / (1.0 + (-v).exp()))
        .collect();
    close(&run(&bytes, &x), &want, "relu + sigmoid");
    assert_eq!(onnx::parse_bytes(&bytes).unwrap().dag.unwrap().len(), 3);
}

#[test]
fn flatten_after_conv_is_nchw_order() {
    let g = Geo {
        input: (1, 3, 3),
        kernel: (2, 2),
        stride: (1, 1),
        pads: [0; 4],
        dilation: (1, 1),
    };
    let w = pseudo_random("W", &[2, 1, 2, 2], 60);
    let wg = pseudo_random("Wg", &[8, 1], 61);
    let (wv, wgv) = (floats_of(&w), floats_of(&wg));
    let bytes = model(
        &dims(&g),
        vec![
            node("Conv", &["x", "W"], "c", vec![]),
            node("Flatten", &["c"], "f", vec![]),
            node("Gemm", &["f", "Wg"], "y", vec![]),
        ],
        vec![w, wg],
    );
    let x = input(9, 7.0);
    let c = naive_conv(&x, &g, 2, &wv, &[0.0; 2]);
    let want: f64 = c.iter().zip(&wgv).map(|(a, b)| a * b).sum();
    close(&run(&bytes, &x), &[want], "conv → flatten → gemm");
}

/// A model using every CNN form at once: Pad → Conv → BatchNormalization → Relu → MaxPool →
/// (Conv → Add with the pooled value) → Tanh → AveragePool (padded, count_include_pad = 0) →
/// Flatten → Gemm.
fn everything_model() -> Vec<u8> {
    let (mut inits, _) = bn_tensors(3, 70);
    inits.extend([
        pseudo_random("W1", &[3, 2, 3, 3], 71),
        pseudo_random("B1", &[3], 72),
        pseudo_random("W2", &[3, 3, 3, 3], 73),
        pseudo_random("Wg", &[4, 27], 74),
        pseudo_random("Bg", &[4], 75),
    ]);
    model(
        &[1, 2, 6, 6],
        vec![
            node(
                "Pad",
                &["x"],
                "p",
                vec![ints_attr("pads", &[0, 0, 1, 1, 0, 0, 1, 1])],
            ),
            node("Conv", &["p", "W1", "B1"], "c1", vec![]),
            node(
                "BatchNormalization",
                &["c1", "gamma", "beta", "mean", "var"],
                "n1",
                vec![float_attr("epsilon", 1e-3)],
            ),
            node("Relu", &["n1"], "r1", vec![]),
            node(
                "MaxPool",
                &["r1"],
                "m1",
                vec![
                    ints_attr("kernel_shape", &[2, 2]),
                    ints_attr("strides", &[2, 2]),
                ],
            ),
            node(
                "Conv",
                &["m1", "W2"],
                "c2",
                vec![ints_attr("pads", &[1, 1, 1, 1])],
            ),
            node("Add", &["c2", "m1"], "s", vec![]),
            node("Tanh", &["s"], "t", vec![]),
            node(
                "AveragePool",
                &["t"],
                "a",
                vec![
                    ints_attr("kernel_shape", &[2, 2]),
                    ints_attr("pads", &[0, 0, 1, 1]),
                ],
            ),
            node("Flatten", &["a"], "f", vec![]),
            node("Gemm", &["f", "Wg", "Bg"], "y", vec![int_attr("transB", 1)]),
        ],
        inits,
    )
}

#[test]
fn built_networks_agree_with_the_reader_and_are_sound() {
    use nalgebra::DMatrix;
    use proven::{InputDomain, Method, Network, Norm, compute_bounds};
    let bytes = everything_model();
    let graph = onnx::parse_bytes(&bytes).unwrap();
    assert!(graph.dag.is_some(), "the residual Add makes a DAG");
    let net = onnx::from_bytes::<f64>(&bytes).unwrap().network;
    let net32 = onnx::from_bytes::<f32>(&bytes).unwrap().network;
    assert_eq!((net.input_dim(), net.output_dim()), (72, 4));
    let x = DVector::from_vec(input(72, 8.0));
    for k in 0..20 {
        let xk = x.map(|v| v + 0.05 * k as f64);
        let want = graph.forward(&xk).unwrap();
        close(
            net.forward(&xk).unwrap().as_slice(),
            want.as_slice(),
            "f64 network",
        );
        let y32 = net32.forward(&xk.map(|v| v as f32)).unwrap();
        for (a, b) in y32.iter().zip(want.iter()) {
            assert!((f64::from(*a) - b).abs() < 1e-4, "f32 network: {a} vs {b}");
        }
    }
    // Soundness: 2,000 points of the ℓ∞ ball (corners for half of them) inside every method's bounds.
    let eps = 0.1;
    let domain = InputDomain::ball(x.clone(), eps, Norm::LInf).unwrap();
    let mut state = 3u64;
    let n = 2000;
    let points = DMatrix::from_fn(72, n, |i, j| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        let t = if j % 2 == 0 { u.round() } else { u };
        x[i] + eps * (2.0 * t - 1.0)
    });
    let ys = net.forward_batch(&points).unwrap();
    let mut checked = 0;
    for m in [
        Method::ibp(),
        Method::crown(),
        Method::crown().auto_lirpa_compatible(),
        Method::crown().dense(),
        Method::fast_lin(),
        Method::crown_ibp(),
    ] {
        let b = compute_bounds(&net, &domain, None, &m).unwrap();
        for j in 0..n {
            for i in 0..4 {
                let v = ys[(i, j)];
                assert!(
                    b.lower_bounds()[i] - 1e-9 <= v && v <= b.upper_bounds()[i] + 1e-9,
                    "{}: point {j} output {i} = {v} outside [{}, {}]",
                    m.name(),
                    b.lower_bounds()[i],
                    b.upper_bounds()[i]
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 6 * n * 4);
}
