//! `MaxPool` and `AveragePool` (2-D, NCHW, batch 1).

use super::OnnxErrorKind;
use super::affine::Pending;
use super::attrs::Attrs;
use super::cnn::PoolSpec;
use super::convert::{Converter, NodeCtx};
use super::ops_conv::dynamic_input;
use super::spec::LayerSpec;
use super::window_attrs::{map_shape, read_window};

impl Converter {
    /// `MaxPool` (no `Indices` output, `storage_order` irrelevant) or `AveragePool`
    /// (`count_include_pad` read); `ceil_mode` as in [`read_window`].
    pub(super) fn pool(&mut self, ctx: &NodeCtx) -> Result<(), OnnxErrorKind> {
        let at = Attrs::new(ctx.node, &ctx.label);
        let (shape, version) = dynamic_input(self, ctx, 0)?;
        let input = map_shape(ctx, &shape)?;
        let window = read_window(ctx, &input, None, true)?;
        let pool = PoolSpec { input, window };
        let layer = if ctx.node.op_type == "MaxPool" {
            if ctx.node.output.iter().skip(1).any(|o| !o.is_empty()) {
                return Err(ctx.unsupported("the Indices output is not supported"));
            }
            LayerSpec::MaxPool2d(pool)
        } else {
            let count_include_pad = match at.int("count_include_pad", 0)? {
                0 => false,
                1 => true,
                v => return Err(at.invalid("count_include_pad", format!("{v}; 0 or 1 expected"))),
            };
            LayerSpec::AvgPool2d {
                pool,
                count_include_pad,
            }
        };
        let out = pool.output();
        let base = self.materialise(version);
        let node = self.emit(base, Some(layer));
        self.define_dynamic(
            ctx,
            vec![1, out.channels, out.height, out.width],
            node,
            Pending::Identity(out.len()),
        )
    }
}
