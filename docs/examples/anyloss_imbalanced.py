"""Train a linear classifier on an imbalanced problem with cross-entropy and with AnyLoss-F1.

Data: scikit-learn's bundled handwritten digits (no download), "is it a 9?" — 180 of
1797 images (10 %) are positive.  Same seed, same model (logistic regression on the 64
standardised pixels), same optimiser, mini-batches and budget; only the loss differs:
``binary_cross_entropy_with_logits`` or ``any_loss(metric="f1", from_logits=True)``
(whose soft confusion matrix counts each mini-batch, N = the batch size).  Prints the
test-set F1 (``sklearn.metrics.f1_score`` of the predictions ``logit > 0``) of each,
whatever they are.  Runs in a few seconds on a CPU with PyTorch installed::

    python docs/examples/anyloss_imbalanced.py
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import losses_xp as lx

SEED, EPOCHS, BATCH, LR = 0, 40, 64, 0.01
LOSSES = ("cross_entropy", "any_loss_f1")


def loss_fn(name: str, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if name == "cross_entropy":
        return lx.binary_cross_entropy_with_logits(logits, y)
    return lx.any_loss(logits, y, metric="f1", from_logits=True)


def train(name: str, x_tr: torch.Tensor, y_tr: torch.Tensor) -> torch.nn.Linear:
    torch.manual_seed(SEED)
    model = torch.nn.Linear(x_tr.shape[1], 1)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        order = torch.randperm(len(y_tr), generator=gen)
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            opt.zero_grad()
            loss = loss_fn(name, model(x_tr[idx])[:, 0], y_tr[idx])
            loss.backward()
            opt.step()
    return model


def main() -> dict[str, float]:
    """Train with each loss; return (and print) the test-set F1 of each."""
    torch.set_num_threads(1)  # tiny model: threads only add overhead
    digits = load_digits()
    y = (digits.target == 9).astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(
        digits.data, y, test_size=0.3, random_state=SEED, stratify=y)
    scaler = StandardScaler().fit(x_tr)
    x_tr_t = torch.tensor(scaler.transform(x_tr), dtype=torch.float32)
    x_te_t = torch.tensor(scaler.transform(x_te), dtype=torch.float32)
    y_tr_t = torch.tensor(y_tr)
    print(f"train: {len(y_tr)} samples, {int(y_tr.sum())} positive ({y_tr.mean():.1%}); "
          f"test: {len(y_te)} samples, {int(y_te.sum())} positive")
    scores: dict[str, float] = {}
    for name in LOSSES:
        model = train(name, x_tr_t, y_tr_t)
        with torch.no_grad():
            pred = (model(x_te_t)[:, 0] > 0).numpy().astype(int)
        scores[name] = float(f1_score(y_te, pred))
        print(f"{name:>14}: test F1 = {scores[name]:.4f}")
    return scores


if __name__ == "__main__":
    main()
